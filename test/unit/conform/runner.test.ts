import { describe, expect, it } from 'vitest';
import type { DiscoveryResult } from '../../../src/core/discovery.js';
import { checkLabel, planVariants, resultOf, runConformance } from '../../../src/conform/runner.js';
import { makeResponse, type HttpRequest } from '../../../src/http/client.js';
import { Skip, type Check, type Outcome } from '../../../src/conform/types.js';

const discovery = (metadata: Record<string, unknown>): DiscoveryResult => ({
  metadata: { issuer: 'https://as.example', ...metadata },
  source: 'oauth-authorization-server',
  url: 'https://as.example/.well-known/oauth-authorization-server',
  fetchedAt: 0,
  attempts: [],
});

const check = (id: string, run: () => Promise<Outcome>, level: 'MUST' | 'SHOULD' = 'MUST'): Check => ({
  id,
  title: `check ${id}`,
  spec: 'RFC 0000',
  level,
  group: 'discovery',
  needs: { scope: 'server' },
  run,
});

describe('the run: every check on its own', () => {
  it('a check that throws or hangs fails alone; SHOULD failures warn; expected failures are reported as such', async () => {
    const checks = [
      check('T-01', () => Promise.reject(new Error('the server sent nonsense'))),
      check('T-02', () => new Promise<Outcome>(() => undefined)),
      check('T-03', () => Promise.resolve({ result: 'passed', detail: 'fine' })),
      check('T-04', () => Promise.resolve({ result: 'failed', detail: 'not quite' }), 'SHOULD'),
      check('T-05', () => Promise.resolve({ result: 'failed', detail: 'known' })),
      check('T-06', () => Promise.resolve({ result: 'passed', detail: 'fixed since' })),
      check('T-07', () => Promise.reject(new Skip('not offered'))),
    ];
    const report = await runConformance(
      {
        issuer: 'https://as.example',
        http: () => () => Promise.reject(new Error('no network in this test')),
        redirectUri: 'http://127.0.0.1:49152/callback',
        checks,
        expectedFailures: ['T-05', 'T-06'],
        timeoutMs: 20,
      },
      discovery({}),
    );
    expect(report.results.map((r) => [r.id, r.result, r.detail])).toEqual([
      ['T-01', 'failed', 'the server sent nonsense'],
      ['T-02', 'failed', 'no result within 0 s: the server did not answer in time'],
      ['T-03', 'passed', 'fine'],
      ['T-04', 'warning', 'not quite'],
      ['T-05', 'expected-failure', 'known'],
      ['T-06', 'warning', 'expected to fail, but passed: remove it from the file (fixed since)'],
      ['T-07', 'skipped', 'not offered'],
    ]);
    expect(report.summary).toEqual({ passed: 1, failed: 2, warnings: 2, skipped: 1, expected_failures: 1 });
    expect(report.results.every((r) => r.variant === null)).toBe(true);
  });

  it('--strict holds a SHOULD as a MUST; a peer that could not be judged fails a SHOULD even without it', () => {
    const should = { id: 'T-09', title: 't', spec: 'RFC 0000', level: 'SHOULD' as const, group: 'g' };
    const bad: Outcome = { result: 'failed', detail: 'no state check' };
    const never: Outcome = { result: 'failed', detail: 'the client made no request', unjudged: true };
    const of = (o: Outcome, strict: boolean, expected: string[] = []) =>
      resultOf(should, undefined, o, 1, expected, strict).result;
    expect([of(bad, false), of(bad, true), of(never, false), of(never, true)]).toEqual([
      'warning',
      'failed',
      'failed',
      'failed',
    ]);
    // An expected failure stays one under --strict; a MUST is failed either way.
    expect(of(bad, true, ['T-09'])).toBe('expected-failure');
    expect(resultOf({ ...should, level: 'MUST' }, undefined, bad, 1, [], false).result).toBe('failed');
  });

  it('--strict in a whole run: the SHOULD failure fails the run', async () => {
    const report = await runConformance(
      {
        issuer: 'https://as.example',
        http: () => () => Promise.reject(new Error('no network in this test')),
        redirectUri: 'http://127.0.0.1:49152/callback',
        checks: [check('T-04', () => Promise.resolve({ result: 'failed', detail: 'not quite' }), 'SHOULD')],
        strict: true,
        timeoutMs: 20,
      },
      discovery({}),
    );
    expect(report.results.map((r) => [r.id, r.result])).toEqual([['T-04', 'failed']]);
    expect(report.summary.failed).toBe(1);
  });
});

