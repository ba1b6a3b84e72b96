/**
 * CL-01 and CL-02 with real processes: the `fapi` binary against `fapi lab up --port 0 --json`
 * started with the TLS fault switches (`--fault tls-wrong-host`, and `tls12-dhe-only` from a
 * config file). The client is registered once with a strict lab in the same home (clients and
 * the lab CA survive a restart). Under each fault, `fapi discover`, `fapi login` and `fapi token
 * client-credentials` stop at the TLS handshake with their own message and exit code, and the
 * lab log shows the refused handshake but no request; against the strict lab the same commands
 * work and the lab logs their requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, FAPI_CIPHERS } from '../../src/http/client.js';
import { BIN, ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { postJson } from '../lab/helpers.js';

const home = tempHome('fapi-tls-faults-');
const labDir = path.join(home.dir, 'lab');
const logFile = path.join(labDir, 'lab.log');
const profileFile = path.join(home.dir, 'profiles', 'tls', 'profile.json');
const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

interface Lab {
  issuer: string;
  ca: string;
  warnings: string[];
  child: ChildProcess;
}
let running: Lab | undefined;

/** `fapi lab up --port 0 --json --auto-approve ARGS` in the test home; resolves with its JSON line. */
function labUp(args: string[] = []): Promise<Lab> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', home.dir, 'lab', 'up', '--port', '0', '--json', '--auto-approve', ...args],
      { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        running = { ...(JSON.parse(out.slice(0, nl)) as Omit<Lab, 'child'>), child };
        resolve(running);
      }
    });
    child.on('exit', (code) => reject(new Error(`lab up exited ${code}: ${err}`)));
  });
}

async function labDown(): Promise<void> {
  const lab = running;
  running = undefined;
  if (!lab || lab.child.exitCode !== null) return;
  const done = new Promise((resolve) => lab.child.once('exit', resolve));
  lab.child.kill('SIGTERM');
  await done;
}

/** Points the profile at the running lab (a restarted lab listens on other free ports). */
function useLab(lab: Lab): void {
  writeFileSync(
    profileFile,
    JSON.stringify({ ...readJson(profileFile), issuer: lab.issuer, ca_file: lab.ca }),
  );
}

const run = (args: string[]) =>
  fapi(['--home', home.dir, '--profile', 'tls', ...args], {
    env: { BROWSER, FAPI_TEST_BROWSER_CA: running?.ca },
  });
const ok = (r: RunResult) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
};
/** The JSON error a `--json` run printed on stderr. */
const jsonError = (r: RunResult) => (JSON.parse(r.stderr) as { error: Record<string, unknown> }).error;

/** The lab log written since `offset` bytes, and a request line in it ("01:02:03.456 POST /token 200 …"). */
const logSince = (offset: number) => readFileSync(logFile, 'utf8').slice(offset);
const logSize = () => statSync(logFile).size;
const REQUEST_LINE = /\b(GET|POST|PUT|DELETE|PATCH|OPTIONS) \/\S* \d{3}\b/;

/** The three commands of this test, each as the `fapi` binary runs it. */
const COMMANDS: [string, string[]][] = [
  ['discover', ['--json', 'discover']],
  ['login', ['--json', 'login', '--timeout', '20s']],
  ['token client-credentials', ['--json', 'token', 'client-credentials', '--scope', 'accounts']],
];

