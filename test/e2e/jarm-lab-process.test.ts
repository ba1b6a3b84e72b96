/**
 * MS-09 with real processes only: `fapi lab up --port 0 --json` (and one started with
 * `--fault jarm-sig-invalid`), then `fapi keygen`, `fapi register --jarm` (the client registers
 * authorization_signed_response_alg), `fapi login --jarm` with a non-interactive BROWSER, and
 * `fapi call`. The faulty lab's log shows the authorization response went out and no token
 * request followed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { labUpProcess, type LabProcess } from '../helpers/lab-process.js';

const labs: LabProcess[] = [];
const homes: { cleanup(): void }[] = [];
afterAll(async () => {
  for (const l of labs) await l.stop();
  for (const h of homes) h.cleanup();
});

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** A lab process in a fresh home, and `fapi` bound to that home and the lab CA. */
async function setup(args: string[]) {
  const home = tempHome('fapi-jarm-e2e-');
  homes.push(home);
  const lab = await labUpProcess(home.dir, ['--auto-approve', ...args]);
  labs.push(lab);
  const run = (a: string[]) =>
    fapi(['--home', home.dir, '--ca', lab.ca, ...a], {
      env: {
        BROWSER: `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`,
        FAPI_TEST_BROWSER_CA: lab.ca,
      },
    });
  ok(await run(['keygen']));
  const reg = JSON.parse(
    ok(await run(['--json', 'register', '--issuer', lab.issuer, '--scope', 'openid accounts', '--jarm']))
      .stdout,
  ) as { metadata: Record<string, unknown> };
  return { home: home.dir, lab, run, reg };
}

describe('MS-09: JARM against `fapi lab up`', () => {
  it('register --jarm → login --jarm → call', async () => {
    const { lab, run, reg } = await setup([]);
    // JARM §3: registered with the lab's FAPI algorithm, never the RS256 default.
    expect(reg.metadata.authorization_signed_response_alg).toBe('ES256');
    const login = await run(['login', '--jarm']);
    expect(ok(login).stderr).toContain('JARM signature ES256');
    expect(login.stderr).toContain('response_mode jwt');
    const call = JSON.parse(ok(await run(['--json', 'call', '--fail', `${lab.rs}/accounts`])).stdout) as {
      status: number;
    };
    expect(call.status).toBe(200);
  });

  it('a client registered with --jarm gets JARM by default; --no-jarm asks for a plain response', async () => {
    const { run } = await setup([]);
    const plain = ok(await run(['login', '--no-jarm']));
    expect(plain.stderr).not.toContain('JARM signature');
    const byDefault = ok(await run(['login']));
    expect(byDefault.stderr).toContain('JARM signature ES256');
  });

  it('init --jarm registers for JARM, and the next login uses it', async () => {
    const { lab } = await setup([]);
    const home = tempHome('fapi-jarm-init-');
    homes.push(home);
    const run = (a: string[]) =>
      fapi(['--home', home.dir, '--ca', lab.ca, ...a], {
        env: {
          BROWSER: `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`,
          FAPI_TEST_BROWSER_CA: lab.ca,
        },
      });
    ok(await run(['init', '--issuer', lab.issuer, '--yes', '--jarm', '--scope', 'openid accounts']));
    const profile = JSON.parse(
      readFileSync(path.join(home.dir, 'profiles', 'default', 'profile.json'), 'utf8'),
    ) as { registration: { metadata: Record<string, unknown> } };
    expect(profile.registration.metadata.authorization_signed_response_alg).toBe('ES256');
    expect(ok(await run(['login'])).stderr).toContain('JARM signature ES256');
  });

  it('`fapi lab up --fault jarm-sig-invalid`: login --jarm stops before the token request (exit 5)', async () => {
    const { home, run } = await setup(['--fault', 'jarm-sig-invalid']);
    const r = await run(['login', '--jarm']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('The JARM authorization response was refused (signature check)');
    const log = path.join(home, 'lab', 'lab.log');
    // The log is written asynchronously: wait for the authorization response line.
    let text = '';
    for (let i = 0; i < 50 && !/GET \/authorize\S* 303/.test(text); i++) {
      text = readFileSync(log, 'utf8');
      if (!/GET \/authorize\S* 303/.test(text)) await new Promise((res) => setTimeout(res, 100));
    }
    expect(text).toMatch(/GET \/authorize\S* 303/);
    expect(text).not.toMatch(/POST \/token/);
  });
});
