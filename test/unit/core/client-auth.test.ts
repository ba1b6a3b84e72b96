/** private_key_jwt assertions: creation (CL-06) and the FAPI 2.0 verification rules (CA-02..13). */
import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import {
  ClientAuthError,
  createClientAssertion,
  JWT_BEARER,
  verifyClientAssertion,
  type ClientAssertionVerifyOptions,
} from '../../../src/core/client-auth.js';
import type { Jwk } from '../../../src/core/jwk.js';
import { signJws } from '../../../src/core/jws.js';

const ISS = 'https://127.0.0.1:8443';
const NOW = 1_800_000_000;
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pub = { ...(pair.publicKey.export({ format: 'jwk' }) as Jwk), kid: 'k1' };
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const make = (over: Partial<Parameters<typeof createClientAssertion>[0]> = {}) =>
  createClientAssertion({
    clientId: 'c1',
    audience: ISS,
    privateKey: pair.privateKey,
    alg: 'ES256',
    kid: 'k1',
    now: NOW,
    ...over,
  });
const opts = (
  assertion: string,
  extra: Partial<ClientAssertionVerifyOptions> = {},
): ClientAssertionVerifyOptions => ({
  assertion,
  assertionType: JWT_BEARER,
  issuer: ISS,
  now: NOW,
  getClientKeys: (id) => (id === 'c1' ? [pub] : undefined),
  ...extra,
});
function expectFail(o: ClientAssertionVerifyOptions, check: string) {
  try {
    verifyClientAssertion(o);
  } catch (e) {
    expect(e).toBeInstanceOf(ClientAuthError);
    expect((e as ClientAuthError).check).toBe(check);
    expect((e as ClientAuthError).error).toBe('invalid_client');
    return;
  }
  throw new Error(`expected ${check} to fail`);
}

describe('client assertions', () => {
  it('CL-06: iss = sub = client_id, aud = issuer string, jti, iat, short exp; jose verifies it', async () => {
    const a = make();
    const { payload, protectedHeader } = await jose.jwtVerify(a, await jose.importJWK(pub, 'ES256'), {
      audience: ISS,
      issuer: 'c1',
      subject: 'c1',
      currentDate: new Date(NOW * 1000),
    });
    expect(typeof payload.aud).toBe('string');
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
    expect(protectedHeader.kid).toBe('k1');
    expect(make().split('.')[1]).not.toBe(make().split('.')[1]); // fresh jti each time
    expect(verifyClientAssertion(opts(a)).clientId).toBe('c1');
  });
  it('CA-02: token URL, PAR URL, arrays (even [issuer]) and other servers are refused as aud', () => {
    for (const aud of [`${ISS}/token`, `${ISS}/par`, [ISS, 'https://x'], [ISS], 'https://other.example'])
      expectFail(opts(make({ audience: aud })), 'CA-02');
  });
  it('CA-03: sub required and equal to iss', () => {
    expectFail(opts(make({ claims: { sub: undefined } })), 'CA-03');
    expectFail(opts(make({ claims: { sub: 'c2' } })), 'CA-03');
  });
  it('CA-04: expired assertions are refused', () => {
    expectFail(opts(make({ now: NOW - 300 })), 'CA-04');
  });
  it('CA-05: assertions living over 300 s are refused', () => {
    expectFail(opts(make({ lifetime: 3600 })), 'CA-05');
  });
  it('CA-06: jti required and single-use', () => {
    const seen = new Set<string>();
    const replay = (k: string) => (seen.has(k) ? false : (seen.add(k), true));
    const a = make();
    verifyClientAssertion(opts(a, { replay }));
    expectFail(opts(a, { replay }), 'CA-06');
    expectFail(opts(make({ claims: { jti: undefined } })), 'CA-06');
  });
  it('CA-07: RS256 and none are refused', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const h = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1' })).toString('base64url');
    const p = Buffer.from(
      JSON.stringify({ iss: 'c1', sub: 'c1', aud: ISS, jti: 'j', iat: NOW, exp: NOW + 60 }),
    ).toString('base64url');
    void rsa;
    expectFail(opts(`${h}.${p}.AAAA`), 'CA-07');
    const n = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expectFail(opts(`${n}.${p}.`), 'CA-07');
  });
  it('CA-08: a signature by another key, or an unknown client, is refused; duplicate kids pick by kty', () => {
    expectFail(opts(make({ privateKey: other.privateKey })), 'CA-08');
    expectFail(opts(make({ clientId: 'nobody' })), 'CA-08');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaPub = { ...(rsa.publicKey.export({ format: 'jwk' }) as Jwk), kid: 'k1' };
    const both = { getClientKeys: () => [rsaPub, pub] };
    expect(verifyClientAssertion(opts(make(), both)).clientId).toBe('c1');
    expect(verifyClientAssertion(opts(make({ privateKey: rsa.privateKey, alg: 'PS256' }), both)).alg).toBe(
      'PS256',
    );
  });
  it('CA-08: a jose-made assertion with a crit header is refused (RFC 7515 §4.1.11); without it, it verifies', async () => {
    const claims = { iss: 'c1', sub: 'c1', aud: ISS, jti: 'j-crit', iat: NOW, exp: NOW + 60 };
    const signed = (extra: Record<string, unknown>, crit?: Record<string, boolean>) =>
      new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...extra })
        .sign(pair.privateKey, crit ? { crit } : {});
    expect(verifyClientAssertion(opts(await signed({}))).clientId).toBe('c1');
    expectFail(opts(await signed({ crit: ['b64'], b64: true })), 'CA-08');
    expectFail(opts(await signed({ crit: ['exp-x'], 'exp-x': 1 }, { 'exp-x': true })), 'CA-08');
  });
  it('CA-08: the key is one the client registered, never a jwk carried in the assertion', () => {
    const jwk = other.publicKey.export({ format: 'jwk' });
    expectFail(opts(make({ privateKey: other.privateKey, kid: undefined, header: { jwk } })), 'CA-08');
    expectFail(opts(make({ privateKey: other.privateKey, header: { jwk } })), 'CA-08');
    // The client's own key in a jwk header is ignored, not held against it.
    expect(verifyClientAssertion(opts(make({ header: { jwk: pub } }))).clientId).toBe('c1');
  });
  it('CA-09: iat/nbf 8 s in the future accepted, over 60 s refused', () => {
    expect(() => verifyClientAssertion(opts(make({ claims: { nbf: NOW + 8 } })))).not.toThrow();
    expectFail(opts(make({ now: NOW + 70 })), 'CA-09');
  });
  it('CA-10 / CA-11: wrong assertion type or no assertion', () => {
    expectFail(opts(make(), { assertionType: 'urn:other' }), 'CA-10');
    expectFail({ ...opts(''), assertion: undefined, assertionType: undefined }, 'CA-11');
  });
  it('CA-12: a client_id parameter must match', () => {
    expectFail(opts(make(), { clientIdParam: 'c2' }), 'CA-12');
  });
  it('CA-13: a DPoP proof used as an assertion is refused by its typ', () => {
    const a = signJws(
      { typ: 'dpop+jwt', kid: 'k1' },
      { iss: 'c1', sub: 'c1', aud: ISS, jti: 'j', iat: NOW, exp: NOW + 60 },
      pair.privateKey,
      'ES256',
    );
    expectFail(opts(a), 'CA-13');
  });
});
