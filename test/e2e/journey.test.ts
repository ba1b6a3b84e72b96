/**
 * The README journey with real processes only: `fapi lab up --port 0 --json --auto-approve`, then
 * keygen → register → login (BROWSER = a non-interactive opener) → call the RS with DPoP →
 * refresh → revoke → client credentials → call → revoke, chained through --json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';

const home = tempHome('fapi-journey-');
let lab: ChildProcess | undefined;
let info: { issuer: string; rs: string; ca: string };

beforeAll(async () => {
  info = await new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', home.dir, 'lab', 'up', '--port', '0', '--json', '--auto-approve'],
      { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    lab = child;
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as typeof info);
    });
    child.on('exit', (code) => reject(new Error(`lab up exited ${code}: ${err}`)));
  });
});

afterAll(async () => {
  if (lab && lab.exitCode === null) {
    const done = new Promise((resolve) => lab?.once('exit', resolve));
    lab.kill('SIGTERM');
    await done;
  }
  home.cleanup();
});

const env = () => ({
  BROWSER: `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`,
  FAPI_TEST_BROWSER_CA: info.ca,
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
      id_token_claims: { sub: 'alice' },
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
});
