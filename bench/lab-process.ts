/**
 * Stopgap for builds without `fapi lab up`: starts the lab through lab/server.ts `startLab` in
 * this process and prints the same JSON line (`issuer`, `rs`, `mtls`, `ca`, `pid`). The bench
 * prefers the real command and uses this only when the command is missing.
 *
 * Usage: node dist/bench/lab-process.js HOME CONFIG.json
 */
import { readFileSync } from 'node:fs';
import { startLab } from '../lab/server.js';

async function main(): Promise<void> {
  const [home, configFile] = process.argv.slice(2) as [string, string];
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  const lab = await startLab({ home, config });
  process.stdout.write(
    JSON.stringify({ issuer: lab.issuer, rs: lab.rs, mtls: lab.mtls, ca: lab.caFile, pid: process.pid }) +
      '\n',
  );
  const stop = () => void lab.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench lab: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
