/**
 * Introspection (RFC 7662; IN-01..04), revocation (RFC 7009; RV-01..03) and userinfo
 * (OIDC Core §5.3, sender-constrained like the RS) on the lab AS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/core/jwk.js';
import {
  assertion,
  json,
  postForm,
  proof,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';
import { challenges, dpopTokens, mtlsClient, mtlsTokens, rsCall } from './rs-helpers.js';

let t: TestLab;
let a: TestClient;
let b: TestClient;

beforeAll(async () => {
  t = await startTestLab();
  [a, b] = await Promise.all([registerClient(t), registerClient(t)]);
});
afterAll(() => t.close());

const introspect = (c: TestClient, token: string, extra: Record<string, string> = {}) =>
  postForm(t.http, `${t.lab.issuer}/introspect`, { ...assertion(t, c), token, ...extra });
const revoke = (c: TestClient, token: string, extra: Record<string, string> = {}) =>
  postForm(t.http, `${t.lab.issuer}/revoke`, { ...assertion(t, c), token, ...extra });

describe('introspection (RFC 7662)', () => {
  it('IN-01 refuses an unauthenticated caller with 401 invalid_client', async () => {
    const tk = await dpopTokens(t, a);
    const res = await postForm(t.http, `${t.lab.issuer}/introspect`, { token: tk.at });
    expect(res.status).toBe(401);
    expect(json(res).error).toBe('invalid_client');
    const secret = await postForm(t.http, `${t.lab.issuer}/introspect`, {
      token: tk.at,
      client_id: a.clientId,
      client_secret: 'x',
    });
    expect(secret.status).toBe(401);
  });
  it('IN-01 answers an authenticated caller; refuses a request without token', async () => {
    const tk = await dpopTokens(t, a);
    const res = await introspect(a, tk.at);
    expect(res.status).toBe(200);
    expect(res.header('cache-control')).toBe('no-store');
    const missing = await postForm(t.http, `${t.lab.issuer}/introspect`, assertion(t, a));
    expect(missing.status).toBe(400);
    expect(json(missing).error).toBe('invalid_request');
  });
  it('IN-02 unknown and revoked tokens are exactly {"active":false}', async () => {
    expect((await introspect(a, 'garbage')).text()).toBe('{"active":false}');
    const tk = await dpopTokens(t, a);
    expect((await revoke(a, tk.at)).status).toBe(200);
    expect((await introspect(a, tk.at)).text()).toBe('{"active":false}');
  });
  it('IN-03 an active DPoP token carries cnf.jkt and token_type DPoP', async () => {
    const tk = await dpopTokens(t, a, 'openid accounts');
    const body = json(await introspect(a, tk.at));
    expect(body).toMatchObject({
      active: true,
      iss: t.lab.issuer,
      client_id: a.clientId,
      sub: 'alice',
      scope: 'openid accounts',
      token_type: 'DPoP',
      aud: t.lab.rs,
      cnf: { jkt: jwkThumbprint(tk.dpop.publicJwk) },
    });
    expect(body.exp as number).toBeGreaterThan(t.now());
  });
  it('IN-03 an active mTLS token carries cnf.x5t#S256 and token_type Bearer; an RT is active', async () => {
    const m = await mtlsClient(t);
    const tk = await mtlsTokens(t, m);
    const res = await postForm(m.http, `${t.lab.mtls}/introspect`, { client_id: m.clientId, token: tk.at });
    expect(json(res)).toMatchObject({ active: true, token_type: 'Bearer', cnf: { 'x5t#S256': m.x5t } });
    const rt = await postForm(m.http, `${t.lab.mtls}/introspect`, {
      client_id: m.clientId,
      token: tk.rt as string,
      token_type_hint: 'refresh_token',
    });
    expect(json(rt)).toMatchObject({ active: true, client_id: m.clientId, sub: 'alice' });
    expect(json(rt)).not.toHaveProperty('cnf');
  });
  it("IN-04 a client learns nothing about another client's tokens", async () => {
    const tk = await dpopTokens(t, a);
    expect(json(await introspect(a, tk.at)).active).toBe(true);
    expect((await introspect(b, tk.at)).text()).toBe('{"active":false}');
    expect((await introspect(b, tk.rt as string)).text()).toBe('{"active":false}');
  });
});

describe('revocation (RFC 7009)', () => {
  it('RV-01 refuses an unauthenticated caller with 401 invalid_client; accepts an authenticated one', async () => {
    const tk = await dpopTokens(t, a);
    const res = await postForm(t.http, `${t.lab.issuer}/revoke`, { token: tk.at });
    expect(res.status).toBe(401);
    expect(json(res).error).toBe('invalid_client');
    expect(json(await introspect(a, tk.at)).active).toBe(true);
    const ok = await revoke(a, tk.at);
    expect(ok.status).toBe(200);
    expect(ok.text()).toBe('');
    expect(json(await introspect(a, tk.at)).active).toBe(false);
  });
  it('RV-02 answers 200 for unknown or invalid tokens', async () => {
    expect((await revoke(a, 'garbage')).status).toBe(200);
    expect((await revoke(a, 'a.b.c', { token_type_hint: 'access_token' })).status).toBe(200);
    expect((await revoke(a, 'x', { token_type_hint: 'something_else' })).status).toBe(200);
  });
  it("RV-02 another client's token is left alone", async () => {
    const tk = await dpopTokens(t, a);
    expect((await revoke(b, tk.rt as string)).status).toBe(200);
    expect((await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop })).status).toBe(200);
  });
  it('RV-03 revoking the refresh token revokes the access tokens of its grant', async () => {
    const tk = await dpopTokens(t, a);
    const other = await dpopTokens(t, a);
    expect((await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop })).status).toBe(200);
    expect((await revoke(a, tk.rt as string, { token_type_hint: 'refresh_token' })).status).toBe(200);
    const res = await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(/error="invalid_token"/);
    expect(json(await introspect(a, tk.rt as string)).active).toBe(false);
    // The refresh grant is refused too (RT-11), while another grant of the client lives on.
    const url = `${t.lab.issuer}/token`;
    const refresh = await postForm(
      t.http,
      url,
      { ...assertion(t, a), grant_type: 'refresh_token', refresh_token: tk.rt as string },
      { dpop: proof(t, tk.dpop, 'POST', url) },
    );
    expect(refresh.status).toBe(400);
    expect(json(refresh).error).toBe('invalid_grant');
    expect((await rsCall(t, '/accounts', { token: other.at, dpop: other.dpop })).status).toBe(200);
  });
  it('RV-03 revoking only an access token leaves the grant and its refresh token', async () => {
    const tk = await dpopTokens(t, a);
    await revoke(a, tk.at);
    expect(json(await introspect(a, tk.rt as string)).active).toBe(true);
  });
});

describe('userinfo (OIDC Core §5.3)', () => {
  const userinfo = (o: Parameters<typeof rsCall>[2]) =>
    rsCall(t, '/userinfo', { base: t.lab.issuer, nonceFrom: 'as', ...o });
  it("returns the user's claims for a DPoP-bound token with scope openid", async () => {
    const tk = await dpopTokens(t, a, 'openid');
    const res = await userinfo({ token: tk.at, dpop: tk.dpop });
    expect(res.status, res.text()).toBe(200);
    expect(json(res)).toMatchObject({ sub: 'alice', name: expect.any(String), email: expect.any(String) });
    expect(res.header('dpop-nonce')).toBeTruthy();
  });
  it('is sender-constrained: Bearer downgrade, missing proof and another key are refused', async () => {
    const tk = await dpopTokens(t, a, 'openid');
    const bearer = await userinfo({ token: tk.at, scheme: 'Bearer', dpop: null });
    expect(bearer.status).toBe(401);
    const noProof = await userinfo({ token: tk.at, dpop: null });
    expect(challenges(noProof)[0]).toMatch(/^DPoP error="invalid_dpop_proof"/);
    const { newDpopKey } = await import('./helpers.js');
    const other = await userinfo({ token: tk.at, dpop: await newDpopKey() });
    expect(challenges(other)[0]).toMatch(/^DPoP error="invalid_token"/);
  });
  it('needs scope openid: 403 insufficient_scope', async () => {
    const tk = await dpopTokens(t, a, 'accounts');
    const res = await userinfo({ token: tk.at, dpop: tk.dpop });
    expect(res.status).toBe(403);
    expect(challenges(res)[0]).toMatch(/error="insufficient_scope", .*scope="openid"/);
  });
  it('works for a certificate-bound token on the mTLS alias', async () => {
    const m = await mtlsClient(t);
    const tk = await mtlsTokens(t, m, 'openid');
    const res = await rsCall(t, '/userinfo', {
      base: t.lab.mtls,
      http: m.http,
      scheme: 'Bearer',
      token: tk.at,
      dpop: null,
    });
    expect(res.status, res.text()).toBe(200);
    expect(json(res).sub).toBe('alice');
  });
  it('discovery advertises userinfo, introspection and revocation with FAPI auth methods', async () => {
    const meta = json(
      await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/openid-configuration` }),
    );
    expect(meta.userinfo_endpoint).toBe(`${t.lab.issuer}/userinfo`);
    expect(meta.introspection_endpoint).toBe(`${t.lab.issuer}/introspect`);
    expect(meta.revocation_endpoint).toBe(`${t.lab.issuer}/revoke`);
    expect(meta.introspection_endpoint_auth_methods_supported).toEqual([
      'private_key_jwt',
      'tls_client_auth',
      'self_signed_tls_client_auth',
    ]);
    expect((meta.mtls_endpoint_aliases as Record<string, string>).introspection_endpoint).toBe(
      `${t.lab.mtls}/introspect`,
    );
  });
});

describe('expiry (last: moves the lab clock)', () => {
  it('IN-02 an expired access token is exactly {"active":false}; RS-03 the RS refuses it', async () => {
    const tk = await dpopTokens(t, a);
    expect(json(await introspect(a, tk.at)).active).toBe(true);
    t.advance(t.lab.ctx.config.accessTokenLifetime + 1);
    expect((await introspect(a, tk.at)).text()).toBe('{"active":false}');
    const res = await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(/expired/);
  });
});
