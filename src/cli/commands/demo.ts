/**
 * `fapi demo` (`npm run demo`): the whole journey on a lab of its own, narrated, in a temporary
 * home: start the lab on free ports, generate keys and register a client (`fapi init --lab`), log
 * in with PAR + PKCE + DPoP (the lab auto-approves; `fapi lab open` plays the browser), call the
 * resource server, refresh, call again, stop the lab, and watch a stolen token fail (`fapi lab
 * attack evil-twin`, on labs of its own). Each step runs
 * the real `fapi` binary and shows the command, so it can be replayed by hand.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, FapiError, type ErrorKind, type ExitCodeName } from '../../errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import type { LabRunInfo } from '../../../lab/run-file.js';

const BIN = fileURLToPath(new URL('../../../../bin/fapi.js', import.meta.url));

/** The kind of failure a step's exit code stands for: the ExitCode table read backwards. */
export function kindOfExit(code: number): ErrorKind {
  const kind = (Object.keys(ExitCode) as ExitCodeName[]).find((k) => ExitCode[k] === code);
  return kind && kind !== 'ok' ? kind : 'internal';
}

interface Step {
  why: string;
  args: string[];
  env?: Record<string, string>;
  /** Capture stdout instead of showing it (e.g. a --json line the demo reads). */
  capture?: boolean;
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export interface DemoOptions extends GlobalOptions {
  /** Keep the temporary home afterwards. */
  keep?: boolean;
}

export async function run(ctx: CliContext, opts: DemoOptions): Promise<void> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'fapi-demo-'));
  const c = ctx.out.errC;
  const say = (s: string) => process.stderr.write(s + '\n');
  let labStarted = false;
  const stopLab = () => {
    if (labStarted) {
      spawnSync(process.execPath, [BIN, '--home', home, 'lab', 'down'], { stdio: 'ignore' });
      labStarted = false;
    }
  };
  process.once('exit', stopLab);
  const done: { command: string; exit: number }[] = [];

  const exec = (step: Step): Promise<string> =>
    new Promise((resolve, reject) => {
      const shown = ['fapi', ...step.args].map(shellQuote).join(' ');
      say(`\n${c.bold('▸ ' + step.why)}\n${c.cyan('$ ' + shown)}`);
      const child = spawn(process.execPath, [BIN, '--home', home, ...step.args], {
        env: { ...ctx.env, ...step.env },
        // Everything the steps print is narration here: it goes to stderr, in order; the demo's own
        // stdout carries only its result (one JSON value with --json).
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (!step.capture) process.stderr.write(d);
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (!step.capture && out && !out.endsWith('\n')) process.stderr.write('\n');
        done.push({ command: shown, exit: code ?? 1 });
        if (code === 0) return resolve(out);
        const kind = kindOfExit(code ?? 1);
        reject(
          new FapiError('E_DEMO_STEP', `The demo step \`${shown}\` failed with exit ${code}.`, {
            kind,
            hint: 'Its own message is above. Re-run with --keep to inspect the demo home, or run the step by hand.',
          }),
        );
      });
    });

  say(c.bold('fapi demo') + ` — the FAPI 2.0 journey on a local lab, in ${home}`);
  try {
    const up = JSON.parse(
      await exec({
        why: 'Start a strict FAPI 2.0 lab (AS, mTLS aliases, RS) on free ports, in the background',
        args: ['lab', 'up', '--port', '0', '--detach', '--auto-approve', '--json'],
        capture: true,
      }),
    ) as Pick<LabRunInfo, 'issuer' | 'rs' | 'ca'>;
    labStarted = true;
    say(`  issuer ${up.issuer}\n  RS     ${up.rs}\n  CA     ${up.ca}`);
    await exec({
      // CL-22: only the scopes the journey uses (an ID token and the accounts API).
      why: 'Generate an ES256 key, register a private_key_jwt client with DPoP-bound tokens (RFC 7591)',
      args: [
        'init',
        '--lab',
        '--alg',
        'ES256',
        '--auth',
        'private_key_jwt',
        '--sender',
        'dpop',
        '--scope',
        'openid accounts',
        '--yes',
      ],
    });
    const browser = `${shellQuote(process.execPath)} ${shellQuote(BIN)} --home ${shellQuote(home)} lab open`;
    await exec({
      why: 'Log in: discovery, PAR with PKCE S256 and dpop_jkt, the browser (here: `fapi lab open`), token with a DPoP proof',
      args: ['login'],
      env: { BROWSER: browser },
    });
    await exec({
      why: 'Call the resource server with the DPoP-bound token and a fresh proof (the RS demands a nonce first)',
      args: ['call', '-i', `${up.rs}/accounts`],
    });
    await exec({
      why: 'Refresh the access token (client authentication + a new DPoP proof)',
      args: ['token', 'refresh'],
    });
    await exec({ why: 'Call again with the new token', args: ['call', '--fail', `${up.rs}/accounts`] });
    await exec({ why: 'Stop the lab', args: ['lab', 'down'] });
    labStarted = false;
    await exec({
      why: 'Watch a stolen access token fail: the evil twin replays it from another machine (bearer: works; DPoP and mTLS: refused)',
      args: ['lab', 'attack', 'evil-twin'],
    });
    ctx.out.result({ home: opts.keep ? home : null, steps: done }, () => [
      '',
      `${c.green('✔')} done: ${done.length} steps. Next, against your own server: fapi init --issuer https://your-as.example`,
      opts.keep ? `The demo home is kept: ${home} (fapi --home ${home} profile show)` : '',
    ]);
  } finally {
    stopLab();
    process.removeListener('exit', stopLab);
    if (!opts.keep) rmSync(home, { recursive: true, force: true });
  }
}
