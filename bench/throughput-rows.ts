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
  /** Epoch ms by which the whole bench must end (the memory top-up stops short of it). */
  deadline: number;
}

const MB = 1024 * 1024;

/** Successful requests per server CPU-second, per round (null when /proc is unavailable). */
export function perCpu(rs: RunRecord[]): (number | null)[] {
  return rs.map((r) => (r.serverCpu ? r.ok / r.serverCpu : null));
}

function medianOf(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === xs.length && v.length > 0 ? median(v) : null;
}

function describe(rs: RunRecord[]): string {
  const cpu = medianOf(perCpu(rs));
  return (
    `${Math.round(med(rs, (r) => r.rps))} req/s${cpu !== null ? `, ${Math.round(cpu)}/CPU-s` : ''}` +
    ` (p50 ${med(rs, (r) => r.p50Ms)} ms, p99 ${med(rs, (r) => r.p99Ms)} ms)`
  );
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
    /** Successful requests per second of server CPU time (insensitive to a busy machine). */
    rpsPerCpuSecond: medianOf(perCpu(rs)),
    /** Share of one core the server used during the runs. */
    serverCoreShare: medianOf(
      rs.map((r) => (r.serverCpu !== null && r.seconds ? r.serverCpu / r.seconds : null)),
    ),
    p50Ms: med(rs, (r) => r.p50Ms),
    p99Ms: med(rs, (r) => r.p99Ms),
    requests: rs.reduce((a, r) => a + r.completed, 0),
    errors: rs.reduce((a, r) => a + r.errors + r.timeouts, 0),
    refused: rs.reduce((a, r) => a + (r.completed - r.ok), 0),
    statuses: rs.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(r.statuses)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
    runs: rs,
  };
}

/** A baseline per round: requests (or crypto operations) per wall-clock second and per CPU-second. */
export interface Series {
  label: string;
  wall: number[];
  cpu: (number | null)[];
}

const fmt = (r: number, unit: Target['unit']) =>
  unit === '%' ? `${Math.round(r * 100)}%` : `${r.toFixed(2)}x`;

/**
 * One comparison, as medians of per-round ratios. Shared 2-core machines make wall-clock rates
 * swing with other processes' load, so the ratio (and the verdict) compares CPU time — requests
 * per CPU-second of the server against the baseline's per CPU-second — whenever /proc gives it;
 * the wall-clock ratio is kept in the note and the JSON.
 */
export function compare(
  id: string,
  name: string,
  target: Target | null,
  a: RunRecord[],
  base: Series,
  unit: Target['unit'],
  note?: string,
): Row {
  const wall = median(a.map((r, n) => r.rps / (base.wall[n] as number)));
  const pa = perCpu(a);
  const cpuRatios = pa.map((x, n) => (x !== null && base.cpu[n] ? x / (base.cpu[n] as number) : null));
  const cpu = medianOf(cpuRatios);
  const ratio = cpu ?? wall;
  const issues = problems(a);
  const pass = verdict(ratio, target);
  const baseCpu = medianOf(base.cpu);
  return {
    id,
    section: 'throughput',
    name,
    measured: describe(a) + (issues.length ? ` — ${issues.join('; ')}` : ''),
    baseline: `${base.label}: ${Math.round(median(base.wall))}/s${baseCpu !== null ? `, ${Math.round(baseCpu)}/CPU-s` : ''}`,
    ratio,
    target,
    pass: pass === null ? null : pass && issues.length === 0,
    unit,
    note: [
      cpu !== null ? `ratio in CPU time; wall-clock ratio ${fmt(wall, unit)}` : 'ratio in wall-clock time',
      note,
    ]
      .filter(Boolean)
      .join('; '),
    data: {
      wallRatio: wall,
      cpuRatio: cpu,
      wallPerRound: a.map((r, n) => r.rps / (base.wall[n] as number)),
      cpuPerRound: cpuRatios,
    },
  };
}

