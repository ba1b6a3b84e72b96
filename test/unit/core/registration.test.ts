/** Registration (RFC 7591/7592): FAPI-valid metadata (REG-01..07), exchanges and errors (CL-25). */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuthorizationServerMetadata } from '../../../src/core/discovery.js';
import type { Jwk } from '../../../src/core/jwk.js';
import {
  buildClientMetadata,
  checkClientMetadata,
  deleteClient,
  readClient,
  registerClient,
  updateClient,
  type BuildClientMetadataInput,
  type ClientMetadata,
} from '../../../src/core/registration.js';
import { makeResponse, type HttpClient, type HttpRequest } from '../../../src/http/client.js';
import { loadClientMetadataTemplate } from '../../../src/store/templates.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const ISS = 'https://as.example.com';
const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Jwk;
const signingKey = { publicJwk: pub, alg: 'ES256' as const, kid: 'k-1' };
const certificate = { subject: 'CN=my-client,O=Example', derBase64: 'MIIBfake' };
const server: AuthorizationServerMetadata = {
  issuer: ISS,
  token_endpoint_auth_methods_supported: [
    'private_key_jwt',
    'tls_client_auth',
    'self_signed_tls_client_auth',
  ],
  token_endpoint_auth_signing_alg_values_supported: ['PS256', 'ES256'],
  dpop_signing_alg_values_supported: ['ES256'],
  tls_client_certificate_bound_access_tokens: true,
  id_token_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
};

const build = (over: Partial<BuildClientMetadataInput> = {}) =>
  buildClientMetadata({
    template: loadClientMetadataTemplate(over.sender ?? 'dpop'),
    authMethod: 'private_key_jwt',
    sender: 'dpop',
    redirectUris: ['http://127.0.0.1/callback'],
    signingKey,
    server,
    ...over,
  });

function fakeHttp(
  reply: (req: HttpRequest) => { status: number; body?: unknown; headers?: Record<string, string> },
): HttpClient & { calls: HttpRequest[] } {
  const calls: HttpRequest[] = [];
  const fn = async (req: HttpRequest) => {
    calls.push(req);
    const r = reply(req);
    return makeResponse(
      req.url,
      r.status,
      { 'content-type': 'application/json', ...r.headers },
      Buffer.from(r.body === undefined ? '' : JSON.stringify(r.body)),
    );
  };
  return Object.assign(fn, { calls });
}