describe('-v: every exchange is labelled with the check (and variant) it belongs to', () => {
  it('the requests of a check carry its ID; those of concurrent checks do not mix', async () => {
    const seen: string[] = [];
    const http = () => async (req: HttpRequest) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(`${req.label ?? 'unlabelled'} ${new URL(req.url).pathname}`);
      return makeResponse(req.url, 200, {}, Buffer.from('{}'));
    };
    const probe = (id: string): Check => ({
      ...check(id, () => Promise.resolve({ result: 'passed', detail: '' })),
      async run(ctx) {
        for (const n of [1, 2])
          await ctx.raw(ctx.plain, { method: 'GET', url: `https://as.example/${id}/${n}` });
        return { result: 'passed', detail: '' };
      },
    });
    await runConformance(
      {
        issuer: 'https://as.example',
        http,
        redirectUri: 'http://127.0.0.1:49152/callback',
        checks: [probe('T-01'), probe('T-02')],
        timeoutMs: 1000,
      },
      discovery({}),
    );
    expect(seen.sort()).toEqual(['T-01 /T-01/1', 'T-01 /T-01/2', 'T-02 /T-02/1', 'T-02 /T-02/2']);
  });

  it('a check of a variant: its ID and the variant', () => {
    expect(checkLabel('CA-02.token-url', { auth: 'private_key_jwt', sender: 'dpop' })).toBe(
      'CA-02.token-url private_key_jwt+dpop',
    );
    expect(checkLabel('META-12', undefined)).toBe('META-12');
  });
});

describe('the variants', () => {
  const full = {
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'tls_client_auth', 'client_secret_basic'],
    dpop_signing_alg_values_supported: ['ES256'],
    tls_client_certificate_bound_access_tokens: true,
  };
  it('every FAPI combination the metadata offers; tls_client_auth only with a CA to issue certificates', () => {
    const { variants, skipped } = planVariants(discovery(full), {});
    expect(variants).toEqual([
      { auth: 'private_key_jwt', sender: 'dpop' },
      { auth: 'private_key_jwt', sender: 'mtls' },
    ]);
    expect(skipped.map((s) => `${s.variant.auth}+${s.variant.sender}`)).toEqual([
      'tls_client_auth+dpop',
      'tls_client_auth+mtls',
    ]);
    expect(skipped[0]?.reason).toContain('--client-ca-cert');
  });

  it('--auth and --sender choose; what the metadata does not offer is not run, with the reason', () => {
    const { variants, skipped } = planVariants(
      discovery({ ...full, tls_client_certificate_bound_access_tokens: false }),
      {
        auth: ['private_key_jwt', 'self_signed_tls_client_auth'],
        sender: ['mtls'],
      },
    );
    expect(variants).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual([
      'the metadata does not offer certificate-bound tokens (tls_client_certificate_bound_access_tokens)',
      'the metadata does not offer self_signed_tls_client_auth',
    ]);
  });
});

/** Colours off: the lines as a pipe or a CI log shows them. */
const id = (s: string) => s;
const plain = { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };

