/**
 * The payment journey with real processes only (RFC 9396): `fapi lab up` (strict, with its login
 * page), `fapi init --lab`, then `fapi login --authorization-details @pay.json` with headless
 * Chromium as the browser: the consent page shows the payment in words (RAR-04), the token carries
 * it (RAR-05: the login's output, --json and `fapi token show`), one `fapi call POST /payments`
 * executes it, and the same token can neither pay it again (RAR-09) nor pay more (RAR-08), not even
 * after `fapi token refresh`. A type the lab does not support is refused before anything is sent
 * (exit 2 naming the type).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { labUpProcess, type LabProcess } from '../helpers/lab-process.js';

const home = tempHome('fapi-payment-journey-');
let lab: LabProcess;

beforeAll(async () => {
  lab = await labUpProcess(home.dir);
}, 60_000);
afterAll(async () => {
  await lab?.stop();
  home.cleanup();
});

const log = path.join(home.dir, 'browser.log');
const env = () => ({
  BROWSER: `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'chromium-browser.mjs')}"`,
  FAPI_TEST_BROWSER_LOG: log,
});
const run = (args: string[]) => fapi(['--home', home.dir, ...args], { env: env(), timeoutMs: 60_000 });
function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const PAY = [
  {
    type: 'payment_initiation',
    instructedAmount: { currency: 'EUR', amount: '10.00' },
    creditorName: 'Bob Example',
    creditorAccount: { iban: 'DE02100100109307118603' },
    remittanceInformationUnstructured: 'Invoice 42',
  },
];

function payment(amount: string, iban = 'DE02100100109307118603'): string {
  return JSON.stringify({
    Data: {
      Initiation: {
        InstructedAmount: { Amount: amount, Currency: 'EUR' },
        CreditorAccount: { Identification: iban, Name: 'Bob Example' },
      },
    },
  });
}

describe('the payment journey against `fapi lab up`', () => {
  it('RAR-04 login with a payment detail → Chromium consent shows it → one payment → no second, no more', async () => {
    ok(await run(['init', '--lab', '--yes']));
    const file = path.join(home.dir, 'pay.json');
    writeFileSync(file, JSON.stringify(PAY));
    const login = ok(
      await run(['login', '--scope', 'openid payments', '--authorization-details', `@${file}`]),
    );
    expect(readFileSync(log, 'utf8')).toContain(
      'consent: payment_initiation — Pay 10.00 EUR to Bob Example (IBAN DE02100100109307118603), reference "Invoice 42", once',
    );
    expect(login.stderr).toContain('authorization_details payment_initiation');
    expect(login.stdout).toContain(
      'authorized   Pay 10.00 EUR to Bob Example (IBAN DE02100100109307118603), reference "Invoice 42", once',
    );
    const shown = JSON.parse(ok(await run(['--json', 'token', 'show'])).stdout) as Record<string, unknown>;
    expect(shown.authorization_details).toEqual(PAY);

    const first = ok(await run(['--json', 'call', `${lab.rs}/payments`, '-d', payment('10.00')]));
    expect(JSON.parse(first.stdout).status).toBe(201);
    const again = ok(await run(['--json', 'call', `${lab.rs}/payments`, '-d', payment('10.00')]));
    expect(JSON.parse(again.stdout)).toMatchObject({
      status: 403,
      body: {
        error: 'insufficient_authorization_details',
        error_description: expect.stringMatching(/already executed/),
      },
    });
    const more = await run([
      'call',
      `${lab.rs}/payments`,
      '-d',
      payment('10000.00', 'GB94BARC10201530093459'),
      '--fail',
    ]);
    expect(more.code).toBe(5);
    expect(more.stdout).toContain('the payment is 10000.00 EUR, the consent is for 10.00 EUR');

    // A refreshed token carries the same consent (RAR-05) and cannot pay it again (RAR-09).
    const refreshed = JSON.parse(ok(await run(['--json', 'token', 'refresh'])).stdout) as Record<
      string,
      unknown
    >;
    expect(refreshed.authorization_details).toEqual(PAY);
    const after = ok(await run(['--json', 'call', `${lab.rs}/payments`, '-d', payment('10.00')]));
    expect(JSON.parse(after.stdout).status).toBe(403);
  }, 120_000);

  it('a type the server does not support is refused before anything is sent (exit 2 naming it)', async () => {
    const r = await run(['login', '--authorization-details', '[{"type":"crypto_transfer"}]', '--no-browser']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the type "crypto_transfer" is not supported by');
    expect(r.stderr).toContain('It supports: payment_initiation, account_information');
    const bad = await run(['--json', 'login', '--authorization-details', '{"type":"payment_initiation"}']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stderr).error.code).toBe('E_AUTHORIZATION_DETAILS');
  });
});
