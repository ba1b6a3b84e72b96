/**
 * Runs the real `bin/fapi.js` on a pseudo-terminal (util-linux `script`), so the interactive
 * prompts (@inquirer/prompts, only used on a TTY and without CI) can be driven by a test: wait for
 * a text on the screen, then type. Output is the raw terminal stream (ANSI codes included).
 */
import { spawn, spawnSync } from 'node:child_process';
import { BIN, ROOT } from './cli.js';

export interface PtyStep {
  /** Text to wait for (in the whole output so far, after the previous step's match). */
  waitFor: string;
  /** Keys to type: "\r" is Enter, "\u001b[B" the down arrow. */
  send: string;
}

/** util-linux `script` is there (it is on Debian); tests skip the terminal cases otherwise. */
export const HAS_PTY = spawnSync('script', ['--version']).status === 0;

export const KEY = { enter: '\r', down: '\u001b[B', up: '\u001b[A' } as const;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function fapiPty(
  args: string[],
  steps: PtyStep[],
  options: { timeoutMs?: number; env?: Record<string, string | undefined> } = {},
): Promise<{ code: number; output: string }> {
  const env: Record<string, string | undefined> = { ...process.env, CI: undefined, ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const cmd = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  let from = 0;
  try {
    for (const step of steps) {
      for (;;) {
        const at = output.indexOf(step.waitFor, from);
        if (at >= 0) {
          from = at + step.waitFor.length;
          break;
        }
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`pty: "${step.waitFor}" never appeared. Output:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // Let the prompt finish drawing before typing.
      await new Promise((r) => setTimeout(r, 150));
      child.stdin.write(step.send);
    }
    return { code: await closed, output };
  } finally {
    clearTimeout(timer);
  }
}
