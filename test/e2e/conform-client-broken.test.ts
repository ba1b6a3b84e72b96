/**
 * Does `fapi conform client` judge right? The Node example client passes every module; each
 * deliberately broken copy of it (one check switched off: test/fixtures/conform-client/
 * broken-client.mjs) is caught by the modules of that check and by no other. And openid-client, a
 * certified FAPI 2.0 relying party, with its defaults: what the plan finds is pinned here and
 * explained in README "Test your own client".
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, fapi } from '../helpers/cli.js';

interface Report {
  summary: { passed: number; failed: number; warnings: number; skipped: number };
  results: { id: string; result: string; detail: string }[];
}

async function run(args: string[], cmd: string[], env: Record<string, string> = {}) {
  const r = await fapi(['--json', 'conform', 'client', ...args, '--', ...cmd], { env, timeoutMs: 240_000 });
  const report = JSON.parse(r.stdout) as Report;
  const bad = Object.fromEntries(
    report.results
      .filter((x) => x.result !== 'passed' && x.result !== 'skipped')
      .map((x) => [x.id, x.result]),
  );
  const why = report.results
    .filter((x) => x.result !== 'passed' && x.result !== 'skipped')
    .map((x) => `${x.id}: ${x.detail}`)
    .join('\n');
  return { code: r.code, bad, why, report };
}

const BROKEN = ['node', path.join(ROOT, 'test/fixtures/conform-client/broken-client.mjs')];
const f = 'failed';
const w = 'warning';

/** Each check switched off, and the modules that must catch it (CL-12 and the signature ones are SHOULDs). */
const CASES: Record<string, Record<string, string>> = {
  none: {},
  'ignore-iss': { 'CL-11.iss-wrong': f, 'CL-11.iss-missing': f },
  'ignore-state': { 'CL-12.state-wrong': w, 'CL-12.state-missing': w },
  'skip-signature': { 'CL-20.sig-invalid': w },
  'any-aud': { 'CL-20.aud': f, 'CL-20.aud-missing': f, 'CL-20.secondary-aud': f },
  'ignore-nonce': { 'CL-20.nonce-wrong': f, 'CL-20.nonce-missing': f },
  'ignore-exp': { 'CL-20.exp-expired': f, 'CL-20.exp-missing': f },
  'accept-alg-none': { 'CL-20.alg-none': f },
  'any-tls-host': { 'CL-01': f },
};

describe('broken clients: each caught by its modules, and only by them', () => {
  for (const [check, expected] of Object.entries(CASES))
    it(
      check === 'none' ? 'the Node example client passes every module' : `a client that does ${check}`,
      async () => {
        const { code, bad, why } = await run(['--timeout', '10s'], BROKEN, { BROKEN_CHECK: check });
        expect(bad, why).toEqual(expected);
        expect(code).toBe(Object.values(expected).includes(f) ? 6 : 0);
      },
      240_000,
    );
  // An ecosystem that requires the SHOULDs (ID-token signatures for non-repudiation, state):
  // --strict holds them as MUSTs, and the same broken clients fail the run on those modules only.
  for (const check of ['ignore-state', 'skip-signature'])
    it(`--strict: a client that does ${check} fails the run, on its modules only`, async () => {
      const { code, bad, why } = await run(['--strict', '--timeout', '10s'], BROKEN, {
        BROKEN_CHECK: check,
      });
      expect(bad, why).toEqual(
        Object.fromEntries(Object.keys(CASES[check] as Record<string, string>).map((id) => [id, f])),
      );
      expect(code).toBe(6);
    }, 240_000);
  it('the evidence says what the broken client did', async () => {
    const { why } = await run(['--only', 'CL-01,CL-20.alg-none'], BROKEN, { BROKEN_CHECK: 'any-tls-host' });
    expect(why).toMatch(
      /^CL-01: the client sent requests over a TLS connection it should have refused: GET \/.well-known\/openid-configuration 200/,
    );
  }, 120_000);
});

/** With --introspection (FAPI_INTROSPECT=1): each check of the signed introspection response switched off. */
const INTROSPECTION_CASES: Record<string, Record<string, string>> = {
  none: {},
  'skip-introspection-signature': { 'MS-11.sig-invalid': f },
  'ignore-introspection-typ': { 'MS-11.typ-wrong': f },
  'any-introspection-aud': { 'MS-11.aud-wrong': f },
  'accept-unsigned-introspection': { 'MS-11.unsigned': f },
};

describe('broken signed-introspection checks (--introspection, MS-11): each caught by its module only', () => {
  for (const [check, expected] of Object.entries(INTROSPECTION_CASES))
    it(
      check === 'none'
        ? 'the Node example client passes every module with --introspection'
        : `a client that does ${check}`,
      async () => {
        const { code, bad, why, report } = await run(['--introspection', '--timeout', '10s'], BROKEN, {
          BROKEN_CHECK: check,
        });
        expect(bad, why).toEqual(expected);
        expect(report.summary.skipped).toBe(report.results.filter((x) => x.id.startsWith('MS-0')).length);
        expect(code).toBe(Object.values(expected).includes(f) ? 6 : 0);
        if (check !== 'none')
          expect(why).toMatch(
            /: the client called the resource after the bad introspection response: GET \/accounts/,
          );
      },
      240_000,
    );
});

describe('openid-client 6 as the client', () => {
  it('with its defaults: ID-token signatures unchecked (OIDC Core §3.1.3.7 (6)) and Node fetch offering DHE suites', async () => {
    const { code, bad, why, report } = await run(
      ['--jarm', '--jar', '--timeout', '10s'],
      ['node', path.join(ROOT, 'test/fixtures/conform-client/openid-client.mjs')],
    );
    // README "Test your own client" explains each.
    expect(bad, why).toEqual({ 'CL-20.sig-invalid': w, 'CL-20.kid-unknown': w, 'CL-02': w });
    // Its request objects at PAR (JAR, with --jar) meet FAPI2-MS §5.3.2: MS-07 and MS-07.typ pass.
    // The signed-introspection modules need --introspection (openid-client is not asked to run them).
    expect(report.summary).toMatchObject({ passed: 36, failed: 0, warnings: 3, skipped: 5 });
    expect(code).toBe(0);
    expect(why).toMatch(
      /CL-20.sig-invalid: the client used the tokens of the bad token response: GET \/accounts/,
    );
    expect(why).toMatch(/CL-02: the client sent requests over a TLS connection it should have refused/);
  }, 240_000);
  it('with enableNonRepudiationChecks it checks the ID-token signature: the CL-20 modules pass', async () => {
    const { bad, why } = await run(
      ['--only', 'CL-20'],
      ['node', path.join(ROOT, 'test/fixtures/conform-client/openid-client.mjs')],
      { FAPI_OIDC_NON_REPUDIATION: '1' },
    );
    expect(bad, why).toEqual({});
  }, 240_000);
});
