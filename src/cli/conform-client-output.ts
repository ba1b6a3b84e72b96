/**
 * The text of `fapi conform client`: the module list (`--list`, with the contract), the plan, one
 * line per module grouped as the plan runs (the lines of `fapi conform server`), the evidence of
 * the modules that did not pass (every module with -v), the summary, and the `--json` object (the
 * shape of `fapi conform server`, with `client` in place of `issuer`). Pure: data in, lines out.
 */
import { CONTRACT_VARIABLES } from '../conform/client/contract.js';
import { CLIENT_GROUPS, type ClientGroup, type ClientModule } from '../conform/client/modules.js';
import type { ClientReport, ClientResult } from '../conform/client/runner.js';
import { variantLabel, type Variant } from '../conform/types.js';
import { failedIds, resultLine, runJson, summaryCounts } from './conform-output.js';
import type { Palette } from './output.js';

/** `--list`: every module with what the lab does and what the client must do; then the contract. */
export function clientListLines(modules: readonly ClientModule[], c: Palette): string[] {
  const out: string[] = [];
  let group = '';
  for (const m of modules) {
    if (m.group !== group) {
      group = m.group;
      out.push('', c.bold(CLIENT_GROUPS[m.group]));
    }
    out.push(`  ${m.id.padEnd(26)} ${m.level.padEnd(6)} ${m.title}`);
    const pad = `  ${''.padEnd(26)} ${''.padEnd(6)} `;
    out.push(c.dim(`${pad}lab: ${m.lab}`));
    out.push(c.dim(`${pad}client: ${m.client}`));
    out.push(
      c.dim(
        `${pad}${m.spec}${m.oidf ? ` · OIDF ${m.oidf}` : ''}${m.needs?.sender ? ' · DPoP only' : ''}${m.needs?.jarm ? ' · --jarm' : ''}${m.needs?.jar ? ' · --jar' : ''}${m.needs?.introspection ? ' · --introspection' : ''}`,
      ),
    );
  }
  out.push(
    '',
    `${modules.length} modules.`,
    '',
    c.bold('The contract: the command runs once per module with'),
  );
  for (const [name, what] of CONTRACT_VARIABLES) out.push(`  ${name.padEnd(20)} ${what}`);
  out.push(
    '  It registers (or uses FAPI_CLIENT_ID), logs in with PAR + PKCE, gets tokens and calls FAPI_RESOURCE;',
    '  when the resource answers 401 invalid_token it refreshes and calls again. With FAPI_INTROSPECT=1 it',
    '  introspects its access token first, asking for a signed answer, and verifies it. Exit 0 when all went',
    '  well, non-zero when it refused something.',
  );
  return out.slice(1);
}

export const clientListJson = (modules: readonly ClientModule[]) => ({
  modules: modules.map((m) => ({
    id: m.id,
    title: m.title,
    level: m.level,
    group: m.group,
    kind: m.kind,
    spec: m.spec,
    oidf: m.oidf ?? null,
    lab: m.lab,
    client: m.client,
    needs: {
      sender: m.needs?.sender ?? null,
      jarm: m.needs?.jarm ?? false,
      jar: m.needs?.jar ?? false,
      introspection: m.needs?.introspection ?? false,
    },
  })),
  contract: Object.fromEntries(CONTRACT_VARIABLES),
});

export function clientPlanLines(
  o: { client: string; modules: number; variant: Variant; issuer: string; timeoutMs: number },
  c: Palette,
): string[] {
  return [
    `${c.bold('fapi conform client')} ${o.client}: ${o.modules} modules, variant ${variantLabel(o.variant)}`,
    c.dim(
      `  lab ${o.issuer}; the command runs once per module (timeout ${Math.round(o.timeoutMs / 1000)} s), judged by what the lab saw`,
    ),
  ];
}

/** The evidence under a module's line: the lab's requests, the exit, the end of stderr. */
export function evidenceLines(r: ClientResult, c: Palette): string[] {
  const v = r.verdict;
  if (!v) return [];
  const out = [c.dim(`      lab: ${v.requests.length ? v.requests.join(' · ') : 'no request'}`)];
  out.push(c.dim(`      ${v.exit}${v.stderr.length ? '; stderr:' : ''}`));
  for (const l of v.stderr) out.push(c.dim(`        ${l}`));
  return out;
}

/** The report: the results by group, the evidence where a module did not pass (or always with -v), the summary. */
export function clientReportLines(report: ClientReport, c: Palette, verbose: boolean): string[] {
  const out: string[] = [];
  let group: string | undefined;
  for (const r of report.results) {
    if (r.group !== group) {
      group = r.group;
      out.push('', c.bold(CLIENT_GROUPS[r.group as ClientGroup] ?? r.group));
    }
    out.push(resultLine({ ...r, detail: r.verdict?.reason ?? r.detail }, c));
    if (r.verdict && (verbose || (r.result !== 'passed' && r.result !== 'skipped')))
      out.push(...evidenceLines(r, c));
    if (verbose && r.output?.stdout.trim())
      for (const l of r.output.stdout.trimEnd().split('\n').slice(-10)) out.push(c.dim(`        out: ${l}`));
  }
  out.push('', ...clientSummaryLines(report, c));
  return out.slice(1);
}

export function clientSummaryLines(report: ClientReport, c: Palette): string[] {
  const ok = report.summary.failed === 0;
  const out = [
    `${ok ? c.green('✔') : c.red('✖')} ${report.client}: ${summaryCounts(report.summary, c)} (${(report.duration_ms / 1000).toFixed(1)} s)`,
    c.dim(
      `  the lab's own cost per module: switching ≤ ${report.overhead.switchMs} ms, judging ≤ ${report.overhead.judgeMs} ms`,
    ),
  ];
  if (!ok)
    out.push(
      c.dim(
        `  failed: ${failedIds(report.results).join(', ')}; \`--only ID -v\` shows the client's output too`,
      ),
    );
  return out;
}

/** The `--json` object: the output contract of `fapi conform server`, with `client` for `issuer`. */
export const clientReportJson = (report: ClientReport) => runJson({ client: report.client }, report);
