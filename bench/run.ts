/**
 * `npm run bench`: fapi's performance measured against baselines taken in the same run, printed
 * as a table and written to bench/results.json. Machines here are shared and noisy, so every
 * figure is a ratio to a baseline measured moments apart (medians of several runs).
 *
 * BENCH_SMOKE=1 runs every measurement once with tiny counts (the test suite does this so the
 * benchmark cannot rot); BENCH_OUT=FILE writes the JSON elsewhere.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliRows } from './cli.js';
import { conformRows } from './conform.js';
import { conformClientRows } from './conform-client.js';
import { jarRows } from './jar.js';
import { rarRows } from './rar.js';
import { labRows, type LabContext } from './lab-rows.js';
import { libraryRows } from './library.js';
import { startBenchLab, type BenchLab } from './lab.js';
import { killAll, procMemory, startServer } from './procs.js';
import type { CeilingReady, CeilingSpec } from './ceiling.js';
import type { PeerReady, PeerSpec } from './peer.js';
import { table, type Row } from './report.js';
import { measureThroughput, type LoadTarget } from './throughput.js';
import { throughputRows } from './throughput-rows.js';
import { benchClientKeys, resourceRequests, tokenRequests } from './workload.js';

const DIST = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(DIST, '../..');
export const BIN = path.join(ROOT, 'bin', 'fapi.js');

const SMOKE = process.env.BENCH_SMOKE === '1';
const OUT = process.env.BENCH_OUT ?? path.join(ROOT, 'bench', 'results.json');
/** BENCH_ONLY=cli,lab,library,load,conform,client,jar,rar (comma-separated) runs only those sections (for development). */
const ONLY = new Set(
  (process.env.BENCH_ONLY ?? 'cli,lab,library,load,conform,client,jar,rar').split(',').map((x) => x.trim()),
);

export const config = SMOKE
  ? {
      cliRuns: 1,
      cliWarmup: 0,
      keygenRuns: 1,
      flowRuns: 1,
      flowWarmup: 0,
      rounds: 1,
      connections: 8,
      warmup: 0,
      targetSeconds: 0,
      minAmount: 100,
      maxAmount: 100,
      maxSeconds: 10,
      boundSeconds: 0.2,
      runWarmup: 0,
      memoryRequests: 0,
      libraryRuns: 1,
    }
  : {
      cliRuns: 21,
      cliWarmup: 2,
      keygenRuns: 7,
      flowRuns: 7,
      flowWarmup: 1,
      rounds: 3,
      connections: 24,
      warmup: 1500,
      targetSeconds: 4,
      minAmount: 2000,
      maxAmount: 20_000,
      maxSeconds: 20,
      boundSeconds: 1.5,
      runWarmup: 500,
      memoryRequests: 50_000,
      libraryRuns: 15,
    };

export type BenchConfig = typeof config;

