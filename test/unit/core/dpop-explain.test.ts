/**
 * `fapi dpop explain`'s judgement (src/core/dpop-explain.ts): for each DP row, a proof broken in
 * exactly that way is refused by that check, the checks before it passed, and the ones a single
 * proof cannot settle say what they need.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accessTokenHash, createDpopProof, type DpopKey } from '../../../src/core/dpop.js';
import { explainDpopProof, type DpopExplanation } from '../../../src/core/dpop-explain.js';
import { jwkThumbprint, publicJwk, type Jwk } from '../../../src/core/jwk.js';
import { signJws } from '../../../src/core/jws.js';

function ecKey(): DpopKey {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: pair.privateKey,
    publicJwk: pair.publicKey.export({ format: 'jwk' }) as Jwk,
    alg: 'ES256',
  };
}

const K = ecKey();
const OTHER = ecKey();
const NOW = 1_800_000_000;
const URL_ = 'https://api.example/accounts';
/** A DPoP-bound access token for K (explain reads its cnf.jkt, it does not verify it). */
const tokenFor = (k: DpopKey) =>
  signJws(
    { typ: 'at+jwt', kid: 'as' },
    { cnf: { jkt: jwkThumbprint(k.publicJwk) }, sub: 'alice' },
    OTHER.privateKey,
    'ES256',
  );
const AT = tokenFor(K);
const NONCE = 'server-nonce-1';

const good = (o: Partial<Parameters<typeof createDpopProof>[1]> = {}) =>
  createDpopProof(K, { htm: 'GET', htu: URL_, accessToken: AT, nonce: NONCE, now: NOW, ...o });
/** A proof with exactly this header and these claims, signed by K. */
const crafted = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
  signJws(header, claims, K.privateKey, 'ES256');
const header = () => ({ typ: 'dpop+jwt', jwk: publicJwk(K.publicJwk) });
const claims = () => ({ jti: 'j1', htm: 'GET', htu: URL_, iat: NOW, nonce: NONCE, ath: accessTokenHash(AT) });

const explain = (
  proof: string,
  o: { method?: string; url?: string; token?: string | null; nonce?: string | null } = {},
) =>
  explainDpopProof({
    proof,
    method: o.method ?? 'GET',
    url: o.url ?? URL_,
    ...(o.token === null ? {} : { accessToken: o.token ?? AT }),
    ...(o.nonce === null ? {} : { nonce: o.nonce ?? NONCE }),
    now: NOW,
  });

const status = (e: DpopExplanation, id: string) => e.checks.find((c) => c.id === id)?.status;

function refusedBy(e: DpopExplanation, id: string) {
  expect(e.acceptable).toBe(false);
  expect(e.failed?.id).toBe(id);
  expect(e.checks.filter((c) => c.status === 'failed').map((c) => c.id)).toEqual([id]);
}

