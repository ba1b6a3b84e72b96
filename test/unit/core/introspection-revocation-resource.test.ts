/** Introspection (RFC 7662), revocation (RFC 7009) and resource calls (CL-16). */
import { describe, expect, it } from 'vitest';
import { introspectToken, processIntrospectionResponse } from '../../../src/core/introspection.js';
import { callResource, isTokenRejected, resourceError, schemeFor } from '../../../src/core/resource.js';
import { processRevocationResponse, revokeToken } from '../../../src/core/revocation.js';
import { accessTokenHash } from '../../../src/core/dpop.js';
import { ISSUER, MTLS, fakeClient } from '../../helpers/fake-http.js';
import { expectFapiError } from '../../helpers/expect-error.js';
import { decodeJwt } from '../../helpers/jwt.js';

const setup = fakeClient;

describe('introspection', () => {
  it('authenticates, sends token and hint, no DPoP proof, and requires a boolean active', async () => {
    const { f, c } = setup();
    let body: unknown = { active: true, scope: 'accounts', cnf: { jkt: 'x' } };
    f.on('POST', `${ISSUER}/introspect`, () => ({ status: 200, json: body }));
    const r = processIntrospectionResponse(await introspectToken(c, 'tok', 'access_token'), c);
    expect(r).toMatchObject({ active: true, scope: 'accounts' });
    expect(f.forms[0]?.get('token')).toBe('tok');
    expect(f.forms[0]?.get('token_type_hint')).toBe('access_token');
    expect(f.forms[0]?.get('client_assertion')).toBeTruthy();
    expect(f.requests[0]?.headers?.dpop).toBeUndefined();
    body = { scope: 'x' };
    await expect(
      introspectToken(c, 'tok').then((ex) => processIntrospectionResponse(ex, c)),
    ).rejects.toMatchObject({
      code: 'E_INTROSPECTION_NO_ACTIVE',
    });
  });

  it('mTLS: at the alias with client_id and the certificate', async () => {
    const { f, c } = setup({
      authMethod: 'self_signed_tls_client_auth',
      sender: 'mtls',
      signingKey: undefined,
    });
    f.on('POST', `${MTLS}/introspect`, () => ({ status: 200, json: { active: false } }));
    expect(processIntrospectionResponse(await introspectToken(c, 'tok'), c).active).toBe(false);
    expect(f.requests[0]?.clientCert).toBe(true);
    expect(f.forms[0]?.get('client_id')).toBe('client-1');
  });
});

describe('revocation', () => {
  it('treats 200 as success and an error as exit 5', async () => {
    const { f, c } = setup();
    let status = 200;
    f.on('POST', `${ISSUER}/revoke`, () =>
      status === 200 ? { status } : { status, json: { error: 'unsupported_token_type' } },
    );
    processRevocationResponse(await revokeToken(c, 'rt', 'refresh_token'), c);
    expect(f.forms[0]?.get('token_type_hint')).toBe('refresh_token');
    status = 400;
    const e = await expectFapiError(async () => processRevocationResponse(await revokeToken(c, 'rt'), c), {
      exitCode: 5,
    });
    expect(e.oauth?.error).toBe('unsupported_token_type');
  });
});

describe('resource calls (CL-16)', () => {
  it('sends DPoP <token> with a proof bound by ath to the token, method and URL', async () => {
    const { f, c } = setup();
    f.on('POST', 'https://rs.example/payments', () => ({ status: 201, json: { id: 'p1' } }));
    const ex = await callResource(c, {
      method: 'POST',
      url: 'https://rs.example/payments',
      headers: { 'content-type': 'application/json' },
      body: '{"amount":1}',
      accessToken: 'tok',
      scheme: schemeFor('dpop'),
    });
    expect(ex.response.status).toBe(201);
    const req = f.requests[0];
    expect(req?.headers?.authorization).toBe('DPoP tok');
    expect(req?.body).toBe('{"amount":1}');
    const p = decodeJwt(req?.headers?.dpop as string);
    expect(p.payload).toMatchObject({
      htm: 'POST',
      htu: 'https://rs.example/payments',
      ath: accessTokenHash('tok'),
    });
    expect(req?.url).not.toContain('tok');
  });

  it('never puts the token in the URL, and refuses caller-set Authorization or DPoP headers', async () => {
    const { c } = setup();
    expect(() =>
      callResource(c, {
        method: 'GET',
        url: 'https://rs.example/?access_token=x',
        accessToken: 't',
        scheme: 'DPoP',
      }),
    ).toThrow(/only in the Authorization header/);
    expect(() =>
      callResource(c, {
        method: 'GET',
        url: 'https://rs.example/',
        headers: { Authorization: 'Bearer x' },
        accessToken: 't',
        scheme: 'DPoP',
      }),
    ).toThrow(/sets the Authorization header itself/);
  });

  it('recognises a rejected token in either scheme, case-insensitively', async () => {
    const { f, c } = setup();
    f.on('GET', 'https://rs.example/a', () => ({
      status: 401,
      headers: { 'www-authenticate': 'dpop error="invalid_token", error_description="expired"' },
    }));
    const ex = await callResource(c, {
      method: 'GET',
      url: 'https://rs.example/a',
      accessToken: 't',
      scheme: 'DPoP',
    });
    expect(isTokenRejected(ex.response)).toBe(true);
    expect(f.requests).toHaveLength(1); // not a nonce demand: no retry
    const e = resourceError(ex, c);
    expect(e.exitCode).toBe(5);
    expect(e.oauth?.error_description).toBe('expired');
    expect(schemeFor('Bearer')).toBe('Bearer');
    expect(schemeFor('DPOP')).toBe('DPoP');
  });
});
