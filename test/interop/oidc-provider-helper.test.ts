/**
 * The oidc-provider test helper itself: a strict FAPI 2.0 server that the interop tests can rely
 * on. Drives it by hand with the core's DPoP and client-assertion code (the CLI flows have their
 * own tests), so a broken helper is caught here and not in some later test.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientAssertion, clientAssertionParams } from '../../src/core/client-auth.js';
import { discoverMetadata, endpoint, type DiscoveryResult } from '../../src/core/discovery.js';
import { createDpopProof, type DpopKey } from '../../src/core/dpop.js';
import type { Jwk } from '../../src/core/jwk.js';
import { codeChallengeS256, createCodeVerifier } from '../../src/core/pkce.js';
import { formBody } from '../../src/core/form.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../../src/http/client.js';
import { followAuthorization, startOidcProvider, type OidcProviderHandle } from '../helpers/oidc-provider.js';

let op: OidcProviderHandle;
let http: HttpClient;
let disc: DiscoveryResult;

beforeAll(async () => {
  op = await startOidcProvider({ initialAccessToken: 'iat-secret' });
  http = createHttpClient({ ca: [op.ca.certPem] });
  disc = await discoverMetadata(http, op.issuer);
});
afterAll(() => op?.close());

const json = (r: HttpResponse) => r.json() as Record<string, unknown>;

async function register(body: Record<string, unknown>, token = 'iat-secret') {
  return http({
    method: 'POST',
    url: endpoint(disc.metadata, 'registration_endpoint', { mtls: false }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

describe('oidc-provider helper (FAPI 2.0)', () => {
  it('publishes strict FAPI 2.0 metadata with mTLS aliases on the second listener', () => {
    const m = disc.metadata;
    expect(m.issuer).toBe(op.issuer);
    expect(disc.source).toBe('oauth-authorization-server');
    expect(m.require_pushed_authorization_requests).toBe(true);
    expect(m.response_types_supported).toEqual(['code']);
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.authorization_response_iss_parameter_supported).toBe(true);
    expect(m.token_endpoint_auth_methods_supported).toEqual([
      'private_key_jwt',
      'tls_client_auth',
      'self_signed_tls_client_auth',
    ]);
    expect(m.dpop_signing_alg_values_supported).toEqual(['PS256', 'ES256', 'EdDSA']);
    expect(m.tls_client_certificate_bound_access_tokens).toBe(true);
    expect(endpoint(m, 'token_endpoint', { mtls: true })).toBe(`${op.mtlsOrigin}/token`);
    expect(m.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
  });

  it('gates registration with the initial access token', async () => {
    const r = await register({ redirect_uris: ['http://127.0.0.1/callback'] }, 'wrong');
    expect(r.status).toBe(401);
  });

  it('runs PAR (DPoP nonce) → automatic login/consent → token with a DPoP-bound token', async () => {
    const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = {
      ...(signing.publicKey.export({ format: 'jwk' }) as Jwk),
      kid: 'c-1',
      alg: 'ES256',
      use: 'sig',
    };
    const dpopPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const dpop: DpopKey = {
      privateKey: dpopPair.privateKey,
      publicJwk: dpopPair.publicKey.export({ format: 'jwk' }) as Jwk,
      alg: 'ES256',
    };
    const reg = await register({
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [jwk] },
      dpop_bound_access_tokens: true,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    expect(reg.status, reg.text()).toBe(201);
    const client = json(reg);
    const clientId = String(client.client_id);
    expect(client.registration_access_token).toEqual(expect.any(String));

    const auth = () =>
      clientAssertionParams(
        clientId,
        createClientAssertion({
          clientId,
          audience: op.issuer,
          privateKey: signing.privateKey,
          alg: 'ES256',
          kid: 'c-1',
        }),
      );
    const verifier = createCodeVerifier();
    const par = endpoint(disc.metadata, 'pushed_authorization_request_endpoint', { mtls: false });
    // Loopback redirect with an ephemeral port (RFC 8252 §7.3; native clients).
    const redirectUri = 'http://127.0.0.1:53121/callback';
    const parBody = (extra: Record<string, string>) =>
      formBody({
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'openid offline_access',
        state: 'st-1',
        nonce: 'n-1',
        code_challenge: codeChallengeS256(verifier),
        code_challenge_method: 'S256',
        ...auth(),
        ...extra,
      });
    const post = (url: string, body: string, nonce?: string) =>
      http({
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          dpop: createDpopProof(dpop, { htm: 'POST', htu: url, nonce }),
        },
        body,
      });
    let r = await post(par, parBody({}));
    expect(r.status).toBe(400);
    expect(json(r).error).toBe('use_dpop_nonce');
    const nonce = r.header('dpop-nonce');
    expect(nonce).toBeTruthy();
    r = await post(par, parBody({}), nonce);
    expect(r.status, r.text()).toBe(201);
    const requestUri = String(json(r).request_uri);

    const authz = new URL(String(disc.metadata.authorization_endpoint));
    authz.searchParams.set('client_id', clientId);
    authz.searchParams.set('request_uri', requestUri);
    const back = new URL(await followAuthorization(authz.href, { caPem: op.ca.certPem }));
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('iss')).toBe(op.issuer);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code');
    expect(code).toBeTruthy();

    const token = endpoint(disc.metadata, 'token_endpoint', { mtls: false });
    const tokenBody = formBody({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: redirectUri,
      code_verifier: verifier,
      ...auth(),
    });
    r = await post(token, tokenBody, r.header('dpop-nonce') ?? nonce);
    if (r.status === 400 && json(r).error === 'use_dpop_nonce') {
      r = await post(token, tokenBody, r.header('dpop-nonce'));
    }
    expect(r.status, r.text()).toBe(200);
    const t = json(r);
    expect(t.token_type).toBe('DPoP');
    expect(t.refresh_token).toEqual(expect.any(String));
    expect(t.id_token).toEqual(expect.any(String));
    expect(op.requests.some((q) => q.url.startsWith('/interaction/'))).toBe(true);
  });

  it('authenticates tls_client_auth clients with a CA-issued certificate at the mTLS alias only', async () => {
    const cert = await op.ca.issueClient('CN=interop-client, O=fapi tests');
    const reg = await register({
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=interop-client,O=fapi tests',
      tls_client_certificate_bound_access_tokens: true,
      grant_types: ['client_credentials'],
      response_types: [],
    });
    expect(reg.status, reg.text()).toBe(201);
    const clientId = String(json(reg).client_id);
    const mtlsHttp = createHttpClient({ ca: [op.ca.certPem], cert: cert.certPem, key: cert.keyPem });
    const body = formBody({ grant_type: 'client_credentials', client_id: clientId });
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await mtlsHttp({
      method: 'POST',
      url: endpoint(disc.metadata, 'token_endpoint', { mtls: true }),
      headers,
      body,
    });
    expect(ok.status, ok.text()).toBe(200);
    expect(json(ok).token_type).toBe('Bearer');
    // The main listener never asks for a certificate: the same request fails there.
    const plain = await mtlsHttp({
      method: 'POST',
      url: endpoint(disc.metadata, 'token_endpoint', { mtls: false }),
      headers,
      body,
    });
    expect(plain.status).toBe(401);
    expect(json(plain).error).toBe('invalid_client');
  });
});