describe('buildClientMetadata', () => {
  it('CL-25: private_key_jwt + DPoP from the template: public JWKS, alg, DPoP-bound, native loopback', () => {
    const md = build({ scope: 'openid accounts' });
    expect(md).toMatchObject({
      client_name: 'fapi CLI',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      dpop_bound_access_tokens: true,
      require_pushed_authorization_requests: true,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      application_type: 'native',
      scope: 'openid accounts',
      // The server's first FAPI ID-token algorithm, never its RS256.
      id_token_signed_response_alg: 'PS256',
    });
    const keys = (md.jwks as { keys: Jwk[] }).keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kid: 'k-1', alg: 'ES256', use: 'sig', kty: 'EC' });
    expect(keys[0]?.d).toBeUndefined();
    expect(md.tls_client_certificate_bound_access_tokens).toBeUndefined();
  });

  it('tls_client_auth + mTLS: the certificate subject DN, certificate-bound tokens, no JWKS', () => {
    const md = build({ authMethod: 'tls_client_auth', sender: 'mtls', certificate, signingKey: undefined });
    expect(md).toMatchObject({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=my-client,O=Example',
      tls_client_certificate_bound_access_tokens: true,
    });
    expect(md.jwks).toBeUndefined();
    expect(md.dpop_bound_access_tokens).toBeUndefined();
  });

  it('self_signed_tls_client_auth: the JWKS carries the certificate in x5c (RFC 8705 §2.2.2)', () => {
    const md = build({ authMethod: 'self_signed_tls_client_auth', sender: 'mtls', certificate });
    expect((md.jwks as { keys: Jwk[] }).keys[0]?.x5c).toEqual(['MIIBfake']);
    expect(md.tls_client_auth_subject_dn).toBeUndefined();
  });

  it('a https redirect makes a web client; --metadata overrides are merged and still checked', () => {
    const md = build({
      redirectUris: ['https://app.example/cb'],
      overrides: { client_name: 'mine', contacts: ['a@b.c'] },
    });
    expect(md).toMatchObject({ application_type: 'web', client_name: 'mine', contacts: ['a@b.c'] });
    const e = expectFapiError(() =>
      build({ overrides: { token_endpoint_auth_method: 'client_secret_basic' } }),
    );
    expect(e.code).toBe('E_CLIENT_METADATA_INVALID');
    expect(e.message).toContain('REG-02');
  });

  it('refuses what the server does not offer, and missing keys or certificates, with the fix', () => {
    const noTls = expectFapiError(() =>
      build({
        authMethod: 'tls_client_auth',
        sender: 'mtls',
        certificate,
        server: { ...server, token_endpoint_auth_methods_supported: ['private_key_jwt'] },
      }),
    );
    expect(noTls.code).toBe('E_AUTH_METHOD_UNSUPPORTED');
    expect(noTls.hint).toContain('private_key_jwt');
    const noDpop = expectFapiError(() =>
      build({ server: { ...server, dpop_signing_alg_values_supported: undefined } }),
    );
    expect(noDpop.code).toBe('E_SENDER_UNSUPPORTED');
    expect(noDpop.hint).toContain('--sender mtls');
    const alg = expectFapiError(() =>
      build({ server: { ...server, token_endpoint_auth_signing_alg_values_supported: ['PS256'] } }),
    );
    expect(alg.code).toBe('E_ALG_UNSUPPORTED');
    expect(alg.hint).toContain('--alg PS256');
    const noCert = expectFapiError(() => build({ sender: 'mtls' }));
    expect(noCert.code).toBe('E_CERT_MISSING');
    expect(noCert.kind).toBe('localState');
    expect(expectFapiError(() => build({ signingKey: undefined })).code).toBe('E_KEY_MISSING');
  });
});

