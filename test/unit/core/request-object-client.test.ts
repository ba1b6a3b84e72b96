/**
 * MS-07 in the client runtime: the PAR form as one request object (client_id and request beside
 * the client authentication), a fresh one per attempt (a DPoP nonce retry re-signs), the server
 * metadata that decides and allows JAR, and the registration metadata `--jar` builds.
 */
import { describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../../src/core/client.js';
import { createAuthorizationSession, pushAuthorizationRequest } from '../../../src/core/par.js';
import { buildClientMetadata } from '../../../src/core/registration.js';
import { checkRequestObjectsSupported, requestObjectsRequired } from '../../../src/core/request-object.js';
import { ExitCode } from '../../../src/errors.js';
import {
  ISSUER,
  MTLS,
  ecDpopKey,
  ecSigningKey,
  fakeClient,
  fakeHttp,
  metadata,
} from '../../helpers/fake-http.js';
import { expectFapiError } from '../../helpers/expect-error.js';
import { decodeJwt } from '../../helpers/jwt.js';

const SIG = ecSigningKey();
const DPOP = ecDpopKey();
const client = (f: ReturnType<typeof fakeHttp>, extra: Partial<ClientOptions> = {}) =>
  fakeClient({ signingKey: SIG, dpopKey: DPOP, ...extra }, f).c;
const session = () =>
  createAuthorizationSession({
    redirectUri: 'http://127.0.0.1:5555/callback',
    scope: 'openid accounts',
    dpopJkt: 'jkt',
  });

describe('MS-07: the pushed request as a request object', () => {
  it('MS-07: the form is client_id, request and the client assertion; the request object carries every parameter', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/par`, () => ({ status: 201, json: { request_uri: 'urn:x', expires_in: 60 } }));
    const s = session();
    const ex = await pushAuthorizationRequest(client(f), s, { requestObject: true });
    const form = f.forms[0] as URLSearchParams;
    expect([...form.keys()].sort()).toEqual([
      'client_assertion',
      'client_assertion_type',
      'client_id',
      'request',
    ]);
    const ro = decodeJwt(form.get('request') as string);
    expect(ro.header).toMatchObject({ typ: 'oauth-authz-req+jwt', alg: 'ES256', kid: 'sig-1' });
    expect(ro.payload).toMatchObject({
      iss: 'client-1',
      aud: ISSUER,
      client_id: 'client-1',
      response_type: 'code',
      redirect_uri: s.redirect_uri,
      scope: 'openid accounts',
      state: s.state,
      nonce: s.nonce,
      code_challenge: s.code_challenge,
      code_challenge_method: 'S256',
      dpop_jkt: 'jkt',
    });
    expect(ro.payload).not.toHaveProperty('sub');
    // Narration gets the decoded request object.
    expect(ex.attempts[0]?.requestObject?.header.typ).toBe('oauth-authz-req+jwt');
  });

  it('MS-07: a DPoP nonce retry sends a new request object (new jti), as it sends a new assertion', async () => {
    const f = fakeHttp();
    let n = 0;
    f.on('POST', `${ISSUER}/par`, () =>
      n++ === 0
        ? { status: 400, json: { error: 'use_dpop_nonce' }, headers: { 'dpop-nonce': 'n1' } }
        : { status: 201, json: { request_uri: 'urn:x', expires_in: 60 } },
    );
    const ex = await pushAuthorizationRequest(client(f), session(), { requestObject: true });
    expect(ex.attempts).toHaveLength(2);
    const [a, b] = f.forms.map((x) => decodeJwt(x.get('request') as string).payload);
    expect(a?.jti).not.toBe(b?.jti);
  });

  it('MS-07: an mTLS client signs with its signing key and sends client_id beside it, at the alias', async () => {
    const f = fakeHttp();
    f.on('POST', `${MTLS}/par`, () => ({ status: 201, json: { request_uri: 'urn:x', expires_in: 60 } }));
    await pushAuthorizationRequest(client(f, { authMethod: 'tls_client_auth', sender: 'mtls' }), session(), {
      requestObject: true,
    });
    expect([...(f.forms[0] as URLSearchParams).keys()].sort()).toEqual(['client_id', 'request']);
  });

  it('MS-07: without a signing key → E_KEY_MISSING (exit 3), nothing sent', async () => {
    const f = fakeHttp();
    const c = client(f, { authMethod: 'tls_client_auth', sender: 'mtls', signingKey: undefined });
    const e = await expectFapiError(pushAuthorizationRequest(c, session(), { requestObject: true }), {
      code: 'E_KEY_MISSING',
      exitCode: ExitCode.localState,
    });
    expect(e.hint).toContain('fapi keygen');
    expect(f.requests).toHaveLength(0);
  });

  it('MS-07: without requestObject the PAR form is unchanged (no request parameter)', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/par`, () => ({ status: 201, json: { request_uri: 'urn:x', expires_in: 60 } }));
    await pushAuthorizationRequest(client(f), session());
    expect(f.forms[0]?.has('request')).toBe(false);
    expect(f.forms[0]?.get('response_type')).toBe('code');
  });
});

