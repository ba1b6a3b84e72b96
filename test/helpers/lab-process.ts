/**
 * A real `fapi lab up --port 0 --json` process for end-to-end tests: resolves with its JSON line;
 * `stop()` sends SIGTERM and waits for the exit (also on a lab that already exited).
 */
import { spawn } from 'node:child_process';
import { BIN, ROOT } from './cli.js';

export interface LabProcess {
  issuer: string;
  rs: string;
  mtls: string;
  ca: string;
  pid: number;
  stop(): Promise<void>;
}

export function labUpProcess(home: string, args: string[] = []): Promise<LabProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', home, 'lab', 'up', '--port', '0', '--json', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`lab up did not print its JSON line: ${err}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve({ ...(JSON.parse(out.slice(0, nl)) as Omit<LabProcess, 'stop'>), stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lab up exited ${code}: ${err}`));
    });
  });
}