describe('without --rs the resource-server checks skip, and the summary says so', () => {
  const NOTE =
    'the resource-server checks were skipped: pass --rs URL (a protected resource that answers 2xx to a valid token)';
  const rsCheck = (): Check => ({
    ...check('T-RS', () => Promise.resolve({ result: 'passed', detail: 'the resource answered 200' })),
    needs: { scope: 'server', rs: true },
  });
  const run = (rs?: string[]) =>
    runConformance(
      {
        issuer: 'https://as.example',
        http: () => () => Promise.reject(new Error('no network in this test')),
        redirectUri: 'http://127.0.0.1:49152/callback',
        ...(rs ? { rs } : {}),
        checks: [rsCheck(), check('T-01', () => Promise.resolve({ result: 'passed', detail: 'fine' }))],
        timeoutMs: 1000,
      },
      discovery({}),
    );

  it('each RS check is a result "skipped" with the reason; the human summary has the note; --json carries the skipped results', async () => {
    const { reportJson, reportLines } = await import('../../../src/cli/conform-output.js');
    const report = await run();
    expect(report.results.map((r) => [r.id, r.result, r.detail])).toEqual([
      ['T-RS', 'skipped', 'needs a protected resource: pass --rs URL'],
      ['T-01', 'passed', 'fine'],
    ]);
    expect(report.notes).toEqual([NOTE]);
    const text = reportLines(report, plain);
    expect(text).toContain(`  ${NOTE}`);
    expect(text.indexOf(`  ${NOTE}`)).toBe(
      text.findIndex((l) => l.startsWith('✔ https://as.example: 1 passed, 0 failed, 0 warnings, 1 skipped')) +
        1,
    );
    // --json is exactly the output contract: the skip and its reason are the RS checks' results.
    const json = reportJson(report);
    expect(Object.keys(json)).toEqual(['issuer', 'variants', 'summary', 'results', 'duration_ms']);
    expect(json.results[0]).toEqual({
      id: 'T-RS',
      title: 'check T-RS',
      variant: { auth: null, sender: null },
      result: 'skipped',
      spec: 'RFC 0000',
      detail: 'needs a protected resource: pass --rs URL',
    });
    expect(json.summary).toEqual({ passed: 1, failed: 0, warnings: 0, skipped: 1, expected_failures: 0 });
  });

  it('with --rs the RS checks run and there is no note', async () => {
    const { reportLines } = await import('../../../src/cli/conform-output.js');
    const report = await run(['https://rs.example/accounts']);
    expect(report.results.map((r) => [r.id, r.result])).toEqual([
      ['T-RS', 'passed'],
      ['T-01', 'passed'],
    ]);
    expect(report.notes).toEqual([]);
    expect(reportLines(report, plain).join('\n')).not.toContain('resource-server checks were skipped');
  });

  it('no note when no selected check needs a resource server', async () => {
    const report = await runConformance(
      {
        issuer: 'https://as.example',
        http: () => () => Promise.reject(new Error('no network in this test')),
        redirectUri: 'http://127.0.0.1:49152/callback',
        checks: [check('T-01', () => Promise.resolve({ result: 'passed', detail: 'fine' }))],
        timeoutMs: 1000,
      },
      discovery({}),
    );
    expect(report.notes).toEqual([]);
  });
});

describe('the scope the test clients ask for', () => {
  it('--scope wins; else every scope of scopes_supported, in its order; else openid', async () => {
    const { defaultScope } = await import('../../../src/conform/runner.js');
    const md = (m: Record<string, unknown>) => discovery(m).metadata;
    expect(defaultScope(md({ scopes_supported: ['openid', 'accounts', 'payments'] }))).toBe(
      'openid accounts payments',
    );
    expect(defaultScope(md({ scopes_supported: ['accounts'] }))).toBe('accounts');
    expect(defaultScope(md({}))).toBe('openid');
    expect(defaultScope(md({ scopes_supported: [] }))).toBe('openid');
    // Malformed metadata: not a list, or entries that are no scope-token (RFC 6749 §3.3).
    expect(defaultScope(md({ scopes_supported: 'openid accounts' }))).toBe('openid');
    expect(defaultScope(md({ scopes_supported: ['accounts', 7, 'two words', ''] }))).toBe('accounts');

    const seen: string[] = [];
    const probe: Check = {
      ...check('T-SC', () => Promise.resolve({ result: 'passed', detail: '' })),
      run: (ctx) => {
        seen.push(ctx.scope);
        return Promise.resolve({ result: 'passed', detail: ctx.scope });
      },
    };
    const base = {
      issuer: 'https://as.example',
      http: () => () => Promise.reject(new Error('no network in this test')),
      redirectUri: 'http://127.0.0.1:49152/callback',
      checks: [probe],
      timeoutMs: 1000,
    };
    await runConformance(base, discovery({ scopes_supported: ['openid', 'accounts'] }));
    await runConformance(
      { ...base, scope: 'payments' },
      discovery({ scopes_supported: ['openid', 'accounts'] }),
    );
    await runConformance(base, discovery({}));
    expect(seen).toEqual(['openid accounts', 'payments', 'openid']);
  });
});

