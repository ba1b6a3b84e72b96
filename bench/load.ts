/**
 * The load generator for `npm run bench`, in its own process: autocannon (npm) against one HTTPS
 * endpoint with `connections` concurrent keep-alive connections, a fixed number of requests and a
 * time bound. Every request is taken, in order, from a list built ahead of time (fresh client
 * assertion and DPoP proof each), so this process does no cryptography: it only writes bytes.
 *
 * Usage: node dist/bench/load.js SPEC.json — prints one JSON line (LoadResult) on stdout.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { procCpuSeconds } from './procs.js';

export interface PreparedRequest {
  headers: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  /** Full URL of the endpoint (https). */
  url: string;
  method: 'GET' | 'POST';
  /** PEM trust anchor of the server. */
  ca: string;
  connections: number;
  /** Requests to complete. */
  amount: number;
  /** Time bound: the run stops after this many seconds even if `amount` is not reached. */
  maxSeconds: number;
  /** At least `warmup + amount + 2 * connections` prepared requests (autocannon builds ahead). */
  requests: PreparedRequest[];
  /** Status of a successful response. */
  okStatus: number;
  /** Requests sent first, in this process, and not counted (warms both JITs). */
  warmup?: number;
  /** The server's pid: its CPU time is read from /proc around the measured pass only. */
  serverPid?: number;
}

export interface LoadResult {
  /** Responses received. */
  completed: number;
  /** Responses with okStatus. */
  ok: number;
  seconds: number;
  /** Successful responses per second over the run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** A few bodies of unexpected responses, for the report. */
  samples: string[];
  /** True when the time bound stopped the run before `amount` was reached. */
  timeBound: boolean;
  /** CPU seconds the load generator itself used (near `seconds` means it was the bottleneck). */
  generatorCpu: number;
  /** CPU seconds the server used during the measured pass (user + system), when /proc has it. */
  serverCpu: number | null;
  /** Requests sent, warm-up included (each with distinct jtis). */
  sent: number;
}

interface Pass {
  completed: number;
  ok: number;
  seconds: number;
  statuses: Record<string, number>;
  samples: string[];
  timeBound: boolean;
  result: Record<string, unknown>;
}

/** One autocannon run of `amount` requests taken from `list` starting at `cursor.next`. */
async function pass(spec: LoadSpec, amount: number, cursor: { next: number }): Promise<Pass> {
  const u = new URL(spec.url);
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  let ok = 0;
  // The run's own clock: from the first request built to the last response. autocannon's
  // `duration` only ends on its 1-second ticker, which would understate short runs' rates.
  let first = 0;
  let last = 0;
  const list = spec.requests;
  const instance = autocannon({
    url: u.origin,
    connections: Math.min(spec.connections, amount),
    amount,
    timeout: 10,
    tlsOptions: { ca: spec.ca },
    requests: [
      {
        method: spec.method,
        path: u.pathname + u.search,
        setupRequest: (req: Record<string, unknown>) => {
          if (first === 0) first = performance.now();
          const r = list[cursor.next++ % list.length] as PreparedRequest;
          req.headers = r.headers;
          if (r.body !== undefined) req.body = r.body;
          return req;
        },
        onResponse: (status: number, body: string) => {
          last = performance.now();
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === spec.okStatus) ok++;
          else if (samples.length < 3) samples.push(`${status} ${String(body).slice(0, 300)}`);
        },
      },
    ],
  });
  let timeBound = false;
  const timer = setTimeout(() => {
    timeBound = true;
    instance.stop();
  }, spec.maxSeconds * 1000);
  const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  });
  clearTimeout(timer);
  return {
    completed: Object.values(statuses).reduce((a, b) => a + b, 0),
    ok,
    seconds: first && last > first ? (last - first) / 1000 : Number(result.duration),
    statuses,
    samples,
    timeBound,
    result,
  };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const cursor = { next: 0 };
  // A warm-up pass in this process first (its JIT, the server's), not counted.
  const warm = spec.warmup ? await pass(spec, spec.warmup, cursor) : undefined;
  const cpu0 = process.cpuUsage();
  const server0 = spec.serverPid ? procCpuSeconds(spec.serverPid) : null;
  const p = await pass(spec, spec.amount, cursor);
  const server1 = spec.serverPid ? procCpuSeconds(spec.serverPid) : null;
  const cpu = process.cpuUsage(cpu0);
  const latency = p.result.latency as { p50: number; p99: number };
  // Refusals in the warm-up count as refusals too.
  const statuses = { ...p.statuses };
  for (const [k, v] of Object.entries(warm?.statuses ?? {}))
    if (Number(k) !== spec.okStatus) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    completed: p.completed + (warm ? warm.completed - warm.ok : 0),
    ok: p.ok,
    seconds: p.seconds,
    rps: p.seconds > 0 ? p.ok / p.seconds : 0,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    errors: Number(p.result.errors) + Number(warm?.result.errors ?? 0),
    timeouts: Number(p.result.timeouts) + Number(warm?.result.timeouts ?? 0),
    statuses,
    samples: [...(warm?.samples ?? []), ...p.samples].slice(0, 3),
    timeBound: p.timeBound || Boolean(warm?.timeBound),
    generatorCpu: (cpu.user + cpu.system) / 1e6,
    serverCpu: server0 !== null && server1 !== null ? server1 - server0 : null,
    sent: p.completed + (warm?.completed ?? 0),
  };
}

if (process.argv[1] && process.argv[1].endsWith('load.js')) {
  const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LoadSpec;
  runLoad(spec).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e: unknown) => {
      process.stderr.write(`bench load: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
