/**
 * Runs the client under test: the user's command, without a shell (unless the user gives one), in
 * a process group of its own so that a timeout, an interrupt or the end of the run can stop it and
 * everything it started. Its output is kept bounded (the last 64 KiB of each stream) and redacted
 * before it becomes evidence: a client's debug output may hold tokens and keys (CL-28).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { redactText } from '../../http/redact.js';
import type { CommandExit } from './judge.js';

/** How much of each output stream is kept (the end of it). */
const KEEP_BYTES = 64 * 1024;
/** How many lines of stderr the evidence shows. */
export const STDERR_LINES = 5;
/** After SIGTERM, how long the group has before SIGKILL. */
const TERM_GRACE_MS = 1000;

export interface CommandSpec {
  command: string;
  args: readonly string[];
  env: Record<string, string | undefined>;
  timeoutMs: number;
  cwd?: string;
  /** Aborting stops the command's process group at once (Ctrl-C). */
  signal?: AbortSignal;
}

export interface CommandResult extends CommandExit {
  /** The end of stdout and stderr, redacted. */
  stdout: string;
  stderrText: string;
}

/**
 * The executable a command name stands for: a path (with a slash) as is, else the first match on
 * PATH; undefined when there is none, or it is not an executable file.
 */
export function resolveCommand(command: string, envPath: string | undefined): string | undefined {
  const executable = (file: string) => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return executable(command) ? path.resolve(command) : undefined;
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    if (executable(file)) return file;
  }
  return undefined;
}

/** A buffer that keeps only the last `max` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max && this.chunks.length > 1)
      this.size -= (this.chunks.shift() as Buffer).length;
    if (this.size > this.max) {
      const only = this.chunks[0] as Buffer;
      this.chunks = [only.subarray(only.length - this.max)];
      this.size = this.max;
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The last non-empty lines of a text, each cut to 300 characters. */
export function lastLines(text: string, n: number): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .slice(-n)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Runs the command once; never rejects (a failure to start is in `error`). */
export function runCommand(spec: CommandSpec): Promise<CommandResult> {
  const started = Date.now();
  const out = new Tail(KEEP_BYTES);
  const err = new Tail(KEEP_BYTES);
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    let exit: { code: number | null; signal: string | null } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(spec.command, [...spec.args], {
      env: spec.env,
      cwd: spec.cwd,
      // A process group of its own (setsid): the group id is the child's pid.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stop = (why: 'timeout' | 'abort') => {
      if (exit) return;
      if (why === 'timeout') timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), TERM_GRACE_MS);
    };
    const timer = setTimeout(() => stop('timeout'), spec.timeoutMs);
    const onAbort = () => stop('abort');
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      const stderrText = redactText(err.text());
      resolve({
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        ...(error ? { error } : {}),
        ms: Date.now() - started,
        stderr: lastLines(stderrText, STDERR_LINES),
        stdout: redactText(out.text()),
        stderrText,
      });
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) finish(`${spec.command}: ${e.code ?? e.message}`);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // Whatever it left behind in its group goes with it (a background browser, a server).
      killGroup(child.pid, 'SIGKILL');
      // Its pipes close once the group is gone; do not wait forever for a grandchild that escaped.
      const late = setTimeout(() => finish(), 500);
      child.once('close', () => {
        clearTimeout(late);
        finish();
      });
    });
  });
}
