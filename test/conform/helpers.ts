/**
 * `fapi conform server` against in-process labs: the lab of test/lab/helpers.ts (auto-approve, a
 * clock the test moves, so the checks that wait for expiry take no time), its CA trusted, its CA
 * key issuing tls_client_auth certificates, its RS as --rs, `--browser follow`.
 */
import { readFileSync } from 'node:fs';
import type { LabConfig } from '../../lab/config.js';
import { labPaths } from '../../lab/home.js';
import { ALL_CHECKS } from '../../src/conform/checks/index.js';
import { runConformance, type ConformOptions, type ConformReport } from '../../src/conform/runner.js';
import { selectChecks } from '../../src/conform/select.js';
import type { CheckResult, Variant } from '../../src/conform/types.js';
import { createHttpClient } from '../../src/http/client.js';
import { readPemPrivateKey } from '../../src/keys/generate.js';
import { startTestLab, type TestLab } from '../lab/helpers.js';

export const REDIRECT_URI = 'http://127.0.0.1:49152/callback';

export function conformOptions(
  t: TestLab,
  o: Partial<ConformOptions> & { only?: string[]; skip?: string[] } = {},
): ConformOptions {
  const { only, skip, ...rest } = o;
  return {
    issuer: t.lab.issuer,
    http: (cert) =>
      createHttpClient({
        ca: [t.ca],
        timeoutMs: 10_000,
        ...(cert ? { cert: cert.cert, key: cert.key } : {}),
      }),
    redirectUri: REDIRECT_URI,
    rs: [`${t.lab.rs}/accounts`],
    clientCa: { certPem: t.ca, privateKey: readPemPrivateKey(readFileSync(labPaths(t.home).caKey, 'utf8')) },
    checks: selectChecks(ALL_CHECKS, { only, skip }),
    allChecks: ALL_CHECKS,
    timeoutMs: 10_000,
    wait: async (s) => t.advance(s),
    slowConcurrency: 1,
    ...rest,
  };
}

export async function conformLab(
  config: Partial<LabConfig>,
  o: Partial<ConformOptions> & { only?: string[]; skip?: string[] } = {},
): Promise<{ report: ConformReport; lab: TestLab }> {
  const lab = await startTestLab(config);
  try {
    const report = await runConformance(conformOptions(lab, o));
    return { report, lab };
  } finally {
    await lab.close();
  }
}

export const label = (v: Variant | null) => (v ? `${v.auth}+${v.sender}` : 'server');

/** "ID [variant] result: detail" lines, for failure messages. */
export function lines(results: readonly CheckResult[]): string[] {
  return results.map((r) => `${r.id} [${label(r.variant)}] ${r.result}: ${r.detail}`);
}

export const notPassed = (rs: readonly CheckResult[]) =>
  rs.filter((r) => r.result !== 'passed' && r.result !== 'skipped');
