/**
 * Child processes for `npm run bench`: long-lived servers that print one JSON line when ready,
 * one-shot helpers that print one JSON line and exit, /proc readings (RSS, CPU time), and the
 * cleanup that stops every server the bench started, however the bench ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const live = new Set<ChildProcess>();

export interface Server<T> {
  child: ChildProcess;
  ready: T;
  stderr: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts `node args…` and resolves with the first JSON line it prints on stdout. stdin stays
 * open as a lifeline: servers that watch it stop when the bench exits.
 */
export function startServer<T>(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; what: string },
): Promise<Server<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    let out = '';
    let err = '';
    let settled = false;
    const stop = () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          res();
        });
        child.kill('SIGTERM');
      });
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      void stop();
      reject(new Error(`${opts.what} did not start: ${why}\n${err.slice(-2000)}`));
    };
    const timer = setTimeout(
      () => fail(`not ready after ${opts.timeoutMs ?? 30_000} ms`),
      opts.timeoutMs ?? 30_000,
    );
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 100_000) err = err.slice(-50_000);
    });
    child.stdout?.on('data', (d: Buffer) => {
      if (settled) return;
      out += d.toString();
      // The first line that is a JSON object (libraries may print notices before it).
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          const ready = JSON.parse(line) as T;
          clearTimeout(timer);
          settled = true;
          resolve({ child, ready, stderr: () => err, stop });
          return;
        } catch {
          // not JSON: keep looking
        }
      }
    });
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code, signal) => {
      live.delete(child);
      clearTimeout(timer);
      const first = err.trim().split('\n')[0]?.slice(0, 200) ?? '';
      fail(`exited with ${code ?? signal}${first ? ` (${first})` : ''}`);
    });
  });
}

/** Runs `node args…` to completion and parses the last line of its stdout as JSON. */
export function runJson<T>(args: string[], opts: { timeoutMs: number; what: string }): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      live.delete(child);
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0)
        return reject(new Error(`${opts.what} exited with ${code ?? signal}: ${err.slice(-1500)}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${opts.what} printed no JSON result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

/** Kills every child still running (synchronous: usable from an exit handler). */
export function killAll(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (high-water mark), bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a process from /proc (Linux); null elsewhere. */
export function procMemory(pid: number): ProcMemory | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    const m = { rss: kb('VmRSS'), hwm: kb('VmHWM') };
    return Number.isFinite(m.rss) && Number.isFinite(m.hwm) ? m : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used, in seconds, from /proc; null elsewhere. */
export function procCpuSeconds(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of /proc/PID/stat (utime, stime), counted from after the comm field.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : null;
  } catch {
    return null;
  }
}
