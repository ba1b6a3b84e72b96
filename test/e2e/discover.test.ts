/** `fapi discover` end to end: the real binary against HTTPS servers with fixture metadata. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fapi, ROOT, tempHome } from '../helpers/cli.js';
import { startHttpsServer, type TestHttpsServer } from '../helpers/https-server.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'metadata', `${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >;

/** Rewrites every https://as.example.com / legacy.example.com URL of a fixture to the test server. */
function rebase(doc: Record<string, unknown>, origin: string): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(doc).replace(/https?:\/\/(?:mtls\.)?(?:as|legacy)\.example\.com/g, (m) =>
      m.startsWith('http:') ? origin.replace('https:', 'http:') : origin,
    ),
  ) as Record<string, unknown>;
}

let srv: TestHttpsServer;
const home = tempHome();
let metadata: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  srv = await startHttpsServer((req, origin) => {
    // /good, /legacy, /mismatch: issuers with a path, served at the RFC 8414 inserted URL.
    const m = /^\/\.well-known\/oauth-authorization-server\/(\w+)$/.exec(req.url);
    if (m?.[1] && metadata[m[1]])
      return { status: 200, body: metadata[m[1]], headers: { date: new Date().toUTCString() } };
    // /oidc-only: only OpenID discovery.
    if (req.url === '/oidc-only/.well-known/openid-configuration')
      return {
        status: 200,
        body: { ...rebase(fixture('fapi2-good'), origin), issuer: `${origin}/oidc-only` },
      };
    return undefined;
  });
  const o = srv.origin;
  metadata = {
    good: { ...rebase(fixture('fapi2-good'), o), issuer: `${o}/good` },
    legacy: { ...rebase(fixture('legacy-oauth'), o), issuer: `${o}/legacy` },
    mismatch: { ...rebase(fixture('fapi2-good'), o), issuer: `${o}/good` },
  };
});
afterAll(async () => {
  await srv?.close();
  home.cleanup();
});

const run = (args: string[]) => fapi(['--home', home.dir, '--ca', srv.caFile, ...args]);

describe('fapi discover', () => {
  it('META-01: prints the summary and a clean lint for conformant metadata; --strict exits 0', async () => {
    const r = await run(['discover', `${srv.origin}/good`, '--strict']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`issuer         ${srv.origin}/good`);
    expect(r.stdout).toContain(`par            ${srv.origin}/par (required)`);
    expect(r.stdout).toMatch(
      /mTLS aliases {3}https:\/\/127\.0\.0\.1:\d+: token, par, introspection, revocation/,
    );
    expect(r.stdout).toContain('sender         DPoP ES256 PS256 EdDSA, mTLS-bound tokens');
    expect(r.stdout).toContain('0 errors, 0 warnings: FAPI 2.0 metadata conformant');
  });

  it('lints a legacy server: findings with field and spec, exit 0 without --strict, 6 with it', async () => {
    const r = await run(['discover', `${srv.origin}/legacy`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /✖ code_challenge_methods_supported includes "plain".*FAPI2-SP §5\.3\.2\.2-5 \(META-06\)/,
    );
    expect(r.stdout).toMatch(/✖ token_endpoint_auth_methods_supported includes "client_secret_basic"/);
    expect(r.stdout).toMatch(/not FAPI 2\.0 conformant \(exit 6 with --strict\)/);
    const s = await run(['discover', `${srv.origin}/legacy`, '--strict']);
    expect(s.code).toBe(6);
    expect(s.stderr).toContain('is not FAPI 2.0 conformant');
  });

  it('--json prints one JSON value with the lint and the raw metadata; errors go to stderr as JSON', async () => {
    const r = await run(['--json', 'discover', `${srv.origin}/legacy`, '--strict']);
    expect(r.code).toBe(6);
    const out = JSON.parse(r.stdout) as {
      issuer: string;
      source: string;
      lint: { conformant: boolean; errors: number; findings: { field: string; id: string; spec: string }[] };
      summary: { pkce_methods: string[] };
      metadata: Record<string, unknown>;
      clock_skew_seconds: number;
    };
    expect(out.issuer).toBe(`${srv.origin}/legacy`);
    expect(out.source).toBe('oauth-authorization-server');
    expect(out.lint.conformant).toBe(false);
    expect(out.lint.errors).toBeGreaterThan(5);
    expect(out.lint.findings).toContainEqual(
      expect.objectContaining({ field: 'grant_types_supported', id: 'META-11' }),
    );
    expect(out.summary.pkce_methods).toEqual(['plain', 'S256']);
    expect(Math.abs(out.clock_skew_seconds)).toBeLessThan(5);
    expect((JSON.parse(r.stderr) as { error: { code: string } }).error.code).toBe('E_NOT_CONFORMANT');
  });

  it('CL-03 / META-02: an issuer mismatch aborts with exit 6 and names both values', async () => {
    const r = await run(['discover', `${srv.origin}/mismatch`]);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`has issuer "${srv.origin}/good", not "${srv.origin}/mismatch"`);
    expect(r.stderr).toContain('hint:');
  });

  it('falls back to OpenID discovery when RFC 8414 has nothing', async () => {
    const r = await run(['--json', 'discover', `${srv.origin}/oidc-only`]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { source: string }).source).toBe('openid-configuration');
  });

  it('exit 5 when no metadata exists, exit 4 without the CA, exit 2 for an http issuer', async () => {
    const none = await run(['discover', `${srv.origin}/nothing`]);
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('No authorization server metadata');
    const untrusted = await fapi(['--home', home.dir, 'discover', `${srv.origin}/good`]);
    expect(untrusted.code).toBe(4);
    expect(untrusted.stderr).toContain('--ca');
    const http = await run(['discover', 'http://127.0.0.1:1/x']);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('must use https');
  });
});
