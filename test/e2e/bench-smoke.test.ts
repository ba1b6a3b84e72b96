/**
 * `npm run bench` in smoke mode (tiny counts): the benchmark still runs end to end — CLI timings,
 * the lab and oidc-provider under a real load generator, memory readings — prints its table,
 * writes its JSON, sees no errors, and leaves no server behind. Figures are not asserted (they are
 * meaningless at these counts); the shape and the absence of errors are.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  id: string;
  name: string;
  measured: string;
  ratio: number | null;
  target: { kind: string; value: number; unit: string } | null;
  pass: boolean | null;
  note?: string;
}

interface RunSummary {
  requests: number;
  errors: number;
  refused: number;
}

function runBench(out: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'run.js')], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SMOKE: '1', BENCH_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - start });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run bench (smoke)', () => {
  it('runs end to end, prints every figure with its target, writes JSON, and sees no errors', async () => {
    const out = path.join(dir, 'results.json');
    const r = await runBench(out);
    expect(r.code, r.stderr).toBe(0);

    // The table: a header and one line per figure, each with its target.
    expect(r.stdout).toContain('| # ');
    expect(r.stdout).toContain('baseline (same run)');
    for (const label of [
      'fapi --help',
      'fapi --version',
      'fapi keygen --cert --json --alg ES256',
      'fapi keygen --cert --json --alg PS256',
      'fapi keygen --cert --json --alg EdDSA',
      'fapi login',
      'fapi call --dpop',
      'fapi lab up: time to ready',
      'lab token endpoint (client_credentials, private_key_jwt, DPoP)',
      'lab token endpoint vs the crypto bound',
      'lab RS GET /accounts',
      'oidc-provider token endpoint vs the crypto bound',
      'oidc-provider userinfo (DPoP) vs the crypto bound',
      'lab peak RSS',
      'lab RSS after',
      'fapi login --jar',
      'lab PAR with a signed request object',
      'fapi conform client --jarm --jar --introspection: the whole plan',
      'fapi conform client: switching the lab',
      'fapi conform client: judging a module',
    ])
      expect(r.stdout).toContain(label);
    expect(r.stdout).toMatch(/Baseline: node -e 0 = \d+(\.\d)? ms/);

    // The JSON: the same rows, with ratios and targets.
    expect(existsSync(out)).toBe(true);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      smoke: boolean;
      date: string;
      machine: { cpus: number; node: string };
      nodeBaselineMs: number;
      rows: Row[];
      throughput: Record<string, unknown>;
    };
    expect(json.smoke).toBe(true);
    expect(Number.isNaN(Date.parse(json.date))).toBe(false);
    expect(json.nodeBaselineMs).toBeGreaterThan(0);
    const ids = json.rows.map((x) => x.id);
    for (const id of [
      '1a',
      '1b',
      '2a',
      '2b',
      '2c',
      '2d',
      '3a',
      '3b',
      '3c',
      '4',
      '5a',
      '5b',
      '5c',
      '6a',
      '6b',
      '7c',
      '7d',
      '7e',
    ])
      expect(ids).toContain(id);
    for (const row of json.rows) {
      if (row.ratio === null) {
        // Not measured: it must say why.
        expect(row.measured).toBe('not measured');
        expect(row.note, row.name).toBeTruthy();
      } else {
        expect(row.ratio, row.name).toBeGreaterThan(0);
        expect(row.pass === null || typeof row.pass === 'boolean').toBe(true);
      }
    }
    // CLI start-up is always measurable.
    const help = json.rows.find((x) => x.id === '1a') as Row;
    expect(help.ratio).not.toBeNull();
    expect(help.target).toEqual({ kind: 'max', value: 1.3, unit: 'x' });

    // Every load run against a server completed with no errors and no refusals.
    const runs = Object.entries(json.throughput).filter(([k]) => /-(token|rs)$/.test(k)) as [
      string,
      RunSummary,
    ][];
    expect(runs.map(([k]) => k)).toEqual(expect.arrayContaining(['peer-token', 'peer-rs']));
    for (const [k, s] of runs) {
      expect(s.requests, k).toBeGreaterThan(0);
      expect(s.errors, k).toBe(0);
      expect(s.refused, k).toBe(0);
    }

    // Nothing left running: the servers it started are gone.
    const pids = [...r.stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
  }, 120_000);
});