describe('checkClientMetadata (REG-01..07)', () => {
  const base = (): ClientMetadata => build();
  const bad = (change: (m: ClientMetadata) => void) => {
    const m = base();
    change(m);
    return expectFapiError(() => checkClientMetadata(m));
  };

  it('REG-01 / REG-02: public clients and shared secrets are refused', () => {
    expect(bad((m) => (m.token_endpoint_auth_method = 'none')).message).toContain('REG-01');
    expect(bad((m) => (m.token_endpoint_auth_method = 'client_secret_post')).message).toContain('REG-02');
  });

  it('REG-03: only code, and only the allowed grants', () => {
    expect(bad((m) => (m.response_types = ['code', 'token'])).details?.field).toBe('response_types');
    expect(bad((m) => (m.grant_types = ['implicit'])).details?.field).toBe('grant_types');
    expect(bad((m) => (m.grant_types = ['password'])).message).toContain('REG-03');
  });

  it('REG-04: http only on loopback IP literals, never localhost; no fragments', () => {
    expect(bad((m) => (m.redirect_uris = ['http://example.com/cb'])).message).toContain('REG-04');
    expect(bad((m) => (m.redirect_uris = ['http://localhost/cb'])).hint).toContain('127.0.0.1');
    expect(bad((m) => (m.redirect_uris = ['https://c.example/cb#x'])).message).toContain('fragment');
    const ok = base();
    ok.redirect_uris = ['http://[::1]:8080/cb', 'https://c.example/cb'];
    expect(() => checkClientMetadata(ok)).not.toThrow();
  });

  it('REG-05 / REG-06 / CL-24: one of jwks/jwks_uri, public keys only, of FAPI strength', () => {
    expect(bad((m) => (m.jwks_uri = 'https://c.example/jwks')).message).toContain('REG-05');
    const priv = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    expect(bad((m) => (m.jwks = { keys: [priv] })).message).toContain('private key members');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(bad((m) => (m.jwks = { keys: [weak] })).message).toContain('REG-06');
  });

  it('REG-07: tls_client_auth needs exactly one subject field; self-signed needs x5c', () => {
    const two = build({ authMethod: 'tls_client_auth', sender: 'mtls', certificate, signingKey: undefined });
    two.tls_client_auth_san_dns = 'c.example';
    expect(expectFapiError(() => checkClientMetadata(two)).message).toContain('REG-07');
    const self = build({ authMethod: 'self_signed_tls_client_auth', sender: 'mtls', certificate });
    delete (self.jwks as { keys: Jwk[] }).keys[0]?.x5c;
    expect(expectFapiError(() => checkClientMetadata(self)).message).toContain('x5c');
  });

  it('CR-02: RS256 in any signing-alg client field is refused', () => {
    expect(bad((m) => (m.id_token_signed_response_alg = 'RS256')).details?.field).toBe(
      'id_token_signed_response_alg',
    );
    expect(bad((m) => (m.authorization_signed_response_alg = 'none')).details?.field).toBe(
      'authorization_signed_response_alg',
    );
  });

  it('MS-09: --jarm registers the server first FAPI JARM algorithm, never its RS256; none without --jarm', () => {
    const jarmServer = {
      ...server,
      response_modes_supported: ['query', 'jwt'],
      authorization_signing_alg_values_supported: ['RS256', 'EdDSA', 'ES256'],
    };
    expect(build({ server: jarmServer, jarm: true }).authorization_signed_response_alg).toBe('EdDSA');
    expect(build({ server: jarmServer }).authorization_signed_response_alg).toBeUndefined();
    // Without an algorithm list: the ID-token choice (PS256 here).
    const { authorization_signing_alg_values_supported: _, ...noAlgs } = jarmServer;
    expect(build({ server: noAlgs, jarm: true }).authorization_signed_response_alg).toBe('PS256');
    // A server without the jwt response mode: refused, exit 2, before anything is sent.
    const e = expectFapiError(() => build({ jarm: true }));
    expect(e.code).toBe('E_JARM_UNSUPPORTED');
    expect(e.exitCode).toBe(2);
  });
});

