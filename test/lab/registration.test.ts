/** REG-01..13 and NET-08: dynamic client registration and management with FAPI metadata rules. */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificate } from '../../src/keys/x509.js';
import { generateSigningKey, privateKeyPem } from '../../src/keys/generate.js';
import {
  assertion,
  json,
  newKey,
  postForm,
  postJson,
  registerClient,
  startTestLab,
  type TestLab,
} from './helpers.js';

let t: TestLab;
let key: Awaited<ReturnType<typeof newKey>>;
const base = () => ({
  client_name: 'Reg test',
  redirect_uris: ['https://client.example/cb'],
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: { keys: [key.publicJwk] },
});
beforeAll(async () => {
  [t, key] = await Promise.all([startTestLab(), newKey()]);
});
afterAll(() => t.close());

const register = (body: unknown, headers: Record<string, string> = {}) =>
  postJson(t.http, `${t.lab.issuer}/register`, body, headers);
const expectError = async (body: unknown, status: number, error: string) => {
  const r = await register(body);
  expect(r.status, r.text()).toBe(status);
  expect(json(r).error).toBe(error);
  return json(r);
};

describe('registration (RFC 7591)', () => {
  it('REG-08: a valid registration gets 201 with client_id, metadata, a RAT and the client URI', async () => {
    const r = await register(base());
    expect(r.status).toBe(201);
    expect(r.header('cache-control')).toBe('no-store');
    const b = json(r);
    expect(b.client_id).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(b.registration_access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.registration_client_uri).toBe(`${t.lab.issuer}/register/${b.client_id as string}`);
    expect(b.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(b.grant_types).toEqual(['authorization_code']);
    expect(b.response_types).toEqual(['code']);
  });

  it('REG-01: public clients (auth method none) are refused', async () => {
    await expectError({ ...base(), token_endpoint_auth_method: 'none' }, 400, 'invalid_client_metadata');
  });

  it('RT-07 does not apply: no public client can register (REG-01), so every refresh token belongs to a confidential client', async () => {
    // RT-07 (RFC 9449 §5) binds public clients' refresh tokens to their DPoP key; FAPI 2.0 has no
    // public clients (FAPI2-SP §5.3.2.1-3), and the lab refuses to register one.
    const publicClient = await expectError(
      { ...base(), token_endpoint_auth_method: 'none', jwks: undefined },
      400,
      'invalid_client_metadata',
    );
    expect(publicClient.error_description).toMatch(/public client.*not allowed/);
    const confidential = await register({ ...base(), grant_types: ['authorization_code', 'refresh_token'] });
    expect(confidential.status, confidential.text()).toBe(201);
    expect(json(confidential).token_endpoint_auth_method).toBe('private_key_jwt');
  });

  it('REG-02: shared-secret methods and a missing method are refused', async () => {
    await expectError(
      { ...base(), token_endpoint_auth_method: 'client_secret_basic' },
      400,
      'invalid_client_metadata',
    );
    await expectError(
      { ...base(), token_endpoint_auth_method: 'client_secret_jwt' },
      400,
      'invalid_client_metadata',
    );
    const { token_endpoint_auth_method: _, ...noMethod } = base();
    await expectError(noMethod, 400, 'invalid_client_metadata');
  });

  it('REG-03: password and implicit grants and token response types are refused; client_credentials is fine', async () => {
    await expectError({ ...base(), grant_types: ['password'] }, 400, 'invalid_client_metadata');
    await expectError({ ...base(), grant_types: ['implicit'] }, 400, 'invalid_client_metadata');
    await expectError({ ...base(), response_types: ['token'] }, 400, 'invalid_client_metadata');
    await expectError({ ...base(), response_types: ['code id_token'] }, 400, 'invalid_client_metadata');
    const ok = await register({ ...base(), grant_types: ['client_credentials'], redirect_uris: undefined });
    expect(ok.status).toBe(201);
    expect(json(ok).response_types).toEqual([]);
  });

  it('REG-04: redirect URIs are https or http on a loopback IP literal, without fragments', async () => {
    const err = await expectError(
      { ...base(), redirect_uris: ['http://example.com/cb'] },
      400,
      'invalid_redirect_uri',
    );
    expect(err.error_description).toMatch(/loopback/);
    await expectError({ ...base(), redirect_uris: ['https://c.example/cb#x'] }, 400, 'invalid_redirect_uri');
    await expectError({ ...base(), redirect_uris: ['http://localhost/cb'] }, 400, 'invalid_redirect_uri');
    await expectError({ ...base(), redirect_uris: ['com.example.app:/cb'] }, 400, 'invalid_redirect_uri');
    await expectError({ ...base(), redirect_uris: [] }, 400, 'invalid_redirect_uri');
    await expectError({ ...base(), redirect_uris: undefined }, 400, 'invalid_redirect_uri');
    for (const uri of ['http://127.0.0.1/cb', 'http://[::1]:5000/cb', 'https://c.example/cb?x=1']) {
      const ok = await register({ ...base(), redirect_uris: [uri] });
      expect(ok.status, uri).toBe(201);
    }
  });

  it('REG-05: jwks and jwks_uri together are refused; a key method needs one of them', async () => {
    await expectError({ ...base(), jwks_uri: `${t.lab.issuer}/jwks` }, 400, 'invalid_client_metadata');
    await expectError({ ...base(), jwks: undefined }, 400, 'invalid_client_metadata');
  });

  it('REG-06: weak or private keys are refused; RSA 2048 and Ed25519 are fine', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const e = await expectError({ ...base(), jwks: { keys: [weak] } }, 400, 'invalid_client_metadata');
    expect(e.error_description).toMatch(/1024 bits/);
    await expectError({ ...base(), jwks: { keys: [key.privateJwk] } }, 400, 'invalid_client_metadata');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' });
    await expectError({ ...base(), jwks: { keys: [p384] } }, 400, 'invalid_client_metadata');
    const [rsa, ed] = await Promise.all([newKey('PS256'), newKey('EdDSA')]);
    const ok = await register({ ...base(), jwks: { keys: [rsa.publicJwk, ed.publicJwk] } });
    expect(ok.status).toBe(201);
  });

  it('REG-07: tls_client_auth needs exactly one subject field; self-signed needs x5c', async () => {
    const mtls = { ...base(), token_endpoint_auth_method: 'tls_client_auth', jwks: undefined };
    await expectError(mtls, 400, 'invalid_client_metadata');
    await expectError(
      { ...mtls, tls_client_auth_subject_dn: 'CN=a', tls_client_auth_san_dns: 'a.example' },
      400,
      'invalid_client_metadata',
    );
    await expectError({ ...mtls, tls_client_auth_subject_dn: 'not a dn' }, 400, 'invalid_client_metadata');
    expect((await register({ ...mtls, tls_client_auth_subject_dn: 'CN=client-one,O=Example' })).status).toBe(
      201,
    );
    await expectError(
      { ...base(), token_endpoint_auth_method: 'self_signed_tls_client_auth' },
      400,
      'invalid_client_metadata',
    );
  });

  it('REG-12: flags must be booleans, algorithms FAPI ones, scopes known', async () => {
    await expectError({ ...base(), dpop_bound_access_tokens: 'yes' }, 400, 'invalid_client_metadata');
    await expectError(
      { ...base(), token_endpoint_auth_signing_alg: 'RS256' },
      400,
      'invalid_client_metadata',
    );
    await expectError({ ...base(), id_token_signed_response_alg: 'none' }, 400, 'invalid_client_metadata');
    await expectError({ ...base(), scope: 'openid admin' }, 400, 'invalid_client_metadata');
    const ok = await register({
      ...base(),
      dpop_bound_access_tokens: true,
      scope: 'openid accounts',
      unknown_field: 1,
    });
    expect(ok.status).toBe(201);
    expect(json(ok).dpop_bound_access_tokens).toBe(true);
    expect(json(ok).unknown_field).toBeUndefined();
  });

  it('NET-08: a jwks_uri is fetched over verified TLS: trusted works, an untrusted certificate is refused', async () => {
    const ok = await register({ ...base(), jwks: undefined, jwks_uri: `${t.lab.issuer}/jwks` });
    expect(ok.status, ok.text()).toBe(201);
    const k = await generateSigningKey('ES256');
    const cert = await createCertificate({
      key: k,
      subject: 'CN=localhost',
      sans: [{ type: 'ip', value: '127.0.0.1' }],
      profile: 'server',
    });
    const server = https.createServer({ key: privateKeyPem(k.privateKey), cert: cert.pem }, (_q, s) => {
      s.setHeader('content-type', 'application/json');
      s.end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const e = await expectError(
        { ...base(), jwks: undefined, jwks_uri: `https://127.0.0.1:${port}/jwks` },
        400,
        'invalid_client_metadata',
      );
      expect(e.error_description).toMatch(/could not be fetched/);
    } finally {
      server.close();
    }
    await expectError(
      { ...base(), jwks: undefined, jwks_uri: 'http://127.0.0.1/jwks' },
      400,
      'invalid_client_metadata',
    );
  });

  it('refuses a body that is not a JSON object', async () => {
    await expectError([1, 2], 400, 'invalid_client_metadata');
  });
});

describe('client management (RFC 7592)', () => {
  it('REG-09: read needs the RAT; a wrong or missing RAT gets 401 without client data', async () => {
    const c = await registerClient(t);
    const uri = c.registered.registration_client_uri as string;
    const ok = await t.http({ method: 'GET', url: uri, headers: { authorization: `Bearer ${c.rat}` } });
    expect(ok.status).toBe(200);
    expect(json(ok).client_id).toBe(c.clientId);
    expect(json(ok).registration_access_token).toBeUndefined();
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${c.rat}` },
    ] as Record<string, string>[]) {
      const bad = await t.http({ method: 'GET', url: uri, headers });
      expect(bad.status).toBe(401);
      expect(bad.header('www-authenticate')).toMatch(/^Bearer /);
      expect(bad.text()).not.toContain(c.clientId);
    }
    const other = await registerClient(t);
    const cross = await t.http({
      method: 'GET',
      url: uri,
      headers: { authorization: `Bearer ${other.rat}` },
    });
    expect(cross.status).toBe(401);
  });

  it('REG-10: PUT replaces the registration (same client_id); bad metadata gets 400', async () => {
    const c = await registerClient(t);
    const uri = c.registered.registration_client_uri as string;
    const auth = { authorization: `Bearer ${c.rat}` };
    const body = { ...c.registered, redirect_uris: ['https://client.example/new'] };
    const ok = await postJson(t.http, uri, body, auth, 'PUT');
    expect(ok.status, ok.text()).toBe(200);
    expect(json(ok).redirect_uris).toEqual(['https://client.example/new']);
    const wrongId = await postJson(t.http, uri, { ...body, client_id: 'other' }, auth, 'PUT');
    expect(wrongId.status).toBe(400);
    const bad = await postJson(
      t.http,
      uri,
      { ...body, jwks: undefined, jwks_uri: 'https://127.0.0.1:1/jwks' },
      auth,
      'PUT',
    );
    expect(bad.status).toBe(400);
    expect(json(bad).error).toBe('invalid_client_metadata');
    const still = await t.http({ method: 'GET', url: uri, headers: auth });
    expect(json(still).redirect_uris).toEqual(['https://client.example/new']);
  });

  it('REG-11: DELETE gives 204; the RAT and the client are then dead', async () => {
    const c = await registerClient(t, { grant_types: ['client_credentials'], redirect_uris: undefined });
    const uri = c.registered.registration_client_uri as string;
    const auth = { authorization: `Bearer ${c.rat}` };
    const del = await t.http({ method: 'DELETE', url: uri, headers: auth });
    expect(del.status).toBe(204);
    expect((await t.http({ method: 'GET', url: uri, headers: auth })).status).toBe(401);
    const token = await postForm(t.http, `${t.lab.issuer}/token`, {
      ...assertion(t, c),
      grant_type: 'client_credentials',
    });
    expect(token.status).toBe(401);
    expect(json(token).error).toBe('invalid_client');
  });

  it('persists clients across a restart', async () => {
    const c = await registerClient(t);
    expect(t.lab.ctx.clients.get(c.clientId)).toBeDefined();
    const { ClientStore } = await import('../../lab/store.js');
    const fresh = new ClientStore(t.lab.ctx.paths.clientsDir);
    await fresh.load();
    expect(fresh.get(c.clientId)?.metadata.client_name).toBe('Test client');
  });
});

describe('REG-13: registration gated by an initial access token', () => {
  let gated: TestLab;
  beforeAll(async () => {
    gated = await startTestLab({ registrationToken: 'let-me-in' });
  });
  afterAll(() => gated.close());

  it('refuses registration without the token (401), accepts it with the token', async () => {
    const body = base();
    const none = await postJson(gated.http, `${gated.lab.issuer}/register`, body);
    expect(none.status).toBe(401);
    expect(none.header('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await postJson(gated.http, `${gated.lab.issuer}/register`, body, {
      authorization: 'Bearer nope',
    });
    expect(wrong.status).toBe(401);
    const ok = await postJson(gated.http, `${gated.lab.issuer}/register`, body, {
      authorization: 'Bearer let-me-in',
    });
    expect(ok.status).toBe(201);
  });
});
