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
