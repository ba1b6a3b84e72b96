/**
 * `fapi lab attack [SCENARIO...]`: the attacks FAPI 2.0 exists to stop, played live (issue 5).
 * Each scenario of src/attacks runs once against a lab with its defence relaxed (the attack
 * works) and once against the strict FAPI 2.0 lab, or an external server with --issuer (the
 * defence holds). The labs run in-process on free loopback ports, in a temporary lab home.
 * Exit 0 only when every attack worked where relaxed and was stopped under FAPI 2.0; else 6.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conformanceError, stateError, usageError } from '../../errors.js';
import type { HttpClient, TraceEvent } from '../../http/client.js';
import type { Scenario } from '../../attacks/index.js';
import type {
  AttackEnv,
  AttackTarget,
  ModeResult,
  PartyName,
  ScenarioInfo,
  ScenarioResult,
  StepResult,
} from '../../attacks/types.js';
import type { CliContext } from '../context.js';
import type { Palette } from '../output.js';
import { runSteps, stepsMode, type Step } from '../steps.js';
import { table, wrap } from '../text.js';

const PARTY_LABEL: Record<PartyName, string> = {
  client: 'honest client',
  browser: "user's browser",
  attacker: 'attacker',
};

/** A scenario's description, for --list and --json --list. */
function describe(s: ScenarioInfo) {
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

export async function run(ctx: CliContext, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const [{ SCENARIOS, findScenario }, { ATTACKERS }, { skippedResult }] = await Promise.all([
    import('../../attacks/index.js'),
    import('../../attacks/types.js'),
    import('../../attacks/harness.js'),
  ]);
  const unknown = args.filter((a) => !findScenario(a));
  if (unknown.length)
    throw usageError(
      'E_UNKNOWN_SCENARIO',
      `Unknown attack scenario${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`,
      `Pick from: ${SCENARIOS.map((s) => s.id).join(', ')} (\`fapi lab attack --list\` describes them).`,
    );
  const selected = args.length ? SCENARIOS.filter((s) => args.includes(s.id)) : [...SCENARIOS];

  if (opts.list) {
    const c = ctx.out.c;
    ctx.out.result({ scenarios: selected.map(describe) }, () =>
      selected.flatMap((s) => [
        `${c.bold(s.id)} — ${s.title}`,
        ...wrap(s.story, 96).map((l) => `  ${l}`),
        `  attacker  ${s.attacker}: ${ATTACKERS[s.attacker]}`,
        ...wrap(`${s.defence}: ${s.rules.map((r) => `${r.id} (${r.spec})`).join(', ')}`, 86).map(
          (l, i) => `  ${i === 0 ? 'defence   ' : '          '}${l}`,
        ),
        `  relaxed   ${s.relax.join(', ')}${s.external ? '' : c.dim('   (lab only: not run with --issuer)')}`,
        '',
      ]),
    );
    return;
  }

  const issuer = typeof opts.issuer === 'string' ? opts.issuer : undefined;
  const resource = typeof opts.resource === 'string' ? opts.resource : undefined;
  if (resource && !issuer)
    throw usageError(
      'E_USAGE',
      '--resource is only used with --issuer.',
      'The lab has its own resource server.',
    );

  if (issuer && !selected.some((s) => s.external))
    throw usageError(
      'E_SCENARIO_NEEDS_LAB',
      `${selected.map((s) => s.id).join(', ')} ${selected.length > 1 ? 'need' : 'needs'} the lab (it registers clients and approves logins itself), so nothing would run with --issuer.`,
      `With --issuer, pick from: ${SCENARIOS.filter((s) => s.external)
        .map((s) => s.id)
        .join(', ')}.`,
    );

  const started = Date.now();
  const home = mkdtempSync(path.join(os.tmpdir(), 'fapi-attack-'));
  // Ctrl-C exits the process from main: the temporary lab home goes with it.
  const removeHome = () => rmSync(home, { recursive: true, force: true });
  process.once('exit', removeHome);
  const { createAttackLabs } = await import('../../../lab/attack-targets.js');
  // --verbose: every exchange of every party, secrets redacted, each line naming the lab and party.
  const trace = (party: PartyName, target: string, e: TraceEvent) =>
    ctx.out.trace(e, {
      prefix: ctx.out.errC.dim(`[${target}] ${PARTY_LABEL[party]}`),
      indent: 2,
      bodyLimit: 2000,
    });
  const labs = createAttackLabs({ home, ...(ctx.verbose ? { trace } : {}) });
  try {
    const external = issuer ? await openExternal(ctx, issuer, resource) : undefined;
    const runnable = external ? selected.filter((s) => s.external) : selected;
    const skipped = external ? selected.filter((s) => !s.external) : [];
    // Start every lab the selection needs at once: they share the CA and the keys.
    await labs.prepare(runnable.map((s) => s.relax));
    const env: AttackEnv = {
      relaxed: (relax) => labs.relaxed(relax),
      fapi2: external ? async () => external : () => labs.strict(),
    };
    const results = await runAll(ctx, runnable, env, external?.label ?? 'FAPI 2.0 lab');
    for (const s of skipped)
      results.push(skippedResult(s, 'needs the lab: it registers clients and approves logins itself'));
    results.sort(
      (a, b) => selected.findIndex((s) => s.id === a.id) - selected.findIndex((s) => s.id === b.id),
    );
    const ms = Date.now() - started;
    report(ctx, results, { ms, fapi2: external?.label ?? 'FAPI 2.0 lab', single: selected.length <= 2 });
    const failed = results.filter((r) => !r.ok && r.fapi2.verdict !== 'skipped');
    if (failed.length)
      throw conformanceError(
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
        external
          ? `${issuer} is not FAPI 2.0 conformant on these points; \`fapi -v lab attack ${failed.map((r) => r.id).join(' ')} --issuer ${issuer}\` shows every exchange.`
          : `\`fapi -v lab attack ${failed.map((r) => r.id).join(' ')}\` shows every exchange.`,
        { failed: failed.map((r) => r.id) },
      );
  } finally {
    await labs.close();
    removeHome();
    process.removeListener('exit', removeHome);
  }
}

// ── running, with progress on stderr ─────────────────────────────────────────

/** A scenario whose attack was not shown or not stopped: its step ends failed, the others run. */
class NotStopped extends Error {}

async function runAll(
  ctx: CliContext,
  scenarios: Scenario[],
  env: AttackEnv,
  fapi2Label: string,
): Promise<ScenarioResult[]> {
  const c = ctx.out.errC;
  const results: ScenarioResult[] = [];
  const steps: Step[] = scenarios.map((s, i) => ({
    name: s.id,
    running: c.dim(s.title),
    async run(api) {
      api.say(`${i ? '\n' : ''}${c.bold(s.id)}: ${s.title}`);
      let lastMode: string | undefined;
      const r = await s.run({
        ...env,
        onStep(_id, step) {
          if (step.mode !== lastMode) {
            lastMode = step.mode;
            api.say(`  ${c.dim(modeHeader(step.mode, s.relax, fapi2Label))}`);
          }
          api.say(stepLine(c, step));
          api.progress(stepLine(c, step).trim());
        },
      });
      api.say(closingLine(c, r) + (i === scenarios.length - 1 ? '\n' : ''));
      results.push(r);
      if (!r.ok) throw new NotStopped(verdictWords(c, r));
      api.detail(verdictWords(c, r));
    },
  }));
  await runSteps(ctx, steps, { pad: 21, keepGoing: true, narrated: true, frequentUpdates: true }).catch(
    (err: unknown) => {
      if (!(err instanceof NotStopped)) throw err;
    },
  );
  if (stepsMode(ctx) !== 'listr') return results;
  // One or two scenarios: the story step by step, as the plain output tells it.
  if (scenarios.length <= 2)
    for (const r of results) {
      ctx.out.stderr.write(`\n${c.bold(r.id)}: ${r.title}\n`);
      let lastMode: string | undefined;
      for (const step of r.steps) {
        if (step.mode !== lastMode) {
          lastMode = step.mode;
          ctx.out.stderr.write(`  ${c.dim(modeHeader(step.mode, r.relaxations, fapi2Label))}\n`);
        }
        ctx.out.stderr.write(stepLine(c, step) + '\n');
      }
      ctx.out.stderr.write(closingLine(c, r) + '\n');
    }
  ctx.out.stderr.write('\n');
  return results;
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
function stepLine(c: Palette, step: StepResult): string {
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

function closingLine(c: Palette, r: ScenarioResult): string {
  if (r.ok) return `  ${c.green('stopped by:')} ${r.defence} — ${stoppedBy(r)}`;
  const bad = r.fapi2.verdict === 'defence-held' ? r.relaxed : r.fapi2;
  return `  ${c.red('✖')} ${bad.reason ?? bad.summary}`;
}

function verdictWords(c: Palette, r: ScenarioResult): string {
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

function report(
  ctx: CliContext,
  results: ScenarioResult[],
  o: { ms: number; fapi2: string; single: boolean },
): void {
  const ran = results.filter((r) => r.fapi2.verdict !== 'skipped');
  const ok = ran.every((r) => r.ok);
  const data = {
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
  ctx.out.result(data, () => {
    const c = ctx.out.c;
    const width = Math.max(100, Math.min(process.stdout.columns || 140, 180));
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
  });
}

// ── --issuer: the profile's client at an external server ─────────────────────

async function openExternal(
  ctx: CliContext,
  issuer: string,
  resource: string | undefined,
): Promise<AttackTarget> {
  const { openSession } = await import('../session.js');
  const s = await openSession(ctx, { discover: true });
  if (s.issuer !== issuer)
    throw stateError(
      'E_PROFILE_OTHER_ISSUER',
      `Profile "${s.profile.name}" is registered at ${s.issuer}, not at ${issuer}.`,
      `Pass --profile with a profile registered at ${issuer} (\`fapi register --issuer ${issuer}\`).`,
    );
  const profile = s.profile;
  const { externalTarget } = await import('../../attacks/external.js');
  return externalTarget(
    { ...s, ...(profile.redirect_uri ? { redirectUri: profile.redirect_uri } : {}) },
    {
      ...(resource ? { resource } : {}),
      async loadKey() {
        const { loadProfileKey } = await import('../../store/profile-keys.js');
        const k = await loadProfileKey(ctx.store, profile, 'signing');
        return { privateKey: k.privateKey, alg: k.alg, kid: k.kid };
      },
      loadTokens: () => ctx.store.loadTokens(profile.name),
      http: (cert) => ctx.http({ profile, ...(cert ? { cert } : {}) }),
      // --verbose: the trace of Output.trace names no party; a line before each request does.
      ...(ctx.verbose
        ? {
            label:
              (http: HttpClient, party: PartyName): HttpClient =>
              (req) => {
                ctx.out.verbose(`  ${PARTY_LABEL[party]}:`);
                return http(req);
              },
          }
        : {}),
    },
  );
}
