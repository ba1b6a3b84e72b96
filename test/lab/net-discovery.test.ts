/** NET-* (TLS, HTTP hygiene) and META-* (discovery) against one strict lab. */
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFapiKeyStrength } from '../../src/core/jwk.js';
import { json, postForm, postJson, startTestLab, type TestLab } from './helpers.js';
import { FAPI_ALGS } from '../../src/core/fapi.js';

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab();
});
afterAll(() => t.close());

function handshake(
  port: number,
  o: {
    minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
    maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
    ciphers?: string;
  },
): Promise<{ ok: boolean; protocol?: string; cipher?: string; error?: string }> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: [t.ca], servername: 'localhost', ...o });
    s.once('secureConnect', () => {
      const r = { ok: true, protocol: s.getProtocol() ?? undefined, cipher: s.getCipher().standardName };
      s.destroy();
      resolve(r);
    });
    s.once('error', (e) => resolve({ ok: false, error: e.message }));
  });
}

describe('network and TLS', () => {
  it('NET-01: only TLS: a plaintext HTTP request gets no HTTP answer; every metadata URL is https', async () => {
    const port = t.lab.ports.as;
    const answer = await new Promise<string>((resolve) => {
      const s = netConnect(port, '127.0.0.1', () =>
        s.write('GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let data = '';
      s.on('data', (d) => (data += d.toString('latin1')));
      s.on('close', () => resolve(data));
      s.on('error', () => resolve(data));
      setTimeout(() => s.destroy(), 2000);
    });
    expect(answer).not.toMatch(/^HTTP\/1\.[01] 200/);
    const m = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/openid-configuration` }));
    const urls = JSON.stringify(m).match(/"[a-z]+:\/\/[^"]+"/g) ?? [];
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u.startsWith('"https://')).toBe(true);
  });

  it('NET-02: TLS 1.0 and 1.1 are refused, TLS 1.2 is accepted', async () => {
    for (const port of Object.values(t.lab.ports)) {
      expect(
        (
          await handshake(port, {
            minVersion: 'TLSv1',
            maxVersion: 'TLSv1.1',
            ciphers: 'DEFAULT:@SECLEVEL=0',
          })
        ).ok,
      ).toBe(false);
      const ok = await handshake(port, { maxVersion: 'TLSv1.2' });
      expect(ok).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
    }
  });

  it('NET-03: TLS 1.3 is preferred when the client offers it', async () => {
    expect(await handshake(t.lab.ports.as, {})).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });

  it('NET-04/NET-05: TLS 1.2 negotiates only BCP195-recommended suites; DHE and CBC suites fail', async () => {
    for (const port of Object.values(t.lab.ports)) {
      expect(
        await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
      ).toMatchObject({
        ok: true,
        cipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      });
      expect(
        (await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256' })).ok,
      ).toBe(false);
      expect((await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' })).ok).toBe(
        false,
      );
      expect((await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' })).ok).toBe(false);
    }
  });

  it('NET-06: browser-facing pages send HSTS', async () => {
    const r = await t.http({ method: 'GET', url: `${t.lab.issuer}/authorize` });
    expect(r.header('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it('NET-07: no CORS on the authorization endpoint', async () => {
    for (const method of ['GET', 'OPTIONS']) {
      const r = await t.http({
        method,
        url: `${t.lab.issuer}/authorize`,
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      });
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('NET-10: mTLS aliases live on their own listener, which requests client certificates; the AS does not', async () => {
    const m = json(
      await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/oauth-authorization-server` }),
    );
    const aliases = m.mtls_endpoint_aliases as Record<string, string>;
    expect(aliases.token_endpoint).toBe(`${t.lab.mtls}/token`);
    expect(aliases.pushed_authorization_request_endpoint).toBe(`${t.lab.mtls}/par`);
    expect(t.lab.mtls).not.toBe(t.lab.issuer);
    // Without a certificate the mTLS handshake still succeeds and the lab answers with an OAuth
    // error (MT-09); whether a certificate is seen is covered by the mTLS client-auth tests.
    const noCert = await postForm(t.http, `${t.lab.mtls}/token`, {
      grant_type: 'client_credentials',
      client_id: 'nobody',
    });
    expect(noCert.status).toBe(401);
    expect(json(noCert).error).toBe('invalid_client');
  });

  it('answers bad input with 4xx JSON, never 500: bad JSON, bad form, too large (413), wrong method (405), unknown path (404)', async () => {
    const badJson = await t.http({
      method: 'POST',
      url: `${t.lab.issuer}/register`,
      headers: { 'content-type': 'application/json' },
      body: '{"redirect_uris": [',
    });
    expect(badJson.status).toBe(400);
    expect(json(badJson).error).toBe('invalid_request');
    const big = await postForm(t.http, `${t.lab.issuer}/token`, { x: 'a'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect(json(big).error).toBe('invalid_request');
    const xml = await t.http({
      method: 'POST',
      url: `${t.lab.issuer}/token`,
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(xml.status).toBe(415);
    const get = await t.http({ method: 'GET', url: `${t.lab.issuer}/par` });
    expect(get.status).toBe(405);
    expect(get.header('allow')).toBe('POST');
    const none = await t.http({ method: 'GET', url: `${t.lab.issuer}/nope` });
    expect(none.status).toBe(404);
    const proto = await postJson(t.http, `${t.lab.issuer}/register`, JSON.parse('{"__proto__": {"x": 1}}'));
    expect(proto.status).toBeLessThan(500);
  });
});

describe('discovery metadata', () => {
  let m: Record<string, unknown>;
  beforeAll(async () => {
    const r = await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/oauth-authorization-server` });
    expect(r.status).toBe(200);
    m = json(r);
  });

  it('META-01: served at both well-known locations as JSON', async () => {
    const o = await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/openid-configuration` });
    expect(o.status).toBe(200);
    expect(o.header('content-type')).toMatch(/^application\/json/);
    expect(json(o)).toEqual(m);
  });

  it('META-02/META-03: issuer is byte-identical to the URL, https, no query or fragment', () => {
    expect(m.issuer).toBe(t.lab.issuer);
    const u = new URL(m.issuer as string);
    expect(u.protocol).toBe('https:');
    expect(u.search + u.hash).toBe('');
    expect((m.issuer as string).endsWith('/')).toBe(false);
  });

  it('META-04..07, META-11: PAR required, code only, S256 only, iss supported, no password/implicit', () => {
    expect(m.pushed_authorization_request_endpoint).toBe(`${t.lab.issuer}/par`);
    expect(m.require_pushed_authorization_requests).toBe(true);
    expect(m.response_types_supported).toEqual(['code']);
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.authorization_response_iss_parameter_supported).toBe(true);
    expect(m.grant_types_supported).not.toContain('password');
    expect(m.grant_types_supported).not.toContain('implicit');
  });

  it('META-08/META-09/META-10: FAPI auth methods and algorithms, DPoP algs, mTLS-bound tokens', () => {
    expect(m.token_endpoint_auth_methods_supported).toEqual([
      'private_key_jwt',
      'tls_client_auth',
      'self_signed_tls_client_auth',
    ]);
    for (const a of m.token_endpoint_auth_signing_alg_values_supported as string[])
      expect(FAPI_ALGS).toContain(a);
    expect((m.dpop_signing_alg_values_supported as string[]).length).toBeGreaterThan(0);
    for (const a of m.dpop_signing_alg_values_supported as string[]) expect(FAPI_ALGS).toContain(a);
    expect(m.tls_client_certificate_bound_access_tokens).toBe(true);
  });

  it('META-12: the JWKS is served over TLS with strong keys and distinct kids, no x5u/jku', async () => {
    expect(m.jwks_uri).toBe(`${t.lab.issuer}/jwks`);
    const jwks = json(await t.http({ method: 'GET', url: m.jwks_uri as string })) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    const kids = jwks.keys.map((k) => k.kid);
    expect(new Set(kids).size).toBe(kids.length);
    for (const k of jwks.keys) {
      expect(() => assertFapiKeyStrength(k as never)).not.toThrow();
      expect(k.d).toBeUndefined();
      expect(k.x5u).toBeUndefined();
    }
  });

  it('META-13: OpenID Connect metadata uses FAPI algorithms and has openid, subject types', () => {
    for (const a of m.id_token_signing_alg_values_supported as string[]) expect(FAPI_ALGS).toContain(a);
    expect(m.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'offline_access', 'accounts', 'payments']),
    );
    expect(m.subject_types_supported).toEqual(['public']);
  });

  it('META-14: advertises the registration endpoint and the endpoints of every module', () => {
    expect(m.registration_endpoint).toBe(`${t.lab.issuer}/register`);
    expect(m.token_endpoint).toBe(`${t.lab.issuer}/token`);
    expect(m.authorization_endpoint).toBe(`${t.lab.issuer}/authorize`);
  });
});
