/**
 * Rows for throughput (5) and memory (6): requests/s with p50/p99 latency and errors, as ratios
 * to oidc-provider and to the crypto bound (medians of the per-round ratios), then the lab's
 * peak RSS during the load and its RSS after 50,000 requests with distinct jtis.
 */
import { notMeasured } from './cli.js';
import type { BenchLab } from './lab.js';
import { median } from './measure.js';
import { procMemory, type ProcMemory } from './procs.js';
import { verdict, type Row, type Target } from './report.js';
import type { BenchConfig } from './run.js';
import { loadRun, med, type LoadTarget, type RunRecord, type ThroughputResult } from './throughput.js';

export interface ThroughputRowsInput {
  tp: ThroughputResult;
  lab: BenchLab | null;
  labReason: string;
  idleLab: ProcMemory | null;
  peerMem: ProcMemory | null;
  targets: LoadTarget[];
  config: BenchConfig;
  dir: string;
  distDir: string;
  log: (s: string) => void;
}

const MB = 1024 * 1024;

function describe(rs: RunRecord[]): string {
  const rps = med(rs, (r) => r.rps);
  return `${Math.round(rps)} req/s (p50 ${med(rs, (r) => r.p50Ms)} ms, p99 ${med(rs, (r) => r.p99Ms)} ms)`;
}

/** Problems in a set of runs: connection errors, unexpected statuses, truncation by the time bound. */
function problems(rs: RunRecord[]): string[] {
  const out: string[] = [];
  const errors = rs.reduce((a, r) => a + r.errors + r.timeouts, 0);
  const refused = rs.reduce((a, r) => a + (r.completed - r.ok), 0);
  if (errors) out.push(`${errors} connection errors/timeouts`);
  if (refused)
    out.push(`${refused} unexpected responses: ${rs.flatMap((r) => r.samples)[0] ?? ''}`.slice(0, 300));
  if (rs.some((r) => r.timeBound)) out.push('a run hit the time bound');
  return out;
}

function summary(rs: RunRecord[]) {
  return {
    rps: med(rs, (r) => r.rps),
    p50Ms: med(rs, (r) => r.p50Ms),
    p99Ms: med(rs, (r) => r.p99Ms),
    requests: rs.reduce((a, r) => a + r.completed, 0),
    errors: rs.reduce((a, r) => a + r.errors + r.timeouts, 0),
    refused: rs.reduce((a, r) => a + (r.completed - r.ok), 0),
    statuses: rs.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(r.statuses)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
    /** Successful requests per second of server CPU time (less sensitive to a busy machine). */
    rpsPerCpuSecond: median(rs.filter((r) => r.serverCpu).map((r) => r.ok / (r.serverCpu as number))),
    runs: rs,
  };
}

/** Successful requests per server CPU-second, per round (null when /proc is unavailable). */
function perCpu(rs: RunRecord[]): (number | null)[] {
  return rs.map((r) => (r.serverCpu ? r.ok / r.serverCpu : null));
}

/** The same comparison in CPU time: less sensitive to other processes taking the cores. */
function cpuNote(a: RunRecord[], b: (number | null)[], unit: 'x' | '%'): string {
  const pa = perCpu(a);
  const ratios = pa.flatMap((x, n) => (x !== null && b[n] ? [x / (b[n] as number)] : []));
  if (!ratios.length) return '';
  const r = median(ratios);
  return `per CPU-second: ${Math.round(median(pa.filter((x): x is number => x !== null)))} req/CPU-s, ${unit === '%' ? `${Math.round(r * 100)}%` : `${r.toFixed(2)}x`}`;
}

function ratioRow(
  id: string,
  section: string,
  name: string,
  target: Target | null,
  a: RunRecord[],
  baselineText: string,
  perRound: number[],
  note?: string,
  unit: Target['unit'] = 'x',
): Row {
  const ratio = median(perRound);
  const issues = problems(a);
  const pass = verdict(ratio, target);
  return {
    id,
    section,
    name,
    measured: describe(a) + (issues.length ? ` — ${issues.join('; ')}` : ''),
    baseline: baselineText,
    ratio,
    target,
    pass: pass === null ? null : pass && issues.length === 0,
    unit,
    ...(note ? { note } : {}),
    data: { perRound },
  };
}

