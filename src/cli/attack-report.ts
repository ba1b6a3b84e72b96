/**
 * What `fapi lab attack` prints: the --list descriptions, each scenario's story step by step
 * (stderr), the report table or JSON (stdout) and the error when a defence did not hold. Text only:
 * the scenarios and their verdicts come from src/attacks.
 */
import { ATTACKERS } from '../attacks/types.js';
import type { ModeResult, PartyName, ScenarioInfo, ScenarioResult, StepResult } from '../attacks/types.js';
import { conformanceError, type FapiError } from '../errors.js';
import type { Palette } from './output.js';
import { table, wrap } from './text.js';

export const PARTY_LABEL: Record<PartyName, string> = {
  client: 'honest client',
  browser: "user's browser",
  attacker: 'attacker',
};

/** A scenario's description, for --list and --json --list. */
export function describe(s: ScenarioInfo) {
  return {
    id: s.id,
    title: s.title,
    attacker: s.attacker,
    tried: s.tried,
    story: s.story,
    defence: s.defence,
    rules: s.rules,
    relaxations: s.relax,
    runs_with_issuer: s.external,
  };
}

/** The --list lines of a scenario. */
export function listLines(c: Palette, s: ScenarioInfo): string[] {
  return [
    `${c.bold(s.id)} — ${s.title}`,
    ...wrap(s.story, 96).map((l) => `  ${l}`),
    `  attacker  ${s.attacker}: ${ATTACKERS[s.attacker]}`,
    ...wrap(`${s.defence}: ${s.rules.map((r) => `${r.id} (${r.spec})`).join(', ')}`, 86).map(
      (l, i) => `  ${i === 0 ? 'defence   ' : '          '}${l}`,
    ),
    `  relaxed   ${s.relax.join(', ')}${s.external ? '' : c.dim('   (lab only: not run with --issuer)')}`,
    '',
  ];
}

// ── the story: each scenario step by step, on stderr ─────────────────────────

/** The title line of a scenario's story. */
export function storyTitle(c: Palette, s: { id: string; title: string }): string {
  return `${c.bold(s.id)}: ${s.title}`;
}

/** The lines of each step as it comes: a header whenever the target changes, then the step. */
export function storyTeller(
  c: Palette,
  relax: readonly string[],
  fapi2Label: string,
): (step: StepResult) => string[] {
  let lastMode: string | undefined;
  return (step) => {
    const lines: string[] = [];
    if (step.mode !== lastMode) {
      lastMode = step.mode;
      lines.push(`  ${c.dim(modeHeader(step.mode, relax, fapi2Label))}`);
    }
    lines.push(stepLine(c, step));
    return lines;
  };
}

function modeHeader(mode: string, relax: readonly string[], fapi2Label: string): string {
  return mode === 'relaxed'
    ? `relaxed lab (${relax.join(', ')}): the defence is off`
    : `${fapi2Label}: the defence is on`;
}

function mark(c: Palette, step: StepResult): string {
  if (step.kind === 'skipped') return c.dim('–');
  const good = step.kind === 'setup' ? step.succeeded : step.expected;
  return good ? c.green('✔') : c.red('✖');
}

/** One step: "✔ thief replays the token, no proof      401 invalid_dpop_proof (DP-03)  ← stopped". */
export function stepLine(c: Palette, step: StepResult): string {
  const who = step.party === 'attacker' || step.kind !== 'attack' ? '' : `${PARTY_LABEL[step.party]}: `;
  const action = `${who}${step.action}`;
  let note = '';
  if (step.kind === 'attack') {
    if (step.mode === 'relaxed')
      note = step.succeeded ? c.yellow('← the attack works') : c.red('← the attack failed');
    else
      note = step.expected
        ? c.green('← stopped')
        : step.succeeded
          ? c.red('← NOT stopped')
          : c.red('← refused, but not by the rule');
  }
  const result = `${step.summary}${note ? `  ${note}` : ''}`;
  if (action.length > 64) return `    ${mark(c, step)} ${action}\n      ${' '.repeat(64)}${result}`;
  return `    ${mark(c, step)} ${action.padEnd(64)} ${result}`;
}

export function closingLine(c: Palette, r: ScenarioResult): string {
  if (r.ok) return `  ${c.green('stopped by:')} ${r.defence} — ${stoppedBy(r)}`;
  const bad = r.fapi2.verdict === 'defence-held' ? r.relaxed : r.fapi2;
  return `  ${c.red('✖')} ${bad.reason ?? bad.summary}`;
}

export function verdictWords(c: Palette, r: ScenarioResult): string {
  if (r.fapi2.verdict === 'skipped') return c.dim(`skipped: ${r.fapi2.reason ?? ''}`);
  if (r.ok)
    return `${c.yellow('worked')} where relaxed · ${c.green('stopped')} under FAPI 2.0 by ${r.stoppedBy.join(', ')}`;
  const bad = r.fapi2.verdict === 'defence-held' ? r.relaxed : r.fapi2;
  return c.red(bad.reason ?? bad.summary);
}

/** The observed checks with the spec sections the scenario cites for them. */
function stoppedBy(r: ScenarioResult): string {
  const spec = new Map(r.rules.map((x) => [x.id, x.spec]));
  const ids = r.stoppedBy.length ? r.stoppedBy : r.rules.map((x) => x.id);
  return ids.map((id) => (spec.has(id) ? `${id} (${spec.get(id)})` : id)).join(', ');
}

