/**
 * `fapi conform client` with fapi's own command line as the client under test
 * (examples/conform-client/fapi-cli.sh): the whole plan with --jarm --jar --introspection (44
 * modules, each running `fapi init`, `fapi login` through `fapi lab open`, `fapi token introspect
 * --signed` where asked, and `fapi call`), target under 60 s; and the
 * runner's own cost per module, read from the run's summary: switching the lab (target < 50 ms)
 * and judging a module (target < 20 ms), the largest of the run. Wall time of the real
 * bin/fapi.js, lab start-up included, median of a few runs; each run must pass (exit 0).
 */
import path from 'node:path';
import { cliEnv, notMeasured } from './cli.js';
import { hasCommand } from './lab.js';
import { median, timeCommand } from './measure.js';
import type { Row, Target } from './report.js';
import type { BenchConfig } from './run.js';

export interface ConformClientContext {
  bin: string;
  root: string;
  config: BenchConfig;
  smoke: boolean;
  log: (s: string) => void;
}

const SECTION = 'conformance run';
const WHOLE =
  "fapi conform client --jarm --jar --introspection: the whole plan (44 modules) with fapi's own CLI as the client";
const SWITCH = 'fapi conform client: switching the lab for a module (the largest of the run)';
const JUDGE = 'fapi conform client: judging a module from the request log (the largest of the run)';

export async function conformClientRows(c: ConformClientContext): Promise<Row[]> {
  const whole: Target = { kind: 'max', value: 60, unit: 's' };
  const switching: Target = { kind: 'max', value: 50, unit: 'ms' };
  const judging: Target = { kind: 'max', value: 20, unit: 'ms' };
  const none = (why: string) => [
    notMeasured('7c', SECTION, WHOLE, whole, why),
    notMeasured('7d', SECTION, SWITCH, switching, why),
    notMeasured('7e', SECTION, JUDGE, judging, why),
  ];
  if (!hasCommand(c.bin, ['conform', 'client'])) return none('fapi conform client is not in this build yet');
  const args = [
    c.bin,
    'conform',
    'client',
    '--jarm',
    '--jar',
    '--introspection',
    // The smoke run only proves the rows work: one module.
    ...(c.smoke ? ['--only', 'happy-path'] : []),
    '--',
    'sh',
    path.join(c.root, 'examples', 'conform-client', 'fapi-cli.sh'),
  ];
  const env = cliEnv({ FAPI_BIN: `${process.execPath} ${c.bin}` });
  const runs = c.smoke ? 1 : 3;
  const times: number[] = [];
  const switches: number[] = [];
  const judges: number[] = [];
  c.log("conformance: fapi conform client, fapi's own CLI as the client");
  for (let i = 0; i < runs; i++) {
    const t = await timeCommand(process.execPath, args, env, 300_000);
    const m = /switching ≤ ([\d.]+) ms, judging ≤ ([\d.]+) ms/.exec(t.stdout);
    if (t.code !== 0 || !m) {
      const why = `run ${i + 1} exited ${t.code}: ${t.stderr.trim().split('\n').slice(-2).join(' / ')}`;
      c.log(`  ${WHOLE}: ${why}`);
      return none(why);
    }
    times.push(t.ms);
    switches.push(Number(m[1]));
    judges.push(Number(m[2]));
  }
  const s = median(times) / 1000;
  const sw = Math.max(...switches);
  const jd = Math.max(...judges);
  c.log(`  ${WHOLE}: ${s.toFixed(1)} s; switching ≤ ${sw} ms, judging ≤ ${jd} ms`);
  const row = (
    id: string,
    name: string,
    measured: string,
    ratio: number,
    target: Target,
    note: string,
  ): Row => ({
    id,
    section: SECTION,
    name,
    measured,
    baseline: 'absolute',
    ratio,
    target,
    pass: ratio < target.value,
    note,
    data: { times, switches, judges },
  });
  return [
    row(
      '7c',
      WHOLE,
      `${s.toFixed(1)} s (median of ${runs})`,
      s,
      whole,
      'the lab started by the command itself, counted; each module runs fapi init, fapi login (fapi lab open) and fapi call',
    ),
    row(
      '7d',
      SWITCH,
      `${sw} ms`,
      sw,
      switching,
      `the largest over ${runs} run(s); the TLS faults' certificates made at start`,
    ),
    row('7e', JUDGE, `${jd} ms`, jd, judging, `the largest over ${runs} run(s)`),
  ];
}
