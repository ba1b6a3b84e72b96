/** RFC 9449 proofs: creation (CL-14) and every verification check (DP-01..16), cross-checked with jose. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import {
  accessTokenHash,
  createDpopProof,
  normalizeHtu,
  verifyDpopProof,
  DpopProofError,
  type DpopKey,
  type DpopVerifyOptions,
} from '../../../src/core/dpop.js';
import { jwkThumbprint, publicJwk, type Jwk } from '../../../src/core/jwk.js';
import { signJws } from '../../../src/core/jws.js';

function key(kind: 'ec' | 'rsa' | 'ed25519'): DpopKey {
  const pair =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : kind === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  return {
    privateKey: pair.privateKey,
    publicJwk: pair.publicKey.export({ format: 'jwk' }) as Jwk,
    alg: kind === 'ec' ? 'ES256' : kind === 'rsa' ? 'PS256' : 'EdDSA',
  };
}

const K = key('ec');
const NOW = 1_800_000_000;
const HTU = 'https://127.0.0.1:8445/accounts';
const AT = 'access-token-value';

function opts(
  proof: string | string[] | undefined,
  extra: Partial<DpopVerifyOptions> = {},
): DpopVerifyOptions {
  return { headerValues: proof, htm: 'GET', htu: HTU, now: NOW, ...extra };
}
function expectFail(o: DpopVerifyOptions, check: string, error = 'invalid_dpop_proof') {
  try {
    verifyDpopProof(o);
  } catch (e) {
    expect(e).toBeInstanceOf(DpopProofError);
    expect((e as DpopProofError).check).toBe(check);
    expect((e as DpopProofError).error).toBe(error);
    return;
  }
  throw new Error(`expected ${check} to fail`);
}
function raw(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  k: KeyObject = K.privateKey,
  alg: 'ES256' | 'PS256' | 'EdDSA' = 'ES256',
) {
  return signJws(header, claims, k, alg);
}
const goodClaims = () => ({ jti: 'j1', htm: 'GET', htu: HTU, iat: NOW });
const goodHeader = () => ({ typ: 'dpop+jwt', jwk: publicJwk(K.publicJwk) });

describe('DPoP proofs', () => {
  it('CL-14: a created proof has typ, public jwk, jti, htm, htu without query, iat; ath only with a token', async () => {
    const p = createDpopProof(K, { htm: 'get', htu: HTU + '?x=1#f', now: NOW });
    const h = jose.decodeProtectedHeader(p);
    const c = jose.decodeJwt(p);
    expect(h.typ).toBe('dpop+jwt');
    expect(h.alg).toBe('ES256');
    expect((h.jwk as Record<string, unknown> | undefined)?.d).toBeUndefined();
    expect(c).toMatchObject({ htm: 'GET', htu: HTU, iat: NOW });
    expect(String(c.jti).length).toBeGreaterThanOrEqual(16);
    expect(c.ath).toBeUndefined();
    // jose, which nobody here wrote, verifies our signature with the embedded key.
    const { payload } = await jose.jwtVerify(p, jose.EmbeddedJWK, {
      typ: 'dpop+jwt',
      currentDate: new Date(NOW * 1000),
    });
    expect(payload.htu).toBe(HTU);
    const withAth = jose.decodeJwt(createDpopProof(K, { htm: 'GET', htu: HTU, accessToken: AT, now: NOW }));
    expect(withAth.ath).toBe(accessTokenHash(AT));
  });

  it('verifies proofs of all three FAPI algorithms, including ones signed by jose', async () => {
    for (const k of [K, key('rsa'), key('ed25519')]) {
      const v = verifyDpopProof(opts(createDpopProof(k, { htm: 'GET', htu: HTU, now: NOW })));
      expect(v.jkt).toBe(jwkThumbprint(k.publicJwk));
    }
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const jwk = await jose.exportJWK(publicKey);
    const joseProof = await new jose.SignJWT({ htm: 'GET', htu: HTU, jti: 'x', iat: NOW })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(privateKey);
    expect(verifyDpopProof(opts(joseProof)).jkt).toBe(await jose.calculateJwkThumbprint(jwk));
  });

  it('DP-01: more than one DPoP header is refused', () => {
    const p = createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW });
    expectFail(opts([p, p]), 'DP-01');
    expectFail(opts(`${p}, ${p}`), 'DP-01');
  });
  it('DP-02: a malformed JWS is refused', () => {
    expectFail(opts('abc.def'), 'DP-02');
    expectFail(opts('a.b.c'), 'DP-02');
  });
  it('DP-02: a jose-made proof with a crit header is refused (RFC 7515 §4.1.11), even b64 that jose understands', async () => {
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const jwk = await jose.exportJWK(publicKey);
    const signed = (extra: Record<string, unknown>, crit?: Record<string, boolean>) =>
      new jose.SignJWT(goodClaims())
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...extra })
        .sign(privateKey, crit ? { crit } : {});
    expect(verifyDpopProof(opts(await signed({}))).jkt).toBe(await jose.calculateJwkThumbprint(jwk));
    expectFail(opts(await signed({ crit: ['b64'], b64: true })), 'DP-02');
    expectFail(opts(await signed({ crit: ['exp-x'], 'exp-x': 1 }, { 'exp-x': true })), 'DP-02');
  });
  it('DP-03: each required member missing is refused', () => {
    expectFail(opts(undefined), 'DP-03');
    for (const m of ['jti', 'htm', 'htu', 'iat']) {
      const c: Record<string, unknown> = goodClaims();
      delete c[m];
      expectFail(opts(raw(goodHeader(), c)), 'DP-03');
    }
    expectFail(opts(raw({ jwk: publicJwk(K.publicJwk) }, goodClaims())), 'DP-03');
    expectFail(opts(raw({ typ: 'dpop+jwt' }, goodClaims())), 'DP-03');
  });
  it('DP-04: typ other than dpop+jwt is refused', () => {
    expectFail(opts(raw({ ...goodHeader(), typ: 'JWT' }, goodClaims())), 'DP-04');
  });
  it('DP-04: typ is a media type (RFC 7515 §4.1.9): application/dpop+jwt and DPoP+JWT are dpop+jwt', () => {
    for (const typ of ['application/dpop+jwt', 'DPoP+JWT', 'Application/DPOP+jwt'])
      expect(() => verifyDpopProof(opts(raw({ ...goodHeader(), typ }, goodClaims()))), typ).not.toThrow();
    for (const typ of ['application/jwt', 'text/dpop+jwt', 'dpop+jwt; x=1', 7])
      expectFail(opts(raw({ ...goodHeader(), typ }, goodClaims())), 'DP-04');
  });
  it('DP-05: RS256 and none are refused', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const h = Buffer.from(
      JSON.stringify({ typ: 'dpop+jwt', alg: 'RS256', jwk: rsa.publicKey.export({ format: 'jwk' }) }),
    ).toString('base64url');
    const p = Buffer.from(JSON.stringify(goodClaims())).toString('base64url');
    expectFail(opts(`${h}.${p}.AAAA`), 'DP-05');
    const n = Buffer.from(
      JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: publicJwk(K.publicJwk) }),
    ).toString('base64url');
    expectFail(opts(`${n}.${p}.`), 'DP-05');
  });
  it('DP-06: a flipped signature byte is refused', () => {
    const p = createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW });
    const [h, c, s] = p.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[5] = (sig[5] as number) ^ 1;
    expectFail(opts(`${h}.${c}.${sig.toString('base64url')}`), 'DP-06');
  });
  it('DP-07: a jwk with private members is refused', () => {
    const priv = K.privateKey.export({ format: 'jwk' }) as Jwk;
    expectFail(opts(raw({ typ: 'dpop+jwt', jwk: priv }, goodClaims())), 'DP-07');
  });
  it('DP-08: htm must match the method', () => {
    expectFail(opts(createDpopProof(K, { htm: 'PUT', htu: HTU, now: NOW })), 'DP-08');
  });
  it('DP-09: htu ignores query/fragment and normalises case and default port; other URLs are refused', () => {
    expect(() =>
      verifyDpopProof(opts(raw(goodHeader(), { ...goodClaims(), htu: HTU + '?x=1#f' }))),
    ).not.toThrow();
    expect(normalizeHtu('HTTPS://AS.EXAMPLE:443/token')).toBe('https://as.example/token');
    expect(() =>
      verifyDpopProof(
        opts(raw(goodHeader(), { ...goodClaims(), htu: 'HTTPS://AS.EXAMPLE:443/token' }), {
          htu: 'https://as.example/token',
        }),
      ),
    ).not.toThrow();
    expectFail(
      opts(createDpopProof(K, { htm: 'GET', htu: 'https://127.0.0.1:8445/other', now: NOW })),
      'DP-09',
    );
  });
  it('DP-10: nonces are required when the server demands them (use_dpop_nonce)', () => {
    const nonce = { required: true, isValid: (n: string) => n === 'good' };
    expectFail(
      opts(createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW }), { nonce }),
      'DP-10',
      'use_dpop_nonce',
    );
    expectFail(
      opts(createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW, nonce: 'stale' }), { nonce }),
      'DP-10',
      'use_dpop_nonce',
    );
    expect(() =>
      verifyDpopProof(opts(createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW, nonce: 'good' }), { nonce })),
    ).not.toThrow();
  });
  it('DP-11: iat +8 s and -10 s accepted; ±1 h refused', () => {
    for (const d of [8, -10])
      expect(() =>
        verifyDpopProof(opts(createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW + d }))),
      ).not.toThrow();
    for (const d of [3600, -3600])
      expectFail(opts(createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW + d })), 'DP-11');
  });
  it('DP-12: a replayed jti is refused', () => {
    const seen = new Set<string>();
    const replay = (j: string) => (seen.has(j) ? false : (seen.add(j), true));
    const p = createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW });
    verifyDpopProof(opts(p, { replay }));
    expectFail(opts(p, { replay }), 'DP-12');
  });
  it('DP-13: ath is required and must match at the RS', () => {
    expectFail(opts(createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW }), { accessToken: AT }), 'DP-13');
    expectFail(
      opts(createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW, accessToken: 'other' }), { accessToken: AT }),
      'DP-13',
    );
    expect(() =>
      verifyDpopProof(
        opts(createDpopProof(K, { htm: 'GET', htu: HTU, now: NOW, accessToken: AT }), { accessToken: AT }),
      ),
    ).not.toThrow();
  });
  it('DP-14: a proof by another key than cnf.jkt is invalid_token', () => {
    const other = key('ec');
    expectFail(
      opts(createDpopProof(other, { htm: 'GET', htu: HTU, now: NOW }), {
        expectedJkt: jwkThumbprint(K.publicJwk),
      }),
      'DP-14',
      'invalid_token',
    );
  });
  it('DP-15: unknown header parameters and claims are ignored', () => {
    expect(() =>
      verifyDpopProof(opts(raw({ ...goodHeader(), foo: 1 }, { ...goodClaims(), bar: 'x' }))),
    ).not.toThrow();
  });
  it('DP-16: nbf/exp are honoured', () => {
    expect(() =>
      verifyDpopProof(opts(raw(goodHeader(), { ...goodClaims(), nbf: NOW, exp: NOW + 300 }))),
    ).not.toThrow();
    expectFail(opts(raw(goodHeader(), { ...goodClaims(), exp: NOW - 1 })), 'DP-16');
  });
});
