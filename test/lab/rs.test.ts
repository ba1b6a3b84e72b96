/**
 * The lab resource server, rule by rule (RS-xx, DP-xx at the RS, MT-05..08): each rule has a
 * request the RS accepts and one it refuses with its RFC 6750 §3 / RFC 9449 §7.1 answer.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenHash } from '../../src/core/dpop.js';
import { jwkThumbprint } from '../../src/core/jwk.js';
import {
  json,
  newDpopKey,
  postForm,
  registerClient,
  decodeJwt,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';
import {
  challenges,
  dpopTokens,
  mintAccessToken,
  mtlsClient,
  mtlsTokens,
  rawProof,
  rsCall,
  rsProof,
  type MtlsClient,
  type Tokens,
} from './rs-helpers.js';

const ALGS = 'algs="ES256 PS256 EdDSA"';

let t: TestLab;
let client: TestClient;
let tokens: Tokens;

beforeAll(async () => {
  t = await startTestLab();
  client = await registerClient(t);
  tokens = await dpopTokens(t, client);
});
afterAll(() => t.close());

const call = (path: string, o: Parameters<typeof rsCall>[2] = {}) =>
  rsCall(t, path, { token: tokens.at, dpop: tokens.dpop, ...o });

function expectChallenge(res: { status: number }, status: number, first: RegExp, all: string[]) {
  expect(res.status).toBe(status);
  expect(all[0]).toMatch(first);
}

describe('RS-01 access token in the Authorization header', () => {
  it('RS-01 accepts Authorization: DPoP <at> with a proof (baseline B4)', async () => {
    const res = await call('/accounts');
    expect(res.status, res.text()).toBe(200);
    const body = json(res) as { Data: { Account: { AccountId: string }[] } };
    expect(body.Data.Account.map((a) => a.AccountId)).toEqual(['acc-alice-current', 'acc-alice-savings']);
    expect(res.header('content-type')).toMatch(/^application\/json/);
    expect(res.header('cache-control')).toBe('no-store');
  });
  it('RS-01 refuses another scheme with a challenge and no error', async () => {
    const res = await call('/accounts', { scheme: 'Basic' });
    expect(res.status).toBe(401);
    const ch = challenges(res);
    expect(ch[0]).toBe(`DPoP ${ALGS}`);
    expect(ch.join()).not.toMatch(/error=/);
  });
});

describe('RS-02 no access token in the query or the body', () => {
  it('RS-02 refuses ?access_token= with 400 invalid_request, even with a valid header', async () => {
    const res = await call(`/accounts?access_token=${tokens.at}`);
    expect(res.status).toBe(400);
    expect(challenges(res).join()).toMatch(/error="invalid_request"/);
    expect(json(res).error).toBe('invalid_request');
  });
  it('RS-02 refuses access_token in a form body', async () => {
    const res = await rsCall(t, '/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${tokens.at}`,
    });
    expect(res.status).toBe(400);
    expect(json(res).error).toBe('invalid_request');
  });
  it('RS-02 accepts the same request with the token in the header only', async () => {
    expect((await call('/accounts?page=1')).status).toBe(200);
  });
});

describe('RS-03 validity, integrity, expiry, revocation', () => {
  it('RS-03 refuses a token with a tampered signature', async () => {
    const [h, p, s] = tokens.at.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    const res = await call('/accounts', { token: flipped });
    expectChallenge(res, 401, /^DPoP error="invalid_token"/, challenges(res));
  });
  it('RS-03 refuses a tampered payload (scope widened)', async () => {
    const narrow = await dpopTokens(t, client, 'openid');
    const [h, p, s] = narrow.at.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.scope = 'openid accounts';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    const res = await rsCall(t, '/accounts', { token: forged, dpop: narrow.dpop });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(/error="invalid_token"/);
  });
  it('RS-03 refuses an expired token, and accepted it before', async () => {
    const fresh = await dpopTokens(t, client);
    expect((await rsCall(t, '/accounts', { token: fresh.at, dpop: fresh.dpop })).status).toBe(200);
    const at = mintAccessToken(t, {
      binding: { jkt: jwkThumbprint(fresh.dpop.publicJwk) },
      claims: { exp: Math.floor(t.now()) - 1 },
    });
    const res = await rsCall(t, '/accounts', { token: at, dpop: fresh.dpop });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(
      /^DPoP error="invalid_token", error_description="the access token expired/,
    );
  });
  it('RS-03 refuses a token revoked at /revoke', async () => {
    const fresh = await dpopTokens(t, client);
    expect((await rsCall(t, '/accounts', { token: fresh.at, dpop: fresh.dpop })).status).toBe(200);
    const { assertion } = await import('./helpers.js');
    const rv = await postForm(t.http, `${t.lab.issuer}/revoke`, { ...assertion(t, client), token: fresh.at });
    expect(rv.status).toBe(200);
    const res = await rsCall(t, '/accounts', { token: fresh.at, dpop: fresh.dpop });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(
      /error="invalid_token", error_description="the access token was revoked"/,
    );
  });
});

describe('RS-03 verified tokens are remembered (one signature check per token), every claim check still runs', () => {
  it('RS-03 a remembered token is still refused once it expires', async () => {
    // Its own lab: the clock moves past the token's expiry.
    const own = await startTestLab();
    try {
      const c = await registerClient(own);
      const fresh = await dpopTokens(own, c);
      expect((await rsCall(own, '/accounts', { token: fresh.at, dpop: fresh.dpop })).status).toBe(200);
      expect((await rsCall(own, '/accounts', { token: fresh.at, dpop: fresh.dpop })).status).toBe(200);
      const exp = (decodeJwt(fresh.at).payload as { exp: number }).exp;
      own.advance(exp - own.now() + 1);
      const res = await rsCall(own, '/accounts', { token: fresh.at, dpop: fresh.dpop });
      expect(res.status).toBe(401);
      expect(challenges(res)[0]).toMatch(
        /error="invalid_token", error_description="the access token expired/,
      );
    } finally {
      await own.close();
    }
  });
  it('RS-03 a changed byte in a remembered token is a new token, and its signature is checked', async () => {
    const fresh = await dpopTokens(t, client);
    expect((await rsCall(t, '/accounts', { token: fresh.at, dpop: fresh.dpop })).status).toBe(200);
    const [h, p, s] = fresh.at.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, 20)}${s[20] === 'A' ? 'B' : 'A'}${s.slice(21)}`;
    const res = await rsCall(t, '/accounts', { token: flipped, dpop: fresh.dpop });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(
      /error="invalid_token", error_description="the access token signature/,
    );
  });
});

describe('RS-04 JWT access token checks (RFC 9068)', () => {
  const bound = () => ({ jkt: jwkThumbprint(tokens.dpop.publicJwk) });
  it('RS-04 accepts a lab token with typ at+jwt, iss, aud', async () => {
    const res = await call('/accounts', { token: mintAccessToken(t, { binding: bound() }) });
    expect(res.status, res.text()).toBe(200);
  });
  for (const [what, o] of [
    ['typ JWT', { header: { typ: 'JWT' } }],
    ['another iss', { claims: { iss: 'https://other.example' } }],
    ['another aud', { claims: { aud: 'https://other-rs.example' } }],
    ['an unknown kid', { header: { kid: 'not-a-lab-key' } }],
  ] as const) {
    it(`RS-04 refuses ${what} with 401 invalid_token`, async () => {
      const res = await call('/accounts', { token: mintAccessToken(t, { binding: bound(), ...o }) });
      expect(res.status).toBe(401);
      expect(challenges(res)[0]).toMatch(/^DPoP error="invalid_token"/);
    });
  }
  it('RS-04 refuses a token that is not a JWT, and alg none', async () => {
    expect((await call('/accounts', { token: 'opaque-token-value' })).status).toBe(401);
    const { payload } = decodeJwt(tokens.at);
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
    const res = await call('/accounts', { token: none });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(/error="invalid_token"/);
  });
});

describe('RS-05 scope', () => {
  it('RS-05 refuses a token without scope accounts: 403 insufficient_scope', async () => {
    const narrow = await dpopTokens(t, client, 'openid payments');
    const res = await rsCall(t, '/accounts', { token: narrow.at, dpop: narrow.dpop });
    expect(res.status).toBe(403);
    expect(challenges(res)[0]).toMatch(
      /^DPoP error="insufficient_scope", error_description="[^"]+", scope="accounts"/,
    );
  });
  it('RS-05 refuses POST /payments without scope payments, accepts it with', async () => {
    const narrow = await dpopTokens(t, client, 'openid accounts');
    const body = JSON.stringify({
      Data: {
        Initiation: {
          InstructedAmount: { Amount: '1.00', Currency: 'EUR' },
          CreditorAccount: { Identification: 'GB33BUKB20201555555555', Name: 'Shop' },
        },
      },
    });
    const headers = { 'content-type': 'application/json' };
    const refused = await rsCall(t, '/payments', {
      method: 'POST',
      token: narrow.at,
      dpop: narrow.dpop,
      headers,
      body,
    });
    expect(refused.status).toBe(403);
    expect(challenges(refused)[0]).toMatch(/scope="payments"/);
    // Under the strict lab the payment must also be one the user consented to (RAR-08).
    const paying = await dpopTokens(t, client, 'openid payments', {
      authorization_details: JSON.stringify([
        {
          type: 'payment_initiation',
          instructedAmount: { currency: 'EUR', amount: '1.00' },
          creditorName: 'Shop',
          creditorAccount: { iban: 'GB33BUKB20201555555555' },
        },
      ]),
    });
    const ok = await rsCall(t, '/payments', {
      method: 'POST',
      token: paying.at,
      dpop: paying.dpop,
      headers,
      body,
    });
    expect(ok.status, ok.text()).toBe(201);
  });
});

describe('RS-06 sender-constrained tokens only', () => {
  it('RS-06 refuses an unbound (plain bearer) token', async () => {
    const res = await rsCall(t, '/accounts', { scheme: 'Bearer', token: mintAccessToken(t), dpop: null });
    expect(res.status).toBe(401);
    expect(challenges(res).join()).toMatch(
      /error="invalid_token", error_description="the access token is not sender-constrained/,
    );
  });
  it('RS-06 accepts the DPoP-bound token with its proof', async () => {
    expect((await call('/accounts/acc-alice-current')).status).toBe(200);
  });
});

describe('RS-07 / RS-08 Date and x-fapi-interaction-id', () => {
  it('RS-07 sends Date on success and on refusal', async () => {
    const ok = await call('/accounts');
    expect(Math.abs(Date.parse(ok.header('date') as string) - Date.now())).toBeLessThan(5000);
    const refused = await rsCall(t, '/accounts');
    expect(refused.status).toBe(401);
    expect(refused.header('date')).toBeTruthy();
  });
  it('RS-08 echoes x-fapi-interaction-id, or generates a UUIDv4', async () => {
    const id = 'c770aef3-6784-41f7-8e0e-ff5f97bddb3a';
    expect(
      (await call('/accounts', { headers: { 'x-fapi-interaction-id': id } })).header('x-fapi-interaction-id'),
    ).toBe(id);
    const generated = (await call('/accounts')).header('x-fapi-interaction-id');
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(
      (await rsCall(t, '/accounts', { headers: { 'x-fapi-interaction-id': id } })).header(
        'x-fapi-interaction-id',
      ),
    ).toBe(id);
  });
});

describe('DP-xx at the RS (RFC 9449 §4.3, §7.1)', () => {
  const url = () => `${t.lab.rs}/accounts`;
  const claims = (o: Record<string, unknown> = {}) => ({
    jti: Math.random().toString(36).slice(2),
    htm: 'GET',
    htu: url(),
    iat: Math.floor(t.now()),
    nonce: t.lab.ctx.nonces.rs.current(),
    ath: accessTokenHash(tokens.at),
    ...o,
  });
  const refusedProof = async (dpop: string | string[], error = 'invalid_dpop_proof') => {
    const res = await call('/accounts', { proofHeader: dpop });
    expect(res.status, res.text()).toBe(401);
    expect(challenges(res)[0]).toMatch(
      new RegExp(`^DPoP error="${error}", error_description="[^"]*", ${ALGS}$`),
    );
    return res;
  };

  it('DP-01 refuses two DPoP headers', async () => {
    const p = () => rsProof(t, tokens.dpop, 'GET', url(), tokens.at);
    await refusedProof([p(), p()]);
  });
  it('DP-02 refuses a DPoP header that is not a JWS', async () => {
    await refusedProof('abc.def');
  });
  for (const claim of ['jti', 'htm', 'htu', 'iat'] as const) {
    it(`DP-03 refuses a proof without ${claim}`, async () => {
      const c: Record<string, unknown> = claims();
      delete c[claim];
      await refusedProof(rawProof(tokens.dpop, {}, c));
    });
  }
  it('DP-03 refuses a proof without jwk', async () => {
    await refusedProof(rawProof(tokens.dpop, { jwk: undefined }, claims()));
  });
  it('DP-04 refuses typ JWT', async () => {
    await refusedProof(rawProof(tokens.dpop, { typ: 'JWT' }, claims()));
  });
  it('DP-05 refuses alg none', async () => {
    const h = Buffer.from(
      JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: tokens.dpop.publicJwk }),
    ).toString('base64url');
    await refusedProof(`${h}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`);
  });
  it('DP-05 refuses RS256', async () => {
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = rsa.publicKey.export({ format: 'jwk' });
    const input = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'RS256', jwk })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
    await refusedProof(
      `${input}.${sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`,
    );
  });
  it('DP-06 refuses a flipped signature byte', async () => {
    const p = rsProof(t, tokens.dpop, 'GET', url(), tokens.at);
    const sig = Buffer.from(p.split('.')[2] as string, 'base64url');
    sig[5] = (sig[5] as number) ^ 1;
    await refusedProof(`${p.split('.').slice(0, 2).join('.')}.${sig.toString('base64url')}`);
  });
  it('DP-07 refuses a jwk with private key material', async () => {
    await refusedProof(rawProof(tokens.dpop, { jwk: { ...tokens.dpop.publicJwk, d: 'AAAA' } }, claims()));
  });
  it('DP-08 refuses htm PUT on a GET', async () => {
    await refusedProof(rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { htm: 'PUT' }));
  });
  it('DP-09 refuses another path or host; ignores query and fragment; normalises case', async () => {
    await refusedProof(rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { htu: `${t.lab.rs}/payments` }));
    await refusedProof(rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { htu: `${t.lab.issuer}/accounts` }));
    const withQuery = await call('/accounts', {
      proofHeader: rawProof(tokens.dpop, {}, claims({ htu: `${url()}?x=1#f` })),
    });
    expect(withQuery.status, withQuery.text()).toBe(200);
    const upper = await call('/accounts', {
      proofHeader: rawProof(tokens.dpop, {}, claims({ htu: url().replace('https://', 'HTTPS://') })),
    });
    expect(upper.status, upper.text()).toBe(200);
  });
  it('DP-10 asks for the RS nonce: 401 use_dpop_nonce with DPoP-Nonce; retry with it works', async () => {
    const res = await refusedProof(
      rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { nonce: null }),
      'use_dpop_nonce',
    );
    const nonce = res.header('dpop-nonce') as string;
    expect(nonce).toBeTruthy();
    await refusedProof(
      rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { nonce: 'stale-nonce-value-000000' }),
      'use_dpop_nonce',
    );
    expect((await call('/accounts', { proof: { nonce } })).status).toBe(200);
  });
  it('DP-11 accepts iat -10 s and +8 s, refuses ±1 h', async () => {
    const now = Math.floor(t.now());
    expect((await call('/accounts', { proof: { iat: now - 10 } })).status).toBe(200);
    expect((await call('/accounts', { proof: { iat: now + 8 } })).status).toBe(200);
    await refusedProof(rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { iat: now + 3600 }));
    await refusedProof(rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { iat: now - 3600 }));
  });
  it('DP-12 refuses a replayed proof', async () => {
    const p = rsProof(t, tokens.dpop, 'GET', url(), tokens.at);
    expect((await call('/accounts', { proofHeader: p })).status).toBe(200);
    await refusedProof(p);
  });
  it('DP-13 refuses a wrong or missing ath', async () => {
    await refusedProof(
      rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { ath: accessTokenHash('another token') }),
    );
    await refusedProof(rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { ath: null }));
  });
  it('DP-14 refuses a proof by another key: invalid_token, Invalid DPoP key binding', async () => {
    const other = await newDpopKey();
    const res = await refusedProof(rsProof(t, other, 'GET', url(), tokens.at), 'invalid_token');
    expect(challenges(res)[0]).toMatch(/error_description="Invalid DPoP key binding/);
  });
  it('DP-15 ignores unknown header parameters and claims', async () => {
    const res = await call('/accounts', {
      proofHeader: rawProof(tokens.dpop, { x_custom: 1 }, claims({ extra: 'ok', foo: [1] })),
    });
    expect(res.status, res.text()).toBe(200);
  });
  it('DP-16 accepts nbf/exp around now, refuses an expired proof', async () => {
    const now = Math.floor(t.now());
    expect((await call('/accounts', { proof: { extraClaims: { nbf: now, exp: now + 300 } } })).status).toBe(
      200,
    );
    await refusedProof(rsProof(t, tokens.dpop, 'GET', url(), tokens.at, { extraClaims: { exp: now - 5 } }));
  });
  it('DP-21 refuses a DPoP-bound token sent as Bearer, and DPoP without a proof', async () => {
    const bearer = await call('/accounts', { scheme: 'Bearer', dpop: null });
    expect(bearer.status).toBe(401);
    expect(challenges(bearer)[0]).toMatch(/^DPoP error="invalid_token"/);
    const bearerWithProof = await call('/accounts', { scheme: 'Bearer' });
    expect(bearerWithProof.status).toBe(401);
    const noProof = await call('/accounts', { dpop: null });
    expect(noProof.status).toBe(401);
    expect(challenges(noProof)[0]).toMatch(/^DPoP error="invalid_dpop_proof"/);
  });
  it('DP-22 accepts the scheme in any case; refuses a look-alike scheme', async () => {
    expect((await call('/accounts', { scheme: 'dpop' })).status).toBe(200);
    expect((await call('/accounts', { scheme: 'DPOP' })).status).toBe(200);
    expect((await call('/accounts', { scheme: 'DPoP-x' })).status).toBe(401);
  });
  it('DP-23 an unauthenticated request gets DPoP algs and no error', async () => {
    const res = await rsCall(t, '/accounts');
    expect(res.status).toBe(401);
    const ch = challenges(res);
    expect(ch[0]).toBe(`DPoP ${ALGS}`);
    expect(ch.join()).not.toMatch(/error/);
    expect(res.header('dpop-nonce')).toBeTruthy();
  });
});

describe('MT-05..08 certificate-bound tokens at the RS', () => {
  let m: MtlsClient;
  let mt: { at: string; body: Record<string, unknown> };
  beforeAll(async () => {
    m = await mtlsClient(t);
    mt = await mtlsTokens(t, m);
  });
  it('MT-05 the token carries cnf.x5t#S256 = base64url(SHA-256(DER)), 43 chars', () => {
    const { payload } = decodeJwt(mt.at);
    expect(payload.cnf).toEqual({ 'x5t#S256': m.x5t });
    expect(m.x5t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(m.x5t).toBe(createHash('sha256').update(m.certDer).digest('base64url'));
  });
  it('MT-05 a DPoP token has no x5t#S256', () => {
    expect(decodeJwt(tokens.at).payload.cnf).not.toHaveProperty('x5t#S256');
  });
  it('MT-06 the token endpoint refuses the mTLS client without its certificate', async () => {
    const res = await postForm(t.http, `${t.lab.mtls}/token`, {
      client_id: m.clientId,
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: m.redirectUri,
      code_verifier: 'x'.repeat(43),
    });
    expect(res.status).toBe(401);
    expect(json(res).error).toBe('invalid_client');
  });
  it('MT-07 accepts the token over the bound certificate', async () => {
    const res = await rsCall(t, '/accounts', { http: m.http, scheme: 'Bearer', token: mt.at, dpop: null });
    expect(res.status, res.text()).toBe(200);
  });
  it('MT-07 refuses the token without a certificate, or with another client certificate', async () => {
    const none = await rsCall(t, '/accounts', { scheme: 'Bearer', token: mt.at, dpop: null });
    expect(none.status).toBe(401);
    expect(challenges(none)[0]).toMatch(/^Bearer error="invalid_token"/);
    const other = await mtlsClient(t, 'other');
    const res = await rsCall(t, '/accounts', {
      http: other.http,
      scheme: 'Bearer',
      token: mt.at,
      dpop: null,
    });
    expect(res.status).toBe(401);
    expect(challenges(res)).toEqual([
      expect.stringMatching(
        /^Bearer error="invalid_token", error_description="the TLS client certificate is not the one/,
      ),
    ]);
  });
  it('MT-08 token_type is Bearer; the DPoP scheme is refused for a certificate-bound token', async () => {
    expect(mt.body.token_type).toBe('Bearer');
    const res = await rsCall(t, '/accounts', {
      http: m.http,
      scheme: 'DPoP',
      token: mt.at,
      dpop: tokens.dpop,
    });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(/^Bearer error="invalid_token"/);
  });
});