export async function throughputRows(
  i: ThroughputRowsInput,
): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const { tp } = i;
  const rows: Row[] = [];
  const boundToken = tp.bounds.map((b) => b.tokenPerSec);
  const boundRs = tp.bounds.map((b) => b.rsPerSec);
  const boundTokenText = `crypto bound: ${Math.round(median(boundToken))} req/s (ES256 verify+verify+sign, 1 core)`;
  const boundRsText = `crypto bound: ${Math.round(median(boundRs))} req/s (ES256 verify+verify, 1 core)`;
  const boundTokenCpu = tp.bounds.map((b) => b.tokenPerCpuSec);
  const boundRsCpu = tp.bounds.map((b) => b.rsPerCpuSec);
  const runs = (k: string) => tp.runs[k] ?? [];
  const perRound = (k: string, f: (r: RunRecord, round: number) => number) => runs(k).map((r, n) => f(r, n));
  const peerToken = runs('peer-token');
  const peerRs = runs('peer-rs');
  const tokenVsPeer: Target = { kind: 'min', value: 1.5, unit: 'x' };
  const tokenVsBound: Target = { kind: 'min', value: 0.4, unit: '%' };
  const rsVsBound: Target = { kind: 'min', value: 0.5, unit: '%' };
  const S = 'throughput';

  if (i.lab) {
    const labToken = runs('lab-token');
    const labRs = runs('lab-rs');
    rows.push(
      ratioRow(
        '5a',
        S,
        'lab token endpoint (client_credentials, private_key_jwt, DPoP)',
        tokenVsPeer,
        labToken,
        `oidc-provider: ${describe(peerToken)}`,
        perRound('lab-token', (r, n) => r.rps / (peerToken[n] as RunRecord).rps),
        cpuNote(labToken, perCpu(peerToken), 'x'),
      ),
      ratioRow(
        '5a',
        S,
        'lab token endpoint vs the crypto bound',
        tokenVsBound,
        labToken,
        boundTokenText,
        perRound('lab-token', (r, n) => r.rps / (boundToken[n] as number)),
        cpuNote(labToken, boundTokenCpu, '%'),
      ),
      ratioRow(
        '5b',
        S,
        'lab RS GET /accounts (DPoP-bound token, fresh proof)',
        rsVsBound,
        labRs,
        boundRsText,
        perRound('lab-rs', (r, n) => r.rps / (boundRs[n] as number)),
        cpuNote(labRs, boundRsCpu, '%'),
      ),
      ratioRow(
        '5b',
        S,
        'lab RS GET /accounts vs oidc-provider userinfo',
        null,
        labRs,
        `oidc-provider userinfo: ${describe(peerRs)}`,
        perRound('lab-rs', (r, n) => r.rps / (peerRs[n] as RunRecord).rps),
        'reference: userinfo looks up an opaque token (one signature check per request, not two)',
      ),
    );
  } else {
    rows.push(
      notMeasured(
        '5a',
        S,
        'lab token endpoint (client_credentials, private_key_jwt, DPoP)',
        tokenVsPeer,
        i.labReason,
      ),
      notMeasured('5a', S, 'lab token endpoint vs the crypto bound', tokenVsBound, i.labReason),
      notMeasured('5b', S, 'lab RS GET /accounts (DPoP-bound token, fresh proof)', rsVsBound, i.labReason),
    );
  }
  rows.push(
    ratioRow(
      '5a',
      S,
      'oidc-provider token endpoint vs the crypto bound',
      null,
      peerToken,
      boundTokenText,
      perRound('peer-token', (r, n) => r.rps / (boundToken[n] as number)),
      `reference (the peer); ${cpuNote(peerToken, boundTokenCpu, '%')}`,
      '%',
    ),
    ratioRow(
      '5b',
      S,
      'oidc-provider userinfo (DPoP) vs the crypto bound',
      null,
      peerRs,
      boundRsText,
      perRound('peer-rs', (r, n) => r.rps / (boundRs[n] as number)),
      `reference (the peer); ${cpuNote(peerRs, boundRsCpu, '%')}`,
      '%',
    ),
  );

  // Memory (6): peak during (5), then top up to the distinct-jti total and read RSS again.
  const memTarget: Target = { kind: 'max', value: 200, unit: 'MB' };
  const peerText = i.peerMem ? `oidc-provider peak ${Math.round(i.peerMem.hwm / MB)} MB` : '';
  let memory: Record<string, unknown> = {};
  if (i.lab && tp.labPeakRss !== null) {
    const idle = i.idleLab ? `idle lab ${Math.round(i.idleLab.rss / MB)} MB` : '';
    rows.push({
      id: '6a',
      section: 'memory',
      name: 'lab peak RSS during the throughput runs',
      measured: `${Math.round(tp.labPeakRss / MB)} MB`,
      baseline: [idle, peerText].filter(Boolean).join('; '),
      ratio: tp.labPeakRss / MB,
      target: memTarget,
      pass: verdict(tp.labPeakRss / MB, memTarget),
    });
    let sent = tp.labRequests;
    const labToken = i.targets.find((t) => t.key === 'lab-token') as LoadTarget;
    const topUps: RunRecord[] = [];
    while (sent < i.config.memoryRequests) {
      const n = Math.min(i.config.maxAmount, i.config.memoryRequests - sent);
      const r = await loadRun(labToken, Math.max(n, i.config.connections), {
        dir: i.dir,
        distDir: i.distDir,
        rounds: 1,
        connections: i.config.connections,
        warmup: 0,
        targetSeconds: 0,
        minAmount: 0,
        maxAmount: 0,
        maxSeconds: i.config.maxSeconds * 2,
        boundSeconds: 0,
        log: i.log,
      });
      topUps.push(r);
      sent += r.completed;
      i.log(`  memory: ${sent} lab requests with distinct jtis`);
      if (r.completed === 0) break;
    }
    const after = procMemory(i.lab.pid);
    const issues = problems(topUps);
    rows.push({
      id: '6b',
      section: 'memory',
      name: `lab RSS after ${sent.toLocaleString('en-US')} requests with distinct jtis`,
      measured: after
        ? `${Math.round(after.rss / MB)} MB (peak ${Math.round(after.hwm / MB)} MB)${issues.length ? ` — ${issues.join('; ')}` : ''}`
        : 'not readable',
      baseline: [i.idleLab ? `idle lab ${Math.round(i.idleLab.rss / MB)} MB` : '', peerText]
        .filter(Boolean)
        .join('; '),
      ratio: after ? after.rss / MB : null,
      target: memTarget,
      pass: after ? (verdict(after.rss / MB, memTarget) as boolean) && issues.length === 0 : null,
      ...(i.config.memoryRequests === 0 ? { note: 'smoke run: no top-up to 50,000' } : {}),
    });
    memory = { idle: i.idleLab, peakDuringThroughput: tp.labPeakRss, after, requests: sent, topUps };
  } else {
    const why = i.lab ? '/proc is not available' : i.labReason;
    rows.push(
      notMeasured('6a', 'memory', 'lab peak RSS during the throughput runs', memTarget, why),
      notMeasured('6b', 'memory', 'lab RSS after 50,000 requests with distinct jtis', memTarget, why),
    );
  }

  const data: Record<string, unknown> = {
    connections: i.config.connections,
    cryptoBound: {
      tokenPerSec: median(boundToken),
      rsPerSec: median(boundRs),
      tokenPerCpuSec: median(boundTokenCpu),
      rsPerCpuSec: median(boundRsCpu),
      rounds: tp.bounds,
    },
    peerMemory: i.peerMem,
    memory,
  };
  for (const [k, rs] of Object.entries(tp.runs)) data[k] = summary(rs);
  return { rows, data };
}
