/**
 * The text of `fapi conform server`: the check list (`--list`), the plan line, one line per check
 * (ID, title, result, the evidence, the spec section) grouped by variant, and the summary; and the
 * `--json` object of the output contract. Pure: data in, lines out.
 */
import { conformanceError, type FapiError } from '../errors.js';
import type { NotChecked } from '../conform/not-checked.js';
import type { ConformReport, RunEvent } from '../conform/runner.js';
import {
  GROUPS,
  variantLabel,
  type Check,
  type CheckResult,
  type ResultWord,
  type Summary,
  type Variant,
} from '../conform/types.js';
import type { Palette } from './output.js';

const MARK: Record<ResultWord, (c: Palette) => string> = {
  passed: (c) => c.green('✔'),
  failed: (c) => c.red('✖'),
  warning: (c) => c.yellow('!'),
  skipped: (c) => c.dim('–'),
  'expected-failure': (c) => c.yellow('✖'),
};

const WORD: Record<ResultWord, (c: Palette, w: string) => string> = {
  passed: (c, w) => c.green(w),
  failed: (c, w) => c.red(w),
  warning: (c, w) => c.yellow(w),
  skipped: (c, w) => c.dim(w),
  'expected-failure': (c, w) => c.yellow(w),
};

/**
 * `--list`: every check with its level and spec, grouped; then the catalogue rows not checked
 * (those the selection names), each with the reason.
 */
export function listLines(
  checks: readonly Check[],
  c: Palette,
  notChecked: readonly NotChecked[] = [],
): string[] {
  const out: string[] = [];
  let group = '';
  for (const k of checks) {
    if (k.group !== group) {
      group = k.group;
      out.push('', c.bold(GROUPS[k.group]));
    }
    const scope = k.needs.scope === 'server' ? 'once per server' : variantNeeds(k);
    out.push(`  ${k.id.padEnd(24)} ${k.level.padEnd(6)} ${k.title}`);
    out.push(c.dim(`  ${''.padEnd(24)} ${''.padEnd(6)} ${k.spec}${scope ? ` · ${scope}` : ''}`));
  }
  if (notChecked.length) {
    out.push('', c.bold('not checked, and why'));
    for (const n of notChecked) out.push(`  ${n.id.padEnd(24)} ${n.partly ? 'in part: ' : ''}${n.reason}`);
  }
  out.push('', `${checks.length} checks.`);
  return out.slice(1);
}

function variantNeeds(k: Check): string {
  const n = k.needs;
  const bits: string[] = [];
  if (n.auth) bits.push(n.auth.join('/'));
  if (n.sender) bits.push(n.sender);
  if (n.logins) bits.push(`${n.logins} login${n.logins > 1 ? 's' : ''}`);
  if (n.rs) bits.push('--rs');
  if (n.rsScope) bits.push('--rs-scope');
  if (n.payments)
    bits.push(`--rs-payment (real payments: ${n.payments.sent} sent, ${n.payments.executed} to be executed)`);
  if (n.dcr) bits.push('registration');
  if (n.slow) bits.push('--slow');
  return bits.join(', ');
}

export const listJson = (checks: readonly Check[], notChecked: readonly NotChecked[] = []) => ({
  checks: checks.map((k) => ({
    id: k.id,
    title: k.title,
    level: k.level,
    group: k.group,
    spec: k.spec,
    scope: k.needs.scope ?? 'variant',
  })),
  not_checked: notChecked.map((n) => ({ id: n.id, ...(n.partly ? { partly: true } : {}), reason: n.reason })),
});

/** The line shown before the run: what runs and how many logins it takes. */
export function planLines(
  e: Extract<RunEvent, { type: 'plan' }>,
  issuer: string,
  browser: string,
  c: Palette,
): string[] {
  const out = [
    `${c.bold('fapi conform server')} ${issuer}: ${e.checks} checks, ${e.variants.length} variant${e.variants.length === 1 ? '' : 's'}${e.variants.length ? ` (${e.variants.map(variantLabel).join(', ')})` : ''}`,
    `  ${e.logins} login${e.logins === 1 ? '' : 's'} (${browser === 'follow' ? '--browser follow: fapi follows the redirects itself' : `one at a time in ${browser}${e.denials ? `; in ${e.denials} of them press Cancel or Deny instead, when asked` : ''}`})`,
  ];
  // The RS RAR checks (RAR-08, RAR-09) make real payments: said before anything is sent.
  if (e.payments)
    out.push(
      c.yellow(
        `  ! real payments: ${e.payments.sent} payment request${e.payments.sent === 1 ? '' : 's'} to ${e.payments.url} (${e.payments.each} each), ${e.payments.executed} of them executed by a server that follows the rules; point --rs-payment at a sandbox`,
      ),
    );
  for (const s of e.skippedVariants)
    out.push(c.dim(`  variant ${variantLabel(s.variant)} not run: ${s.reason}`));
  return out;
}

