/**
 * Lab start-up and the client journey, paired with `node -e 0`: `fapi lab up` time to ready
 * (until its JSON line), a full `fapi login` against a running lab, and `fapi call --dpop`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cliEnv, nodeBaseline, notMeasured } from './cli.js';
import { hasCommand, labUpArgs, writeBenchLabConfig, type BenchLab } from './lab.js';
import { paired, timeCommand, type Timing } from './measure.js';
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

/**
 * A fapi home with a key and a client registered at the bench lab by `fapi register`, and the
 * command lines of `fapi login` (BROWSER = the repository's non-interactive opener, which follows
 * the lab's auto-approved authorization redirect to the loopback callback) and `fapi call --dpop`.
 */
async function loginProfile(
  c: LabContext,
  lab: BenchLab,
): Promise<{ login: string[]; loginEnv: NodeJS.ProcessEnv; call: string[] }> {
  const home = path.join(c.dir, 'login-home');
  mkdirSync(home, { recursive: true });
  const base = [c.bin, '--home', home, '--ca', lab.caFile];
  for (const args of [
    ['keygen', '--force'],
    ['register', '--force', '--issuer', lab.issuer, '--scope', 'openid accounts'],
  ]) {
    const r = await timeCommand(process.execPath, [...base, ...args], cliEnv());
    if (r.code !== 0) throw new Error(`bench: fapi ${args[0]} failed: ${r.stderr.slice(0, 400)}`);
  }
  const opener = path.resolve(path.dirname(c.bin), '..', 'test', 'helpers', 'browser.mjs');
  return {
    login: [...base, 'login'],
    loginEnv: cliEnv({ BROWSER: `"${process.execPath}" "${opener}"`, FAPI_TEST_BROWSER_CA: lab.caFile }),
    call: [...base, 'call', '--dpop', lab.accountsUrl],
  };
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
  if (!c.lab || !hasLogin)
    rows.push(
      notMeasured(
        '3a',
        'lab and client',
        'fapi login (PAR, auto-approve, DPoP token)',
        loginTarget,
        !c.lab ? c.labReason : 'fapi login is not in this build yet',
      ),
    );
  if (!c.lab || !hasCall || !hasLogin)
    rows.push(
      notMeasured(
        '3b',
        'lab and client',
        'fapi call --dpop GET /accounts',
        callTarget,
        !c.lab ? c.labReason : `fapi ${hasCall ? 'login' : 'call'} is not in this build yet`,
      ),
    );
  if (c.lab && hasLogin) {
    const flow = await loginProfile(c, c.lab);
    const login = await paired(
      'fapi login',
      () => timeCommand(process.execPath, flow.login, flow.loginEnv),
      nodeBaseline,
      c.config.flowRuns,
      1,
    );
    rows.push(
      row(
        '3a',
        'fapi login (PAR, auto-approve, DPoP token)',
        login,
        loginTarget,
        'discovery, PAR, a non-interactive BROWSER opener, callback, token, ID token; lab without DPoP nonces',
      ),
    );
    c.log(`  login: ${ms(login.medianMs)} (${login.ratio.toFixed(2)}x)`);
    if (hasCall) {
      const call = await paired(
        'fapi call --dpop',
        () => timeCommand(process.execPath, flow.call, cliEnv()),
        nodeBaseline,
        c.config.flowRuns,
        1,
      );
      rows.push(
        row('3b', 'fapi call --dpop GET /accounts', call, callTarget, 'one DPoP proof, one round trip'),
      );
      c.log(`  call: ${ms(call.medianMs)} (${call.ratio.toFixed(2)}x)`);
    }
  }
  return rows.sort((a, b) => a.id.localeCompare(b.id));
}
