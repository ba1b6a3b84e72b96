/** Discovery: RFC 8414 / OIDD fetching, exact issuer match (CL-03, META-02), mTLS aliases (CL-05). */
import { describe, expect, it } from 'vitest';
import {
  discoverMetadata,
  endpoint,
  wellKnownUrls,
  type AuthorizationServerMetadata,
} from '../../../src/core/discovery.js';
import { FapiError } from '../../../src/errors.js';
import { makeResponse, type HttpClient, type HttpRequest } from '../../../src/http/client.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const ISS = 'https://as.example.com';
const NOW = 1_800_000_000_000;

type Route = { status: number; body?: unknown; headers?: Record<string, string> };

/** A fake HttpClient answering from a URL → response table; 404 for anything else. */
function fakeHttp(routes: Record<string, Route>): HttpClient & { calls: HttpRequest[] } {
  const calls: HttpRequest[] = [];
  const fn = async (req: HttpRequest) => {
    calls.push(req);
    const r = routes[req.url] ?? { status: 404, body: 'not found' };
    const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {});
    return makeResponse(
      req.url,
      r.status,
      { 'content-type': 'application/json', ...r.headers },
      Buffer.from(body),
    );
  };
  return Object.assign(fn, { calls });
}

const meta = (over: Partial<AuthorizationServerMetadata> = {}): AuthorizationServerMetadata => ({
  issuer: ISS,
  authorization_endpoint: `${ISS}/authorize`,
  token_endpoint: `${ISS}/token`,
  pushed_authorization_request_endpoint: `${ISS}/par`,
  ...over,
});

describe('well-known URLs (META-01, RFC 8414 §3.1)', () => {
  it('uses the host root for an issuer without a path', () => {
    expect(wellKnownUrls(ISS).map((x) => x.url)).toEqual([
      `${ISS}/.well-known/oauth-authorization-server`,
      `${ISS}/.well-known/openid-configuration`,
    ]);
  });

  it('inserts the RFC 8414 segment before the path and appends the OIDC one after it', () => {
    expect(wellKnownUrls('https://h.example:8443/tenant/a').map((x) => x.url)).toEqual([
      'https://h.example:8443/.well-known/oauth-authorization-server/tenant/a',
      'https://h.example:8443/tenant/a/.well-known/openid-configuration',
    ]);
  });

  it('drops a terminating slash before inserting', () => {
    expect(wellKnownUrls('https://h.example/tenant/').map((x) => x.url)).toEqual([
      'https://h.example/.well-known/oauth-authorization-server/tenant',
      'https://h.example/tenant/.well-known/openid-configuration',
    ]);
  });

  it('META-03: refuses http, query, fragment and non-URL issuers as usage errors', async () => {
    for (const bad of [
      'http://as.example.com',
      'https://as.example.com?x=1',
      'https://a.example#f',
      'nope',
    ]) {
      const e = expectFapiError(() => wellKnownUrls(bad));
      expect(e.code).toBe('E_ISSUER_INVALID');
      expect(e.kind).toBe('usage');
    }
  });
});

