/**
 * CLI start-up and key generation, each paired with `node -e 0` (A B A B …): `fapi --help`,
 * `fapi --version`, `fapi keygen --cert --json` per algorithm in a fresh home, and
 * `openssl req -x509 -newkey ec` for reference when openssl is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { median, paired, timeCommand, type PairedResult } from './measure.js';
import { ms, verdict, type Row, type Target } from './report.js';
import type { BenchConfig } from './run.js';

export interface CliOptions {
  bin: string;
  dir: string;
  config: BenchConfig;
  log: (s: string) => void;
}

/** Environment for fapi runs: no TTY colour, CI mode. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: undefined, ...extra };
}

export const nodeBaseline = () => timeCommand(process.execPath, ['-e', '0'], cliEnv());

/** A row for a command timed against `node -e 0` in pairs (also used by lab-rows.ts). */
export function pairedRow(
  id: string,
  section: string,
  name: string,
  r: PairedResult,
  target: Target | null,
  note?: string,
): Row {
  const failed = r.failures > 0;
  return {
    id,
    section,
    name,
    measured: `${ms(r.medianMs)}${failed ? ` (${r.failures}/${r.runs} runs failed)` : ''}`,
    baseline: `node -e 0: ${ms(r.baselineMedianMs)}`,
    ratio: r.ratio,
    target,
    pass: failed ? false : verdict(r.ratio, target),
    ...(note ? { note } : {}),
    data: { ...r },
  };
}

export function notMeasured(
  id: string,
  section: string,
  name: string,
  target: Target | null,
  why: string,
): Row {
  return {
    id,
    section,
    name,
    measured: 'not measured',
    baseline: '-',
    ratio: null,
    target,
    pass: null,
    note: why,
  };
}

export async function cliRows(o: CliOptions): Promise<{ rows: Row[]; nodeMs: number }> {
  const { bin, config } = o;
  const fapi = (args: string[]) => () => timeCommand(process.execPath, [bin, ...args], cliEnv());
  const rows: Row[] = [];
  const nodeTimes: number[] = [];
  const startup: Target = { kind: 'max', value: 1.3, unit: 'x' };

  for (const [id, flag] of [
    ['1a', '--help'],
    ['1b', '--version'],
  ] as const) {
    const r = await paired(`fapi ${flag}`, fapi([flag]), nodeBaseline, config.cliRuns, config.cliWarmup);
    nodeTimes.push(r.baselineMedianMs);
    rows.push(pairedRow(id, 'CLI start-up', `fapi ${flag}`, r, startup));
    o.log(`  fapi ${flag}: ${ms(r.medianMs)} (${r.ratio.toFixed(2)}x node -e 0)`);
  }

  const keygenTarget: Target = { kind: 'max', value: 2.5, unit: 'x' };
  const home = path.join(o.dir, 'keygen-home');
  const fresh = () => {
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
  };
  fresh();
  const probe = await timeCommand(
    process.execPath,
    [bin, '--home', home, 'keygen', '--cert', '--json'],
    cliEnv(),
  );
  const ids = { ES256: '2a', PS256: '2b', EdDSA: '2c' } as const;
  for (const alg of ['ES256', 'PS256', 'EdDSA'] as const) {
    const name = `fapi keygen --cert --json --alg ${alg}`;
    const target = alg === 'PS256' ? null : keygenTarget;
    if (probe.code !== 0) {
      const why = (probe.stderr.trim().split('\n')[0] ?? '').slice(0, 160);
      rows.push(notMeasured(ids[alg], 'keygen', name, target, `fapi keygen failed: ${why}`));
      continue;
    }
    const r = await paired(
      name,
      fapi(['--home', home, 'keygen', '--cert', '--json', '--alg', alg]),
      nodeBaseline,
      config.keygenRuns,
      config.cliWarmup ? 1 : 0,
      fresh,
    );
    nodeTimes.push(r.baselineMedianMs);
    rows.push(
      pairedRow(
        ids[alg],
        'keygen',
        name,
        r,
        target,
        alg === 'PS256' ? 'RSA 3072-bit key generation dominates; no target' : undefined,
      ),
    );
    o.log(`  keygen ${alg}: ${ms(r.medianMs)} (${r.ratio.toFixed(2)}x)`);
  }

  const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
  if (hasOpenssl) {
    const k = path.join(o.dir, 'openssl-key.pem');
    const c = path.join(o.dir, 'openssl-cert.pem');
    const r = await paired(
      'openssl req -x509 -newkey ec',
      () =>
        timeCommand(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-nodes',
            '-keyout',
            k,
            '-out',
            c,
            '-subj',
            '/CN=bench',
            '-days',
            '365',
          ],
          cliEnv(),
        ),
      nodeBaseline,
      config.keygenRuns,
      config.cliWarmup ? 1 : 0,
    );
    nodeTimes.push(r.baselineMedianMs);
    rows.push(pairedRow('2d', 'keygen', 'openssl req -x509 -newkey ec (P-256)', r, null, 'reference'));
  } else {
    rows.push(
      notMeasured('2d', 'keygen', 'openssl req -x509 -newkey ec (P-256)', null, 'openssl is not installed'),
    );
  }
  return { rows, nodeMs: median(nodeTimes) };
}
