/** CL-20: ID token validation, one test per lab fault switch (idtoken-*). */
import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { validateIdToken, type IdTokenCheck } from '../../../src/core/id-token.js';
import type { Jwk } from '../../../src/core/jwk.js';
import { signJws } from '../../../src/core/jws.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const ISS = 'https://as.example';
const NOW = 1_800_000_000;
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWK: Jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as Jwk), kid: 'as-1', use: 'sig' };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISS,
  sub: 'alice',
  aud: 'client-1',
  exp: NOW + 300,
  iat: NOW,
  nonce: 'n-1',
  ...extra,
});
const sign = (c: Record<string, unknown>, header: Record<string, unknown> = { kid: 'as-1' }) =>
  signJws({ typ: 'JWT', ...header }, c, pair.privateKey, 'ES256');
const unsigned = (c: Record<string, unknown>, alg: string) =>
  `${Buffer.from(JSON.stringify({ alg, kid: 'as-1' })).toString('base64url')}.${Buffer.from(JSON.stringify(c)).toString('base64url')}.`;

const check = (extra: Partial<IdTokenCheck> = {}): IdTokenCheck => ({
  issuer: ISS,
  clientId: 'client-1',
  nonce: 'n-1',
  now: NOW,
  jwks: async () => [JWK],
  ...extra,
});

async function refused(token: string, contains: string, o = check()) {
  await expectFapiError(validateIdToken(token, o), {
    code: 'E_ID_TOKEN_INVALID',
    exitCode: 5,
    message: contains,
  });
}

describe('ID token (CL-20)', () => {
  it('accepts a valid token, and aud as a one-element array (idtoken-aud-array)', async () => {
    const v = await validateIdToken(sign(claims()), check());
    expect(v.claims.sub).toBe('alice');
    expect(v.alg).toBe('ES256');
    expect(v.kid).toBe('as-1');
    await validateIdToken(sign(claims({ aud: ['client-1'] })), check());
  });

  it('idtoken-iss / idtoken-iss-missing', async () => {
    await refused(sign(claims({ iss: 'https://evil.example' })), 'iss');
    await refused(sign(claims({ iss: undefined })), 'no iss');
  });

  it('idtoken-aud / idtoken-aud-missing / idtoken-secondary-aud / azp', async () => {
    await refused(sign(claims({ aud: 'other' })), 'does not contain the client_id');
    await refused(sign(claims({ aud: undefined })), 'no aud');
    await refused(sign(claims({ aud: ['client-1', 'https://untrusted.example'] })), 'does not trust');
    await refused(sign(claims({ azp: 'someone-else' })), 'azp');
  });

  it('idtoken-alg-none / idtoken-alg-rs256', async () => {
    await refused(unsigned(claims(), 'none'), 'not allowed by FAPI 2.0');
    const rs = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'as-1' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
    const { sign: s } = await import('node:crypto');
    const sig = s('sha256', Buffer.from(rs), rsa.privateKey).toString('base64url');
    await refused(`${rs}.${sig}`, 'RS256');
  });

  it('idtoken-exp-expired / idtoken-exp-missing', async () => {
    await refused(sign(claims({ exp: NOW - 3600 })), 'expired');
    await refused(sign(claims({ exp: undefined })), 'no numeric exp');
  });

  it('idtoken-nonce-wrong / idtoken-nonce-missing; no nonce needed on refresh', async () => {
    await refused(sign(claims({ nonce: 'other' })), 'nonce is not the one');
    await refused(sign(claims({ nonce: undefined })), 'no nonce');
    await validateIdToken(sign(claims({ nonce: undefined })), check({ nonce: undefined }));
  });

  it('refuses a jose-made ID token with a crit header (RFC 7515 §4.1.11); accepts it without', async () => {
    const signed = (extra: Record<string, unknown>, crit?: Record<string, boolean>) =>
      new jose.SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'as-1', ...extra })
        .sign(pair.privateKey, crit ? { crit } : {});
    expect((await validateIdToken(await signed({}), check())).claims.sub).toBe('alice');
    await refused(await signed({ crit: ['b64'], b64: true }), 'crit');
    await refused(await signed({ crit: ['exp-x'], 'exp-x': 1 }, { 'exp-x': true }), 'crit');
  });

  it("never verifies with a jwk the ID token carries: the key comes from the issuer's jwks_uri (RFC 8725 §3.10)", async () => {
    // The issuer's own key in a jwk header (OIDC Core §2: SHOULD NOT) does not make a valid token invalid...
    expect((await validateIdToken(sign(claims(), { kid: 'as-1', jwk: JWK }), check())).claims.sub).toBe(
      'alice',
    );
    // ...and a token signed by another key that brings that key along is refused by its signature.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new jose.SignJWT(claims())
      .setProtectedHeader({
        alg: 'ES256',
        typ: 'JWT',
        kid: 'as-1',
        jwk: other.publicKey.export({ format: 'jwk' }),
      })
      .sign(other.privateKey);
    await refused(forged, 'signature');
  });

  it('refuses a bad signature, a missing iat or sub, and an unknown kid after one JWKS refresh', async () => {
    const t = sign(claims());
    await refused(`${t.slice(0, t.lastIndexOf('.'))}.${Buffer.alloc(64).toString('base64url')}`, 'signature');
    await refused(sign(claims({ iat: undefined })), 'no numeric iat');
    await refused(sign(claims({ sub: undefined })), 'no sub');
    const calls: boolean[] = [];
    await refused(
      sign(claims(), { kid: 'rotated' }),
      'no key',
      check({ jwks: async (r) => (calls.push(r), [JWK]) }),
    );
    expect(calls).toEqual([false, true]);
    const rotated = [{ ...JWK, kid: 'rotated' }];
    let n = 0;
    await validateIdToken(
      sign(claims(), { kid: 'rotated' }),
      check({ jwks: async () => (n++ === 0 ? [JWK] : rotated) }),
    );
  });
});

describe('jwksLoader', () => {
  it('shares one fetch between concurrent callers, re-fetches on refresh, and does not cache a failure', async () => {
    const { fakeClient, ISSUER } = await import('../../helpers/fake-http.js');
    const { jwksLoader } = await import('../../../src/core/id-token.js');
    const { f, c } = fakeClient();
    let status = 500;
    f.on('GET', `${ISSUER}/jwks`, () => ({ status, json: { keys: [JWK] } }));
    const jwks = jwksLoader(c);
    await expect(jwks(false)).rejects.toMatchObject({ code: 'E_JWKS_FETCH' });
    status = 200;
    const [a, b] = await Promise.all([jwks(false), jwks(false)]);
    expect(a).toEqual([JWK]);
    expect(b).toBe(a);
    expect(f.requests).toHaveLength(2); // the failure, then one shared fetch
    await jwks(true);
    expect(f.requests).toHaveLength(3);
  });
});