describe('discoverMetadata', () => {
  it('META-01: prefers RFC 8414 and does not fetch OIDC when it answers', async () => {
    const http = fakeHttp({
      [`${ISS}/.well-known/oauth-authorization-server`]: {
        status: 200,
        body: meta(),
        headers: { date: new Date(NOW + 120_000).toUTCString() },
      },
      [`${ISS}/.well-known/openid-configuration`]: { status: 200, body: meta({ token_endpoint: 'x' }) },
    });
    const r = await discoverMetadata(http, ISS, { now: () => NOW });
    expect(r.source).toBe('oauth-authorization-server');
    expect(r.url).toBe(`${ISS}/.well-known/oauth-authorization-server`);
    expect(r.metadata.token_endpoint).toBe(`${ISS}/token`);
    expect(r.serverDate).toBe(NOW / 1000 + 120);
    expect(r.fetchedAt).toBe(NOW / 1000);
    expect(http.calls).toHaveLength(1);
    expect(http.calls[0]?.method).toBe('GET');
    expect(http.calls[0]?.headers?.accept).toBe('application/json');
  });

  it('falls back to OpenID discovery on 404, on an HTML 200, and records the attempts', async () => {
    const http = fakeHttp({ [`${ISS}/.well-known/openid-configuration`]: { status: 200, body: meta() } });
    const r = await discoverMetadata(http, ISS);
    expect(r.source).toBe('openid-configuration');
    expect(r.attempts.map((a) => a.status)).toEqual([404, 200]);
    expect(r.attempts[0]?.problem).toBe('HTTP 404');
    expect(r.serverDate).toBeUndefined();

    const html = fakeHttp({
      [`${ISS}/.well-known/oauth-authorization-server`]: {
        status: 200,
        body: '<html>spa</html>',
        headers: { 'content-type': 'text/html' },
      },
      [`${ISS}/.well-known/openid-configuration`]: { status: 200, body: meta() },
    });
    const r2 = await discoverMetadata(html, ISS);
    expect(r2.source).toBe('openid-configuration');
    expect(r2.attempts[0]?.problem).toContain('not JSON (text/html)');
  });

  it('does not follow redirects and reports both failures (exit 5)', async () => {
    const http = fakeHttp({
      [`${ISS}/.well-known/oauth-authorization-server`]: {
        status: 302,
        headers: { location: 'https://evil.example/' },
      },
      [`${ISS}/.well-known/openid-configuration`]: { status: 500, body: 'boom' },
    });
    const e = await expectFapiError(discoverMetadata(http, ISS));
    expect(e.code).toBe('E_DISCOVERY_FAILED');
    expect(e.exitCode).toBe(5);
    expect(e.message).toContain('HTTP 302 redirect to https://evil.example/ (not followed)');
    expect(e.message).toContain('HTTP 500');
    expect(http.calls).toHaveLength(2);
  });

  it('CL-03 / META-02: a trailing-slash or case drift in issuer aborts with E_ISSUER_MISMATCH (exit 6)', async () => {
    for (const drift of [
      `${ISS}/`,
      'https://AS.example.com',
      'https://as.example.com:443',
      'https://evil.example',
    ]) {
      const http = fakeHttp({
        [`${ISS}/.well-known/oauth-authorization-server`]: { status: 200, body: meta({ issuer: drift }) },
        [`${ISS}/.well-known/openid-configuration`]: { status: 200, body: meta() },
      });
      const e = await expectFapiError(discoverMetadata(http, ISS));
      expect(e.code).toBe('E_ISSUER_MISMATCH');
      expect(e.kind).toBe('nonConformant');
      expect(e.exitCode).toBe(6);
      expect(e.details).toMatchObject({ expected: ISS, received: drift });
      // Aborts at once: the OIDC document (which would match) is never fetched.
      expect(http.calls).toHaveLength(1);
    }
  });

  it('CL-03: a document without an issuer is a mismatch too', async () => {
    const body = meta();
    delete (body as Partial<AuthorizationServerMetadata>).issuer;
    const http = fakeHttp({ [`${ISS}/.well-known/oauth-authorization-server`]: { status: 200, body } });
    const e = await expectFapiError(discoverMetadata(http, ISS));
    expect(e.code).toBe('E_ISSUER_MISMATCH');
    expect(e.hint).toContain('no valid issuer');
  });

  it('matches an issuer with a path exactly, via the inserted RFC 8414 URL', async () => {
    const iss = 'https://h.example/t1';
    const http = fakeHttp({
      'https://h.example/.well-known/oauth-authorization-server/t1': {
        status: 200,
        body: meta({ issuer: iss }),
      },
    });
    const r = await discoverMetadata(http, iss);
    expect(r.metadata.issuer).toBe(iss);
  });

  it('lets network and TLS errors through without trying the second URL', async () => {
    const calls: string[] = [];
    const http: HttpClient = async (req) => {
      calls.push(req.url);
      throw new FapiError('E_TLS', 'tls failed', { kind: 'network' });
    };
    const e = await expectFapiError(discoverMetadata(http, ISS));
    expect(e.code).toBe('E_TLS');
    expect(calls).toHaveLength(1);
  });
});

describe('endpoint()', () => {
  const m = meta({
    introspection_endpoint: `${ISS}/introspect`,
    mtls_endpoint_aliases: {
      token_endpoint: 'https://mtls.as.example.com/token',
      pushed_authorization_request_endpoint: 'https://mtls.as.example.com/par',
    },
  });

  it('CL-05: uses mtls_endpoint_aliases when mTLS is in use, the plain endpoint otherwise', () => {
    expect(endpoint(m, 'token_endpoint', { mtls: true })).toBe('https://mtls.as.example.com/token');
    expect(endpoint(m, 'token_endpoint', { mtls: false })).toBe(`${ISS}/token`);
    expect(endpoint(m, 'pushed_authorization_request_endpoint', { mtls: true })).toBe(
      'https://mtls.as.example.com/par',
    );
  });

  it('CL-05: falls back to the plain endpoint when there is no alias for it', () => {
    expect(endpoint(m, 'introspection_endpoint', { mtls: true })).toBe(`${ISS}/introspect`);
  });

  it('never aliases the browser-facing authorization endpoint', () => {
    const a = meta({ mtls_endpoint_aliases: { authorization_endpoint: 'https://mtls.example/authz' } });
    expect(endpoint(a, 'authorization_endpoint', { mtls: true })).toBe(`${ISS}/authorize`);
  });

  it('names the missing metadata field; a missing FAPI endpoint is non-conformance', async () => {
    const e = expectFapiError(() => endpoint(meta(), 'registration_endpoint', { mtls: false }));
    expect(e.code).toBe('E_METADATA_MISSING_ENDPOINT');
    expect(e.message).toContain('registration_endpoint');
    expect(e.kind).toBe('server');
    expect(e.hint).toContain('fapi profile create');
    const par = meta();
    delete par.pushed_authorization_request_endpoint;
    const e2 = expectFapiError(() => endpoint(par, 'pushed_authorization_request_endpoint', { mtls: true }));
    expect(e2.kind).toBe('nonConformant');
    expect(e2.message).toContain('pushed_authorization_request_endpoint');
  });

  it('refuses http and non-URL endpoints, naming the alias field when it came from one', async () => {
    const bad = meta({
      token_endpoint: 'http://as.example.com/token',
      mtls_endpoint_aliases: { token_endpoint: 'not a url' },
    });
    const e = expectFapiError(() => endpoint(bad, 'token_endpoint', { mtls: false }));
    expect(e.code).toBe('E_METADATA_NOT_TLS');
    expect(e.message).toContain('token_endpoint');
    const e2 = expectFapiError(() => endpoint(bad, 'token_endpoint', { mtls: true }));
    expect(e2.code).toBe('E_METADATA_INVALID');
    expect(e2.message).toContain('mtls_endpoint_aliases.token_endpoint');
  });
});
