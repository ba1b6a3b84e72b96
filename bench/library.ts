/**
 * The lab as a library (`fapi/lab`, README "Use the lab in your tests"), timed in this process once
 * its modules are loaded (a warm-up start and close first, as a test file's second lab would be):
 * row 8a, `startLab()` until it serves (a fresh temporary home each time, so the lab CA, the TLS
 * certificate and the signing key are made every time, as for every test file); row 8b,
 * `lab.close()` after a request (a keep-alive connection open), until the ports are free and the
 * temporary home is removed. Absolute targets: a test suite starts one lab per file.
 */
import { ms, type Row, type Target } from './report.js';
import type { BenchConfig } from './run.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

export async function libraryRows(o: { config: BenchConfig; log: (s: string) => void }): Promise<Row[]> {
  const { startLab } = await import('../src/public/lab.js');
  const runs = o.config.libraryRuns;
  // Warm-up: loads fastify, node:https and the lab's modules, which a test runner does once.
  const warm = await startLab({ quiet: true });
  await warm.close();
  const starts: number[] = [];
  const closes: number[] = [];
  let failures = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const lab = await startLab({ quiet: true });
    starts.push(performance.now() - t0);
    const res = await lab.fetch(`${lab.issuer}/.well-known/openid-configuration`);
    if (res.status !== 200) failures++;
    const t1 = performance.now();
    await lab.close();
    closes.push(performance.now() - t1);
  }
  const start = median(starts);
  const close = median(closes);
  o.log(`  startLab(): ${ms(start)}, close(): ${ms(close)} (median of ${runs})`);
  const row = (id: string, name: string, value: number, target: Target, all: number[]): Row => ({
    id,
    section: 'lab as a library',
    name,
    measured: `${ms(value)} (median of ${runs}${failures ? `; ${failures} runs failed` : ''})`,
    baseline: `min ${ms(Math.min(...all))}, max ${ms(Math.max(...all))}`,
    ratio: value,
    target,
    pass: failures > 0 ? false : value <= target.value,
    data: { runs: all },
  });
  return [
    row(
      '8a',
      'startLab() to serving, in process (modules loaded, fresh home)',
      start,
      { kind: 'max', value: 300, unit: 'ms' },
      starts,
    ),
    row(
      '8b',
      'lab.close() (ports freed, temporary home removed)',
      close,
      { kind: 'max', value: 50, unit: 'ms' },
      closes,
    ),
  ];
}