describe('MS-07: which servers take request objects, and when they are required', () => {
  const m = metadata();
  it('MS-07: required by the metadata or by the registration', () => {
    expect(requestObjectsRequired(m)).toBe(false);
    expect(requestObjectsRequired({ ...m, require_signed_request_object: true })).toBe(true);
    expect(requestObjectsRequired(m, { require_signed_request_object: true })).toBe(true);
  });

  it('MS-07: a server that advertises nothing about request objects → E_JAR_UNSUPPORTED (exit 2)', () => {
    expectFapiError(
      () => checkRequestObjectsSupported({ ...m, request_parameter_supported: false }, 'ES256'),
      {
        code: 'E_JAR_UNSUPPORTED',
        exitCode: ExitCode.usage,
      },
    );
  });

  it('MS-07: the key algorithm must be among request_object_signing_alg_values_supported', () => {
    expect(() =>
      checkRequestObjectsSupported({ ...m, request_object_signing_alg_values_supported: ['PS256'] }, 'ES256'),
    ).toThrow(/not with the profile's ES256 key/);
    expect(() =>
      checkRequestObjectsSupported({ ...m, request_object_signing_alg_values_supported: ['ES256'] }, 'ES256'),
    ).not.toThrow();
    expect(() =>
      checkRequestObjectsSupported({ ...m, request_parameter_supported: true }, 'ES256'),
    ).not.toThrow();
  });
});

describe('MS-07: registering for request objects (--jar)', () => {
  const input = {
    template: { grant_types: ['authorization_code'], response_types: ['code'] },
    sender: 'dpop' as const,
    redirectUris: ['http://127.0.0.1/callback'],
    signingKey: { publicJwk: SIG.publicJwk, alg: 'ES256' as const, kid: 'sig-1' },
    server: {
      ...metadata(),
      tls_client_certificate_bound_access_tokens: true,
      request_object_signing_alg_values_supported: ['ES256', 'PS256'],
    },
  };

  it('MS-07: request_object_signing_alg is the key algorithm and require_signed_request_object is true', () => {
    const md = buildClientMetadata({ ...input, authMethod: 'private_key_jwt', jar: true });
    expect(md).toMatchObject({ request_object_signing_alg: 'ES256', require_signed_request_object: true });
    const plain = buildClientMetadata({ ...input, authMethod: 'private_key_jwt' });
    expect(plain).not.toHaveProperty('request_object_signing_alg');
  });

  it('MS-07: a tls_client_auth client registers its signing key in jwks for its request objects', () => {
    const md = buildClientMetadata({
      ...input,
      authMethod: 'tls_client_auth',
      sender: 'mtls',
      certificate: { subject: 'CN=c', derBase64: 'AA' },
      jar: true,
    });
    expect((md.jwks as { keys: { kid: string; x5c?: unknown }[] }).keys[0]).toMatchObject({ kid: 'sig-1' });
    expect((md.jwks as { keys: { x5c?: unknown }[] }).keys[0]?.x5c).toBeUndefined();
    expect(md.tls_client_auth_subject_dn).toBe('CN=c');
  });

  it('MS-07: a server whose request object algorithms exclude the key → E_JAR_ALG_UNSUPPORTED', () => {
    expectFapiError(
      () =>
        buildClientMetadata({
          ...input,
          authMethod: 'private_key_jwt',
          jar: true,
          server: { ...metadata(), request_object_signing_alg_values_supported: ['PS256'] },
        }),
      { code: 'E_JAR_ALG_UNSUPPORTED' },
    );
  });
});

describe('MS-16: fapi asks for no encrypted responses', () => {
  it('MS-16: the registration metadata fapi builds has no *_encrypted_response_* field, with --jar and --jarm too', () => {
    const md = buildClientMetadata({
      template: { grant_types: ['authorization_code'], response_types: ['code'] },
      authMethod: 'private_key_jwt',
      sender: 'dpop',
      redirectUris: ['http://127.0.0.1/callback'],
      signingKey: { publicJwk: SIG.publicJwk, alg: 'ES256', kid: 'sig-1' },
      server: {
        ...metadata(),
        request_object_signing_alg_values_supported: ['ES256'],
        introspection_signing_alg_values_supported: ['ES256'],
        response_modes_supported: ['query', 'jwt'],
        authorization_signing_alg_values_supported: ['ES256'],
      },
      jar: true,
      jarm: true,
    });
    expect(Object.keys(md).filter((k) => k.includes('encrypt'))).toEqual([]);
    expect(md).toMatchObject({
      request_object_signing_alg: 'ES256',
      introspection_signed_response_alg: 'ES256',
      authorization_signed_response_alg: 'ES256',
    });
  });
});
