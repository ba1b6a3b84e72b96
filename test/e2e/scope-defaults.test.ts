/**
 * CL-22 (least-privilege scopes, FAPI2-SP §5.3.3.1-13) and CL-27 (the code flow only, by
 * reference) with the real `bin/fapi.js` against an in-process lab: what fapi asks for when the
 * user names no scope, and what the browser is sent to.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { decodeJwt, startTestLab, type TestLab } from '../lab/helpers.js';

const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;
const home = tempHome('fapi-scope-');
const browserLog = path.join(home.dir, 'browser.log');
let t: TestLab;
let clientId: string;

beforeAll(async () => {
  t = await startTestLab();
});
afterAll(async () => {
  await t?.close();
  home.cleanup();
});

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const run = (args: string[]) =>
  fapi(['--home', home.dir, '--ca', t.lab.caFile, ...args], {
    env: { BROWSER, FAPI_TEST_BROWSER_CA: t.lab.caFile, FAPI_TEST_BROWSER_LOG: browserLog },
  });

const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
const profile = () => readJson(path.join(home.dir, 'profiles', 'default', 'profile.json'));
const savedScope = () => {
  const tokens = readJson(path.join(home.dir, 'profiles', 'default', 'tokens.json'));
  return decodeJwt(tokens.access_token as string).payload.scope;
};

/** The form body of the --verbose trace of the request to `path` (the trace prints it indented). */
function tracedBody(stderr: string, requestPath: string): URLSearchParams {
  const start = stderr.indexOf(`→ POST ${t.lab.issuer}${requestPath}`);
  expect(start, `no POST ${requestPath} in the trace`).toBeGreaterThanOrEqual(0);
  const lines = stderr.slice(start).split('\n').slice(1);
  const body = lines.find((l) => /^\s+\S+=/.test(l) && !/^\s+[\w-]+: /.test(l)) ?? '';
  return new URLSearchParams(body.trim());
}

describe('CL-22: least-privilege scopes by default', () => {
  it('CL-22: register without --scope registers no scope; login without --scope asks for openid only, which cannot read /accounts', async () => {
    ok(await run(['keygen']));
    const metadata = path.join(home.dir, 'metadata.json');
    writeFileSync(
      metadata,
      JSON.stringify({ grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] }),
    );
    ok(await run(['register', '--issuer', t.lab.issuer, '--metadata', metadata]));
    clientId = profile().client_id as string;
    expect(profile().scope).toBeUndefined();
    expect(t.lab.ctx.clients.get(clientId)?.metadata.scope).toBeUndefined();

    const login = ok(await run(['--verbose', '--json', 'login']));
    const par = tracedBody(login.stderr, '/par');
    expect(par.get('scope')).toBe('openid');
    expect((JSON.parse(login.stdout) as Record<string, unknown>).scope).toBe('openid');
    expect(savedScope()).toBe('openid');
    // Least privilege has teeth: the default token cannot read accounts (RS-05).
    const denied = await run(['call', '--fail', `${t.lab.rs}/accounts`]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('insufficient_scope');
  });

  it('CL-22: --scope asks for exactly the scopes named; client credentials without --scope sends no scope', async () => {
    const login = ok(await run(['--verbose', 'login', '--scope', 'openid accounts']));
    expect(tracedBody(login.stderr, '/par').get('scope')).toBe('openid accounts');
    expect(savedScope()).toBe('openid accounts');
    ok(await run(['call', '--fail', `${t.lab.rs}/accounts`]));

    const cc = ok(await run(['--verbose', 'token', 'client-credentials']));
    const form = tracedBody(cc.stderr, '/token');
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.has('scope')).toBe(false);
    const named = ok(await run(['--verbose', 'token', 'client-credentials', '--scope', 'payments']));
    expect(tracedBody(named.stderr, '/token').get('scope')).toBe('payments');
    expect(savedScope()).toBe('payments');
  });
});

describe('CL-27: the code flow by reference only', () => {
  it('CL-27: every authorization URL fapi opened carries only client_id and request_uri; PAR asked for response_type code without a request object', async () => {
    const opened = readFileSync(browserLog, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${t.lab.issuer}/authorize?`));
    expect(opened).toHaveLength(2);
    for (const u of opened) {
      const q = new URL(u).searchParams;
      expect([...q.keys()].sort()).toEqual(['client_id', 'request_uri']);
      expect(q.get('client_id')).toBe(clientId);
    }
    const login = ok(await run(['--verbose', 'login']));
    const par = tracedBody(login.stderr, '/par');
    expect(par.get('response_type')).toBe('code');
    expect(par.has('request')).toBe(false);
  });
});