describe('RFC 7591 / 7592 exchanges', () => {
  const EP = `${ISS}/register`;
  const URI = `${ISS}/register/c1`;

  it('CL-25: registers with the initial access token and software statement; keeps the RAT apart', async () => {
    const http = fakeHttp((req) => ({
      status: 201,
      body: {
        ...(JSON.parse(String(req.body)) as object),
        client_id: 'c1',
        client_id_issued_at: 1_800_000_000,
        registration_access_token: 'rat-1',
        registration_client_uri: URI,
        client_secret: 'should-not-be-kept',
      },
    }));
    const md = build();
    const { client, warnings } = await registerClient(http, EP, md, {
      initialAccessToken: 'iat-1',
      softwareStatement: 'eyJ.ss.sig',
    });
    expect(http.calls[0]?.method).toBe('POST');
    expect(http.calls[0]?.headers?.authorization).toBe('Bearer iat-1');
    expect(JSON.parse(String(http.calls[0]?.body))).toMatchObject({
      software_statement: 'eyJ.ss.sig',
      jwks: md.jwks,
    });
    expect(client).toMatchObject({
      client_id: 'c1',
      registration_access_token: 'rat-1',
      registration_client_uri: URI,
    });
    expect(client.metadata.registration_access_token).toBeUndefined();
    expect(client.metadata.client_secret).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('warns when the server changed what was asked or returned no management URI', async () => {
    const http = fakeHttp(() => ({
      status: 201,
      body: {
        client_id: 'c1',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: ['https://x/cb'],
      },
    }));
    const { warnings } = await registerClient(http, EP, build());
    expect(warnings.join('\n')).toContain('token_endpoint_auth_method = "client_secret_basic"');
    expect(warnings.join('\n')).toContain('redirect_uris');
    expect(warnings.join('\n')).toContain('no registration_client_uri');
  });

  it('maps registration errors to exit 5 with the OAuth error and a hint', async () => {
    const e = await expectFapiError(
      registerClient(
        fakeHttp(() => ({ status: 400, body: { error: 'invalid_redirect_uri', error_description: 'nope' } })),
        EP,
        build(),
      ),
    );
    expect(e.exitCode).toBe(5);
    expect(e.oauth).toMatchObject({
      status: 400,
      error: 'invalid_redirect_uri',
      error_description: 'nope',
      endpoint: EP,
    });
    expect(e.hint).toContain('--redirect-uri');
    const u = await expectFapiError(
      registerClient(
        fakeHttp(() => ({ status: 401, body: {} })),
        EP,
        build(),
      ),
    );
    expect(u.code).toBe('E_REGISTRATION_UNAUTHORIZED');
    expect(u.hint).toContain('--initial-access-token');
    const bad = await expectFapiError(
      registerClient(
        fakeHttp(() => ({ status: 201, body: { nope: 1 } })),
        EP,
        build(),
      ),
    );
    expect(bad.code).toBe('E_REGISTRATION_RESPONSE');
    expect(bad.exitCode).toBe(6);
  });

  it('an error code that is not a registration error gets the general hint, even one named like an Object method', async () => {
    for (const error of ['server_error', 'toString', 'constructor', '__proto__']) {
      const e = await expectFapiError(
        registerClient(
          fakeHttp(() => ({ status: 400, body: { error } })),
          EP,
          build(),
        ),
      );
      expect(e.code, error).toBe('E_REGISTRATION_FAILED');
      expect(e.oauth?.error, error).toBe(error);
      expect(e.hint, error).toBe("See the server's error above; --verbose shows the exchange.");
    }
  });

  it('CL-25: read, update (PUT with client_id, without server-managed fields) and delete with the RAT', async () => {
    const http = fakeHttp((req) => {
      if (req.method === 'GET')
        return { status: 200, body: { client_id: 'c1', registration_access_token: 'rat-2' } };
      if (req.method === 'PUT') return { status: 200, body: { ...(JSON.parse(String(req.body)) as object) } };
      return { status: 204 };
    });
    const read = await readClient(http, URI, 'rat-1');
    expect(read.registration_access_token).toBe('rat-2');
    expect(http.calls[0]?.headers?.authorization).toBe('Bearer rat-1');
    const md = { ...build(), registration_access_token: 'x', client_id_issued_at: 1 };
    const { client } = await updateClient(http, URI, 'rat-2', 'c1', md);
    const sent = JSON.parse(String(http.calls[1]?.body)) as ClientMetadata;
    expect(sent.client_id).toBe('c1');
    expect(sent.registration_access_token).toBeUndefined();
    expect(sent.client_id_issued_at).toBeUndefined();
    expect(client.client_id).toBe('c1');
    await deleteClient(http, URI, 'rat-2');
    expect(http.calls[2]?.method).toBe('DELETE');
  });

  it('CL-25: a 401 on the registration access token is fatal (E_RAT_REJECTED, no retry)', async () => {
    for (const op of [
      (h: HttpClient) => readClient(h, URI, 'rat'),
      (h: HttpClient) => updateClient(h, URI, 'rat', 'c1', build()),
      (h: HttpClient) => deleteClient(h, URI, 'rat'),
    ]) {
      const http = fakeHttp(() => ({
        status: 401,
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      }));
      const e = await expectFapiError(op(http));
      expect(e.code).toBe('E_RAT_REJECTED');
      expect(e.exitCode).toBe(5);
      expect(http.calls).toHaveLength(1);
    }
    const gone = await expectFapiError(
      readClient(
        fakeHttp(() => ({ status: 404 })),
        URI,
        'rat',
      ),
    );
    expect(gone.code).toBe('E_CLIENT_GONE');
    const notTls = await expectFapiError(
      readClient(
        fakeHttp(() => ({ status: 200 })),
        'http://as.example.com/c',
        'rat',
      ),
    );
    expect(notTls.code).toBe('E_CLIENT_URI_INVALID');
  });
});
