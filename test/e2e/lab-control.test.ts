/**
 * A lab started from the command line, controlled from the command line: `fapi lab up --detach`
 * writes the run's control secret to its 0600 run file (never to stdout), and `fapi lab fault`,
 * `relax`, `fail-next`, `delay-next`, `requests`, `token` and `status` work over the control API,
 * even while a TLS fault makes every other client refuse the lab.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labPaths } from '../../lab/home.js';
import { readRunFile, writeRunFile } from '../../lab/run-file.js';
import { createHttpClient } from '../../src/http/client.js';
import { createDpopProof, generateKey } from '../../src/public/index.js';
import { BIN, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { expectFapiError } from '../helpers/expect-error.js';
import { decodeJwt } from '../helpers/jwt.js';

const home = tempHome('fapi-lab-control-');
const paths = labPaths(path.join(home.dir, 'lab'));
const run = (args: string[]) => fapi(['--home', home.dir, ...args]);
const ok = (r: RunResult) => expect(r.code, r.stderr).toBe(0);
let info: { issuer: string; rs: string; ca: string };
let secret: string;

beforeAll(async () => {
  const up = await run(['--json', 'lab', 'up', '--port', '0', '--detach', '--auto-approve']);
  ok(up);
  info = JSON.parse(up.stdout) as typeof info;
  const read = await readRunFile(paths);
  if (!('info' in read) || !read.info.control_secret) throw new Error('no control secret in the run file');
  secret = read.info.control_secret;
}, 60_000);

afterAll(async () => {
  await run(['lab', 'down']);
  home.cleanup();
});

describe('fapi lab over the control API', () => {
  it('the control secret is in the 0600 run file, not on stdout or in `lab status`; --show-secrets prints it', async () => {
    expect(statSync(paths.run).mode & 0o777).toBe(0o600);
    const status = await run(['lab', 'status']);
    ok(status);
    expect(status.stdout).not.toContain(secret);
    const json = await run(['--json', 'lab', 'status']);
    expect(json.stdout).not.toContain(secret);
    const shown = await run(['--json', 'lab', 'status', '--show-secrets']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ control_secret: secret });
  });

  it('fault set / clear, relax set / clear: the lab, its status and its run file follow', async () => {
    ok(await run(['lab', 'fault', 'set', 'iss-wrong', 'no-expires-in']));
    const status = JSON.parse((await run(['--json', 'lab', 'status'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ faults: ['iss-wrong', 'no-expires-in'], strict: false });
    expect(await readRunFile(paths)).toMatchObject({ info: { faults: ['iss-wrong', 'no-expires-in'] } });
    ok(await run(['lab', 'relax', 'set', 'rotate-rt']));
    ok(await run(['lab', 'fault', 'clear']));
    ok(await run(['lab', 'relax', 'clear']));
    const strict = JSON.parse((await run(['--json', 'lab', 'status'])).stdout) as Record<string, unknown>;
    expect(strict).toMatchObject({ faults: [], relaxations: [], strict: true });
  });

  it('bad input: exit 2 naming it, and the lab unchanged', async () => {
    const unknown = await run(['lab', 'fault', 'set', 'no-such-fault']);
    expect(unknown.code).toBe(2);
    const times = await run(['lab', 'fail-next', 'token', '--times', '-1']);
    expect(times.code).toBe(2);
    const endpoint = await run(['lab', 'fail-next', 'nowhere']);
    expect(endpoint.code).toBe(2);
    const status = JSON.parse((await run(['--json', 'lab', 'status'])).stdout) as {
      pending: unknown[];
      faults: unknown[];
    };
    expect(status).toMatchObject({ pending: [], faults: [] });
  });

  it('fail-next, token, requests: a failing token endpoint, then a token for the RS, all in the log', async () => {
    ok(await run(['lab', 'fail-next', 'token', '--error', 'temporarily_unavailable', '--times', '2']));
    const pending = JSON.parse((await run(['--json', 'lab', 'status'])).stdout) as { pending: unknown[] };
    expect(pending.pending).toEqual([
      { endpoint: 'token', kind: 'fail', remaining: 2, error: 'temporarily_unavailable', status: 503 },
    ]);
    const http = createHttpClient({ ca: [readFileSync(info.ca, 'utf8')] });
    for (let i = 0; i < 2; i++) {
      const r = await http({
        method: 'POST',
        url: `${info.issuer}/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=someone',
      });
      expect(r.status).toBe(503);
    }
    const token = await run(['--json', 'lab', 'token', '--scope', 'accounts']);
    ok(token);
    const t = JSON.parse(token.stdout) as { accessToken: string; tokenType: string };
    expect(t.tokenType).toBe('Bearer');
    const plain = await run(['lab', 'token', '--scope', 'accounts']);
    expect(plain.stdout.trim()).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);

    const requests = await run(['--json', 'lab', 'requests', '--client', 'someone']);
    ok(requests);
    const list = JSON.parse(requests.stdout) as { path: string; status: number; check: string }[];
    expect(list.map((r) => [r.path, r.status, r.check])).toEqual([
      ['/token', 503, 'FAIL-NEXT'],
      ['/token', 503, 'FAIL-NEXT'],
    ]);
    const text = await run(['lab', 'requests', '--path', '/lab/control/token']);
    expect(text.stdout).toMatch(/POST \/lab\/control\/token 200 accepted/);
    expect(text.stdout).not.toContain(secret);
    expect(readFileSync(paths.log, 'utf8')).not.toContain(secret);
  });

  it('fail-next --status: the next request gets that status (and its default error), the one after is checked as usual', async () => {
    ok(await run(['lab', 'fail-next', 'introspection', '--status', '429']));
    const pending = JSON.parse((await run(['--json', 'lab', 'status'])).stdout) as { pending: unknown[] };
    expect(pending.pending).toEqual([
      { endpoint: 'introspection', kind: 'fail', remaining: 1, error: 'invalid_request', status: 429 },
    ]);
    const http = createHttpClient({ ca: [readFileSync(info.ca, 'utf8')] });
    const introspect = () =>
      http({
        method: 'POST',
        url: `${info.issuer}/introspect`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=abc&client_id=status-test',
      });
    const failed = await introspect();
    expect(failed.status).toBe(429);
    expect(failed.json()).toMatchObject({ error: 'invalid_request' });
    const next = await introspect();
    expect(next.status).not.toBe(429);
    const list = JSON.parse((await run(['--json', 'lab', 'requests', '--path', '/introspect'])).stdout) as {
      path: string;
      status: number;
      check?: string;
    }[];
    expect(list.map((r) => [r.path, r.status, r.check === 'FAIL-NEXT'])).toEqual([
      ['/introspect', 429, true],
      ['/introspect', next.status, false],
    ]);
    const status = JSON.parse((await run(['--json', 'lab', 'status'])).stdout) as { pending: unknown[] };
    expect(status.pending).toEqual([]);
  });

  it('token --dpop-jkt: a DPoP token bound to that key (cnf.jkt), accepted by the RS with its proof only', async () => {
    const key = await generateKey();
    const r = await run(['--json', 'lab', 'token', '--scope', 'accounts', '--dpop-jkt', key.thumbprint]);
    ok(r);
    const t = JSON.parse(r.stdout) as {
      accessToken: string;
      tokenType: string;
      claims: Record<string, unknown>;
    };
    expect(t.tokenType).toBe('DPoP');
    expect(t.claims.cnf).toEqual({ jkt: key.thumbprint });
    expect(decodeJwt(t.accessToken).payload).toMatchObject({
      cnf: { jkt: key.thumbprint },
      scope: 'accounts',
    });
    const plain = await run(['lab', 'token', '--scope', 'accounts', '--dpop-jkt', key.thumbprint]);
    ok(plain);
    expect(plain.stderr).toContain(`DPoP token for alice, scope accounts`);
    expect(plain.stderr).toContain(`bound to DPoP key ${key.thumbprint}`);

    const http = createHttpClient({ ca: [readFileSync(info.ca, 'utf8')] });
    const url = `${info.rs}/accounts`;
    const call = (scheme: string, proofKey = key, nonce?: string) =>
      http({
        method: 'GET',
        url,
        headers: {
          authorization: `${scheme} ${t.accessToken}`,
          dpop: createDpopProof(proofKey, { htm: 'GET', htu: url, accessToken: t.accessToken, nonce }),
        },
      });
    const challenge = await call('DPoP');
    expect(challenge.status).toBe(401);
    const nonce = challenge.header('dpop-nonce');
    expect(nonce).toBeTruthy();
    const accepted = await call('DPoP', key, nonce);
    expect(accepted.status, accepted.text()).toBe(200);
    // Another key's proof, or the token as a Bearer token: refused.
    expect((await call('DPoP', await generateKey(), nonce)).status).toBe(401);
    expect((await call('Bearer', key, nonce)).status).toBe(401);
  });

  it('requests -f prints new requests as they come, until Ctrl-C (exit 0)', async () => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', home.dir, 'lab', 'requests', '-f', '--path', '/jwks'],
      {
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const http = createHttpClient({ ca: [readFileSync(info.ca, 'utf8')] });
      await http({ method: 'GET', url: `${info.issuer}/jwks` });
      for (let i = 0; i < 50 && !/GET \/jwks 200 accepted/.test(out); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(out).toMatch(/GET \/jwks 200 accepted/);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('a TLS fault keeps every client out but not the control commands: set, status, clear', async () => {
    ok(await run(['lab', 'fault', 'set', 'tls-wrong-host']));
    await expectFapiError(
      createHttpClient({ ca: [readFileSync(info.ca, 'utf8')], timeoutMs: 5000 })({
        method: 'GET',
        url: `${info.issuer}/jwks`,
      }),
      { code: 'E_TLS_HOSTNAME' },
    );
    const status = await run(['lab', 'status']);
    ok(status);
    expect(status.stdout).toMatch(/not answering fapi/);
    expect(status.stdout).toMatch(/faults +tls-wrong-host/);
    ok(await run(['lab', 'fault', 'set', 'tls12-dhe-only']));
    ok(await run(['lab', 'fault', 'clear']));
    const back = await createHttpClient({ ca: [readFileSync(info.ca, 'utf8')] })({
      method: 'GET',
      url: `${info.issuer}/jwks`,
    });
    expect(back.status).toBe(200);
  });

  it('the control API refuses another secret (401, exit 3 from the CLI when the run file is stale)', async () => {
    const http = createHttpClient({ ca: [readFileSync(info.ca, 'utf8')] });
    const r = await http({
      method: 'PUT',
      url: `${info.issuer}/lab/control/faults`,
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: '{"faults":["iss-wrong"]}',
    });
    expect(r.status).toBe(401);
    const status = JSON.parse((await run(['--json', 'lab', 'status'])).stdout) as { faults: unknown[] };
    expect(status.faults).toEqual([]);
    // A run file whose secret is not this run's: the CLI says so (exit 3), nothing changes.
    const read = await readRunFile(paths);
    if (!('info' in read)) throw new Error('no run file');
    await writeRunFile(paths, { ...read.info, control_secret: 'an-old-secret' });
    try {
      const refused = await run(['lab', 'fault', 'set', 'iss-wrong']);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/refused the control secret/);
    } finally {
      await writeRunFile(paths, read.info);
    }
    expect(
      (JSON.parse((await run(['--json', 'lab', 'status'])).stdout) as { faults: unknown[] }).faults,
    ).toEqual([]);
  });
});