/** One line per check: mark, ID, title, result, evidence, spec. */
export function resultLine(r: CheckResult, c: Palette): string {
  return `  ${MARK[r.result](c)} ${r.id.padEnd(24)} ${r.title} — ${WORD[r.result](c, r.result)}: ${r.detail} ${c.dim(`[${r.level} ${r.spec}]`)}`;
}

const sameVariant = (a: Variant | null, b: Variant | null) =>
  (a === null && b === null) || (a !== null && b !== null && a.auth === b.auth && a.sender === b.sender);

/** The report: results grouped by variant, then the summary. */
export function reportLines(report: ConformReport, c: Palette): string[] {
  const out: string[] = [];
  let current: Variant | null | undefined;
  for (const r of report.results) {
    if (current === undefined || !sameVariant(current, r.variant)) {
      current = r.variant;
      out.push('', c.bold(r.variant ? `variant ${variantLabel(r.variant)}` : 'server (all variants)'));
    }
    out.push(resultLine(r, c));
  }
  out.push('', ...summaryLines(report, c));
  return out.slice(1);
}

/** The counts of a summary line ("3 passed, 0 failed, 1 warning, 2 skipped"), for the server and the client runs. */
export function summaryCounts(s: Summary, c: Palette): string {
  return [
    c.green(`${s.passed} passed`),
    s.failed ? c.red(`${s.failed} failed`) : `${s.failed} failed`,
    s.warnings ? c.yellow(`${s.warnings} warning${s.warnings === 1 ? '' : 's'}`) : '0 warnings',
    `${s.skipped} skipped`,
    ...(s.expected_failures
      ? [c.yellow(`${s.expected_failures} expected failure${s.expected_failures === 1 ? '' : 's'}`)]
      : []),
  ].join(', ');
}

/** The IDs of the failed checks or modules, each once, in the order of the results. */
export function failedIds(results: readonly Pick<CheckResult, 'id' | 'result'>[]): string[] {
  return [...new Set(results.filter((r) => r.result === 'failed').map((r) => r.id))];
}

export function summaryLines(report: ConformReport, c: Palette): string[] {
  const ok = report.summary.failed === 0;
  const out = [
    `${ok ? c.green('✔') : c.red('✖')} ${report.issuer}: ${summaryCounts(report.summary, c)} in ${report.variants.length} variant${report.variants.length === 1 ? '' : 's'} (${(report.duration_ms / 1000).toFixed(1)} s)`,
  ];
  for (const n of report.notes) out.push(c.dim(`  ${n}`));
  for (const s2 of report.skippedVariants)
    out.push(c.dim(`  variant ${variantLabel(s2.variant)} not run: ${s2.reason}`));
  const cl = report.clients;
  if (cl.kept.length)
    out.push(
      `  kept ${cl.kept.length} test client${cl.kept.length === 1 ? '' : 's'} (--keep): ${cl.kept.map((k) => k.clientId).join(', ')}`,
    );
  else if (cl.deleted)
    out.push(c.dim(`  ${cl.deleted} test client${cl.deleted === 1 ? '' : 's'} deleted (RFC 7592)`));
  for (const l of cl.left) out.push(c.yellow(`  client ${l.clientId} could not be deleted: ${l.reason}`));
  if (!ok)
    out.push(
      c.dim(
        `  failed: ${failedIds(report.results).join(', ')}; \`--only ID -v\` shows every exchange of one check`,
      ),
    );
  return out;
}

/** What the `--json` object of a run is made of: a server run's or a client run's report. */
interface RunReport {
  variants: readonly Variant[];
  summary: Summary;
  results: readonly CheckResult[];
  duration_ms: number;
}

/**
 * The `--json` object of `fapi conform server` and `fapi conform client`: exactly the output
 * contract, after what was tested (`{ issuer }` or `{ client }`, the first member).
 */
export function runJson<S extends { issuer: string } | { client: string }>(subject: S, report: RunReport) {
  return {
    ...subject,
    variants: report.variants.map((v) => ({ auth: v.auth, sender: v.sender })),
    summary: report.summary,
    results: report.results.map((r) => ({
      id: r.id,
      title: r.title,
      variant: r.variant ? { auth: r.variant.auth, sender: r.variant.sender } : { auth: null, sender: null },
      result: r.result,
      spec: r.spec,
      detail: r.detail,
    })),
    duration_ms: report.duration_ms,
  };
}

/** The `--json` object of `fapi conform server`. */
export const reportJson = (report: ConformReport) => runJson({ issuer: report.issuer }, report);

/**
 * The error that ends a run with failed checks or modules (exit 6), or undefined when none failed
 * unexpectedly: one rule for `fapi conform server` and `fapi conform client`.
 */
export function conformanceFailure(
  results: readonly Pick<CheckResult, 'id' | 'result'>[],
  what: { noun: string; at: string; hint: string },
): FapiError | undefined {
  const failed = failedIds(results);
  if (!failed.length) return undefined;
  return conformanceError(
    'E_CONFORMANCE_FAILED',
    `${failed.length} ${what.noun}${failed.length === 1 ? '' : 's'} failed ${what.at}: ${failed.join(', ')}.`,
    what.hint,
    { failed },
  );
}
