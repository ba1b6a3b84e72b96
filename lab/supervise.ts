/**
 * Supervising a lab process from another one: start it detached (it logs to the lab log and
 * outlives its parent) and wait until its run file says it is ready, or stop it. The caller builds
 * the command line and the environment; nothing here prints.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, promises as fs } from 'node:fs';
import { ensureDir } from '../src/store/atomic.js';
import type { LabPaths } from './home.js';
import { rotateLog } from './log.js';
import { pidAlive, readRunFile, removeRunFile, type LabRunInfo } from './run-file.js';

export interface DetachOptions {
  /** The executable and its arguments: a `fapi lab up` that writes the run file when ready. */
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** How long to wait for the run file (default 30 s). */
  readyTimeoutMs?: number;
}

export type DetachResult =
  | { ready: true; info: LabRunInfo }
  | { ready: false; exitCode: number | undefined; logTail: string[] }
  | { ready: false; timedOut: true };

/** How many lines of the log a failed start reports. */
const TAIL_LINES = 6;

/**
 * Starts the lab detached, its stderr appended to the lab log, and resolves once the run file names
 * its pid, or when it exits first (with the end of its log), or after the timeout.
 */
export async function startDetached(paths: LabPaths, o: DetachOptions): Promise<DetachResult> {
  await ensureDir(paths.home);
  await rotateLog(paths.log);
  const started = Date.now();
  const fd = openSync(paths.log, 'a', 0o600);
  let exited: { code: number | undefined } | undefined;
  let child;
  try {
    child = spawn(o.command, o.args, { detached: true, stdio: ['ignore', 'ignore', fd], env: o.env });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  child.once('exit', (code) => (exited = { code: code ?? undefined }));
  child.once('error', () => (exited = { code: undefined }));
  child.unref();
  const pid = child.pid;
  const timeout = o.readyTimeoutMs ?? 30_000;
  for (;;) {
    if (exited) {
      const log = await fs.readFile(paths.log, 'utf8').catch(() => '');
      return { ready: false, exitCode: exited.code, logTail: log.trim().split('\n').slice(-TAIL_LINES) };
    }
    if (Date.now() - started > timeout) return { ready: false, timedOut: true };
    await new Promise((r) => setTimeout(r, 40));
    const read = await readRunFile(paths);
    if ('info' in read && read.info.pid === pid) return { ready: true, info: read.info };
  }
}

/** Stops the lab process (SIGTERM, then SIGKILL after `graceMs`) and removes its run file. */
export async function stopLab(
  paths: LabPaths,
  info: LabRunInfo,
  graceMs = 10_000,
): Promise<{ forced: boolean }> {
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pidAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  let forced = false;
  if (pidAlive(info.pid)) {
    process.kill(info.pid, 'SIGKILL');
    forced = true;
  }
  await removeRunFile(paths);
  return { forced };
}
