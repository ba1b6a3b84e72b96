/** The client runtime: client auth (CL-05/06/07), DPoP nonces (CL-15/17), clock skew (CL-23), errors. */
import { describe, expect, it } from 'vitest';
import { responseError, type ClientOptions } from '../../../src/core/client.js';
import { ServerClock } from '../../../src/core/server-clock.js';
import { parseWwwAuthenticate } from '../../../src/core/www-authenticate.js';
import { FapiError } from '../../../src/errors.js';
import { jwkThumbprint } from '../../../src/core/jwk.js';
import {
  ISSUER,
  MTLS,
  ecDpopKey,
  ecSigningKey,
  fakeClient,
  fakeHttp,
  frozenClock,
  metadata,
} from '../../helpers/fake-http.js';
import { decodeJwt } from '../../helpers/jwt.js';

const SIG = ecSigningKey();
const DPOP = ecDpopKey();

const client = (f: ReturnType<typeof fakeHttp>, extra: Partial<ClientOptions> = {}) =>
  fakeClient({ signingKey: SIG, dpopKey: DPOP, ...extra }, f).c;

const ok = { status: 200, json: { ok: true } };

describe('client authentication', () => {
  it('CL-06: a fresh private_key_jwt assertion per request, aud = the issuer as a string', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/token`, () => ok);
    const c = client(f);
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: { grant_type: 'x' } });
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: { grant_type: 'x' } });
    const [a, b] = f.forms.map((x) => decodeJwt(x.get('client_assertion') as string));
    expect(f.forms[0]?.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    expect(f.forms[0]?.get('client_id')).toBe('client-1');
    expect(a?.payload.aud).toBe(ISSUER);
    expect(typeof a?.payload.aud).toBe('string');
    expect(a?.payload.iss).toBe('client-1');
    expect(a?.payload.sub).toBe('client-1');
    expect(a?.header.kid).toBe('sig-1');
    expect(a?.header.alg).toBe('ES256');
    expect(a?.payload.iat).toBe(Math.floor(frozenClock().now() / 1000));
    expect((a?.payload.exp as number) - (a?.payload.iat as number)).toBeLessThanOrEqual(60);
    expect(a?.payload.jti).not.toBe(b?.payload.jti);
    expect(f.requests[0]?.clientCert).toBe(false);
  });

  it('CL-06: the profile may override the audience (assertion_audience)', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/token`, () => ok);
    const c = client(f, { assertionAudience: `${ISSUER}/token` });
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(decodeJwt(f.forms[0]?.get('client_assertion') as string).payload.aud).toBe(`${ISSUER}/token`);
  });

  it('CL-05/CL-07: mTLS sends client_id with the certificate, at the mtls_endpoint_aliases', async () => {
    const f = fakeHttp();
    f.on('POST', `${MTLS}/par`, () => ({ status: 201, json: {} }));
    f.on('POST', `${MTLS}/token`, () => ok);
    const c = client(f, { authMethod: 'tls_client_auth', sender: 'mtls', signingKey: undefined });
    await c.sendToAs({ step: 'PAR', endpoint: 'pushed_authorization_request_endpoint', form: { a: '1' } });
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(f.requests.map((r) => r.url)).toEqual([`${MTLS}/par`, `${MTLS}/token`]);
    expect(f.requests.every((r) => r.clientCert === true)).toBe(true);
    expect(f.forms[0]?.get('client_id')).toBe('client-1');
    expect(f.forms[0]?.has('client_assertion')).toBe(false);
    expect(f.requests[0]?.headers?.dpop).toBeUndefined();
  });

  it('CL-05: private_key_jwt with mTLS-bound tokens also uses the aliases and the certificate', async () => {
    const f = fakeHttp();
    f.on('POST', `${MTLS}/token`, () => ok);
    const c = client(f, { sender: 'mtls' });
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(f.requests[0]?.url).toBe(`${MTLS}/token`);
    expect(f.requests[0]?.clientCert).toBe(true);
    expect(f.forms[0]?.has('client_assertion')).toBe(true);
  });

  it('CL-04: endpoints come from the metadata only; a missing PAR endpoint is exit 6, nothing sent', async () => {
    const f = fakeHttp();
    f.on('POST', 'https://elsewhere.example/t', () => ok);
    const c = client(f, {
      metadata: metadata({
        token_endpoint: 'https://elsewhere.example/t',
        pushed_authorization_request_endpoint: undefined,
      }),
    });
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(f.requests[0]?.url).toBe('https://elsewhere.example/t');
    await expect(
      c.sendToAs({ step: 'PAR', endpoint: 'pushed_authorization_request_endpoint', form: {} }),
    ).rejects.toMatchObject({
      exitCode: 6,
      message: expect.stringContaining('pushed_authorization_request_endpoint'),
    });
    expect(f.requests).toHaveLength(1);
  });

  it('refuses a DPoP key whose alg the server does not accept, before sending anything', () => {
    const f = fakeHttp();
    expect(() => client(f, { metadata: metadata({ dpop_signing_alg_values_supported: ['PS256'] }) })).toThrow(
      /DPoP key is ES256.*PS256/,
    );
    expect(f.requests).toHaveLength(0);
  });
});

