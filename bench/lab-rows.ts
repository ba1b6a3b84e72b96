/**
 * Lab start-up and the client journey, paired with `node -e 0`: `fapi lab up` time to ready
 * (until its JSON line), a full `fapi login` against a running lab, and `fapi call --dpop`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cliEnv, nodeBaseline, notMeasured } from './cli.js';
import { hasCommand, labUpArgs, writeBenchLabConfig, type BenchLab } from './lab.js';
import { paired, type Timing } from './measure.js';
import { ms, verdict, type Row, type Target } from './report.js';
import type { BenchConfig } from './run.js';

export interface LabContext {
  bin: string;
  dir: string;
  distDir: string;
  config: BenchConfig;
  log: (s: string) => void;
  lab: BenchLab | null;
  labReason: string;
}

/** Starts `node args…`, times until its first line on stdout, then stops it (untimed). */
export function timeUntilReady(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let readyMs = -1;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (readyMs < 0 && stdout.includes('\n')) {
        readyMs = Number(process.hrtime.bigint() - start) / 1e6;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        ms: readyMs,
        code: readyMs >= 0 ? 0 : (code ?? (signal ? 128 : 1)),
        stdout,
        stderr,
      });
    });
  });
}

function row(
  id: string,
  name: string,
  r: Awaited<ReturnType<typeof paired>>,
  target: Target,
  note?: string,
): Row {
  const failed = r.failures > 0;
  return {
    id,
    section: 'lab and client',
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

export async function labRows(c: LabContext): Promise<Row[]> {
  const rows: Row[] = [];
  const upTarget: Target = { kind: 'max', value: 8, unit: 'x' };
  const loginTarget: Target = { kind: 'max', value: 4, unit: 'x' };
  const callTarget: Target = { kind: 'max', value: 2.5, unit: 'x' };

  if (!c.lab || !c.lab.viaCli) {
    const why = c.lab ? 'fapi lab up is not in this build yet' : c.labReason;
    rows.push(notMeasured('4', 'lab and client', 'fapi lab up: time to ready', upTarget, why));
  } else {
    const home = path.join(c.dir, 'lab-up-home');
    mkdirSync(home, { recursive: true });
    const cfg = path.join(c.dir, 'lab-up.config.json');
    writeBenchLabConfig(cfg);
    const r = await paired(
      'fapi lab up',
      () => timeUntilReady(labUpArgs(c.bin, home, cfg), cliEnv()),
      nodeBaseline,
      c.config.flowRuns,
      1,
    );
    rows.push(
      row(
        '4',
        'fapi lab up: time to ready',
        r,
        upTarget,
        'existing lab home (the CA is created by the warm-up run)',
      ),
    );
    c.log(`  lab up: ${ms(r.medianMs)} (${r.ratio.toFixed(2)}x)`);
  }

  const hasLogin = hasCommand(c.bin, ['login']);
  const hasCall = hasCommand(c.bin, ['call']);
  // Until the bench measures them, the rows say why they are empty (the table keeps every figure).
  const why = (has: boolean, cmd: string) =>
    !c.lab
      ? c.labReason
      : has
        ? `${cmd} is not measured by this bench yet`
        : `${cmd} is not in this build yet`;
  rows.push(
    notMeasured(
      '3a',
      'lab and client',
      'fapi login (PAR, auto-approve, DPoP token)',
      loginTarget,
      why(hasLogin, 'fapi login'),
    ),
  );
  rows.push(
    notMeasured(
      '3b',
      'lab and client',
      'fapi call --dpop GET /accounts',
      callTarget,
      why(hasCall, 'fapi call'),
    ),
  );
  return rows.sort((a, b) => a.id.localeCompare(b.id));
}
