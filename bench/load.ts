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
  /** At least `amount + 2 * connections` prepared requests (autocannon builds one ahead). */
  requests: PreparedRequest[];
  /** Status of a successful response. */
  okStatus: number;
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
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const u = new URL(spec.url);
  const cpu0 = process.cpuUsage();
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  let next = 0;
  let ok = 0;
  // The run's own clock: from the first request built to the last response. autocannon's
  // `duration` only ends on its 1-second ticker, which would understate short runs' rates.
  let first = 0;
  let last = 0;
  const list = spec.requests;
  const instance = autocannon({
    url: u.origin,
    connections: spec.connections,
    amount: spec.amount,
    timeout: 10,
    tlsOptions: { ca: spec.ca },
    requests: [
      {
        method: spec.method,
        path: u.pathname + u.search,
        setupRequest: (req: Record<string, unknown>) => {
          if (first === 0) first = performance.now();
          const r = list[next++ % list.length] as PreparedRequest;
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
  const cpu = process.cpuUsage(cpu0);
  const latency = result.latency as { p50: number; p99: number };
  const seconds = first && last > first ? (last - first) / 1000 : Number(result.duration);
  const completed = Object.values(statuses).reduce((a, b) => a + b, 0);
  return {
    completed,
    ok,
    seconds,
    rps: seconds > 0 ? ok / seconds : 0,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    errors: Number(result.errors),
    timeouts: Number(result.timeouts),
    statuses,
    samples,
    timeBound,
    generatorCpu: (cpu.user + cpu.system) / 1e6,
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
