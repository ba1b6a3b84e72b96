/**
 * The lab under load: `fapi lab up --port 0 --json` in a fresh home with DPoP server nonces off
 * (this measurement only: one round trip per request), a client registered by RFC 7591 dynamic
 * registration with the bench's ES256 key (private_key_jwt, client_credentials), and a
 * DPoP-bound access token for the RS obtained from the token endpoint.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clientAssertionParams, createClientAssertion } from '../src/core/client-auth.js';
import { createDpopProof } from '../src/core/dpop.js';
import { cliEnv } from './cli.js';
import { httpsRequest } from './https.js';
import { startServer } from './procs.js';
import type { BenchClientKeys } from './workload.js';

export interface LabReady {
  issuer: string;
  rs: string;
  ca: string;
  pid: number;
  [k: string]: unknown;
}

export interface BenchLab {
  issuer: string;
  tokenEndpoint: string;
  accountsUrl: string;
  /** PEM of the lab CA. */
  ca: string;
  caFile: string;
  clientId: string;
  accessToken: string;
  pid: number;
  home: string;
  configFile: string;
  /** False when started through startLab because this build has no `fapi lab up`. */
  viaCli: boolean;
  stop(): Promise<void>;
}

/**
 * Lab configuration for the throughput runs: everything strict, except DPoP server nonces off;
 * authorization requests auto-approved (for the timed `fapi login`; no effect on throughput).
 */
export function writeBenchLabConfig(file: string): void {
  writeFileSync(file, JSON.stringify({ port: 0, autoApprove: true, relax: ['no-dpop-nonce'] }, null, 2));
}

export function labUpArgs(bin: string, home: string, configFile: string): string[] {
  return [bin, '--home', home, 'lab', 'up', '--port', '0', '--json', '--config', configFile];
}

/** True when this build has `fapi lab up`. */
export function hasLabUp(bin: string): boolean {
  return hasCommand(bin, ['lab', 'up']);
}

/**
 * True when `fapi <words> --help` shows that command's own usage (for an unknown command followed
 * by --help, commander shows the top-level help and exits 0).
 */
export function hasCommand(bin: string, words: string[]): boolean {
  const r = spawnSync(process.execPath, [bin, ...words, '--help'], { env: cliEnv(), encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes(`Usage: fapi ${words.join(' ')}`);
}

export async function startBenchLab(o: {
  bin: string;
  dir: string;
  distDir: string;
  keys: BenchClientKeys;
  log: (s: string) => void;
}): Promise<BenchLab> {
  const home = path.join(o.dir, 'lab-home');
  mkdirSync(home, { recursive: true });
  const configFile = path.join(o.dir, 'lab-bench.config.json');
  writeBenchLabConfig(configFile);
  // BENCH_LAB_VIA=startLab: the lab without the CLI around it (no log file), to compare.
  const viaCli = process.env.BENCH_LAB_VIA !== 'startLab' && hasLabUp(o.bin);
  if (!viaCli)
    o.log('  `fapi lab up` is not in this build: starting the lab through startLab (lab/server.ts)');
  // BENCH_PROFILE=DIR: the lab under load writes a V8 CPU profile there when it stops
  // (summarise it with `node dist/bench/profile.js DIR/FILE.cpuprofile`).
  // BENCH_LAB_NODE_ARGS: more Node flags for the lab process (e.g. --perf-basic-prof for perf).
  const profile = [
    ...(process.env.BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`]
      : []),
    ...(process.env.BENCH_LAB_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const server = await startServer<LabReady>(
    [
      ...profile,
      ...(viaCli
        ? labUpArgs(o.bin, home, configFile)
        : [path.join(o.distDir, 'lab-process.js'), home, configFile]),
    ],
    { env: cliEnv(), what: 'the lab', timeoutMs: 30_000 },
  );
  try {
    const { ready } = server;
    const caFile = ready.ca;
    const ca = readFileSync(caFile, 'utf8');
    const meta = await httpsRequest(`${ready.issuer}/.well-known/oauth-authorization-server`, { ca });
    const m = meta.json as Record<string, string>;
    if (meta.status !== 200 || !m.token_endpoint || !m.registration_endpoint)
      throw new Error(`lab discovery failed: HTTP ${meta.status} ${meta.body.slice(0, 200)}`);
    const reg = await httpsRequest(m.registration_endpoint, {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        client_name: 'fapi bench',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [o.keys.auth.publicJwk] },
        grant_types: ['client_credentials'],
        response_types: [],
        scope: 'accounts',
        dpop_bound_access_tokens: true,
      }),
    });
    const clientId = (reg.json as { client_id?: string } | undefined)?.client_id;
    if (reg.status !== 201 || !clientId)
      throw new Error(`lab registration failed: HTTP ${reg.status} ${reg.body.slice(0, 300)}`);
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'accounts',
      ...clientAssertionParams(
        clientId,
        createClientAssertion({
          clientId,
          audience: ready.issuer,
          privateKey: o.keys.auth.privateKey,
          alg: 'ES256',
          kid: o.keys.auth.kid,
        }),
      ),
    }).toString();
    const tok = await httpsRequest(m.token_endpoint, {
      ca,
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        dpop: createDpopProof(o.keys.dpop, { htm: 'POST', htu: m.token_endpoint }),
      },
      body: form,
    });
    const t = tok.json as { access_token?: string; token_type?: string } | undefined;
    if (tok.status !== 200 || !t?.access_token)
      throw new Error(`lab token request failed: HTTP ${tok.status} ${tok.body.slice(0, 300)}`);
    if (t.token_type?.toLowerCase() !== 'dpop')
      throw new Error(`the lab issued a ${t.token_type} token, not a DPoP-bound one`);
    const accountsUrl = `${ready.rs.replace(/\/$/, '')}/accounts`;
    const probe = await httpsRequest(accountsUrl, {
      ca,
      headers: {
        authorization: `DPoP ${t.access_token}`,
        dpop: createDpopProof(o.keys.dpop, { htm: 'GET', htu: accountsUrl, accessToken: t.access_token }),
      },
    });
    if (probe.status !== 200)
      throw new Error(`lab RS GET /accounts failed: HTTP ${probe.status} ${probe.body.slice(0, 300)}`);
    o.log(`  lab ready at ${ready.issuer} (pid ${ready.pid}), client ${clientId}`);
    return {
      issuer: ready.issuer,
      tokenEndpoint: m.token_endpoint,
      accountsUrl,
      ca,
      caFile,
      clientId,
      accessToken: t.access_token,
      pid: ready.pid,
      home,
      configFile,
      viaCli,
      stop: server.stop,
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}
