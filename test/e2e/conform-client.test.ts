/**
 * `fapi conform client -- CMD` as users run it (the real bin/fapi.js): fapi's own command line as
 * the client passes every module, in every group, with JARM, request objects and mTLS; so does the Python
 * example (any language). The contract's environment, the output contract (--json, --junit,
 * --expected-failures), and the bad input: no CMD, a CMD that does not exist, a CMD that never
 * calls the lab, one that floods it, one that hangs, and one that prints its secrets.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, fapi, type RunResult } from '../helpers/cli.js';

interface Report {
  client: string;
  variants: { auth: string; sender: string }[];
  summary: { passed: number; failed: number; warnings: number; skipped: number; expected_failures: number };
  results: { id: string; title: string; variant: unknown; result: string; spec: string; detail: string }[];
  duration_ms: number;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-conform-client-e2e-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAPI_CLI = ['sh', path.join(ROOT, 'examples/conform-client/fapi-cli.sh')];
const cliEnv = { FAPI_BIN: `${process.execPath} ${BIN}` };

/** `fapi --json conform client ARGS -- CMD`: the parsed report and the run. */
async function conform(args: string[], cmd: string[], env: Record<string, string> = {}, timeoutMs = 240_000) {
  const r = await fapi(['--json', 'conform', 'client', ...args, '--', ...cmd], { env, timeoutMs });
  let report: Report | undefined;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    report = undefined;
  }
  return { r, report };
}

const notPassed = (rep: Report) =>
  Object.fromEntries(rep.results.filter((x) => x.result !== 'passed').map((x) => [x.id, x.result]));
const explain = (r: RunResult, rep?: Report) =>
  `exit ${r.code}\n${
    rep
      ? rep.results
          .filter((x) => x.result !== 'passed')
          .map((x) => `${x.id}: ${x.detail}`)
          .join('\n')
      : r.stdout
  }\n${r.stderr.slice(-3000)}`;

/** A Node script in the test folder. */
function script(name: string, body: string): string[] {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return [process.execPath, file];
}

describe("fapi's own command line as the client", () => {
  it('passes every module of the plan, JARM, request objects and signed introspection included, well within a minute', async () => {
    const { r, report } = await conform(['--jarm', '--jar', '--introspection'], FAPI_CLI, cliEnv);
    expect(report, explain(r)).toBeDefined();
    const rep = report as Report;
    expect(notPassed(rep), explain(r, rep)).toEqual({});
    expect([r.code, rep.summary.failed, rep.summary.skipped]).toEqual([0, 0, 0]);
    expect(rep.results.length).toBe(44);
    expect(rep.variants).toEqual([{ auth: 'private_key_jwt', sender: 'dpop' }]);
    // The issue's target is 60 s on the shared 2-core machine; the bound here leaves room for load.
    expect(rep.duration_ms).toBeLessThan(120_000);
    console.log(
      `fapi CLI, whole plan with --jarm --jar --introspection: ${(rep.duration_ms / 1000).toFixed(1)} s`,
    );
  }, 300_000);

  it('passes with mTLS (tls_client_auth + certificate-bound tokens), the certificate issued from the lab CA', async () => {
    const only = 'happy-path,CL-11.iss-wrong,CL-20.nonce-wrong,CL-18,CL-19,CL-01';
    const { r, report } = await conform(
      ['--auth', 'tls_client_auth', '--sender', 'mtls', '--only', only],
      FAPI_CLI,
      cliEnv,
    );
    expect(notPassed(report as Report), explain(r, report)).toEqual({});
    expect((report as Report).variants).toEqual([{ auth: 'tls_client_auth', sender: 'mtls' }]);
  }, 120_000);
});

describe('another language', () => {
  it('the Python example (standard library and the openssl command) passes every module', async () => {
    const { r, report } = await conform(
      ['--sender', 'dpop'],
      ['python3', path.join(ROOT, 'examples/conform-client/python-client.py')],
    );
    expect(notPassed(report as Report), explain(r, report)).toEqual(
      Object.fromEntries(
        (report as Report).results.filter((x) => x.id.startsWith('MS-')).map((x) => [x.id, 'skipped']),
      ),
    );
    expect(r.code).toBe(0);
  }, 240_000);
});

