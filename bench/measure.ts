/**
 * Measurement helpers for `npm run bench`: whole-process wall times, paired with a baseline run
 * in the same loop (A B A B …) so each ratio compares two runs taken moments apart on a noisy,
 * shared machine; medians are quoted.
 */
import { spawn } from 'node:child_process';

export interface Timing {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

export function timeCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 60_000,
): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code: code ?? 1, stdout, stderr });
    });
  });
}

export interface PairedResult {
  name: string;
  medianMs: number;
  baselineMedianMs: number;
  /** Median of the per-pair ratios target/baseline. */
  ratio: number;
  runs: number;
  failures: number;
}

/**
 * Runs `target` and the baseline alternately `runs` times after `warmup` unmeasured runs of
 * each. `prepare` runs before each target run (outside the timing), e.g. to empty a home folder.
 */
export async function paired(
  name: string,
  target: () => Promise<Timing>,
  baseline: () => Promise<Timing>,
  runs: number,
  warmup = 1,
  prepare?: (i: number) => Promise<void> | void,
): Promise<PairedResult> {
  for (let i = 0; i < warmup; i++) {
    await prepare?.(-1 - i);
    await target();
    await baseline();
  }
  const t: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  let failures = 0;
  for (let i = 0; i < runs; i++) {
    await prepare?.(i);
    const x = await target();
    if (x.code !== 0) {
      failures++;
      if (failures === 1)
        process.stderr.write(`bench: ${name} exited ${x.code}: ${x.stderr.slice(0, 400)}\n`);
    }
    const y = await baseline();
    t.push(x.ms);
    b.push(y.ms);
    r.push(x.ms / y.ms);
  }
  return { name, medianMs: median(t), baselineMedianMs: median(b), ratio: median(r), runs, failures };
}
