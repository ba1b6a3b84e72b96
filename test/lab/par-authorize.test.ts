/** PAR-01..17 and AZ-01..11: pushed authorization requests and the authorization endpoint. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/core/jwk.js';
import {
  authorize,
  code,
  decodeJwt,
  form,
  json,
  newDpopKey,
  par,
  proof,
  redeem,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';

let t: TestLab;
let c1: TestClient;
let c2: TestClient;
beforeAll(async () => {
  t = await startTestLab();
  [c1, c2] = await Promise.all([
    registerClient(t),
    registerClient(t, {
      redirect_uris: ['https://client.example/cb?dummy1=lorem&dummy2=ipsum', 'http://127.0.0.1/cb'],
    }),
  ]);
});
afterAll(() => t.close());

const lastCheck = () => t.lab.ctx.requests.recent(1)[0]?.check;

async function expectParError(
  params: Record<string, string | undefined>,
  status: number,
  error: string,
  check?: string,
) {
  const { res } = await par(t, c1, { params });
  expect(res.status, res.text()).toBe(status);
  expect(json(res).error).toBe(error);
  if (check) expect(lastCheck()).toBe(check);
}

describe('PAR', () => {
  it('PAR-01/PAR-03: 201 JSON with a request_uri and 0 < expires_in < 600, no-store', async () => {
    const { res } = await par(t, c1);
    expect(res.status, res.text()).toBe(201);
    expect(res.header('content-type')).toMatch(/^application\/json/);
    expect(res.header('cache-control')).toBe('no-store');
    const b = json(res);
    expect(b.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    expect(b.expires_in).toBe(60);
  });

  it('PAR-02: without client authentication → 401 invalid_client', async () => {
    await expectParError(
      { client_assertion: undefined, client_assertion_type: undefined },
      401,
      'invalid_client',
      'CA-11',
    );
  });

  it('PAR-08: a request_uri in the PAR body is refused', async () => {
    await expectParError({ request_uri: 'urn:x' }, 400, 'invalid_request', 'PAR-08');
  });

  it('PAR-09: the PAR endpoint accepts POST only', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await t.http({ method, url: `${t.lab.issuer}/par` });
      expect(r.status).toBe(405);
    }
  });

  it('PAR-10: response_type other than code → unsupported_response_type', async () => {
    await expectParError({ response_type: 'token' }, 400, 'unsupported_response_type', 'PAR-10');
    await expectParError({ response_type: 'code id_token' }, 400, 'unsupported_response_type', 'PAR-10');
  });

  it('PAR-10: the OIDC claims parameter (OIDC Core §5.5) is offered; a valid one is accepted and the identity claims come back, a malformed one is refused', async () => {
    const m = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/openid-configuration` }));
    expect(m.claims_parameter_supported).toBe(true);
    const claims = JSON.stringify({
      id_token: { name: { essential: true }, email: null, fapi_unknown: { values: ['x'] } },
      userinfo: { name: null, email: { essential: false } },
      other_member: 'ignored',
    });
    const { code: cv, flow } = await code(t, c1, { params: { claims } });
    const tokens = json(await redeem(t, c1, cv, flow));
    const idToken = decodeJwt(tokens.id_token as string).payload;
    expect([idToken.name, idToken.email, idToken.fapi_unknown]).toEqual([
      'Alice Adams',
      'alice@lab.fapi.example',
      undefined,
    ]);
    for (const bad of [
      'not json',
      '["id_token"]',
      '{"id_token": ["name"]}',
      '{"userinfo": {"email": true}}',
      '{"id_token": {"name": {"essential": "yes"}}}',
      '{"id_token": {"name": {"values": "x"}}}',
    ])
      await expectParError({ claims: bad }, 400, 'invalid_request', 'PAR-10');
  });

  it('PAR-11: PKCE required with S256: missing challenge, plain, and absent method are refused', async () => {
    await expectParError({ code_challenge: undefined }, 400, 'invalid_request', 'PAR-11');
    await expectParError({ code_challenge_method: 'plain' }, 400, 'invalid_request', 'PAR-11');
    await expectParError({ code_challenge_method: undefined }, 400, 'invalid_request', 'PAR-11');
    await expectParError({ code_challenge: 'short' }, 400, 'invalid_request', 'PAR-11');
  });

  it('PAR-12: redirect_uri is required', async () => {
    await expectParError({ redirect_uri: undefined }, 400, 'invalid_request', 'PAR-12');
  });

  it('PAR-13: unregistered redirect URIs are refused; loopback IPs may use any port', async () => {
    await expectParError({ redirect_uri: 'https://attacker.example/cb' }, 400, 'invalid_request', 'PAR-13');
    const ok = await par(t, c2, { params: { redirect_uri: 'http://127.0.0.1:53117/cb' } });
    expect(ok.res.status, ok.res.text()).toBe(201);
    const wrongPath = await par(t, c2, { params: { redirect_uri: 'http://127.0.0.1:53117/other' } });
    expect(wrongPath.res.status).toBe(400);
  });

  it('PAR-14/DP-18: a proof at PAR binds the code to its key (checked at the token endpoint in token tests)', async () => {
    const { res, flow } = await par(t, c1);
    expect(res.status).toBe(201);
    const stored = t.lab.ctx.requestUris.get(json(res).request_uri as string);
    expect(stored?.dpopJkt).toBe(jwkThumbprint(flow.dpop.publicJwk));
  });

  it('PAR-15: dpop_jkt different from the proof key → invalid_dpop_proof', async () => {
    const other = await newDpopKey();
    await expectParError({ dpop_jkt: jwkThumbprint(other.publicJwk) }, 400, 'invalid_dpop_proof', 'PAR-15');
  });

  it('PAR-17/DP-10: with nonces on, a proof without the nonce → use_dpop_nonce with a DPoP-Nonce header', async () => {
    const key = await newDpopKey();
    const url = `${t.lab.issuer}/par`;
    const { res } = await par(t, c1, {
      dpop: key,
      headers: { dpop: proof(t, key, 'POST', url, { nonce: null }) },
    });
    expect(res.status).toBe(400);
    expect(json(res).error).toBe('use_dpop_nonce');
    expect(res.header('dpop-nonce')).toBe(t.lab.ctx.nonces.as.current());
    expect(lastCheck()).toBe('DP-10');
  });

  it('an invalid DPoP proof at PAR → invalid_dpop_proof naming the DP check', async () => {
    const key = await newDpopKey();
    const { res } = await par(t, c1, {
      dpop: key,
      headers: { dpop: proof(t, key, 'GET', `${t.lab.issuer}/par`) },
    });
    expect(res.status).toBe(400);
    expect(json(res).error).toBe('invalid_dpop_proof');
    expect(lastCheck()).toBe('DP-08');
  });

  it('refuses unknown scopes (invalid_scope) and repeated parameters (invalid_request)', async () => {
    await expectParError({ scope: 'openid admin' }, 400, 'invalid_scope');
    const r = await t.http({
      method: 'POST',
      url: `${t.lab.issuer}/par`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'state=a&state=b',
    });
    expect(r.status).toBe(400);
    expect(json(r).error).toBe('invalid_request');
  });
});

describe('authorization endpoint', () => {
  it('PAR-16/AZ-02/AZ-04: client_id + request_uri only → 303 with code, state and iss', async () => {
    const { res, flow } = await par(t, c1);
    const a = await authorize(t, c1.clientId, json(res).request_uri as string);
    expect(a.res.status).toBe(303);
    expect(a.location?.origin + (a.location?.pathname ?? '')).toBe(c1.redirectUri);
    expect(a.params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.params.get('state')).toBe(flow.state);
    expect(a.params.get('iss')).toBe(t.lab.issuer);
  });

  it('AZ-01: a request without PAR → 400 page invalid_request, no redirect', async () => {
    const r = await t.http({
      method: 'GET',
      url: `${t.lab.issuer}/authorize?${form({ client_id: c1.clientId, response_type: 'code', redirect_uri: c1.redirectUri, code_challenge: 'x', code_challenge_method: 'S256' })}`,
    });
    expect(r.status).toBe(400);
    expect(r.header('location')).toBeUndefined();
    expect(r.text()).toContain('invalid_request');
    expect(lastCheck()).toBe('AZ-01');
  });

  it('AZ-03: bogus request_uri or unknown client → 400 page, never a redirect', async () => {
    const a = await authorize(t, c1.clientId, 'urn:ietf:params:oauth:request_uri:bogus');
    expect(a.res.status).toBe(400);
    expect(a.res.header('location')).toBeUndefined();
    expect(a.res.text()).toContain('invalid_request_uri');
    const b = await authorize(t, 'no-such-client', 'urn:x');
    expect(b.res.status).toBe(400);
    expect(b.res.header('location')).toBeUndefined();
    const j = await t.http({
      method: 'GET',
      url: `${t.lab.issuer}/authorize?client_id=x&request_uri=y`,
      headers: { accept: 'application/json' },
    });
    expect(json(j).error).toBe('invalid_request');
  });

  it('PAR-04: a request_uri used by another client → invalid_request_uri', async () => {
    const { res } = await par(t, c1);
    const a = await authorize(t, c2.clientId, json(res).request_uri as string);
    expect(a.res.status).toBe(400);
    expect(a.res.text()).toContain('invalid_request_uri');
    expect(lastCheck()).toBe('PAR-04');
  });

  it('PAR-05: an expired request_uri → invalid_request_uri (clock moved by expires_in + 1)', async () => {
    const { res } = await par(t, c1);
    t.advance(61);
    try {
      const a = await authorize(t, c1.clientId, json(res).request_uri as string);
      expect(a.res.status).toBe(400);
      expect(a.res.text()).toContain('invalid_request_uri');
      expect(lastCheck()).toBe('PAR-05');
    } finally {
      t.advance(-61);
    }
  });

  it('PAR-06: a request_uri is one-time: a second authorization → invalid_request_uri', async () => {
    const { res } = await par(t, c1);
    const uri = json(res).request_uri as string;
    expect((await authorize(t, c1.clientId, uri)).res.status).toBe(303);
    const again = await authorize(t, c1.clientId, uri);
    expect(again.res.status).toBe(400);
    expect(again.res.text()).toContain('invalid_request_uri');
    expect(lastCheck()).toBe('PAR-06');
  });

  it('AZ-05: the registered redirect URI keeps its own query', async () => {
    const { res } = await par(t, c2, {
      params: { redirect_uri: (c2.registered.redirect_uris as string[])[0] },
    });
    const a = await authorize(t, c2.clientId, json(res).request_uri as string);
    expect(a.params.get('dummy1')).toBe('lorem');
    expect(a.params.get('dummy2')).toBe('ipsum');
    expect(a.params.get('code')).toBeTruthy();
    expect(a.location?.hash).toBe('');
  });

  it('AZ-06: front-channel parameters do not override pushed ones', async () => {
    const { res, flow } = await par(t, c1);
    const r = await t.http({
      method: 'GET',
      url: `${t.lab.issuer}/authorize?${form({ client_id: c1.clientId, request_uri: json(res).request_uri as string, state: 'B', redirect_uri: 'https://attacker.example/cb' })}`,
    });
    const loc = new URL(r.header('location') as string);
    expect(loc.origin).toBe('https://client.example');
    expect(loc.searchParams.get('state')).toBe(flow.state);
    const noState = await par(t, c1, { params: { state: undefined } });
    const r2 = await t.http({
      method: 'GET',
      url: `${t.lab.issuer}/authorize?${form({ client_id: c1.clientId, request_uri: json(noState.res).request_uri as string, state: 'B' })}`,
    });
    expect(new URL(r2.header('location') as string).searchParams.has('state')).toBe(false);
  });

  it('AZ-08: state is optional; a long state comes back intact', async () => {
    const long = 'S'.repeat(1500);
    const { res } = await par(t, c1, { params: { state: long } });
    const a = await authorize(t, c1.clientId, json(res).request_uri as string);
    expect(a.params.get('state')).toBe(long);
  });

  it('AZ-10: codes carry at least 128 bits and go in the query', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { res } = await par(t, c1);
      const a = await authorize(t, c1.clientId, json(res).request_uri as string);
      const code = a.params.get('code') as string;
      expect(Buffer.from(code, 'base64url').length).toBeGreaterThanOrEqual(16);
      seen.add(code);
    }
    expect(seen.size).toBe(5);
  });
});
