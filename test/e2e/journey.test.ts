/**
 * The README journey with real processes only: `fapi lab up --port 0 --json`, then keygen →
 * register → login with a real headless Chromium (BROWSER) signing in on the lab's page and
 * approving → call the RS with DPoP → refresh → revoke → client credentials → call → revoke,
 * chained through --json. A second lab process started with `--fault iss-wrong` shows a fault
 * switch given on the command line reaching the client (CL-11).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';

const home = tempHome('fapi-journey-');
const faulty = tempHome('fapi-journey-fault-');
let info: LabInfo;

type LabInfo = { issuer: string; rs: string; ca: string };
const labs: ChildProcess[] = [];

/** Starts `fapi lab up --port 0 --json …` in `dir`; resolves with its JSON line. */
function labUp(dir: string, args: string[] = []): Promise<LabInfo> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', dir, 'lab', 'up', '--port', '0', '--json', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    labs.push(child);
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as LabInfo);
    });
    child.on('exit', (code) => reject(new Error(`lab up exited ${code}: ${err}`)));
  });
}

beforeAll(async () => {
  info = await labUp(home.dir);
});

afterAll(async () => {
  for (const lab of labs) {
    if (lab.exitCode !== null) continue;
    const done = new Promise((resolve) => lab.once('exit', resolve));
    lab.kill('SIGTERM');
    await done;
  }
  home.cleanup();
  faulty.cleanup();
});

const env = () => ({
  BROWSER: `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'chromium-browser.mjs')}"`,
  FAPI_TEST_USER: 'bob',
});
const run = (args: string[]) => fapi(['--home', home.dir, '--ca', info.ca, ...args], { env: env() });
function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}
const json = (r: RunResult) => JSON.parse(ok(r).stdout) as Record<string, unknown>;

describe('the journey against `fapi lab up`', () => {
  it('keygen → register → login → call → refresh → revoke → client credentials → call → revoke', async () => {
    ok(await run(['keygen']));
    const metadata = path.join(home.dir, 'client-metadata.json');
    writeFileSync(
      metadata,
      JSON.stringify({ grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] }),
    );
    ok(
      await run([
        'register',
        '--issuer',
        info.issuer,
        '--scope',
        'openid accounts',
        '--auth',
        'private_key_jwt',
        '--sender',
        'dpop',
        '--metadata',
        metadata,
      ]),
    );
    expect(json(await run(['--json', 'login']))).toMatchObject({
      issuer: info.issuer,
      token_type: 'DPoP',
      has_refresh_token: true,
      id_token_claims: { sub: 'bob' },
    });
    const call = json(await run(['--json', 'call', '--dpop', `${info.rs}/accounts`])) as {
      status: number;
      body: { Data: { Account: unknown[] } };
    };
    expect(call.status).toBe(200);
    expect(call.body.Data.Account.length).toBeGreaterThan(0);
    expect(json(await run(['--json', 'token', 'refresh']))).toMatchObject({ token_type: 'DPoP' });
    ok(await run(['call', '--fail', `${info.rs}/accounts`]));
    expect(json(await run(['--json', 'token', 'revoke']))).toMatchObject({
      revoked: ['refresh_token', 'access_token'],
      forgotten_locally: true,
    });
    expect((await run(['call', `${info.rs}/accounts`])).code).toBe(3);
    expect(json(await run(['--json', 'token', 'client-credentials', '--scope', 'accounts']))).toMatchObject({
      token_type: 'DPoP',
      has_refresh_token: false,
    });
    ok(await run(['call', '--fail', `${info.rs}/accounts`]));
    expect(json(await run(['--json', 'token', 'revoke']))).toMatchObject({
      revoked: ['access_token'],
      forgotten_locally: true,
    });
  });

  it('a fault switch given to `fapi lab up --fault iss-wrong` stops the login before the token request', async () => {
    const bad = await labUp(faulty.dir, ['--auto-approve', '--fault', 'iss-wrong']);
    const f = (args: string[]) =>
      fapi(['--home', faulty.dir, '--ca', bad.ca, ...args], {
        env: {
          BROWSER: `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`,
          FAPI_TEST_BROWSER_CA: bad.ca,
        },
      });
    ok(await f(['keygen']));
    ok(await f(['register', '--issuer', bad.issuer, '--scope', 'openid accounts']));
    const r = await f(['login']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('Issuer mismatch');
    expect(r.stderr).toContain('✖ callback');
  });
});
