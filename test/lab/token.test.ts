/** TK-01..14, DP-17..19 and the AS side of DP-01..16, RT-01..11, AZ-07, AZ-09. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/core/jwk.js';
import { createHttpClient, type HttpClient } from '../../src/http/client.js';
import { privateKeyPem, type GeneratedKey } from '../../src/keys/generate.js';
import { createCertificate, type CertInfo } from '../../src/keys/x509.js';
import { findToken, isActive } from '../../lab/as/token-lookup.js';
import {
  assertion,
  authorize,
  code,
  decodeJwt,
  json,
  newDpopKey,
  newKey,
  par,
  postForm,
  proof,
  redeem,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';
import { challenges, mtlsTokens, rsCall, type MtlsClient } from './rs-helpers.js';

let t: TestLab;
let c1: TestClient;
let c2: TestClient;
let machine: TestClient;
beforeAll(async () => {
  t = await startTestLab();
  [c1, c2, machine] = await Promise.all([
    registerClient(t),
    registerClient(t),
    registerClient(t, {
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      scope: 'accounts payments',
    }),
  ]);
});
afterAll(() => t.close());

const lastCheck = () => t.lab.ctx.requests.recent(1)[0]?.check;
/** The access token's record when the lab's own verification (introspection's and the RS's) takes it as active. */
const activeRecord = (token: string) => {
  const found = findToken(t.lab.ctx, token);
  return found?.kind === 'access_token' && isActive(t.lab.ctx, found) ? found.record : undefined;
};
const tokenUrl = () => `${t.lab.issuer}/token`;

async function expectTokenError(
  res: Awaited<ReturnType<typeof redeem>>,
  status: number,
  error: string,
  check?: string,
) {
  expect(res.status, res.text()).toBe(status);
  expect(json(res).error).toBe(error);
  if (check) expect(lastCheck()).toBe(check);
}