describe('DPoP at the AS', () => {
  it('CL-14: a proof per request, htm POST, htu the endpoint, no ath, the DPoP key not the auth key', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/token`, () => ok);
    const c = client(f);
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    const p = decodeJwt(f.requests[0]?.headers?.dpop as string);
    expect(p.header.typ).toBe('dpop+jwt');
    expect(p.payload.htm).toBe('POST');
    expect(p.payload.htu).toBe(`${ISSUER}/token`);
    expect(p.payload.ath).toBeUndefined();
    expect(jwkThumbprint(p.header.jwk as never)).toBe(c.dpopJkt);
    expect(c.dpopJkt).not.toBe(jwkThumbprint(SIG.publicJwk));
  });

  it('CL-15: retries once on use_dpop_nonce with the nonce, a new jti and a new assertion', async () => {
    const f = fakeHttp();
    let n = 0;
    f.on('POST', `${ISSUER}/token`, (req) => {
      n++;
      const p = decodeJwt(req.headers?.dpop as string);
      if (p.payload.nonce !== 'n-1')
        return { status: 400, json: { error: 'use_dpop_nonce' }, headers: { 'DPoP-Nonce': 'n-1' } };
      return ok;
    });
    const c = client(f);
    const ex = await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(n).toBe(2);
    expect(ex.response.status).toBe(200);
    expect(ex.attempts.map((a) => a.retry)).toEqual([undefined, 'use_dpop_nonce']);
    const [p1, p2] = f.requests.map((r) => decodeJwt(r.headers?.dpop as string));
    expect(p1?.payload.jti).not.toBe(p2?.payload.jti);
    expect(p2?.payload.nonce).toBe('n-1');
    const [a1, a2] = f.forms.map((x) => decodeJwt(x.get('client_assertion') as string));
    expect(a1?.payload.jti).not.toBe(a2?.payload.jti);
  });

  it('CL-15: learns the nonce from a 200 and uses it on the next request to that origin only', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/par`, () => ({ status: 201, json: {}, headers: { 'dpop-nonce': 'from-200' } }));
    f.on('POST', `${ISSUER}/token`, () => ok);
    f.on('GET', 'https://rs.example/x', () => ok);
    const c = client(f);
    await c.sendToAs({ step: 'PAR', endpoint: 'pushed_authorization_request_endpoint', form: {} });
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    await c.sendToResource({ method: 'GET', url: 'https://rs.example/x', accessToken: 'at', scheme: 'DPoP' });
    expect(decodeJwt(f.requests[0]?.headers?.dpop as string).payload.nonce).toBeUndefined();
    expect(decodeJwt(f.requests[1]?.headers?.dpop as string).payload.nonce).toBe('from-200');
    expect(decodeJwt(f.requests[2]?.headers?.dpop as string).payload.nonce).toBeUndefined();
  });

  it('CL-15: a second use_dpop_nonce is not retried again; the error names the loop', async () => {
    const f = fakeHttp();
    let n = 0;
    f.on('POST', `${ISSUER}/token`, () => ({
      status: 400,
      json: { error: 'use_dpop_nonce', error_description: 'nonce required' },
      headers: { 'DPoP-Nonce': `n-${++n}` },
    }));
    const c = client(f);
    const ex = await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(f.requests).toHaveLength(2);
    const err = responseError(ex, c.hintContext());
    expect(err.exitCode).toBe(5);
    expect(err.oauth?.error).toBe('use_dpop_nonce');
    expect(err.oauth?.error_description).toBe('nonce required');
    expect(err.message).toContain('after retrying once');
    expect(err.hint).toMatch(/again right after/);
  });

  it('does not retry use_dpop_nonce without a DPoP-Nonce header', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/token`, () => ({ status: 400, json: { error: 'use_dpop_nonce' } }));
    const c = client(f);
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(f.requests).toHaveLength(1);
  });
});

describe('DPoP at the RS', () => {
  it('CL-15/CL-17: retries on 401 with a lower-case "dpop" challenge among several', async () => {
    const f = fakeHttp();
    f.on('GET', 'https://rs.example/accounts', (req) => {
      const p = decodeJwt(req.headers?.dpop as string);
      if (p.payload.nonce !== 'rs-n')
        return {
          status: 401,
          headers: {
            'WWW-Authenticate': 'Bearer realm="rs", dpop error="use_dpop_nonce", algs="ES256 PS256"',
            'DPoP-Nonce': 'rs-n',
          },
        };
      return ok;
    });
    const c = client(f);
    const ex = await c.sendToResource({
      method: 'get',
      url: 'https://rs.example/accounts?x=1',
      accessToken: 'the-at',
      scheme: 'DPoP',
    });
    expect(ex.response.status).toBe(200);
    expect(f.requests).toHaveLength(2);
    const p = decodeJwt(f.requests[1]?.headers?.dpop as string);
    expect(p.payload.ath).toBeDefined();
    expect(p.payload.htu).toBe('https://rs.example/accounts');
    expect(p.payload.htm).toBe('GET');
    expect(f.requests[1]?.headers?.authorization).toBe('DPoP the-at');
    // CL-26: one interaction id per logical request, a UUID.
    expect(f.requests[0]?.headers?.['x-fapi-interaction-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.requests[1]?.headers?.['x-fapi-interaction-id']).toBe(
      f.requests[0]?.headers?.['x-fapi-interaction-id'],
    );
  });

  it('CL-16: Bearer over the client certificate, no proof', async () => {
    const f = fakeHttp();
    f.on('GET', 'https://rs.example/accounts', () => ok);
    const c = client(f, { sender: 'mtls' });
    await c.sendToResource({
      method: 'GET',
      url: 'https://rs.example/accounts',
      accessToken: 't',
      scheme: 'Bearer',
    });
    expect(f.requests[0]?.headers?.authorization).toBe('Bearer t');
    expect(f.requests[0]?.headers?.dpop).toBeUndefined();
    expect(f.requests[0]?.clientCert).toBe(true);
  });
});

describe('clock skew (CL-23)', () => {
  it('applies the offset from the Date header to assertions and proofs', async () => {
    const clock = frozenClock();
    const f = fakeHttp();
    const serverDate = new Date(clock.now() + 120_000).toUTCString();
    f.on('GET', `${ISSUER}/.well-known/openid-configuration`, () => ({
      status: 200,
      json: {},
      headers: { date: serverDate },
    }));
    f.on('POST', `${ISSUER}/token`, () => ok);
    const c = client(f, { now: clock.now });
    await c.get(`${ISSUER}/.well-known/openid-configuration`, 'discovery');
    expect(c.clock.applied(ISSUER)).toBe(120);
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(decodeJwt(f.forms[1]?.get('client_assertion') as string).payload.iat).toBe(clock.seconds() + 120);
    expect(decodeJwt(f.requests[1]?.headers?.dpop as string).payload.iat).toBe(clock.seconds() + 120);
  });

  it('with --no-sync-clock the local clock is used', async () => {
    const clock = frozenClock();
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/token`, () => ({
      ...ok,
      headers: { date: new Date(clock.now() + 120_000).toUTCString() },
    }));
    const c = client(f, { now: clock.now, syncClock: false });
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(c.clock.measured(ISSUER)).toBe(120);
    expect(decodeJwt(f.forms[1]?.get('client_assertion') as string).payload.iat).toBe(clock.seconds());
  });

  it('retries once with corrected time when the first answer reveals the skew and refuses the client', async () => {
    const clock = frozenClock();
    const f = fakeHttp();
    const serverNow = () => clock.seconds() + 120;
    f.on('POST', `${ISSUER}/token`, (_req, form) => {
      const a = decodeJwt(form.get('client_assertion') as string);
      const headers = { date: new Date(serverNow() * 1000).toUTCString() };
      if ((a.payload.exp as number) <= serverNow())
        return { status: 401, json: { error: 'invalid_client', error_description: 'expired' }, headers };
      return { ...ok, headers };
    });
    const c = client(f, { now: clock.now });
    const ex = await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} });
    expect(ex.response.status).toBe(200);
    expect(ex.attempts.map((a) => a.retry)).toEqual([undefined, 'clock_skew']);
  });

  it('ignores offsets under the Date header resolution', () => {
    const clock = frozenClock();
    const sc = new ServerClock(clock.now);
    sc.learn('https://a', new Date(clock.now() + 2000).toUTCString());
    expect(sc.measured('https://a')).toBe(2);
    expect(sc.applied('https://a')).toBe(0);
    sc.learn('https://a', 'not a date');
    expect(sc.applied('https://a')).toBe(0);
  });
});

