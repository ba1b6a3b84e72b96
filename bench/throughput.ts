/**
 * Throughput on loopback: a load generator process (autocannon) against the lab and against
 * oidc-provider, on the same workload, alternating targets within each round so every ratio
 * compares runs taken moments apart; the crypto bound is measured in each round too.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CryptoBound } from './crypto-bound.js';
import type { LoadResult, LoadSpec, PreparedRequest } from './load.js';
import { median } from './measure.js';
import { procCpuSeconds, procMemory, runJson } from './procs.js';

export interface LoadTarget {
  key: string;
  label: string;
  url: string;
  method: 'GET' | 'POST';
  ca: string;
  okStatus: number;
  /** Server process (for CPU and memory readings). */
  pid: number;
  /** Whether the requests count toward the lab's distinct-jti total. */
  lab: boolean;
  build(n: number): PreparedRequest[];
}

export interface ThroughputOptions {
  dir: string;
  distDir: string;
  rounds: number;
  connections: number;
  warmup: number;
  /** Run length aimed at, from the warm-up rate; amounts are clamped to [minAmount, maxAmount]. */
  targetSeconds: number;
  minAmount: number;
  maxAmount: number;
  maxSeconds: number;
  boundSeconds: number;
  log: (s: string) => void;
}

export interface RunRecord extends LoadResult {
  /** Server CPU seconds used during the run (user + system), when /proc is available. */
  serverCpu: number | null;
  amount: number;
}

export interface ThroughputResult {
  runs: Record<string, RunRecord[]>;
  bounds: CryptoBound[];
  /** Lab requests sent (each with distinct jtis), warm-up included. */
  labRequests: number;
  /** Peak RSS of the lab seen after the runs (VmHWM), bytes. */
  labPeakRss: number | null;
}

let seq = 0;

export async function loadRun(t: LoadTarget, amount: number, o: ThroughputOptions): Promise<RunRecord> {
  const requests = t.build(amount + 2 * o.connections + 8);
  const spec: LoadSpec = {
    url: t.url,
    method: t.method,
    ca: t.ca,
    connections: Math.min(o.connections, amount),
    amount,
    maxSeconds: o.maxSeconds,
    requests,
    okStatus: t.okStatus,
  };
  const file = path.join(o.dir, `load-${seq++}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const cpu0 = procCpuSeconds(t.pid);
  const r = await runJson<LoadResult>([path.join(o.distDir, 'load.js'), file], {
    timeoutMs: (o.maxSeconds + 30) * 1000,
    what: `load generator (${t.label})`,
  });
  const cpu1 = procCpuSeconds(t.pid);
  return { ...r, amount, serverCpu: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null };
}

export async function measureThroughput(
  targets: LoadTarget[],
  o: ThroughputOptions,
): Promise<ThroughputResult> {
  const runs: Record<string, RunRecord[]> = {};
  const amounts: Record<string, number> = {};
  let labRequests = 0;
  for (const t of targets) {
    runs[t.key] = [];
    if (o.warmup <= 0) {
      amounts[t.key] = o.minAmount;
      continue;
    }
    // Warm-up (JIT, TLS sessions), which also sizes the runs to about targetSeconds each.
    const w = await loadRun(t, o.warmup, o);
    if (t.lab) labRequests += w.completed;
    amounts[t.key] = Math.round(Math.min(o.maxAmount, Math.max(o.minAmount, w.rps * o.targetSeconds)));
    o.log(`  warm-up ${t.label}: ${Math.round(w.rps)} req/s → ${amounts[t.key]} requests per run`);
  }
  const bounds: CryptoBound[] = [];
  for (let round = 0; round < o.rounds; round++) {
    bounds.push(
      await runJson<CryptoBound>([path.join(o.distDir, 'crypto-bound.js'), String(o.boundSeconds)], {
        timeoutMs: 60_000,
        what: 'crypto bound',
      }),
    );
    for (const t of targets) {
      const r = await loadRun(t, amounts[t.key] as number, o);
      if (t.lab) labRequests += r.completed;
      (runs[t.key] as RunRecord[]).push(r);
      o.log(
        `  round ${round + 1}/${o.rounds} ${t.label}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms` +
          `${r.ok !== r.completed || r.errors ? `, ${r.completed - r.ok} refused, ${r.errors} errors` : ''}`,
      );
    }
  }
  const labPid = targets.find((t) => t.lab)?.pid;
  return {
    runs,
    bounds,
    labRequests,
    labPeakRss: labPid ? (procMemory(labPid)?.hwm ?? null) : null,
  };
}

/** Median of a per-round figure. */
export function med(rs: RunRecord[], f: (r: RunRecord) => number): number {
  return median(rs.map(f));
}