const log = (s: string) => process.stderr.write(s + '\n');

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-bench-'));
  const cleanup = () => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });

  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};

  let nodeMs: number | null = null;
  if (ONLY.has('cli')) {
    log(`fapi bench${SMOKE ? ' (smoke)' : ''}: CLI start-up and keygen`);
    const cli = await cliRows({ bin: BIN, dir, config, log });
    rows.push(...cli.rows);
    nodeMs = cli.nodeMs;
    extra.nodeBaselineMs = cli.nodeMs;
  }

  let lab: BenchLab | null = null;
  let labReason = '';
  const keys = benchClientKeys();
  if (ONLY.has('lab') || ONLY.has('load')) {
    log('lab: start, time to ready, login and call');
    try {
      lab = await startBenchLab({ bin: BIN, dir, distDir: DIST, keys, log });
    } catch (e) {
      labReason = (e as Error).message.split('\n')[0] as string;
      log(`  lab not available: ${labReason}`);
    }
  }
  const labCtx: LabContext = { bin: BIN, root: ROOT, dir, distDir: DIST, config, log, lab, labReason };
  if (ONLY.has('lab')) rows.push(...(await labRows(labCtx)));
  if (ONLY.has('library')) {
    log('the lab as a library: startLab() and close() in process');
    rows.push(...(await libraryRows({ config, log })));
  }
  if (ONLY.has('load')) await throughput();
  if (lab) await lab.stop();
  if (ONLY.has('conform')) rows.push(...(await conformRows({ bin: BIN, dir, config, smoke: SMOKE, log })));
  if (ONLY.has('client'))
    rows.push(...(await conformClientRows({ bin: BIN, root: ROOT, config, smoke: SMOKE, log })));
  if (ONLY.has('jar')) {
    log('FAPI 2.0 Message Signing: fapi login --jar, PAR with request objects');
    const jar = await jarRows(labCtx);
    rows.push(...jar.rows);
    extra.messageSigning = jar.data;
  }
  if (ONLY.has('rar')) {
    log('Rich Authorization Requests: fapi login --authorization-details, the RS payment check');
    rows.push(...(await rarRows(labCtx)));
  }

  async function throughput(): Promise<void> {
    log('throughput: oidc-provider and the lab');
    const peerSpec: PeerSpec = {
      clientId: 'bench-client',
      clientJwk: keys.auth.publicJwk,
      dpopJkt: keys.dpopJkt,
    };
    const peerSpecFile = path.join(dir, 'peer.json');
    writeFileSync(peerSpecFile, JSON.stringify(peerSpec));
    const peer = await startServer<PeerReady>([path.join(DIST, 'peer.js'), peerSpecFile], {
      what: 'oidc-provider',
    });
    log(`  oidc-provider ${peer.ready.issuer} (pid ${peer.ready.pid})`);
    const targets: LoadTarget[] = [];
    if (lab) {
      const l = lab;
      targets.push({
        key: 'lab-token',
        label: 'lab token endpoint',
        url: l.tokenEndpoint,
        method: 'POST',
        ca: l.ca,
        okStatus: 200,
        pid: l.pid,
        lab: true,
        build: (n) =>
          tokenRequests(n, {
            clientId: l.clientId,
            issuer: l.issuer,
            tokenEndpoint: l.tokenEndpoint,
            scope: 'accounts',
            keys,
          }),
      });
    }
    targets.push({
      key: 'peer-token',
      label: 'oidc-provider token endpoint',
      url: peer.ready.tokenEndpoint,
      method: 'POST',
      ca: peer.ready.ca,
      okStatus: 200,
      pid: peer.ready.pid,
      lab: false,
      build: (n) =>
        tokenRequests(n, {
          clientId: peerSpec.clientId,
          issuer: peer.ready.issuer,
          tokenEndpoint: peer.ready.tokenEndpoint,
          scope: 'accounts',
          keys,
        }),
    });
    if (lab) {
      const l = lab;
      targets.push({
        key: 'lab-rs',
        label: 'lab RS GET /accounts',
        url: l.accountsUrl,
        method: 'GET',
        ca: l.ca,
        okStatus: 200,
        pid: l.pid,
        lab: true,
        build: (n) => resourceRequests(n, l.accountsUrl, l.accessToken, keys.dpop),
      });
    }
    targets.push({
      key: 'peer-rs',
      label: 'oidc-provider userinfo',
      url: peer.ready.userinfoEndpoint,
      method: 'GET',
      ca: peer.ready.ca,
      okStatus: 200,
      pid: peer.ready.pid,
      lab: false,
      build: (n) => resourceRequests(n, peer.ready.userinfoEndpoint, peer.ready.userinfoToken, keys.dpop),
    });
    // The HTTP stack's ceiling (bench/ceiling.ts): the same token workload, signatures only.
    const { kid: _kid, alg: _alg, use: _use, ...authJwk } = keys.auth.publicJwk;
    const ceilingSpecFile = path.join(dir, 'ceiling.json');
    writeFileSync(
      ceilingSpecFile,
      JSON.stringify({ authJwk, dpopJwk: keys.dpop.publicJwk } satisfies CeilingSpec),
    );
    const ceiling = await startServer<CeilingReady>([path.join(DIST, 'ceiling.js'), ceilingSpecFile], {
      what: 'the ceiling server',
      timeoutMs: 30_000,
    });
    const c = ceiling.ready;
    targets.push({
      key: 'ceiling-token',
      label: 'fastify token route, signatures only',
      url: c.tokenEndpoint,
      method: 'POST',
      ca: c.ca,
      okStatus: 200,
      pid: c.pid,
      lab: false,
      build: (n) =>
        tokenRequests(n, {
          clientId: lab?.clientId ?? 'bench-client',
          issuer: 'https://127.0.0.1',
          tokenEndpoint: c.tokenEndpoint,
          scope: 'accounts',
          keys,
        }),
    });
    const idleLab = lab ? procMemory(lab.pid) : null;
    const tp = await measureThroughput(targets, {
      dir,
      distDir: DIST,
      rounds: config.rounds,
      connections: config.connections,
      warmup: config.warmup,
      targetSeconds: config.targetSeconds,
      minAmount: config.minAmount,
      maxAmount: config.maxAmount,
      maxSeconds: config.maxSeconds,
      boundSeconds: config.boundSeconds,
      runWarmup: config.runWarmup,
      log,
    });
    const peerMem = procMemory(peer.ready.pid);
    await peer.stop();
    await ceiling.stop();
    const tr = await throughputRows({
      tp,
      lab,
      labReason,
      idleLab,
      peerMem,
      targets,
      config,
      dir,
      distDir: DIST,
      log,
      deadline: started + (SMOKE ? 120 : 285) * 1000,
    });
    rows.push(...tr.rows);
    extra.throughput = tr.data;
  }

  const seconds = (Date.now() - started) / 1000;
  const results = {
    date: new Date().toISOString(),
    smoke: SMOKE,
    sections: [...ONLY],
    seconds: Math.round(seconds),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      os: `${os.type()} ${os.release()}`,
    },
    note: 'Shared 2-core machines are noisy: every figure is a median of several runs and is given as a ratio to a baseline measured in the same run.',
    rows,
    ...extra,
  };
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(
    `\nfapi bench — ${results.date.slice(0, 10)}, ${results.machine.cpus} × ${results.machine.model}, Node ${process.version}` +
      `${SMOKE ? ' (SMOKE: tiny counts, figures meaningless)' : ''}\n\n${table(rows)}\n\n` +
      `${nodeMs !== null ? `Baseline: node -e 0 = ${nodeMs.toFixed(1)} ms (median). ` : ''}` +
      (ONLY.has('load')
        ? 'Throughput ratios compare CPU time (requests per CPU-second of the server vs the baseline per CPU-second; wall-clock ratios in the notes and JSON).\n'
        : '') +
      `Total ${Math.round(seconds)} s. JSON: ${path.relative(process.cwd(), OUT) || OUT}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  killAll();
  process.exitCode = 1;
});