describe('fapi dpop explain', () => {
  it('a good proof: acceptable, every check passed but replay (which a single proof cannot settle)', () => {
    const e = explain(good());
    expect(e.acceptable).toBe(true);
    expect(e.checks.filter((c) => c.status !== 'passed').map((c) => [c.id, c.status])).toEqual([
      ['DP-12', 'not checked'],
    ]);
    expect(e.claims).toMatchObject({ htm: 'GET', htu: URL_ });
  });

  it('without the token or the nonce: DP-10, DP-13, DP-14 are "not checked", saying what they need', () => {
    const e = explain(good(), { token: null, nonce: null });
    expect(e.acceptable).toBe(true);
    expect(status(e, 'DP-13')).toBe('not checked');
    expect(e.checks.find((c) => c.id === 'DP-10')?.why).toMatch(/--nonce/);
    expect(e.checks.find((c) => c.id === 'DP-14')?.why).toMatch(/--token/);
  });

  it('DP-01: two proofs in one header', () => refusedBy(explain(`${good()}, ${good()}`), 'DP-01'));
  it('DP-02: not a JWS', () => refusedBy(explain('abc.def'), 'DP-02'));
  it('DP-03: a required claim (jti) is missing', () => {
    const { jti: _jti, ...rest } = claims();
    const e = explain(crafted(header(), rest));
    refusedBy(e, 'DP-03');
    expect(e.failed?.why).toMatch(/jti/);
    expect(status(e, 'DP-06')).toBe('passed');
  });
  it('DP-04: typ is not dpop+jwt', () =>
    refusedBy(explain(crafted({ ...header(), typ: 'JWT' }, claims())), 'DP-04'));
  it('DP-05: alg is RS256 (not a FAPI algorithm)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const h = Buffer.from(
      JSON.stringify({ typ: 'dpop+jwt', alg: 'RS256', jwk: rsa.publicKey.export({ format: 'jwk' }) }),
    ).toString('base64url');
    const input = `${h}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
    refusedBy(
      explain(`${input}.${sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`),
      'DP-05',
    );
  });
  it('DP-06: the signature does not verify', () => {
    const p = good();
    const dot = p.lastIndexOf('.');
    const sig = Buffer.from(p.slice(dot + 1), 'base64url');
    sig[0] = (sig[0] ?? 0) ^ 0xff;
    refusedBy(explain(`${p.slice(0, dot + 1)}${sig.toString('base64url')}`), 'DP-06');
  });
  it('DP-07: the jwk carries the private key', () => {
    const priv = K.privateKey.export({ format: 'jwk' }) as Jwk;
    refusedBy(explain(crafted({ typ: 'dpop+jwt', jwk: priv }, claims())), 'DP-07');
  });
  it('DP-08: htm is another method', () => refusedBy(explain(good({ htm: 'POST' })), 'DP-08'));
  it('DP-09: htu is the URL before a proxy rewrote it, and the explanation says so', () => {
    const e = explain(good({ htu: 'http://app:8080/accounts' }));
    refusedBy(e, 'DP-09');
    expect(e.failed?.why).toBe(
      "htu is http://app:8080/accounts, the request URL is https://api.example/accounts: the scheme, the host, the port differ; a proxy or load balancer in front of the server rewrote the URL: compute the expected URL from the externally visible one (X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Prefix or Forwarded, from a proxy you trust), not from the server's own address",
    );
    // Only the path: another resource, not a proxy.
    expect(explain(good({ htu: 'https://api.example/payments' })).failed?.why).toMatch(/another resource/);
    // A path prefix the proxy strips.
    expect(explain(good({ htu: 'https://api.example/api/accounts' })).failed?.why).toMatch(
      /\(a path prefix\)/,
    );
  });
  it("DP-10: the nonce is not the server's", () => {
    const e = explain(good({ nonce: 'stale' }));
    refusedBy(e, 'DP-10');
    expect(e.failed?.error).toBe('use_dpop_nonce');
  });
  it('DP-11: iat is 10 minutes old', () => refusedBy(explain(good({ now: NOW - 600 })), 'DP-11'));
  it('DP-12: replay cannot be judged from one proof: "not checked", never "passed"', () =>
    expect(status(explain(good()), 'DP-12')).toBe('not checked'));
  it('DP-13: ath is for another token', () =>
    refusedBy(explain(good({ accessToken: 'another-token' })), 'DP-13'));
  it('DP-14: the token is bound to another key', () => {
    const other = tokenFor(OTHER);
    const e = explain(good({ accessToken: other }), { token: other });
    refusedBy(e, 'DP-14');
    expect(e.failed?.error).toBe('invalid_token');
  });
  it('DP-15: unknown header parameters and claims are ignored', () => {
    const e = explain(crafted({ ...header(), x: 1 }, { ...claims(), extra: 'ignored' }));
    expect(e.acceptable).toBe(true);
    expect(status(e, 'DP-15')).toBe('passed');
  });
  it('DP-16: exp has passed', () =>
    refusedBy(explain(crafted(header(), { ...claims(), exp: NOW - 5 })), 'DP-16'));
});
