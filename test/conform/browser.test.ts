/**
 * user-rejects-authentication (AZ-02.user-rejects) with a real browser: headless Chromium
 * (test/helpers/chromium-browser.mjs with FAPI_TEST_DECISION=asked) logs in on the lab's real login
 * page, approving every login but the one whose client name asks to press Cancel or Deny, which it
 * denies. The strict lab answers access_denied with state and iss at the registered redirect URI;
 * a lab that drops iss (the no-iss relaxation, the iss-missing fault) or state fails the check. The
 * run says up front how many logins it takes and in how many to press Deny.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabConfig } from '../../lab/config.js';
import { browserAuthorizer, freeLoopbackPort } from '../../src/cli/conform-browser.js';
import { runConformance, type RunEvent } from '../../src/conform/runner.js';
import { ROOT } from '../helpers/cli.js';
import { startTestLab } from '../lab/helpers.js';
import { conformOptions, label } from './helpers.js';

const BROWSER = `FAPI_TEST_DECISION=asked node ${path.join(ROOT, 'test/helpers/chromium-browser.mjs')}`;

async function run(config: Partial<LabConfig>) {
  const t = await startTestLab({ autoApprove: false, ...config });
  const said: string[] = [];
  let plan: Extract<RunEvent, { type: 'plan' }> | undefined;
  try {
    const report = await runConformance(
      conformOptions(t, {
        only: ['AZ-02'],
        auth: ['private_key_jwt'],
        sender: ['dpop'],
        redirectUri: `http://127.0.0.1:${await freeLoopbackPort()}/callback`,
        authorizer: browserAuthorizer({
          command: BROWSER,
          timeoutMs: 30_000,
          total: () => plan?.logins ?? 0,
          say: (l) => said.push(l),
        }),
        onEvent: (e) => {
          if (e.type === 'plan') plan = e;
        },
      }),
    );
    const results = Object.fromEntries(
      report.results.map((r) => [`${r.id} [${label(r.variant)}]`, `${r.result}: ${r.detail}`]),
    );
    return { results, said, plan };
  } finally {
    await t.close();
  }
}

describe('AZ-02.user-rejects (user-rejects-authentication) in Chromium on the lab login page', () => {
  it('the strict lab: the cancelled login comes back with access_denied, state and iss; the run asked for one Deny', async () => {
    const { results, said, plan } = await run({});
    expect(results).toEqual({
      'AZ-02.user-rejects [server]': expect.stringMatching(
        /^passed: the cancelled login → the registered redirect URI with error=access_denied, the pushed state and iss "https:\/\/127\.0\.0\.1:\d+"$/,
      ),
      'AZ-02 [private_key_jwt+dpop]': expect.stringMatching(/^passed: /),
    });
    expect([plan?.logins, plan?.denials]).toEqual([3, 1]);
    expect(said.filter((l) => l.includes('press Cancel or Deny'))).toHaveLength(1);
    expect(said.find((l) => l.includes('press Cancel or Deny'))).toMatch(
      /^login \d of 3: opening the browser \(.*chromium-browser\.mjs\); this time press Cancel or Deny there, do not approve \(user-rejects-authentication\)$/,
    );
  }, 120_000);

  it('relax no-iss: the error response has no iss either, and the check fails', async () => {
    const { results } = await run({ relax: ['no-iss'] });
    expect(results['AZ-02.user-rejects [server]']).toBe(
      'failed: the cancelled login → the registered redirect URI with error=access_denied and no iss parameter (RFC 9207 §2: every response)',
    );
    expect(results['AZ-02 [private_key_jwt+dpop]']).toMatch(
      /^failed: authorization response with a code and no iss/,
    );
  }, 120_000);

  it('faults iss-missing and state-wrong: the check fails, naming what is missing or wrong', async () => {
    const iss = await run({ faults: ['iss-missing'] });
    expect(iss.results['AZ-02.user-rejects [server]']).toMatch(/^failed: .* and no iss parameter/);
    const state = await run({ faults: ['state-wrong'] });
    expect(state.results['AZ-02.user-rejects [server]']).toBe(
      'failed: the cancelled login → the registered redirect URI with error=access_denied and another state (RFC 6749 §4.1.2.1)',
    );
  }, 180_000);
});
