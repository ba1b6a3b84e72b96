/**
 * What FAPI 2.0 Message Signing costs (section `jar`, rows 3c and 5c), against labs of its own:
 *
 * - 3c: `fapi login --jar` paired with `fapi login` (A B A B …, the same registered client,
 *   `--auto-approve`, DPoP nonces on as in row 3a). Target ≤ 1.1x: a request object is one more
 *   ES256 signature and a few hundred bytes.
 * - 5c: the lab's PAR endpoint under the load generator, pushed requests with a signed request
 *   object against the same requests as plain form parameters (each with a fresh client
 *   assertion, DPoP proof, PKCE challenge and, for JAR, request object; built before the run with
 *   src/core), alternating within each round; compared in requests per CPU-second of the lab.
 *   Target ≥ 0.67x, i.e. a PAR with a request object costs under 1.5x the CPU of one without: one
 *   more signature to verify, and the checks MS-01..06.
 *
 * `BENCH_ONLY=jar npm run bench` times these rows alone.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { clientAssertionParams, createClientAssertion } from '../src/core/client-auth.js';
import { createDpopProof } from '../src/core/dpop.js';
import { createAuthorizationSession, parParameters } from '../src/core/par.js';
import { createRequestObject, requestObjectForm } from '../src/core/request-object.js';
import { cliEnv, notMeasured } from './cli.js';
import { httpsRequest } from './https.js';
import { hasCommand, labUpArgs, writeBenchLabConfig, type LabReady } from './lab.js';
import type { LabContext } from './lab-rows.js';
import type { PreparedRequest } from './load.js';
import { paired, timeCommand } from './measure.js';
import { startServer } from './procs.js';
import { ms, verdict, type Row, type Target } from './report.js';
import { measureThroughput, type LoadTarget } from './throughput.js';
import { compare, perCpu } from './throughput-rows.js';
import { benchClientKeys, type BenchClientKeys } from './workload.js';

const LOGIN = 'fapi login --jar (a signed request object at PAR) vs fapi login';
const PAR = 'lab PAR with a signed request object vs the same PAR without (per lab CPU-second)';
const REDIRECT_URI = 'https://client.fapi-bench.example/cb';

/** Row 3c. */
async function loginRow(c: LabContext, target: Target): Promise<Row> {
  const labHome = path.join(c.dir, 'jar-lab-home');
  const home = path.join(c.dir, 'jar-client-home');
  mkdirSync(labHome, { recursive: true });
  mkdirSync(home, { recursive: true });
  const lab = await startServer<LabReady>(
    [c.bin, '--home', labHome, 'lab', 'up', '--port', '0', '--json', '--auto-approve'],
    { env: cliEnv(), what: 'fapi lab up --auto-approve (JAR)', timeoutMs: 30_000 },
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
    for (const args of [['keygen'], ['register', '--issuer', issuer, '--scope', 'openid accounts']]) {
      const r = await fapi(args)();
      if (r.code !== 0)
        throw new Error(`fapi ${args[0]} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
    }
    const r = await paired(
      'fapi login --jar',
      fapi(['login', '--jar']),
      fapi(['login']),
      c.config.flowRuns,
      c.config.flowWarmup,
    );
    c.log(`  login --jar: ${ms(r.medianMs)} vs login ${ms(r.baselineMedianMs)} (${r.ratio.toFixed(2)}x)`);
    const failed = r.failures > 0;
    return {
      id: '3c',
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

/** `n` pushed requests, plain or as request objects, each with fresh signatures and PKCE. */
function parRequests(
  n: number,
  o: { jar: boolean; clientId: string; issuer: string; parEndpoint: string; keys: BenchClientKeys },
): PreparedRequest[] {
  const out: PreparedRequest[] = [];
  const key = { privateKey: o.keys.auth.privateKey, alg: 'ES256' as const, kid: o.keys.auth.kid };
  for (let i = 0; i < n; i++) {
    const session = createAuthorizationSession({
      redirectUri: REDIRECT_URI,
      scope: 'openid accounts',
      dpopJkt: o.keys.dpopJkt,
    });
    const params = parParameters(o.clientId, session);
    const form = o.jar
      ? requestObjectForm(
          o.clientId,
          createRequestObject({ clientId: o.clientId, audience: o.issuer, params, ...key }),
        )
      : params;
    const assertion = createClientAssertion({
      clientId: o.clientId,
      audience: o.issuer,
      ...key,
      lifetime: 120,
    });
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...form, ...clientAssertionParams(o.clientId, assertion) }))
      if (v !== undefined) body.set(k, v);
    out.push({
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        dpop: createDpopProof(o.keys.dpop, { htm: 'POST', htu: o.parEndpoint }),
      },
      body: body.toString(),
    });
  }
  return out;
}

/** Row 5c. */
async function parRow(c: LabContext, target: Target): Promise<{ row: Row; data: Record<string, unknown> }> {
  const home = path.join(c.dir, 'jar-par-lab-home');
  mkdirSync(home, { recursive: true });
  const configFile = path.join(c.dir, 'jar-par.config.json');
  writeBenchLabConfig(configFile);
  const lab = await startServer<LabReady>(labUpArgs(c.bin, home, configFile), {
    env: cliEnv(),
    what: 'the lab (PAR load)',
    timeoutMs: 30_000,
  });
  try {
    const { issuer, pid } = lab.ready;
    const ca = readFileSync(lab.ready.ca, 'utf8');
    const keys = benchClientKeys();
    const reg = await httpsRequest(`${issuer}/register`, {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        client_name: 'fapi bench JAR',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        request_object_signing_alg: 'ES256',
        jwks: { keys: [keys.auth.publicJwk] },
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        scope: 'openid accounts',
        dpop_bound_access_tokens: true,
      }),
    });
    const clientId = (reg.json as { client_id?: string } | undefined)?.client_id;
    if (reg.status !== 201 || !clientId)
      throw new Error(`lab registration failed: HTTP ${reg.status} ${reg.body.slice(0, 300)}`);
    const parEndpoint = `${issuer}/par`;
    const loadTarget = (jar: boolean): LoadTarget => ({
      key: jar ? 'lab-par-jar' : 'lab-par',
      label: jar ? 'lab PAR, request object' : 'lab PAR, form parameters',
      url: parEndpoint,
      method: 'POST',
      ca,
      okStatus: 201,
      pid,
      lab: true,
      build: (n) => parRequests(n, { jar, clientId, issuer, parEndpoint, keys }),
    });
    const tp = await measureThroughput([loadTarget(false), loadTarget(true)], {
      dir: c.dir,
      distDir: c.distDir,
      rounds: c.config.rounds,
      connections: c.config.connections,
      warmup: c.config.warmup,
      targetSeconds: c.config.targetSeconds,
      minAmount: c.config.minAmount,
      maxAmount: c.config.maxAmount,
      maxSeconds: c.config.maxSeconds,
      boundSeconds: c.config.boundSeconds,
      runWarmup: c.config.runWarmup,
      log: c.log,
    });
    const plain = tp.runs['lab-par'] ?? [];
    const jar = tp.runs['lab-par-jar'] ?? [];
    const row = compare(
      '5c',
      PAR,
      target,
      jar,
      { label: 'lab PAR with form parameters', wall: plain.map((r) => r.rps), cpu: perCpu(plain) },
      'x',
      'the same pushed requests (fresh assertion, DPoP proof, PKCE), once as a request object; ≥ 0.67x means under 1.5x the CPU',
    );
    return { row, data: { 'lab-par': plain, 'lab-par-jar': jar } };
  } finally {
    await lab.stop();
  }
}

export async function jarRows(c: LabContext): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const loginTarget: Target = { kind: 'max', value: 1.1, unit: 'x' };
  const parTarget: Target = { kind: 'min', value: 0.67, unit: 'x' };
  const rows: Row[] = [];
  let data: Record<string, unknown> = {};
  if (!hasCommand(c.bin, ['login']) || !hasCommand(c.bin, ['lab', 'up'])) {
    const why = 'fapi login or fapi lab up is not in this build';
    return {
      rows: [
        notMeasured('3c', 'lab and client', LOGIN, loginTarget, why),
        notMeasured('5c', 'throughput', PAR, parTarget, why),
      ],
      data,
    };
  }
  try {
    rows.push(await loginRow(c, loginTarget));
  } catch (e) {
    const why = (e as Error).message.split('\n')[0] as string;
    c.log(`  login --jar not measured: ${why}`);
    rows.push(notMeasured('3c', 'lab and client', LOGIN, loginTarget, why));
  }
  try {
    const r = await parRow(c, parTarget);
    rows.push(r.row);
    data = r.data;
  } catch (e) {
    const why = (e as Error).message.split('\n')[0] as string;
    c.log(`  PAR with request objects not measured: ${why}`);
    rows.push(notMeasured('5c', 'throughput', PAR, parTarget, why));
  }
  return { rows, data };
}