describe('safety: the run talks to the issuer, the endpoints its metadata names and the --rs URLs only', () => {
  const metadata = {
    authorization_endpoint: 'https://as.example/authorize',
    // A real server may host an endpoint on another origin: its metadata names it, so it is its own.
    token_endpoint: 'https://token.as.example/token',
    jwks_uri: 'https://keys.as.example/jwks',
    mtls_endpoint_aliases: { token_endpoint: 'https://mtls.as.example/token' },
    service_documentation: 'https://docs.third-party.example/',
  };

  it('serverOrigins: the issuer, every *_endpoint, jwks_uri, the mTLS aliases, the --rs URLs; nothing else', async () => {
    const { serverOrigins } = await import('../../../src/conform/runner.js');
    expect(
      serverOrigins('https://as.example', discovery(metadata).metadata, [
        'https://rs.example:8443/accounts',
      ]).sort(),
    ).toEqual(
      [
        'https://as.example',
        'https://token.as.example',
        'https://keys.as.example',
        'https://mtls.as.example',
        'https://rs.example:8443',
      ].sort(),
    );
  });

  it('a request to any other origin (a URL from an answer) is not sent: that check fails saying so, the others run', async () => {
    const sent: string[] = [];
    const http = () => async (req: HttpRequest) => {
      sent.push(req.url);
      return makeResponse(req.url, 200, {}, Buffer.from('{}'));
    };
    const get = (id: string, url: string): Check => ({
      ...check(id, () => Promise.resolve({ result: 'passed', detail: '' })),
      async run(ctx) {
        const a = await ctx.raw(ctx.plain, { method: 'GET', url });
        return a.response
          ? { result: 'passed', detail: `GET ${url} → ${a.response.status}` }
          : { result: 'failed', detail: `GET ${url} → no HTTP answer (${a.transport})` };
      },
    });
    const report = await runConformance(
      {
        issuer: 'https://as.example',
        http,
        redirectUri: 'http://127.0.0.1:49152/callback',
        rs: ['https://rs.example:8443/accounts'],
        checks: [
          get('T-01', 'https://token.as.example/token'),
          get('T-02', 'https://mtls.as.example/token'),
          get('T-03', 'https://rs.example:8443/other'),
          get('T-04', 'https://clients.third-party.example/register/abc'),
          get('T-05', 'https://docs.third-party.example/'),
          get('T-06', 'https://as.example:444/token'),
        ],
        timeoutMs: 1000,
      },
      discovery(metadata),
    );
    expect(sent.sort()).toEqual([
      'https://mtls.as.example/token',
      'https://rs.example:8443/other',
      'https://token.as.example/token',
    ]);
    const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
    for (const idOk of ['T-01', 'T-02', 'T-03']) expect(byId[idOk]?.result, idOk).toBe('passed');
    expect(byId['T-04']).toMatchObject({
      result: 'failed',
      detail:
        "GET https://clients.third-party.example/register/abc → no HTTP answer (GET https://clients.third-party.example/register/abc not sent: https://clients.third-party.example is neither the issuer's, nor an endpoint's of its metadata, nor an --rs URL's (fapi conform server talks to those only))",
    });
    expect(byId['T-05']?.result).toBe('failed');
    expect(byId['T-06']?.detail).toContain('not sent: https://as.example:444 is neither');
  });
});
