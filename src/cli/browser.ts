/**
 * Opening the authorization URL: the command in BROWSER when set (as gh and git do), else the
 * platform opener (xdg-open, open, start). Never waits for the browser to exit; a failure to
 * start is reported so the user can open the printed URL by hand.
 */
import { spawn } from 'node:child_process';

export interface OpenResult {
  /** The command line that was started. */
  command: string;
  /** Resolves with an error message when the opener failed (non-zero exit or not found). */
  failed: Promise<string | undefined>;
}

function posixQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Starts the browser on `url`. `browserEnv` is the BROWSER variable, when set. */
export function openBrowser(
  url: string,
  browserEnv: string | undefined,
  platform = process.platform,
): OpenResult {
  let command: string;
  let child;
  if (browserEnv && browserEnv.trim()) {
    // BROWSER may hold arguments (`firefox --new-window`) or a %s placeholder (xdg-utils style).
    const quoted = platform === 'win32' ? `"${url}"` : posixQuote(url);
    command = browserEnv.includes('%s') ? browserEnv.replaceAll('%s', quoted) : `${browserEnv} ${quoted}`;
    child = spawn(command, {
      shell: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: platform !== 'win32',
    });
  } else if (platform === 'darwin') {
    command = `open ${url}`;
    child = spawn('open', [url], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  } else if (platform === 'win32') {
    command = `start ${url}`;
    child = spawn('cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } else {
    command = `xdg-open ${url}`;
    child = spawn('xdg-open', [url], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  }
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  const failed = new Promise<string | undefined>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      resolve(`${command.split(' ')[0]}: ${e.code ?? e.message}`),
    );
    child.once('close', (code) =>
      resolve(
        code === 0 || code === null
          ? undefined
          : `exited with ${code}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
      ),
    );
  });
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  return { command, failed };
}