// ── the report: a table on stdout, or JSON ───────────────────────────────────

function statuses(r: ScenarioResult, mode: 'relaxed' | 'fapi2'): string {
  const s = [
    ...new Set(
      r.steps
        .filter((x) => x.mode === mode && x.kind === 'attack')
        .map((x) => (x.status !== undefined ? String(x.status) : x.error === undefined ? '' : x.error)),
    ),
  ].filter(Boolean);
  return s.length ? ` (${s.join(', ')})` : '';
}

function cell(r: ScenarioResult, m: ModeResult): string {
  switch (m.verdict) {
    case 'attack-worked':
      return `worked${statuses(r, 'relaxed')}`;
    case 'defence-held':
      return `stopped${statuses(r, 'fapi2')}`;
    case 'attack-failed':
      return '✖ did not work';
    case 'defence-failed':
      return '✖ NOT stopped';
    case 'error':
      return '✖ could not run';
    default:
      return 'skipped';
  }
}

export interface ReportOptions {
  ms: number;
  /** The FAPI 2.0 target: "FAPI 2.0 lab" or the issuer of --issuer. */
  fapi2: string;
  /** One or two scenarios: their stories were told, so no hint to run them one by one. */
  single: boolean;
}

/** The --json report. */
export function reportData(results: ScenarioResult[], o: ReportOptions) {
  const ran = results.filter((r) => r.fapi2.verdict !== 'skipped');
  const ok = ran.every((r) => r.ok);
  return {
    ok,
    ms: o.ms,
    fapi2_target: o.fapi2,
    scenarios: results.map((r) => ({
      id: r.id,
      title: r.title,
      attacker: r.attacker,
      tried: r.tried,
      defence: r.defence,
      rules: r.rules,
      relaxations: r.relaxations,
      ok: r.ok,
      relaxed: r.relaxed,
      fapi2: r.fapi2,
      stopped_by: r.stoppedBy,
      steps: r.steps,
      ms: r.ms,
    })),
  };
}

/** The human report: a table that fits `width`, and a summary line. */
export function reportLines(
  c: Palette,
  results: ScenarioResult[],
  o: ReportOptions,
  width: number,
): string[] {
  const ran = results.filter((r) => r.fapi2.verdict !== 'skipped');
  const ok = ran.every((r) => r.ok);
  const rows = results.map((r) => [
    r.id,
    r.tried,
    cell(r, r.relaxed),
    cell(r, r.fapi2),
    r.fapi2.verdict === 'skipped'
      ? (r.fapi2.reason ?? '')
      : r.ok
        ? stoppedBy(r)
        : ((r.fapi2.verdict === 'defence-held' ? r.relaxed : r.fapi2).reason ?? ''),
  ]);
  const lines = table(
    [
      'scenario',
      'what the attacker tried',
      'defence relaxed',
      o.fapi2 === 'FAPI 2.0 lab' ? 'under FAPI 2.0' : `at ${o.fapi2}`,
      'stopped by',
    ],
    rows,
    width,
    c,
    [12, 22, 12, 12, 20],
  );
  const held = ran.filter((r) => r.ok).length;
  const skipped = results.length - ran.length;
  lines.push(
    '',
    `${ok ? c.green('✔') : c.red('✖')} ${held} of ${ran.length} attack${ran.length === 1 ? '' : 's'} worked with the defence relaxed and ${ran.length === 1 ? 'was' : 'were'} stopped under FAPI 2.0${skipped ? `; ${skipped} skipped` : ''} (${(o.ms / 1000).toFixed(1)} s)`,
  );
  if (!o.single && ok)
    lines.push(
      c.dim(
        '  `fapi lab attack <scenario>` shows every step; `--list` explains each attack; `-v` shows every exchange',
      ),
    );
  return lines;
}

/** Exit 6: which defences did not hold, or which attacks could not be shown where relaxed. */
export function notStoppedError(
  results: ScenarioResult[],
  issuer: string | undefined,
): FapiError | undefined {
  const failed = results.filter((r) => !r.ok && r.fapi2.verdict !== 'skipped');
  if (!failed.length) return undefined;
  return conformanceError(
    'E_ATTACK_NOT_STOPPED',
    failed
      .map((r) =>
        r.fapi2.verdict === 'defence-failed'
          ? `${r.id}: the defence did not hold under FAPI 2.0 (${r.fapi2.reason ?? r.fapi2.summary}).`
          : r.relaxed.verdict !== 'attack-worked'
            ? `${r.id}: the attack could not be shown where its defence is relaxed (${r.relaxed.reason ?? r.relaxed.summary}), so it proves nothing.`
            : `${r.id}: ${r.fapi2.reason ?? r.fapi2.summary}.`,
      )
      .join(' '),
    issuer
      ? `${issuer} is not FAPI 2.0 conformant on these points; \`fapi -v lab attack ${failed.map((r) => r.id).join(' ')} --issuer ${issuer}\` shows every exchange.`
      : `\`fapi -v lab attack ${failed.map((r) => r.id).join(' ')}\` shows every exchange.`,
    { failed: failed.map((r) => r.id) },
  );
}