describe('the contract and the output contract', () => {
  it('gives the command the contract environment; --client-metadata registers first and passes FAPI_CLIENT_ID', async () => {
    const out = path.join(dir, 'env.json');
    const dump = script(
      'dump-env.mjs',
      `import { writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
const pick = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FAPI_') || k === 'BROWSER' || k === 'NODE_EXTRA_CA_CERTS'));
pick.cert = readFileSync(pick.FAPI_CLIENT_CERT, 'utf8');
pick.key = readFileSync(pick.FAPI_CLIENT_KEY, 'utf8');
writeFileSync(${JSON.stringify(out)}, JSON.stringify(pick));
process.exit(3);`,
    );
    const meta = path.join(dir, 'client.json');
    writeFileSync(
      meta,
      JSON.stringify({
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=fapi-conform-client,O=fapi conform',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        tls_client_certificate_bound_access_tokens: true,
      }),
    );
    const { r, report } = await conform(
      ['--only', 'happy-path', '--client-metadata', meta, '--auth', 'tls_client_auth', '--sender', 'mtls'],
      dump,
    );
    expect(r.code).toBe(6);
    expect((report as Report).results[0]?.detail).toMatch(
      /^the client made no request — lab: no request — exit 3$/,
    );
    const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    expect(env).toMatchObject({
      FAPI_ISSUER: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
      FAPI_RESOURCE: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/accounts$/),
      FAPI_SCOPE: 'openid accounts',
      FAPI_CONFORM_MODULE: 'happy-path',
      FAPI_AUTH: 'tls_client_auth',
      FAPI_SENDER: 'mtls',
      FAPI_CLIENT_ID: expect.any(String),
      BROWSER: expect.stringContaining('lab open'),
    });
    expect(env.NODE_EXTRA_CA_CERTS).toBe(env.FAPI_CA_FILE);
    expect(env.cert).toContain('BEGIN CERTIFICATE');
    expect(env.key).toContain('PRIVATE KEY');
    // The lab and its files are gone after the run.
    expect(existsSync(env.FAPI_CA_FILE as string)).toBe(false);
  }, 120_000);

  it('--client-metadata the lab refuses is exit 2 with its reason', async () => {
    const meta = path.join(dir, 'bad-client.json');
    writeFileSync(
      meta,
      JSON.stringify({
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    );
    const r = await fapi(['conform', 'client', '--client-metadata', meta, '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /The lab refused the client metadata of .*bad-client\.json: invalid_client_metadata/,
    );
  }, 60_000);

  it('--junit and --expected-failures, as for conform server', async () => {
    const junit = path.join(dir, 'client.xml');
    const expected = path.join(dir, 'expected.txt');
    writeFileSync(
      expected,
      '# the no-op client fails everything it runs\nhappy-path\nCL-18   # no expires_in\n',
    );
    const { r, report } = await conform(
      ['--only', 'happy-path,CL-18,CL-20.aud', '--expected-failures', expected, '--junit', junit],
      ['true'],
    );
    expect(notPassed(report as Report)).toEqual({
      'happy-path': 'expected-failure',
      'CL-18': 'expected-failure',
      'CL-20.aud': 'failed',
    });
    expect(r.code).toBe(6);
    // The output contract of conform server, with the command line in place of the issuer.
    const rep = report as Report;
    expect(Object.keys(rep).slice(0, 5)).toEqual(['client', 'variants', 'summary', 'results', 'duration_ms']);
    expect(rep.client).toBe('true');
    expect(rep.variants).toEqual([{ auth: 'private_key_jwt', sender: 'dpop' }]);
    expect(rep.summary).toEqual({ passed: 0, failed: 1, warnings: 0, skipped: 0, expected_failures: 2 });
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuites name="fapi conform client true" tests="3" failures="1" skipped="2"');
    expect(xml).toContain(
      '<testcase classname="fapi.conform.private_key_jwt.dpop.id-token" name="CL-20.aud: the ID token is for another client"',
    );
    const unknown = await fapi([
      'conform',
      'client',
      '--expected-failures',
      expected,
      '--only',
      'XX-1',
      '--',
      'true',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('`fapi conform client --list` lists them');
  }, 120_000);

  it('--list prints the modules and the contract without a command', async () => {
    const r = await fapi(['--json', 'conform', 'client', '--list']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as {
      modules: { id: string; oidf: string | null }[];
      contract: Record<string, string>;
    };
    expect(list.modules).toHaveLength(44);
    expect(list.modules.filter((m) => m.id.startsWith('MS-11')).map((m) => m.id)).toEqual([
      'MS-11',
      'MS-11.sig-invalid',
      'MS-11.typ-wrong',
      'MS-11.aud-wrong',
      'MS-11.unsigned',
    ]);
    expect(list.contract.FAPI_INTROSPECT).toMatch(/^with --introspection: 1, /);
    expect(list.modules.find((m) => m.id === 'CL-11.iss-wrong')?.oidf).toBe(
      'invalid-authorization-response-iss',
    );
    expect(Object.keys(list.contract)).toContain('FAPI_CONFORM_MODULE');
  });
});

describe('bad input', () => {
  it('no CMD: exit 2 saying how to give one', async () => {
    const r = await fapi(['conform', 'client']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Which client? Give the command that runs it after --');
  });

  it('a CMD that does not exist: exit 2 naming it, before any lab starts', async () => {
    const r = await fapi(['conform', 'client', '--', 'fapi-no-such-client', '--flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The command fapi-no-such-client is not on the PATH.');
    const p = await fapi(['--json', 'conform', 'client', '--', './no/such/client.sh']);
    expect(p.code).toBe(2);
    expect(JSON.parse(p.stderr).error).toMatchObject({ code: 'E_COMMAND_NOT_FOUND', exit_code: 2 });
  });

  it('a CMD that never calls the lab: every module fails with "the client made no request"', async () => {
    const { r, report } = await conform([], ['true']);
    const rep = report as Report;
    expect(r.code).toBe(6);
    const run = rep.results.filter((x) => x.result !== 'skipped');
    expect(run.length).toBe(29);
    for (const x of run)
      expect([x.id, x.result, x.detail]).toEqual([
        x.id,
        'failed',
        'the client made no request — lab: no request — exit 0',
      ]);
    // The SHOULD modules (CL-12, CL-02, the ID-token signature) too: a client that never tried is
    // not forgiven as a SHOULD.
    expect(rep.summary).toMatchObject({ failed: 29, warnings: 0 });
    expect(JSON.parse(r.stderr).error.message).toMatch(/^29 modules failed for true: happy-path, /);
  }, 120_000);

  it('a CMD that hangs on a SHOULD module: failed with "timed out", the run exits 6', async () => {
    const { r, report } = await conform(
      ['--only', 'CL-12.state-wrong', '--timeout', '1s'],
      [process.execPath, '-e', 'setTimeout(() => {}, 60_000)'],
    );
    expect(r.code).toBe(6);
    expect((report as Report).results.find((x) => x.id === 'CL-12.state-wrong')).toMatchObject({
      result: 'failed',
      detail: expect.stringMatching(
        /^timed out; the client made no request \(the process group was killed\)/,
      ) as string,
    });
  }, 60_000);

  it('a CMD that floods the lab fails that module; the lab holds and the next module runs normally', async () => {
    const client = path.join(ROOT, 'examples/conform-client/node-client.mjs');
    const flood = script(
      'flood.mjs',
      `import https from 'node:https';
if (process.env.FAPI_CONFORM_MODULE !== 'happy-path') await import(${JSON.stringify(client)}).then((m) => m.run()).then(() => process.exit(0));
const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
const get = () => new Promise((r) => https.get(process.env.FAPI_ISSUER + '/.well-known/openid-configuration', { agent }, (res) => { res.resume(); res.on('end', r); }).on('error', r));
for (let i = 0; i < 75; i++) await Promise.all(Array.from({ length: 8 }, get));
process.exit(0);`,
    );
    const { r, report } = await conform(['--only', 'happy-path,CL-18'], flood);
    const rep = report as Report;
    expect(notPassed(rep), explain(r, rep)).toEqual({ 'happy-path': 'failed' });
    expect(rep.results[0]?.detail).toMatch(
      /^the client flooded the lab: 600 requests in one module \(a FAPI login takes about ten\) — lab: GET \/.well-known\/openid-configuration 200, .*… 576 more …/,
    );
    expect(rep.results[0]?.detail.length).toBeLessThan(2500);
  }, 120_000);

  it('a CMD that hangs is killed with its process group after --timeout: "timed out"', async () => {
    const pidFile = path.join(dir, 'sleep.pid');
    const { r, report } = await conform(
      ['--only', 'happy-path', '--timeout', '1s'],
      ['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`],
    );
    expect(r.code).toBe(6);
    expect((report as Report).results[0]?.detail).toMatch(
      /^timed out; the client made no request \(the process group was killed\) — lab: no request — killed after the timeout/,
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const state = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      } catch {
        return 'gone';
      }
    })();
    expect(['gone', 'Z']).toContain(state);
  }, 60_000);

  it('secrets in the output of the command are redacted in the evidence, with --json and -v', async () => {
    const leak = script(
      'leak.mjs',
      `console.log('got access_token=SECRET-AT-' + 'a'.repeat(30));
console.error('{"refresh_token": "SECRET-RT-xyz", "token_type": "DPoP"}');
console.error('Authorization: DPoP eyJhbGciOiJFUzI1NiJ9.eyJzZWNyZXQiOiJ4In0.c2lnbmF0dXJl');
console.error('-----BEGIN PRIVATE KEY-----\\nSECRETKEYMATERIAL\\n-----END PRIVATE KEY-----');
process.exit(1);`,
    );
    const json = await conform(['--only', 'happy-path'], leak);
    const text = await fapi(['-v', 'conform', 'client', '--only', 'happy-path', '--', ...leak]);
    for (const out of [json.r.stdout, json.r.stderr, text.stdout, text.stderr]) {
      expect(out).not.toMatch(/SECRET-AT|SECRET-RT|SECRETKEYMATERIAL|eyJzZWNyZXQiOiJ4In0/);
    }
    expect(json.report?.results[0]?.detail).toContain('stderr: «redacted: private key,');
    expect(text.stdout).toContain('"refresh_token": "«redacted: refresh_token, 13 chars»"');
    expect(text.stdout).toContain('out: got access_token=«redacted: access_token, 40 chars»');
  }, 60_000);
});