describe('WWW-Authenticate parsing (RFC 9110 §11.6.1)', () => {
  it('parses several challenges, quoted strings with escapes and commas, tokens and token68', () => {
    expect(
      parseWwwAuthenticate(
        'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 PS256", Bearer realm="a, b"',
      ),
    ).toEqual([
      {
        scheme: 'DPoP',
        params: {
          error: 'use_dpop_nonce',
          error_description: 'Resource server requires nonce in DPoP proof',
          algs: 'ES256 PS256',
        },
      },
      { scheme: 'Bearer', params: { realm: 'a, b' } },
    ]);
    expect(parseWwwAuthenticate(['Bearer', 'dpop error=invalid_token, Basic realm="x\\"y"'])).toEqual([
      { scheme: 'Bearer', params: {} },
      { scheme: 'dpop', params: { error: 'invalid_token' } },
      { scheme: 'Basic', params: { realm: 'x"y' } },
    ]);
    expect(parseWwwAuthenticate('Negotiate abc+/==, Bearer')).toEqual([
      { scheme: 'Negotiate', params: {}, token68: 'abc+/==' },
      { scheme: 'Bearer', params: {} },
    ]);
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
    expect(parseWwwAuthenticate('=== garbage')).toEqual([]);
  });
});

describe('OAuth errors → FapiError (exit 5)', () => {
  it('keeps error and error_description verbatim and names the aud in the invalid_client hint', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/par`, () => ({
      status: 401,
      json: { error: 'invalid_client', error_description: 'client authentication failed' },
    }));
    const c = client(f, { assertionAudience: `${ISSUER}/par` });
    const ex = await c.sendToAs({ step: 'PAR', endpoint: 'pushed_authorization_request_endpoint', form: {} });
    const e = responseError(ex, c.hintContext());
    expect(e).toBeInstanceOf(FapiError);
    expect(e.kind).toBe('server');
    expect(e.exitCode).toBe(5);
    expect(e.code).toBe('E_OAUTH_INVALID_CLIENT');
    expect(e.oauth).toMatchObject({
      status: 401,
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
    expect(e.hint).toContain(`"${ISSUER}/par"`);
    expect(e.hint).toContain('FAPI2-SP §5.3.2.1-8');
    expect(e.hint).toContain('assertion_audience');
  });

  it('reads the error from an RS challenge and names redirect URI problems', async () => {
    const f = fakeHttp();
    f.on('GET', 'https://rs.example/x', () => ({
      status: 401,
      headers: { 'www-authenticate': 'DPoP error="invalid_token", error_description="token expired"' },
    }));
    f.on('POST', `${ISSUER}/par`, () => ({
      status: 400,
      json: { error: 'invalid_redirect_uri', error_description: 'redirect_uri not registered' },
    }));
    const c = client(f);
    const ex = await c.sendToResource({
      method: 'GET',
      url: 'https://rs.example/x',
      accessToken: 't',
      scheme: 'DPoP',
    });
    const e = responseError(ex, c.hintContext());
    expect(e.oauth?.error).toBe('invalid_token');
    expect(e.oauth?.error_description).toBe('token expired');
    expect(e.hint).toMatch(/fapi token refresh/);
    const par = await c.sendToAs({
      step: 'PAR',
      endpoint: 'pushed_authorization_request_endpoint',
      form: {},
    });
    const e2 = responseError(par, c.hintContext({ redirectUri: 'http://127.0.0.1:5555/cb' }));
    expect(e2.hint).toContain('http://127.0.0.1:5555/cb');
    expect(e2.hint).toContain('fapi register --redirect-uri');
  });

  it('describes a non-OAuth error answer by status and body', async () => {
    const f = fakeHttp();
    f.on('POST', `${ISSUER}/token`, () => ({ status: 502, text: '<html>Bad gateway</html>' }));
    const c = client(f);
    const e = responseError(await c.sendToAs({ step: 'token', endpoint: 'token_endpoint', form: {} }));
    expect(e.code).toBe('E_HTTP_502');
    expect(e.message).toContain('HTTP 502');
    expect(e.exitCode).toBe(5);
  });
});

describe('clock skew at the RS (CL-23)', () => {
  it('retries once when the first RS answer reveals the skew and refuses the proof', async () => {
    const clock = frozenClock();
    const f = fakeHttp();
    const serverNow = () => clock.seconds() - 400; // server 400 s behind: our iat is "in the future"
    f.on('GET', 'https://rs.example/a', (req) => {
      const p = decodeJwt(req.headers?.dpop as string);
      const headers = { date: new Date(serverNow() * 1000).toUTCString() };
      if ((p.payload.iat as number) > serverNow() + 10)
        return {
          status: 401,
          headers: {
            ...headers,
            'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat"',
          },
        };
      return { ...ok, headers };
    });
    const c = client(f, { now: clock.now });
    const ex = await c.sendToResource({
      method: 'GET',
      url: 'https://rs.example/a',
      accessToken: 't',
      scheme: 'DPoP',
    });
    expect(ex.response.status).toBe(200);
    expect(ex.attempts.map((a) => a.retry)).toEqual([undefined, 'clock_skew']);
    // A second refusal is not retried again.
    const f2 = fakeHttp();
    f2.on('GET', 'https://rs.example/a', () => ({
      status: 401,
      headers: {
        date: new Date(serverNow() * 1000).toUTCString(),
        'www-authenticate': 'DPoP error="invalid_dpop_proof"',
      },
    }));
    const c2 = client(f2, { now: clock.now, syncClock: false });
    await c2.sendToResource({ method: 'GET', url: 'https://rs.example/a', accessToken: 't', scheme: 'DPoP' });
    expect(f2.requests).toHaveLength(1); // --no-sync-clock: no correction, no retry
  });
});
