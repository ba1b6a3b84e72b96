/**
 * Relaxations are explicit and loud: each weakens exactly one rule, and every response of a relaxed
 * lab carries x-fapi-lab-warning. (rotate-rt is covered in token.test.ts, RT-02.) TK-07 (PKCE downgrade)
 * is reachable only with no-pkce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertion,
  authorize,
  decodeJwt,
  form,
  json,
  newDpopKey,
  par,
  postForm,
  proof,
  redeem,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';

let t: TestLab;
let c: TestClient;
beforeAll(async () => {
  t = await startTestLab({ relax: ['bearer-tokens', 'no-par', 'plain-pkce', 'no-dpop-nonce', 'no-iss'] });
  c = await registerClient(t);
});
afterAll(() => t.close());

describe('a relaxed lab', () => {
  it('warns on every response, on every listener, and in its metadata', async () => {
    for (const url of [
      `${t.lab.issuer}/.well-known/openid-configuration`,
      `${t.lab.mtls}/token`,
      `${t.lab.rs}/accounts`,
    ]) {
      const r = await t.http({ method: 'GET', url });
      expect(r.header('x-fapi-lab-warning'), url).toMatch(/relaxed=bearer-tokens.*NOT FAPI 2.0 conformant/);
    }
    const m = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/openid-configuration` }));
    expect(m.require_pushed_authorization_requests).toBe(false);
    expect(m.code_challenge_methods_supported).toEqual(['S256', 'plain']);
    expect(m.authorization_response_iss_parameter_supported).toBe(false);
    expect(t.lab.warnings).toHaveLength(5);
  });

  it('no-dpop-nonce: a proof without a nonce is accepted and no nonce is sent', async () => {
    const { res } = await par(t, c, {
      headers: { dpop: proof(t, await newDpopKey(), 'POST', `${t.lab.issuer}/par`, { nonce: null }) },
    });
    expect(res.status, res.text()).toBe(201);
    expect(res.header('dpop-nonce')).toBeUndefined();
  });

  it('no-iss: the authorization response carries no iss', async () => {
    const { res } = await par(t, c, { dpop: null });
    const a = await authorize(t, c.clientId, json(res).request_uri as string);
    expect(a.params.get('code')).toBeTruthy();
    expect(a.params.has('iss')).toBe(false);
  });

  it('plain-pkce: method plain is accepted and verified', async () => {
    const verifier = 'p'.repeat(50);
    const { res, flow } = await par(t, c, {
      dpop: null,
      params: { code_challenge: verifier, code_challenge_method: 'plain' },
    });
    expect(res.status, res.text()).toBe(201);
    const a = await authorize(t, c.clientId, json(res).request_uri as string);
    const bad = await redeem(
      t,
      c,
      a.params.get('code') as string,
      { ...flow, verifier: 'q'.repeat(50) },
      { dpop: null },
    );
    expect(json(bad).error).toBe('invalid_grant');
    const a2 = await par(t, c, {
      dpop: null,
      params: { code_challenge: verifier, code_challenge_method: 'plain' },
    });
    const b = await authorize(t, c.clientId, json(a2.res).request_uri as string);
    const ok = await redeem(t, c, b.params.get('code') as string, { ...flow, verifier }, { dpop: null });
    expect(ok.status, ok.text()).toBe(200);
  });

  it('bearer-tokens: a token request without DPoP or certificate gets an unbound Bearer token', async () => {
    const { res, flow } = await par(t, c, { dpop: null });
    const a = await authorize(t, c.clientId, json(res).request_uri as string);
    const r = await redeem(t, c, a.params.get('code') as string, flow, { dpop: null });
    expect(r.status, r.text()).toBe(200);
    expect(json(r).token_type).toBe('Bearer');
    expect(decodeJwt(json(r).access_token as string).payload.cnf).toBeUndefined();
  });

  it('no-par: a front-channel request is validated like a pushed one; a client requiring PAR is still refused', async () => {
    const q = {
      client_id: c.clientId,
      response_type: 'code',
      redirect_uri: c.redirectUri,
      scope: 'accounts',
      state: 'front',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
    const ok = await t.http({ method: 'GET', url: `${t.lab.issuer}/authorize?${form(q)}` });
    expect(ok.status, ok.text()).toBe(303);
    expect(new URL(ok.header('location') as string).searchParams.get('state')).toBe('front');
    const badRedirect = await t.http({
      method: 'GET',
      url: `${t.lab.issuer}/authorize?${form({ ...q, redirect_uri: 'https://attacker.example/cb' })}`,
    });
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.header('location')).toBeUndefined();
    const strict = await registerClient(t, { require_pushed_authorization_requests: true });
    const refused = await t.http({
      method: 'GET',
      url: `${t.lab.issuer}/authorize?${form({ ...q, client_id: strict.clientId })}`,
    });
    expect(refused.status).toBe(400);
    expect(refused.text()).toContain('invalid_request');
  });

  it('client_credentials with bearer-tokens still needs client authentication', async () => {
    const m = await registerClient(t, { grant_types: ['client_credentials'], redirect_uris: undefined });
    const no = await postForm(t.http, `${t.lab.issuer}/token`, {
      grant_type: 'client_credentials',
      client_id: m.clientId,
    });
    expect(no.status).toBe(401);
    const yes = await postForm(t.http, `${t.lab.issuer}/token`, {
      ...assertion(t, m),
      grant_type: 'client_credentials',
    });
    expect(yes.status).toBe(200);
  });
});

describe('TK-07: PKCE downgrade (RFC 9700 §4.8.2), reachable only with the no-pkce relaxation', () => {
  let n: TestLab;
  let nc: TestClient;
  beforeAll(async () => {
    n = await startTestLab({ relax: ['no-pkce'] });
    nc = await registerClient(n);
  });
  afterAll(() => n.close());

  /** A code pushed without code_challenge (accepted only because of no-pkce). */
  async function codeWithoutChallenge() {
    const { res, flow } = await par(n, nc, {
      params: { code_challenge: undefined, code_challenge_method: undefined },
    });
    expect(res.status, res.text()).toBe(201);
    const a = await authorize(n, nc.clientId, json(res).request_uri as string);
    return { code: a.params.get('code') as string, flow };
  }

  it('TK-07: a code_verifier sent for a code issued without code_challenge → 400 invalid_grant', async () => {
    const { code, flow } = await codeWithoutChallenge();
    const r = await redeem(n, nc, code, flow);
    expect(r.status, r.text()).toBe(400);
    expect(json(r).error).toBe('invalid_grant');
    expect(json(r).error_description).toMatch(/code_verifier sent for a code issued without code_challenge/);
    expect(n.lab.ctx.requests.recent(1)[0]?.check).toBe('TK-07');
  });

  it('TK-07: the same code without code_verifier is redeemed; without no-pkce no such code is issued (PAR-11)', async () => {
    const { code, flow } = await codeWithoutChallenge();
    const r = await redeem(n, nc, code, flow, { params: { code_verifier: undefined } });
    expect(r.status, r.text()).toBe(200);
    const strict = await par(t, c, {
      params: { code_challenge: undefined, code_challenge_method: undefined },
    });
    expect(strict.res.status).toBe(400);
    expect(json(strict.res).error).toBe('invalid_request');
    expect(t.lab.ctx.requests.recent(1)[0]?.check).toBe('PAR-11');
  });
});
