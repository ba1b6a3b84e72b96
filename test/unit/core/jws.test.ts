/**
 * The one JWS header policy (src/core/jws.ts) and the access-token verification built on it
 * (src/core/access-token.ts, RFC 9068 §4), with tokens made by jose, which nobody here wrote.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { AccessTokenError, verifyAccessToken } from '../../../src/core/access-token.js';
import { decodeJwt } from '../../helpers/jwt.js';
import { type JwsPolicy, JwsError, checkJwsHeader, peekJws, typMatches } from '../../../src/core/jws.js';

const ISS = 'https://as.example';
const NOW = 1_800_000_000;
const lab = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keys = [{ kid: 'k1', alg: 'ES256', key: lab.publicKey }];

const at = (header: Record<string, unknown> = {}, claims: Record<string, unknown> = {}, crit = {}) =>
  new jose.SignJWT({ iss: ISS, aud: 'https://rs.example', exp: NOW + 300, jti: 'j1', ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1', ...header })
    .sign(lab.privateKey, { crit });

function refusal(f: () => unknown): { check: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof JwsError || e instanceof AccessTokenError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('typ is a media type (RFC 7515 §4.1.9), one rule for every JWT', () => {
  it('is case-insensitive, with "application/" optional; nothing else matches', () => {
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/At+Jwt'])
      expect(typMatches(typ, ['at+jwt']), typ).toBe(true);
    for (const typ of ['JWT', 'text/at+jwt', 'at+jwt ', 'application/', undefined, 7, ['at+jwt']])
      expect(typMatches(typ, ['at+jwt']), String(typ)).toBe(false);
  });
});

describe('peekJws', () => {
  it('reads the header and payload of a JWS without verifying it; undefined for anything else', async () => {
    const jwt = await at({}, { sub: 'alice' });
    expect(peekJws(jwt)).toEqual({
      header: { alg: 'ES256', typ: 'at+jwt', kid: 'k1' },
      payload: { iss: ISS, aud: 'https://rs.example', exp: NOW + 300, jti: 'j1', sub: 'alice' },
    });
    expect(peekJws(`${jwt.slice(0, jwt.lastIndexOf('.'))}.AAAA`)?.payload.sub).toBe('alice');
    for (const v of [undefined, '', 'opaque-token', 'a.b', 'a.b.c', `${jwt}.x`])
      expect(peekJws(v), String(v)).toBeUndefined();
  });
});

describe('checkJwsHeader', () => {
  const policy: JwsPolicy = { subject: 'the JWT', algorithms: ['ES256'], typ: ['x+jwt'], key: 'kid' };
  it('tells a missing typ or alg from a wrong one, and refuses none and HS* whatever the list says', () => {
    expect(refusal(() => checkJwsHeader({ alg: 'ES256' }, policy))).toMatchObject({
      check: 'typ',
      absent: true,
    });
    expect(refusal(() => checkJwsHeader({ typ: 'JWT', alg: 'ES256' }, policy))).toMatchObject({
      check: 'typ',
      absent: false,
    });
    expect(refusal(() => checkJwsHeader({ typ: 'x+jwt' }, policy))).toMatchObject({
      check: 'alg',
      absent: true,
    });
    const lax = { ...policy, algorithms: ['none', 'HS256', 'ES256'] };
    for (const alg of ['none', 'HS256'])
      expect(refusal(() => checkJwsHeader({ typ: 'x+jwt', alg }, lax)).check, alg).toBe('alg');
    expect(checkJwsHeader({ alg: 'ES256' }, { ...policy, typOptional: true })).toBe('ES256');
  });
  it('refuses any crit (RFC 7515 §4.1.11); a jwk header where the key is chosen by kid is not refused (it is never used)', () => {
    for (const crit of [['b64'], ['exp-x'], [], 'b64'])
      expect(refusal(() => checkJwsHeader({ typ: 'x+jwt', alg: 'ES256', crit }, policy)).check).toBe('crit');
    const jwk = lab.publicKey.export({ format: 'jwk' });
    expect(checkJwsHeader({ typ: 'x+jwt', alg: 'ES256', jwk }, policy)).toBe('ES256');
    expect(checkJwsHeader({ typ: 'x+jwt', alg: 'ES256', jwk }, { ...policy, key: 'jwk' })).toBe('ES256');
  });
});

describe('RS-03 / RS-04: the access-token verification (RFC 9068 §4)', () => {
  const verify = (token: string) => verifyAccessToken(token, { keys, issuer: ISS });
  it('accepts a jose-made token typed at+jwt or application/at+jwt', async () => {
    expect(verify(await at()).payload.jti).toBe('j1');
    expect(verify(await at({ typ: 'application/at+jwt' })).header.typ).toBe('application/at+jwt');
  });
  it('refuses, naming the check: typ, crit, kid, signature (also when the signing key rides along in a jwk header), iss', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cases: [string, string][] = [
      ['typ', await at({ typ: 'JWT' })],
      ['typ', await at({ typ: undefined })],
      ['crit', await at({ crit: ['b64'], b64: true })],
      ['crit', await at({ crit: ['exp-x'], 'exp-x': 1 }, {}, { 'exp-x': true })],
      [
        'signature',
        await new jose.SignJWT({ iss: ISS })
          .setProtectedHeader({
            alg: 'ES256',
            typ: 'at+jwt',
            kid: 'k1',
            jwk: other.publicKey.export({ format: 'jwk' }),
          })
          .sign(other.privateKey),
      ],
      ['key', await at({ kid: 'k2' })],
      ['iss', await at({}, { iss: 'https://other.example' })],
      ['format', 'not-a-jwt'],
      [
        'signature',
        await new jose.SignJWT({ iss: ISS })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
          .sign(other.privateKey),
      ],
    ];
    for (const [check, token] of cases) expect(refusal(() => verify(token)).check, check).toBe(check);
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt","kid":"k1"}').toString('base64url')}.${(await at()).split('.')[1]}.`;
    expect(refusal(() => verify(none)).check).toBe('alg');
  });

  it('no issuer configured (keys alone): any iss string is accepted, a missing or non-string iss is not (RFC 9068 §2.2)', async () => {
    const anyIssuer = (t: string) => verifyAccessToken(t, { keys, issuer: undefined });
    const token = await at({}, { iss: undefined });
    expect(decodeJwt(token).payload).not.toHaveProperty('iss');
    expect(anyIssuer(await at({}, { iss: 'https://other.example' })).payload.iss).toBe(
      'https://other.example',
    );
    expect(anyIssuer(await at()).payload.iss).toBe(ISS);
    const missing = refusal(() => anyIssuer(token));
    expect(missing).toMatchObject({
      check: 'iss',
      message: expect.stringMatching(/has no iss.*RFC 9068 §2\.2/),
    });
    for (const iss of [7, '', ['https://as.example'], null]) {
      const t = await at({}, { iss });
      expect(refusal(() => anyIssuer(t)).check, JSON.stringify(iss)).toBe('iss');
    }
    // The signature still decides first: another key with no iss is a signature refusal.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new jose.SignJWT({ iss: ISS, exp: NOW + 300 })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .sign(other.privateKey);
    expect(refusal(() => anyIssuer(forged)).check).toBe('signature');
  });
});