export async function throughputRows(
  i: ThroughputRowsInput,
): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const { tp } = i;
  const rows: Row[] = [];
  const runs = (k: string) => tp.runs[k] ?? [];
  const peerToken = runs('peer-token');
  const peerRs = runs('peer-rs');
  const boundToken: Series = {
    label: 'crypto bound (ES256 verify+verify+sign, 1 core)',
    wall: tp.bounds.map((b) => b.tokenPerSec),
    cpu: tp.bounds.map((b) => b.tokenPerCpuSec),
  };
  const boundRs: Series = {
    label: 'crypto bound (ES256 verify+verify, 1 core)',
    wall: tp.bounds.map((b) => b.rsPerSec),
    cpu: tp.bounds.map((b) => b.rsPerCpuSec),
  };
  const peerSeries = (rs: RunRecord[], label: string): Series => ({
    label,
    wall: rs.map((r) => r.rps),
    cpu: perCpu(rs),
  });
  const tokenVsPeer: Target = { kind: 'min', value: 1.5, unit: 'x' };
  const tokenVsBound: Target = { kind: 'min', value: 0.4, unit: '%' };
  const rsVsBound: Target = { kind: 'min', value: 0.5, unit: '%' };
  const S = 'throughput';

  if (i.lab) {
    const labToken = runs('lab-token');
    const labRs = runs('lab-rs');
    rows.push(
      compare(
        '5a',
        'lab token endpoint (client_credentials, private_key_jwt, DPoP)',
        tokenVsPeer,
        labToken,
        peerSeries(peerToken, 'oidc-provider'),
        'x',
      ),
      compare('5a', 'lab token endpoint vs the crypto bound', tokenVsBound, labToken, boundToken, '%'),
      compare('5b', 'lab RS GET /accounts (DPoP-bound token, fresh proof)', rsVsBound, labRs, boundRs, '%'),
      compare(
        '5b',
        'lab RS GET /accounts vs oidc-provider userinfo',
        null,
        labRs,
        peerSeries(peerRs, 'oidc-provider userinfo'),
        'x',
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
  const ceilingToken = runs('ceiling-token');
  if (ceilingToken.length > 0) {
    rows.push(
      compare(
        '5a',
        'fastify token route doing only the signatures vs the crypto bound',
        null,
        ceilingToken,
        boundToken,
        '%',
        'reference: the ceiling of HTTP + TLS on this machine (bench/ceiling.ts: no checks, no state)',
      ),
    );
    if (i.lab)
      rows.push(
        compare(
          '5a',
          'lab token endpoint vs that ceiling',
          null,
          runs('lab-token'),
          peerSeries(ceilingToken, 'fastify token route, signatures only'),
          '%',
          'reference: the share of the stack ceiling the lab keeps after its checks and state',
        ),
      );
  }
  rows.push(
    compare(
      '5a',
      'oidc-provider token endpoint vs the crypto bound',
      null,
      peerToken,
      boundToken,
      '%',
      'reference (the peer)',
    ),
    compare(
      '5b',
      'oidc-provider userinfo (DPoP) vs the crypto bound',
      null,
      peerRs,
      boundRs,
      '%',
      'reference (the peer)',
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
    let outOfTime = false;
    while (sent < i.config.memoryRequests) {
      const left = (i.deadline - Date.now()) / 1000;
      if (left < 20) {
        outOfTime = true;
        i.log(`  memory: stopping at ${sent} requests (time budget)`);
        break;
      }
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
        maxSeconds: Math.min(i.config.maxSeconds * 2, left - 10),
        boundSeconds: 0,
        runWarmup: 0,
        log: i.log,
      });
      topUps.push(r);
      sent += r.sent;
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
      ...(i.config.memoryRequests === 0
        ? { note: 'smoke run: no top-up to 50,000' }
        : outOfTime
          ? { note: `the 5-minute budget ran out after ${sent} requests (machine too busy)` }
          : {}),
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
      tokenPerSec: median(boundToken.wall),
      rsPerSec: median(boundRs.wall),
      tokenPerCpuSec: medianOf(boundToken.cpu),
      rsPerCpuSec: medianOf(boundRs.cpu),
      rounds: tp.bounds,
    },
    peerMemory: i.peerMem,
    memory,
  };
  for (const [k, rs] of Object.entries(tp.runs)) data[k] = summary(rs);
  return { rows, data };
}