beforeAll(async () => {
  ok(await fapi(['--home', home.dir, '--profile', 'tls', 'keygen']));
  const lab = await labUp();
  const jwk = readJson(path.join(home.dir, 'profiles', 'tls', 'signing.key.jwk.json'));
  for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete jwk[k];
  const http = createHttpClient({ ca: [readFileSync(lab.ca, 'utf8')] });
  const res = await postJson(http, `${lab.issuer}/register`, {
    client_name: 'fapi e2e tls faults',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'private_key_jwt',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    dpop_bound_access_tokens: true,
    scope: 'openid accounts',
    jwks: { keys: [jwk] },
  });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${res.text()}`);
  writeFileSync(
    profileFile,
    JSON.stringify({
      ...readJson(profileFile),
      client_id: (res.json() as { client_id: string }).client_id,
      auth_method: 'private_key_jwt',
      sender: 'dpop',
      scope: 'openid accounts',
    }),
  );
  useLab(lab);
});

afterAll(async () => {
  await labDown();
  home.cleanup();
});

describe('the strict lab (the passing counterpart of CL-01 and CL-02)', () => {
  it('CL-01 / CL-02: discover, login and client-credentials work, and the lab logs their requests', async () => {
    const offset = logSize();
    for (const [, args] of COMMANDS) ok(await run(args));
    const log = logSince(offset);
    expect(log).toMatch(/GET \/\.well-known\/oauth-authorization-server 200/);
    expect(log).toMatch(/POST \/par 201/);
    expect(log).toMatch(/POST \/token 200/);
    expect(log).toMatch(REQUEST_LINE); // positive control for the "no request" checks below
    expect(log).not.toMatch(/TLS handshake .* failed/);
    await labDown();
  });
});

describe('CL-01: tls-wrong-host (fapi lab up --fault tls-wrong-host)', () => {
  it('CL-01: every command exits 4 with a TLS error naming the host; the lab received no request', async () => {
    const serverPem = path.join(labDir, 'server.pem');
    const certBefore = readFileSync(serverPem, 'utf8');
    const lab = await labUp(['--fault', 'tls-wrong-host']);
    try {
      expect(lab.warnings.join('\n')).toContain('fault tls-wrong-host');
      useLab(lab);
      const offset = logSize();
      for (const [name, args] of COMMANDS) {
        const r = await run(args);
        expect(r.code, `${name}: ${r.stderr}`).toBe(4);
        const e = jsonError(r);
        expect(e.code, name).toBe('E_TLS_HOSTNAME');
        expect(e.exit_code).toBe(4);
        expect(e.message).toContain('is not valid for the host 127.0.0.1');
        expect(e.message).toContain('DNS:wrong-host.fapi-lab.example');
        expect(e.message).toContain('fapi stopped before sending');
        expect(e.hint).toMatch(/host name the certificate names/);
        expect(r.stdout).toBe('');
      }
      // Without --json: what went wrong and what to do, no stack trace.
      const human = await run(['discover']);
      expect(human.code).toBe(4);
      expect(human.stderr).toMatch(
        /^✖ The TLS certificate of 127\.0\.0\.1:\d+ is not valid for the host 127\.0\.0\.1/,
      );
      expect(human.stderr).toMatch(/\n {2}hint: /);
      expect(human.stderr).not.toMatch(/\n\s+at /);
      const log = logSince(offset);
      expect(log).toMatch(/TLS handshake on the as listener failed/);
      expect(log).not.toMatch(REQUEST_LINE);
    } finally {
      await labDown();
    }
    // The lab's own certificate on disk is untouched.
    expect(readFileSync(serverPem, 'utf8')).toBe(certBefore);
  });
});

describe('CL-02: tls12-dhe-only (fapi lab up --config with "faults": ["tls12-dhe-only"])', () => {
  it('CL-02: the lab really serves DHE, and every command exits 6 at the handshake; the lab received no request', async () => {
    const config = path.join(home.dir, 'dhe.json');
    writeFileSync(config, JSON.stringify({ faults: ['tls12-dhe-only'] }));
    const lab = await labUp(['--config', config]);
    try {
      expect(lab.warnings.join('\n')).toContain('fault tls12-dhe-only');
      useLab(lab);
      const ca = readFileSync(lab.ca, 'utf8');
      const port = Number(new URL(lab.issuer).port);
      const connect = (o: tls.ConnectionOptions) =>
        new Promise<string>((resolve, reject) => {
          const s = tls.connect({ host: '127.0.0.1', port, ca: [ca], ...o }, () => {
            resolve(`${s.getProtocol()} ${s.getCipher().name}`);
            s.destroy();
          });
          s.on('error', reject);
        });
      // A raw node:tls client offering DHE gets it, with the certificate verified...
      expect(await connect({ ciphers: 'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384' })).toBe(
        'TLSv1.2 DHE-RSA-AES128-GCM-SHA256',
      );
      // ...and one offering fapi's suites shares none with the lab.
      await expect(connect({ ciphers: FAPI_CIPHERS })).rejects.toThrow(/handshake failure/);
      const offset = logSize();
      for (const [name, args] of COMMANDS) {
        const r = await run(args);
        expect(r.code, `${name}: ${r.stderr}`).toBe(6);
        const e = jsonError(r);
        expect(e.code, name).toBe('E_TLS_CIPHER');
        expect(e.exit_code).toBe(6);
        expect(e.message).toContain('no cipher suite in common');
        expect(e.message).toContain('The server offers only cipher suites FAPI 2.0 forbids');
        expect(e.message).toContain('TLS_DHE_RSA_WITH_AES_128_GCM_SHA256');
        expect(e.hint).toMatch(/TLS 1\.3, or TLS 1\.2 with ECDHE/);
      }
      const log = logSince(offset);
      expect(log).toMatch(/TLS handshake on the as listener failed: no shared cipher/);
      expect(log).not.toMatch(REQUEST_LINE);
    } finally {
      await labDown();
    }
  });
});
