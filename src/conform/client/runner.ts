/**
 * `fapi conform client`: runs the client under test once per module, one module after another
 * against the same lab, with the lab switched to that module's behaviour, and judges each run by
 * what the lab observed (./judge.ts). A crash, a hang or a flood of the command fails its module
 * only; the next module runs. The lab is given through {@link ClientTestLab}, so this layer never
 * loads the lab itself (the CLI starts it: lab/conform-client.ts).
 */
import { resultOf } from '../runner.js';
import { summarize, type CheckResult, type Summary, type Variant } from '../types.js';
import { runCommand, type CommandResult } from './command.js';
import type { ClientTestLab, LabMark, Observation } from '../../core/client-test-lab.js';
import { judgeModule, verdictDetail, type ModuleVerdict } from './judge.js';
import type { ClientModule } from './modules.js';

export interface ClientRunOptions {
  lab: ClientTestLab;
  /** The resolved executable and its arguments. */
  command: string;
  args: readonly string[];
  /** The command line as the user gave it (the report's `client`; default from command and args). */
  label?: string;
  /** The environment of every run (the contract and the caller's own); FAPI_CONFORM_MODULE is added. */
  env: Record<string, string | undefined>;
  variant: Variant;
  jarm: boolean;
  /** The lab requires signed request objects at PAR (FAPI2-MS §5.3.1). */
  jar?: boolean;
  /** The client introspects its access token, asking for a signed answer (FAPI_INTROSPECT=1; MS-11). */
  introspection?: boolean;
  /** The selected modules, in plan order. */
  modules: readonly ClientModule[];
  expectedFailures?: readonly string[];
  /** A SHOULD module is held as a MUST: its failure is `failed`, not a warning (--strict). */
  strict?: boolean;
  /** Per run of the command. */
  timeoutMs: number;
  signal?: AbortSignal;
  onEvent?: (e: ClientRunEvent) => void;
}

export type ClientRunEvent =
  { type: 'start'; module: ClientModule; n: number; of: number } | { type: 'result'; result: ClientResult };

/** A result, with the evidence and the module's own run. */
export interface ClientResult extends CheckResult {
  verdict?: ModuleVerdict;
  /** The command's redacted output (for -v). */
  output?: { stdout: string; stderr: string };
  /** Time to switch the lab, and to judge (ms). */
  switchMs?: number;
  judgeMs?: number;
}

export interface ClientReport {
  /** The command line under test. */
  client: string;
  variants: Variant[];
  results: ClientResult[];
  summary: Summary;
  duration_ms: number;
  /** The slowest switch and judgement of the run (ms): the runner's own cost per module. */
  overhead: { switchMs: number; judgeMs: number };
}

/** Why a module does not apply to this run, if it does not. */
export function notApplicable(
  m: ClientModule,
  o: { variant: Variant; jarm: boolean; jar?: boolean; introspection?: boolean },
): string | undefined {
  if (m.needs?.sender && m.needs.sender !== o.variant.sender)
    return `needs DPoP; this run tests ${o.variant.sender} (--sender dpop)`;
  if (m.needs?.jarm && !o.jarm) return 'JARM: run with --jarm';
  if (m.needs?.jar && !o.jar) return 'request objects at PAR: run with --jar';
  if (m.needs?.introspection && !o.introspection) return 'signed introspection: run with --introspection';
  return undefined;
}

/** How long to wait for a refused handshake the lab has not heard of yet when the command exits. */
const HANDSHAKE_SETTLE_MS = 300;

async function settle(
  lab: ClientTestLab,
  mark: LabMark,
  m: ClientModule,
  run: CommandResult,
): Promise<Observation> {
  // The lab serves in this process: let it finish reading what the command sent before it exited.
  await new Promise((r) => setImmediate(r));
  let o = lab.observe(mark);
  if (m.expect !== 'no-request-over-tls' || o.total > 0 || o.handshakeFailures > 0 || run.error) return o;
  // A client refusing the certificate closes the connection; the server hears of it a moment later.
  const until = Date.now() + HANDSHAKE_SETTLE_MS;
  while (Date.now() < until && o.handshakeFailures === 0) {
    await new Promise((r) => setTimeout(r, 10));
    o = lab.observe(mark);
  }
  return o;
}

export function commandLine(command: string, args: readonly string[]): string {
  const q = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [command, ...args].map(q).join(' ');
}

export async function runClientConformance(o: ClientRunOptions): Promise<ClientReport> {
  const started = Date.now();
  const expected = o.expectedFailures ?? [];
  const results: ClientResult[] = [];
  const overhead = { switchMs: 0, judgeMs: 0 };
  const emit = (r: ClientResult) => {
    results.push(r);
    o.onEvent?.({ type: 'result', result: r });
  };
  let n = 0;
  for (const m of o.modules) {
    n++;
    if (o.signal?.aborted) break;
    const why = notApplicable(m, o);
    if (why) {
      emit(resultOf(m, o.variant, { result: 'skipped', detail: why }, 0, expected, o.strict));
      continue;
    }
    o.onEvent?.({ type: 'start', module: m, n, of: o.modules.length });
    const t0 = performance.now();
    await o.lab.apply(m.setup);
    const mark = o.lab.mark();
    const switchMs = performance.now() - t0;
    const run = await runCommand({
      command: o.command,
      args: o.args,
      env: { ...o.env, FAPI_CONFORM_MODULE: m.id },
      timeoutMs: o.timeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (o.signal?.aborted) break;
    const observation = await settle(o.lab, mark, m, run);
    const t1 = performance.now();
    const verdict = judgeModule(m, observation, run, o.variant);
    const judgeMs = performance.now() - t1;
    overhead.switchMs = Math.max(overhead.switchMs, switchMs);
    overhead.judgeMs = Math.max(overhead.judgeMs, judgeMs);
    const r: ClientResult = {
      ...resultOf(
        m,
        o.variant,
        {
          result: verdict.result,
          detail: verdictDetail(verdict),
          ...(verdict.unjudged ? { unjudged: true } : {}),
        },
        run.ms,
        expected,
        o.strict,
      ),
      verdict,
      output: { stdout: run.stdout, stderr: run.stderrText },
      switchMs,
      judgeMs,
    };
    emit(r);
  }
  await o.lab.apply({});
  return {
    client: o.label ?? commandLine(o.command, o.args),
    variants: [o.variant],
    results,
    summary: summarize(results),
    duration_ms: Date.now() - started,
    overhead: { switchMs: round(overhead.switchMs), judgeMs: round(overhead.judgeMs) },
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
