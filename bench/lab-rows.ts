/**
 * Lab start-up and the client journey, paired with `node -e 0`: `fapi lab up` time to ready
 * (until its JSON line), a full `fapi login` against a running lab, and `fapi call --dpop`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cliEnv, nodeBaseline, notMeasured, pairedRow } from './cli.js';
import { hasCommand, labUpArgs, writeBenchLabConfig, type BenchLab, type LabReady } from './lab.js';
import { paired, timeCommand, type Timing } from './measure.js';
import { startServer } from './procs.js';
import { ms, type Row, type Target } from './report.js';
import type { BenchConfig } from './run.js';

export interface LabContext {
  bin: string;
  /** The repository root (for test/helpers/browser.mjs). */
  root: string;
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

const row = (
  id: string,
  name: string,
  r: Awaited<ReturnType<typeof paired>>,
  target: Target,
  note?: string,
): Row => pairedRow(id, 'lab and client', name, r, target, note);

/**
 * The client journey against a strict lab (`--auto-approve`, DPoP server nonces on, as users run
 * it): a profile with a key, registered by `fapi register`; then, timed, `fapi login` with a
 * non-interactive BROWSER (test/helpers/browser.mjs follows the authorization URL to the loopback
 * redirect) and `fapi call --dpop`.
 */
async function clientRows(
  c: LabContext,
  loginName: string,
  callName: string,
  loginTarget: Target,
  callTarget: Target,
): Promise<Row[]> {
  const labHome = path.join(c.dir, 'flow-lab-home');
  const home = path.join(c.dir, 'flow-client-home');
  mkdirSync(labHome, { recursive: true });
  mkdirSync(home, { recursive: true });
  const lab = await startServer<LabReady>(
    [c.bin, '--home', labHome, 'lab', 'up', '--port', '0', '--json', '--auto-approve'],
    { env: cliEnv(), what: 'fapi lab up --auto-approve', timeoutMs: 30_000 },
  );
  try {
    const { issuer, rs, ca } = lab.ready;
    // The opener: curl following the redirects to the loopback callback (like a browser that is
    // already running), else a Node script doing the same (test/helpers/browser.mjs).
    const curl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
    const opener = curl
      ? `curl -fsSL --cacert '${ca.replace(/'/g, `'\\''`)}' -o /dev/null`
      : `"${process.execPath}" "${path.join(c.root, 'test', 'helpers', 'browser.mjs')}"`;
    const env = cliEnv({ BROWSER: opener, FAPI_TEST_BROWSER_CA: ca });
    const fapi = (args: string[]) => () =>
      timeCommand(process.execPath, [c.bin, '--home', home, '--ca', ca, ...args], env);
    for (const args of [['keygen'], ['register', '--issuer', issuer, '--scope', 'openid accounts']]) {
      const r = await fapi(args)();
      if (r.code !== 0)
        throw new Error(
          `fapi ${args[0]} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(0, 3).join(' / ')}`,
        );
    }
    const login = await paired(
      'fapi login',
      fapi(['login']),
      nodeBaseline,
      c.config.flowRuns,
      c.config.flowWarmup,
    );
    c.log(`  login: ${ms(login.medianMs)} (${login.ratio.toFixed(2)}x)`);
    const call = await paired(
      'fapi call',
      fapi(['call', '--dpop', '--fail', `${rs.replace(/\/$/, '')}/accounts`]),
      nodeBaseline,
      c.config.flowRuns,
      c.config.flowWarmup,
    );
    c.log(`  call: ${ms(call.medianMs)} (${call.ratio.toFixed(2)}x)`);
    return [
      row(
        '3a',
        loginName,
        login,
        loginTarget,
        `strict lab (DPoP nonces on); BROWSER: ${curl ? 'curl -L' : 'a Node script'} following the redirects`,
      ),
      row('3b', callName, call, callTarget),
    ];
  } catch (e) {
    const why = (e as Error).message.split('\n')[0] as string;
    c.log(`  client journey not measured: ${why}`);
    return [
      notMeasured('3a', 'lab and client', loginName, loginTarget, why),
      notMeasured('3b', 'lab and client', callName, callTarget, why),
    ];
  } finally {
    await lab.stop();
  }
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
      1, // always: the first start creates the lab CA and keys, a one-time cost
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

  const loginName = 'fapi login (discovery, PAR, auto-approve, DPoP token with nonce retry)';
  const callName = 'fapi call --dpop GET /accounts (RS nonce retry)';
  const missing = !hasCommand(c.bin, ['login'])
    ? 'fapi login is not in this build yet'
    : !hasCommand(c.bin, ['call'])
      ? 'fapi call is not in this build yet'
      : !hasCommand(c.bin, ['register'])
        ? 'fapi register is not in this build yet'
        : '';
  if (!c.lab || !c.lab.viaCli || missing) {
    const why = !c.lab ? c.labReason : !c.lab.viaCli ? 'fapi lab up is not in this build yet' : missing;
    rows.push(
      notMeasured('3a', 'lab and client', loginName, loginTarget, why),
      notMeasured('3b', 'lab and client', callName, callTarget, why),
    );
  } else {
    rows.push(...(await clientRows(c, loginName, callName, loginTarget, callTarget)));
  }
  return rows.sort((a, b) => a.id.localeCompare(b.id));
}