describe('authorization_code grant', () => {
  it('B3 / TK-09 / DP-17 / TK-11 / TK-12 / TK-14: no-store JSON, DPoP token bound by cnf.jkt, aud the RS, ES256 ID token', async () => {
    const { code: cv, flow } = await code(t, c1, { params: { scope: 'openid accounts' } });
    const res = await redeem(t, c1, cv, flow);
    expect(res.status, res.text()).toBe(200);
    expect(res.header('cache-control')).toBe('no-store');
    expect(res.header('dpop-nonce')).toBeTruthy();
    const b = json(res);
    expect(b.token_type).toBe('DPoP');
    expect(b.scope).toBe('openid accounts');
    expect(b.expires_in).toBe(300);
    expect(typeof b.refresh_token).toBe('string');
    const at = decodeJwt(b.access_token as string);
    expect(at.header.typ).toBe('at+jwt');
    expect(at.header.alg).toBe('ES256');
    expect(at.payload.cnf).toEqual({ jkt: jwkThumbprint(flow.dpop.publicJwk) });
    expect(at.payload.aud).toBe(t.lab.rs);
    expect(at.payload.iss).toBe(t.lab.issuer);
    expect((at.payload.exp as number) - (at.payload.iat as number)).toBe(b.expires_in);
    expect(Buffer.from(at.payload.jti as string, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(activeRecord(b.access_token as string)?.binding.jkt).toBe(
      at.payload.cnf && (at.payload.cnf as { jkt: string }).jkt,
    );
    const id = decodeJwt(b.id_token as string);
    expect(id.header.alg).toBe('ES256');
    expect(id.payload).toMatchObject({
      iss: t.lab.issuer,
      aud: c1.clientId,
      sub: 'alice',
      nonce: flow.nonce,
    });
  });

  it('TK-01: grant_type=password → unsupported_grant_type', async () => {
    const r = await postForm(
      t.http,
      tokenUrl(),
      { ...assertion(t, c1), grant_type: 'password', username: 'a', password: 'b' },
      { dpop: proof(t, await newDpopKey(), 'POST', tokenUrl()) },
    );
    await expectTokenError(r, 400, 'unsupported_grant_type', 'TK-01');
  });

  it('TK-02: a code redeemed after 60 s → invalid_grant', async () => {
    const { code: cv, flow } = await code(t, c1);
    t.advance(62);
    try {
      await expectTokenError(await redeem(t, c1, cv, flow), 400, 'invalid_grant', 'TK-02');
    } finally {
      t.advance(-62);
    }
  });

  it('TK-03: a reused code → invalid_grant, and the tokens issued from it are revoked', async () => {
    const { code: cv, flow } = await code(t, c1);
    const first = await redeem(t, c1, cv, flow);
    expect(first.status).toBe(200);
    const at = json(first).access_token as string;
    expect(activeRecord(at)).toBeDefined();
    await expectTokenError(await redeem(t, c1, cv, flow), 400, 'invalid_grant', 'TK-03');
    expect(activeRecord(at)).toBeUndefined();
    expect(t.lab.ctx.grants.activeRefreshToken(json(first).refresh_token as string)).toBeUndefined();
  });

  it('TK-04: a code redeemed by another client → invalid_grant', async () => {
    const { code: cv, flow } = await code(t, c1);
    const r = await redeem(t, c1, cv, flow, { params: assertion(t, c2) });
    await expectTokenError(r, 400, 'invalid_grant', 'TK-04');
  });

  it('TK-05: a different redirect_uri → invalid_grant; a missing one → invalid_request', async () => {
    const a = await code(t, c1);
    await expectTokenError(
      await redeem(t, c1, a.code, a.flow, { params: { redirect_uri: 'https://client.example/other' } }),
      400,
      'invalid_grant',
      'TK-05',
    );
    const b = await code(t, c1);
    await expectTokenError(
      await redeem(t, c1, b.code, b.flow, { params: { redirect_uri: undefined } }),
      400,
      'invalid_request',
      'TK-05',
    );
  });

  it('TK-06: a missing or wrong code_verifier → invalid_grant', async () => {
    const a = await code(t, c1);
    await expectTokenError(
      await redeem(t, c1, a.code, a.flow, { params: { code_verifier: undefined } }),
      400,
      'invalid_grant',
      'TK-06',
    );
    const b = await code(t, c1);
    await expectTokenError(
      await redeem(t, c1, b.code, b.flow, { params: { code_verifier: 'x'.repeat(43) } }),
      400,
      'invalid_grant',
      'TK-06',
    );
  });

  it('TK-08: no DPoP proof and no certificate → invalid_dpop_proof, and the code is not burned', async () => {
    const { code: cv, flow } = await code(t, c1, { params: {}, dpop: null });
    await expectTokenError(await redeem(t, c1, cv, flow, { dpop: null }), 400, 'invalid_dpop_proof', 'TK-08');
    expect((await redeem(t, c1, cv, flow)).status).toBe(200);
  });

  it('TK-10: a use_dpop_nonce challenge does not consume the code; the retry with the nonce succeeds', async () => {
    const { code: cv, flow } = await code(t, c1);
    const challenged = await redeem(t, c1, cv, flow, { proofOptions: { nonce: null } });
    await expectTokenError(challenged, 400, 'use_dpop_nonce', 'DP-10');
    const nonce = challenged.header('dpop-nonce') as string;
    expect(nonce).toBeTruthy();
    const retry = await redeem(t, c1, cv, flow, { proofOptions: { nonce } });
    expect(retry.status, retry.text()).toBe(200);
  });

  it('DP-18/PAR-14: the code is bound to the PAR proof key: another key → invalid_grant', async () => {
    const { code: cv, flow } = await code(t, c1);
    const other = await newDpopKey();
    await expectTokenError(await redeem(t, c1, cv, flow, { dpop: other }), 400, 'invalid_grant', 'DP-18');
  });

  it('DP-18: a code bound by dpop_jkt (no proof at PAR) needs that key', async () => {
    const k1 = await newDpopKey();
    const a = await code(t, c1, { dpop: null, params: { dpop_jkt: jwkThumbprint(k1.publicJwk) } });
    await expectTokenError(
      await redeem(t, c1, a.code, a.flow, { dpop: await newDpopKey() }),
      400,
      'invalid_grant',
      'DP-18',
    );
    const b = await code(t, c1, { dpop: null, params: { dpop_jkt: jwkThumbprint(k1.publicJwk) } });
    expect((await redeem(t, c1, b.code, b.flow, { dpop: k1 })).status).toBe(200);
  });

  it('DP-19: a dpop_bound_access_tokens client must send a proof on every token request', async () => {
    const bound = await registerClient(t, {
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      dpop_bound_access_tokens: true,
    });
    const r = await postForm(t.http, tokenUrl(), {
      ...assertion(t, bound),
      grant_type: 'client_credentials',
    });
    await expectTokenError(r, 400, 'invalid_dpop_proof', 'DP-19');
  });

  it('DP-01..16 at the token endpoint: bad proofs → invalid_dpop_proof naming the check; nbf/exp and extra claims are fine', async () => {
    const key = await newDpopKey();
    const cases: [string, string | string[]][] = [
      ['DP-02', 'abc.def'],
      ['DP-09', proof(t, key, 'POST', `${t.lab.issuer}/par`)],
      ['DP-11', proof(t, key, 'POST', tokenUrl(), { iat: t.now() + 3600 })],
      ['DP-01', [proof(t, key, 'POST', tokenUrl()), proof(t, key, 'POST', tokenUrl())]],
    ];
    for (const [check, header] of cases) {
      const r = await t.http({
        method: 'POST',
        url: tokenUrl(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: header },
        body: new URLSearchParams({ ...assertion(t, machine), grant_type: 'client_credentials' }).toString(),
      });
      expect(r.status, check).toBe(400);
      expect(json(r).error).toBe('invalid_dpop_proof');
      expect(lastCheck()).toBe(check);
    }
    const now = Math.floor(t.now());
    const ok = await postForm(
      t.http,
      tokenUrl(),
      { ...assertion(t, machine), grant_type: 'client_credentials' },
      {
        dpop: proof(t, key, 'POST', `${tokenUrl()}?q=1`, {
          iat: t.now() + 8,
          extraClaims: { nbf: now, exp: now + 300, foo: 'bar' },
        }),
      },
    );
    expect(ok.status, ok.text()).toBe(200);
  });

  it('DP-12: a replayed proof at the token endpoint is refused', async () => {
    const key = await newDpopKey();
    const p = proof(t, key, 'POST', tokenUrl());
    const send = () =>
      postForm(
        t.http,
        tokenUrl(),
        { ...assertion(t, machine), grant_type: 'client_credentials' },
        { dpop: p },
      );
    expect((await send()).status).toBe(200);
    await expectTokenError(await send(), 400, 'invalid_dpop_proof', 'DP-12');
  });

  it('AZ-07: a 64-character nonce comes back intact in the ID token', async () => {
    const nonce = 'n'.repeat(64);
    const { code: cv, flow } = await code(t, c1, { params: { nonce } });
    const r = await redeem(t, c1, cv, flow);
    expect(decodeJwt(json(r).id_token as string).payload.nonce).toBe(nonce);
  });

  it('AZ-07: a 384-character nonce is never truncated (echoed intact or refused with invalid_request)', async () => {
    const nonce = 'L'.repeat(384);
    const { res, flow } = await par(t, c1, { params: { nonce } });
    if (res.status === 400) {
      expect(json(res).error).toBe('invalid_request');
      return;
    }
    expect(res.status).toBe(201);
    const { params } = await authorize(t, c1.clientId, json(res).request_uri as string);
    const r = await redeem(t, c1, params.get('code') as string, flow);
    expect(decodeJwt(json(r).id_token as string).payload.nonce).toBe(nonce);
  });

  it('AZ-09: scope order does not matter', async () => {
    for (const scope of ['accounts openid', 'openid accounts']) {
      const { code: cv, flow } = await code(t, c1, { params: { scope } });
      const r = await redeem(t, c1, cv, flow);
      expect(r.status).toBe(200);
      expect(new Set((json(r).scope as string).split(' '))).toEqual(new Set(['openid', 'accounts']));
    }
  });
});

describe('client_credentials grant', () => {
  it('TK-13: needs client auth and a sender constraint; issues an AT only, with API scopes', async () => {
    const noProof = await postForm(t.http, tokenUrl(), {
      ...assertion(t, machine),
      grant_type: 'client_credentials',
    });
    await expectTokenError(noProof, 400, 'invalid_dpop_proof', 'TK-08');
    const noAuth = await postForm(
      t.http,
      tokenUrl(),
      { grant_type: 'client_credentials' },
      { dpop: proof(t, await newDpopKey(), 'POST', tokenUrl()) },
    );
    await expectTokenError(noAuth, 401, 'invalid_client');
    const ok = await postForm(
      t.http,
      tokenUrl(),
      { ...assertion(t, machine), grant_type: 'client_credentials', scope: 'payments' },
      { dpop: proof(t, await newDpopKey(), 'POST', tokenUrl()) },
    );
    expect(ok.status, ok.text()).toBe(200);
    expect(json(ok)).toMatchObject({ token_type: 'DPoP', scope: 'payments' });
    expect(json(ok).refresh_token).toBeUndefined();
    const openid = await postForm(
      t.http,
      tokenUrl(),
      { ...assertion(t, machine), grant_type: 'client_credentials', scope: 'openid' },
      { dpop: proof(t, await newDpopKey(), 'POST', tokenUrl()) },
    );
    await expectTokenError(openid, 400, 'invalid_scope', 'TK-13');
  });

  it('REG-03: a client not registered for the grant → unauthorized_client', async () => {
    const r = await postForm(
      t.http,
      tokenUrl(),
      { ...assertion(t, c1), grant_type: 'client_credentials' },
      { dpop: proof(t, await newDpopKey(), 'POST', tokenUrl()) },
    );
    await expectTokenError(r, 400, 'unauthorized_client', 'REG-03');
  });
});

describe('refresh_token grant', () => {
  async function tokens(scope = 'openid accounts') {
    const { code: cv, flow } = await code(t, c1, { params: { scope } });
    const r = await redeem(t, c1, cv, flow);
    expect(r.status).toBe(200);
    return { ...json(r), flow } as { refresh_token: string; access_token: string; flow: typeof flow };
  }
  const refresh = async (
    rt: string,
    o: { client?: TestClient; key?: Awaited<ReturnType<typeof newDpopKey>> | null; scope?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    if (o.key !== null) headers.dpop = proof(t, o.key ?? (await newDpopKey()), 'POST', tokenUrl());
    return postForm(
      t.http,
      tokenUrl(),
      { ...assertion(t, o.client ?? c1), grant_type: 'refresh_token', refresh_token: rt, scope: o.scope },
      headers,
    );
  };

  it('RT-01: no rotation: no new refresh token, and the same one works again', async () => {
    const { refresh_token } = await tokens();
    const a = await refresh(refresh_token);
    expect(a.status, a.text()).toBe(200);
    expect(json(a).refresh_token).toBeUndefined();
    expect((await refresh(refresh_token)).status).toBe(200);
  });

  it('RT-03: another client cannot use the refresh token', async () => {
    const { refresh_token } = await tokens();
    await expectTokenError(await refresh(refresh_token, { client: c2 }), 400, 'invalid_grant', 'RT-03');
  });

  it('RT-04: refresh requires client authentication', async () => {
    const { refresh_token } = await tokens();
    const r = await postForm(
      t.http,
      tokenUrl(),
      { grant_type: 'refresh_token', refresh_token, client_id: c1.clientId },
      { dpop: proof(t, await newDpopKey(), 'POST', tokenUrl()) },
    );
    await expectTokenError(r, 401, 'invalid_client');
  });

  it('RT-05: the new access token is sender-constrained too: no proof → invalid_dpop_proof', async () => {
    const { refresh_token } = await tokens();
    await expectTokenError(await refresh(refresh_token, { key: null }), 400, 'invalid_dpop_proof', 'TK-08');
  });

  it('RT-06: confidential clients may switch DPoP keys at refresh: the new AT is bound to the new key', async () => {
    const { refresh_token, flow } = await tokens();
    const k2 = await newDpopKey();
    const r = await refresh(refresh_token, { key: k2 });
    expect(r.status).toBe(200);
    const cnf = decodeJwt(json(r).access_token as string).payload.cnf as { jkt: string };
    expect(cnf.jkt).toBe(jwkThumbprint(k2.publicJwk));
    expect(cnf.jkt).not.toBe(jwkThumbprint(flow.dpop.publicJwk));
  });

  it('RT-09: a refresh cannot widen the scope; narrowing is fine', async () => {
    const { refresh_token } = await tokens();
    await expectTokenError(
      await refresh(refresh_token, { scope: 'openid accounts payments' }),
      400,
      'invalid_scope',
      'RT-09',
    );
    const narrow = await refresh(refresh_token, { scope: 'accounts' });
    expect(json(narrow).scope).toBe('accounts');
  });

  it('RT-10: refresh tokens carry ≥ 128 bits in RFC 6749 A.17 characters', async () => {
    const { refresh_token } = await tokens();
    expect(refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("RT-11 / RV-03: a revoked refresh token cannot be used, and the grant's access tokens die with it", async () => {
    const { refresh_token, access_token } = await tokens();
    expect(t.lab.ctx.grants.revokeRefreshToken(refresh_token)).toBe(true);
    await expectTokenError(await refresh(refresh_token), 400, 'invalid_grant', 'RT-11');
    expect(activeRecord(access_token)).toBeUndefined();
  });
});

describe('RT-02: rotation (the rotate-rt relaxation) keeps the old token usable for a retry window', () => {
  let r: TestLab;
  let c: TestClient;
  beforeAll(async () => {
    r = await startTestLab({ relax: ['rotate-rt'], refreshGraceSeconds: 60 });
    c = await registerClient(r);
  });
  afterAll(() => r.close());

  it('returns a new RT; the old one works for 60 s, then not', async () => {
    const { code: cv, flow } = await code(r, c);
    const first = json(await redeem(r, c, cv, flow));
    const url = `${r.lab.issuer}/token`;
    const send = async (rt: string) =>
      postForm(
        r.http,
        url,
        { ...assertion(r, c), grant_type: 'refresh_token', refresh_token: rt },
        { dpop: proof(r, await newDpopKey(), 'POST', url) },
      );
    const a = await send(first.refresh_token as string);
    expect(a.status).toBe(200);
    expect(a.header('x-fapi-lab-warning')).toContain('relaxed=rotate-rt');
    const next = json(a).refresh_token as string;
    expect(next).toBeTruthy();
    expect(next).not.toBe(first.refresh_token);
    r.advance(30);
    expect((await send(first.refresh_token as string)).status).toBe(200);
    r.advance(40);
    const late = await send(first.refresh_token as string);
    expect(late.status).toBe(400);
    expect(json(late).error).toBe('invalid_grant');
    expect((await send(next)).status).toBe(200);
  });
});

describe('CL-19: rotation without a retry window (the rotate-rt-no-grace fault)', () => {
  let r: TestLab;
  let c: TestClient;
  beforeAll(async () => {
    r = await startTestLab({ faults: ['rotate-rt-no-grace'], refreshGraceSeconds: 60 });
    c = await registerClient(r);
  });
  afterAll(() => r.close());

  it('returns a new RT and the old one dies at once, however long the configured window; the new one works', async () => {
    const { code: cv, flow } = await code(r, c);
    const first = json(await redeem(r, c, cv, flow));
    const url = `${r.lab.issuer}/token`;
    const send = async (rt: string) =>
      postForm(
        r.http,
        url,
        { ...assertion(r, c), grant_type: 'refresh_token', refresh_token: rt },
        { dpop: proof(r, await newDpopKey(), 'POST', url) },
      );
    const a = await send(first.refresh_token as string);
    expect(a.status).toBe(200);
    expect(a.header('x-fapi-lab-warning')).toContain('fault=rotate-rt-no-grace');
    const next = json(a).refresh_token as string;
    expect(next).toBeTruthy();
    expect(next).not.toBe(first.refresh_token);
    const again = await send(first.refresh_token as string);
    expect([again.status, json(again).error]).toEqual([400, 'invalid_grant']);
    expect(json(again).error_description).toMatch(/replaced by a newer one/);
    expect(isActive(r.lab.ctx, findToken(r.lab.ctx, first.refresh_token as string)!)).toBe(false);
    const b = await send(next);
    expect(b.status).toBe(200);
    expect(json(b).refresh_token).not.toBe(next);
  });
});

describe('RT-08: mTLS binding on refresh (RFC 8705 §3)', () => {
  // The lab's decision, as node-oidc-provider's refresh_token grant: a confidential client's refresh
  // token is bound to the client (RT-03), not to a certificate (RFC 8705 §4 binds refresh tokens
  // of public clients only, and FAPI 2.0 has none, FAPI2-SP §5.3.2.1-3). The client authenticates
  // at refresh with any certificate it may use, and the new access token is bound to that one.
  type Method = 'tls_client_auth' | 'self_signed_tls_client_auth';
  const over = (cert: CertInfo, key: GeneratedKey): HttpClient =>
    createHttpClient({ ca: [t.ca], cert: cert.pem, key: privateKeyPem(key.privateKey), timeoutMs: 10_000 });

  /**
   * A certificate-bound client with two certificates C1 and C2 that both authenticate it: for
   * tls_client_auth two lab-CA certificates with the registered subject DN (different keys), for
   * self_signed_tls_client_auth two self-signed certificates, both in its JWKS (x5c).
   */
  async function twoCertificateClient(method: Method) {
    const [k1, k2] = await Promise.all([newKey(), newKey()]);
    const subject = `CN=rt08-${randomBytes(4).toString('hex')},O=fapi tests`;
    const issue = (key: GeneratedKey) =>
      method === 'tls_client_auth'
        ? t.lab.ctx.ca.issueClientCertificate({ key, subject })
        : createCertificate({ key, subject, profile: 'client' });
    const [c1, c2] = await Promise.all([issue(k1), issue(k2)]);
    const x5c = (c: CertInfo) => [c.der.toString('base64')];
    const registered = await registerClient(
      t,
      {
        token_endpoint_auth_method: method,
        tls_client_certificate_bound_access_tokens: true,
        ...(method === 'tls_client_auth'
          ? { tls_client_auth_subject_dn: subject, jwks: undefined }
          : {
              jwks: {
                keys: [
                  { ...k1.publicJwk, x5c: x5c(c1) },
                  { ...k2.publicJwk, x5c: x5c(c2) },
                ],
              },
            }),
      },
      k1,
    );
    const client: MtlsClient = { ...registered, http: over(c1, k1), certDer: c1.der, x5t: c1.x5tS256 };
    return { client, c2: { http: over(c2, k2), x5t: c2.x5tS256 }, subject };
  }

  const refreshOver = (http: HttpClient, c: MtlsClient, rt: string, base = t.lab.mtls) =>
    postForm(http, `${base}/token`, {
      client_id: c.clientId,
      grant_type: 'refresh_token',
      refresh_token: rt,
    });
  const x5tOf = (at: string) => (decodeJwt(at).payload.cnf as Record<string, string>)['x5t#S256'];

  for (const method of ['tls_client_auth', 'self_signed_tls_client_auth'] as const) {
    it(`RT-08 (${method}): a refresh with the client's other certificate C2 binds the new access token to C2`, async () => {
      const { client, c2 } = await twoCertificateClient(method);
      const first = await mtlsTokens(t, client, 'accounts');
      expect(x5tOf(first.at)).toBe(client.x5t);
      const r = await refreshOver(c2.http, client, first.rt!);
      expect(r.status, r.text()).toBe(200);
      expect(json(r).token_type).toBe('Bearer');
      const at2 = json(r).access_token as string;
      expect(x5tOf(at2)).toBe(c2.x5t);
      expect(c2.x5t).not.toBe(client.x5t);
      // The binding moved: the RS takes the new token over C2 only (MT-07).
      const call = (http: HttpClient, token: string) =>
        rsCall(t, '/accounts', { http, scheme: 'Bearer', token, dpop: null });
      expect((await call(c2.http, at2)).status).toBe(200);
      const overC1 = await call(client.http, at2);
      expect(overC1.status).toBe(401);
      expect(challenges(overC1)[0]).toMatch(/^Bearer error="invalid_token"/);
      // The refresh token is the client's, not C2's: C1 still refreshes, and gets a C1-bound token.
      const back = await refreshOver(client.http, client, first.rt!);
      expect(back.status, back.text()).toBe(200);
      expect(x5tOf(json(back).access_token as string)).toBe(client.x5t);
    });
  }

  it('RT-08: a certificate that does not authenticate the client, or none, cannot refresh (401 invalid_client)', async () => {
    const { client } = await twoCertificateClient('self_signed_tls_client_auth');
    const { rt } = await mtlsTokens(t, client, 'accounts');
    const k3 = await newKey();
    const c3 = await createCertificate({ key: k3, subject: 'CN=rt08-stranger', profile: 'client' });
    const stranger = await refreshOver(over(c3, k3), client, rt!);
    expect(stranger.status, stranger.text()).toBe(401);
    expect(json(stranger).error).toBe('invalid_client');
    expect(json(stranger).error_description).toMatch(/not one registered in the client JWKS/);
    const none = await refreshOver(t.http, client, rt!, t.lab.issuer);
    expect(none.status).toBe(401);
    expect(json(none).error).toBe('invalid_client');
    // Another client's certificate authenticates that client, whose refresh token this is not (RT-03).
    const { client: other } = await twoCertificateClient('tls_client_auth');
    const crossed = await postForm(other.http, `${t.lab.mtls}/token`, {
      client_id: other.clientId,
      grant_type: 'refresh_token',
      refresh_token: rt!,
    });
    await expectTokenError(crossed, 400, 'invalid_grant', 'RT-03');
  });
});
