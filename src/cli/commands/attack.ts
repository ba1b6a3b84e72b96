/**
 * `fapi lab attack [SCENARIO...]`: the attacks FAPI 2.0 exists to stop, played live. Each scenario
 * of src/attacks runs once against a lab with its defence relaxed (the attack works) and once
 * against the strict FAPI 2.0 lab, or an external server with --issuer (the defence holds). The
 * labs run in-process on free loopback ports, in a temporary lab home. Exit 0 only when every
 * attack worked where relaxed and was stopped under FAPI 2.0; else 6. The text is in
 * ../attack-report.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stateError, usageError } from '../../errors.js';
import type { HttpClient, TraceEvent } from '../../http/client.js';
import type { Scenario } from '../../attacks/index.js';
import type { AttackEnv, AttackTarget, PartyName, ScenarioResult } from '../../attacks/types.js';
import {
  PARTY_LABEL,
  closingLine,
  describe,
  listLines,
  notStoppedError,
  reportData,
  reportLines,
  stepLine,
  storyTeller,
  storyTitle,
  verdictWords,
} from '../attack-report.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { runSteps, stepsMode, type Step } from '../steps.js';

export interface AttackOptions extends GlobalOptions {
  list?: boolean;
  issuer?: string;
  resource?: string;
}

export async function run(ctx: CliContext, opts: AttackOptions, args: string[]): Promise<void> {
  const [{ SCENARIOS, findScenario }, { skippedResult }] = await Promise.all([
    import('../../attacks/index.js'),
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
    ctx.out.result({ scenarios: selected.map(describe) }, () =>
      selected.flatMap((s) => listLines(ctx.out.c, s)),
    );
    return;
  }

  const { issuer, resource } = opts;
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
    const fapi2 = external?.label ?? 'FAPI 2.0 lab';
    const results = await runAll(ctx, runnable, env, fapi2);
    for (const s of skipped)
      results.push(skippedResult(s, 'needs the lab: it registers clients and approves logins itself'));
    results.sort(
      (a, b) => selected.findIndex((s) => s.id === a.id) - selected.findIndex((s) => s.id === b.id),
    );
    const o = { ms: Date.now() - started, fapi2, single: selected.length <= 2 };
    const width = Math.max(100, Math.min(process.stdout.columns || 140, 180));
    ctx.out.result(reportData(results, o), () => reportLines(ctx.out.c, results, o, width));
    const err = notStoppedError(results, external ? issuer : undefined);
    if (err) throw err;
  } finally {
    await labs.close();
    removeHome();
    process.removeListener('exit', removeHome);
  }
}

/** A scenario whose attack was not shown or not stopped: its step ends failed, the others run. */
class NotStopped extends Error {}

/** Runs the scenarios one by one, telling each step by step on stderr (see runSteps). */
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
      api.say(`${i ? '\n' : ''}${storyTitle(c, s)}`);
      const tell = storyTeller(c, s.relax, fapi2Label);
      const r = await s.run({
        ...env,
        onStep(_id, step) {
          for (const line of tell(step)) api.say(line);
          api.progress(stepLine(c, step).trim());
        },
      });
      api.say(closingLine(c, r) + (i === scenarios.length - 1 ? '\n' : ''));
      results.push(r);
      if (!r.ok) throw new NotStopped(verdictWords(c, r));
      api.detail(verdictWords(c, r));
    },
  }));
  const options = { pad: 21, keepGoing: true, narrated: true, frequentUpdates: true };
  await runSteps(ctx, steps, options).catch((err: unknown) => {
    if (!(err instanceof NotStopped)) throw err;
  });
  if (stepsMode(ctx) !== 'listr') return results;
  // The live list shows one line per scenario; for one or two, the story follows it.
  if (scenarios.length <= 2)
    for (const r of results) {
      const tell = storyTeller(c, r.relaxations, fapi2Label);
      const lines = [`\n${storyTitle(c, r)}`, ...r.steps.flatMap(tell), closingLine(c, r)];
      ctx.out.stderr.write(lines.join('\n') + '\n');
    }
  ctx.out.stderr.write('\n');
  return results;
}

/** --issuer: the profile's registered client at that server is the honest party. */
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
  // --verbose: Output.trace names no party, so a line before each request does.
  const label = (http: HttpClient, party: PartyName): HttpClient =>
    ctx.verbose
      ? (req) => {
          ctx.out.verbose(`  ${PARTY_LABEL[party]}:`);
          return http(req);
        }
      : http;
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
      label,
    },
  );
}
