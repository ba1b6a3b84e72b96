/**
 * The one JWS header policy (src/core/jws.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type JwsPolicy, JwsError, checkJwsHeader, typMatches } from '../../../src/core/jws.js';

const lab = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function refusal(f: () => unknown): { check: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof JwsError) return e;
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
  it('refuses any crit (RFC 7515 §4.1.11), and a jwk header where the key is chosen by kid', () => {
    for (const crit of [['b64'], ['exp-x'], [], 'b64'])
      expect(refusal(() => checkJwsHeader({ typ: 'x+jwt', alg: 'ES256', crit }, policy)).check).toBe('crit');
    const jwk = lab.publicKey.export({ format: 'jwk' });
    expect(refusal(() => checkJwsHeader({ typ: 'x+jwt', alg: 'ES256', jwk }, policy)).check).toBe('jwk');
    expect(checkJwsHeader({ typ: 'x+jwt', alg: 'ES256', jwk }, { ...policy, key: 'jwk' })).toBe('ES256');
  });
});
