/**
 * What Rich Authorization Requests cost (section `rar`, rows 3d and 9a):
 *
 * - 3d: `fapi login --authorization-details @FILE` (one payment_initiation detail) paired with
 *   `fapi login` (A B A B …, the same registered client, `--auto-approve`, DPoP nonces on as in row
 *   3a). Target ≤ 1.1x: the details are a few hundred bytes read, shape-checked and pushed, and
 *   the lab validates them against its schema.
 * - 9a: the resource server's payment check, in process: a validated payment body matched against
 *   the token's authorization details (RAR-08: decimal amount, currency, creditor account) and the
 *   consent looked up and recorded (RAR-09), for a token with three details, in CPU time per
 *   request (process.cpuUsage over many iterations). Target < 50 µs.
 *
 * `BENCH_ONLY=rar npm run bench` times these rows alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseInitiation } from '../lab/rs/bank.js';
import type { RsState } from '../lab/rs/check.js';
import { PaymentConsents, authorizePayment, paymentExchange } from '../lab/rs/payments.js';
import { cliEnv, notMeasured } from './cli.js';
import { hasCommand, type LabReady } from './lab.js';
import type { LabContext } from './lab-rows.js';
import { paired, timeCommand } from './measure.js';
import { startServer } from './procs.js';
import { ms, verdict, type Row, type Target } from './report.js';

const LOGIN = 'fapi login --authorization-details (one payment detail) vs fapi login';
const CHECK = 'RS payment check (RAR-08 match + RAR-09 once), CPU per request';

const PAY = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '10.00' },
  creditorName: 'Bob Example',
  creditorAccount: { iban: 'DE02100100109307118603' },
  remittanceInformationUnstructured: 'Invoice 42',
};

/** Row 3d. */
async function loginRow(c: LabContext, target: Target): Promise<Row> {
  const labHome = path.join(c.dir, 'rar-lab-home');
  const home = path.join(c.dir, 'rar-client-home');
  mkdirSync(labHome, { recursive: true });
  mkdirSync(home, { recursive: true });
  const details = path.join(home, 'pay.json');
  writeFileSync(details, JSON.stringify([PAY]));
  const lab = await startServer<LabReady>(
    [c.bin, '--home', labHome, 'lab', 'up', '--port', '0', '--json', '--auto-approve'],
    { env: cliEnv(), what: 'fapi lab up --auto-approve (RAR)', timeoutMs: 30_000 },
  );
  try {
    const { issuer, ca } = lab.ready;
    const curl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
    const opener = curl
      ? `curl -fsSL --cacert '${ca.replace(/'/g, `'\\''`)}' -o /dev/null`
      : `"${process.execPath}" "${path.join(c.root, 'test', 'helpers', 'browser.mjs')}"`;
    const env = cliEnv({ BROWSER: opener, FAPI_TEST_BROWSER_CA: ca });
    const fapi = (args: string[]) => () =>
      timeCommand(process.execPath, [c.bin, '--home', home, '--ca', ca, ...args], env);
    for (const args of [['keygen'], ['register', '--issuer', issuer, '--scope', 'openid payments']]) {
      const r = await fapi(args)();
      if (r.code !== 0)
        throw new Error(`fapi ${args[0]} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
    }
    const r = await paired(
      'fapi login --authorization-details',
      fapi(['login', '--authorization-details', `@${details}`]),
      fapi(['login']),
      c.config.flowRuns,
      c.config.flowWarmup,
    );
    c.log(
      `  login --authorization-details: ${ms(r.medianMs)} vs login ${ms(r.baselineMedianMs)} (${r.ratio.toFixed(2)}x)`,
    );
    const failed = r.failures > 0;
    return {
      id: '3d',
      section: 'lab and client',
      name: LOGIN,
      measured: `${ms(r.medianMs)}${failed ? ` (${r.failures}/${r.runs} runs failed)` : ''}`,
      baseline: `fapi login: ${ms(r.baselineMedianMs)}`,
      ratio: r.ratio,
      target,
      pass: failed ? false : verdict(r.ratio, target),
      note: 'paired runs of the same client against a strict lab (DPoP nonces on)',
      data: { ...r },
    };
  } finally {
    await lab.stop();
  }
}

/** Row 9a: the payment check in process, CPU µs per request. */
export function paymentCheckRow(iterations: number, target: Target): Row {
  const details = [
    { type: 'account_information', actions: ['list_accounts'] },
    { ...PAY, instructedAmount: { currency: 'EUR', amount: '99.00' } },
    PAY,
  ];
  const body = {
    Data: {
      Initiation: {
        InstructedAmount: { Amount: '10', Currency: 'EUR' },
        CreditorAccount: {
          SchemeName: 'UK.OBIE.IBAN',
          Identification: 'DE02100100109307118603',
          Name: 'Bob',
        },
      },
    },
  };
  const consents = new PaymentConsents(iterations + 10);
  const claims = (i: number) => ({ grant_id: `grant-${i}`, authorization_details: details });
  const run = (i: number) => {
    const st = { scheme: 'DPoP', claims: claims(i) } as unknown as RsState;
    const init = parseInitiation(body);
    const p = paymentExchange(st, init, consents, false);
    const r = authorizePayment(p);
    if (!r.ok || !p.consent)
      throw new Error(`the payment check refused: ${r.ok ? 'no consent' : r.error.message}`);
    consents.record(p.consent.key, `pmt-${i}`);
  };
  for (let i = 0; i < Math.min(1000, iterations); i++) run(-1 - i); // warm-up
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) run(i);
  const used = process.cpuUsage(start);
  const us = (used.user + used.system) / iterations;
  return {
    id: '9a',
    section: 'rich authorization requests',
    name: CHECK,
    measured: `${us.toFixed(1)} µs (${iterations} payments, 3 details per token)`,
    baseline: '-',
    ratio: us,
    target,
    pass: verdict(us, target),
    note: 'in process: body validation, RAR-08, RAR-09 and the record of the consent used; no HTTP, TLS or signature work',
    data: { iterations, cpuMicros: used.user + used.system, perRequestMicros: us },
  };
}

export async function rarRows(c: LabContext): Promise<Row[]> {
  const loginTarget: Target = { kind: 'max', value: 1.1, unit: 'x' };
  const checkTarget: Target = { kind: 'max', value: 50, unit: 'µs' };
  const rows: Row[] = [];
  rows.push(paymentCheckRow(c.config.flowRuns > 1 ? 200_000 : 2_000, checkTarget));
  c.log(`  payment check: ${rows[0]?.measured ?? ''}`);
  if (!hasCommand(c.bin, ['login']) || !hasCommand(c.bin, ['lab', 'up'])) {
    rows.push(
      notMeasured(
        '3d',
        'lab and client',
        LOGIN,
        loginTarget,
        'fapi login or fapi lab up is not in this build',
      ),
    );
    return rows;
  }
  try {
    rows.push(await loginRow(c, loginTarget));
  } catch (e) {
    const why = (e as Error).message.split('\n')[0] as string;
    c.log(`  login --authorization-details not measured: ${why}`);
    rows.push(notMeasured('3d', 'lab and client', LOGIN, loginTarget, why));
  }
  return rows;
}
