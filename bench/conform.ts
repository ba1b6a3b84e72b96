/**
 * `fapi conform server` against a strict lab process (`fapi lab up --auto-approve`, started and
 * stopped outside the timing): the whole run, every variant the lab offers (private_key_jwt,
 * tls_client_auth and self_signed_tls_client_auth, each with DPoP and with mTLS-bound tokens),
 * `--browser follow`, its RS as `--rs` and `--rs-payment` (every check runs), target under 30 s;
 * one variant (private_key_jwt + DPoP), target under 10 s.
 * Wall time of the real bin/fapi.js, median of a few runs; each run must pass (exit 0).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cliEnv, notMeasured } from './cli.js';
import { hasCommand, type LabReady } from './lab.js';
import { median, timeCommand } from './measure.js';
import { startServer } from './procs.js';
import type { Row, Target } from './report.js';
import type { BenchConfig } from './run.js';

export interface ConformContext {
  bin: string;
  dir: string;
  config: BenchConfig;
  smoke: boolean;
  log: (s: string) => void;
}

const SECTION = 'conformance run';
const WHOLE = 'fapi conform server: whole run against the lab, all 6 variants, --browser follow';
const ONE = 'fapi conform server: one variant (private_key_jwt + DPoP)';

export async function conformRows(c: ConformContext): Promise<Row[]> {
  const wholeTarget: Target = { kind: 'max', value: 30, unit: 's' };
  const oneTarget: Target = { kind: 'max', value: 10, unit: 's' };
  if (!hasCommand(c.bin, ['conform', 'server']))
    return [
      notMeasured('7a', SECTION, WHOLE, wholeTarget, 'fapi conform server is not in this build yet'),
      notMeasured('7b', SECTION, ONE, oneTarget, 'fapi conform server is not in this build yet'),
    ];
  const labHome = path.join(c.dir, 'conform-lab-home');
  const home = path.join(c.dir, 'conform-home');
  mkdirSync(labHome, { recursive: true });
  mkdirSync(home, { recursive: true });
  const lab = await startServer<LabReady>(
    [c.bin, '--home', labHome, 'lab', 'up', '--port', '0', '--json', '--auto-approve'],
    { env: cliEnv(), what: 'fapi lab up --auto-approve', timeoutMs: 30_000 },
  );
  try {
    const { issuer, rs, ca } = lab.ready;
    const base = [
      c.bin,
      '--home',
      home,
      '--ca',
      ca,
      'conform',
      'server',
      issuer,
      '--browser',
      'follow',
      '--client-ca-cert',
      ca,
      '--client-ca-key',
      path.join(path.dirname(ca), 'ca-key.pem'),
      '--rs',
      `${rs.replace(/\/$/, '')}/accounts`,
      // The RAR checks at the RS pay 1.00 EUR per payment at the lab (2 executed per variant).
      '--rs-payment',
      `${rs.replace(/\/$/, '')}/payments`,
      // The smoke run only proves the row works: two checks.
      ...(c.smoke ? ['--only', 'PAR-01,PAR-16'] : []),
    ];
    const runs = c.smoke ? 1 : 3;
    const measure = async (name: string, id: string, args: string[], target: Target, note: string) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = await timeCommand(process.execPath, args, cliEnv(), 120_000);
        if (t.code !== 0) {
          const why = `run ${i + 1} exited ${t.code}: ${t.stderr.trim().split('\n').slice(-2).join(' / ')}`;
          c.log(`  ${name}: ${why}`);
          return notMeasured(id, SECTION, name, target, why);
        }
        times.push(t.ms);
      }
      const s = median(times) / 1000;
      c.log(`  ${name}: ${s.toFixed(1)} s`);
      const row: Row = {
        id,
        section: SECTION,
        name,
        measured: `${s.toFixed(1)} s (median of ${runs})`,
        baseline: 'absolute (the lab start-up not counted)',
        ratio: s,
        target,
        pass: s < target.value,
        note,
        data: { times },
      };
      return row;
    };
    c.log('conformance: fapi conform server against a lab process');
    return [
      await measure(
        WHOLE,
        '7a',
        base,
        wholeTarget,
        'strict lab process, its CA issuing tls_client_auth certificates, --rs its /accounts, --rs-payment its /payments',
      ),
      await measure(
        ONE,
        '7b',
        [...base, '--auth', 'private_key_jwt', '--sender', 'dpop'],
        oneTarget,
        'the same, one variant',
      ),
    ];
  } catch (e) {
    const why = (e as Error).message.split('\n')[0] as string;
    return [
      notMeasured('7a', SECTION, WHOLE, wholeTarget, why),
      notMeasured('7b', SECTION, ONE, oneTarget, why),
    ];
  } finally {
    await lab.stop();
  }
}
