/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or BENCH_PROFILE=DIR with `npm run bench`):
 * the functions with the most self time, and the time spent under each function of the project's
 * own code (inclusive), so a slow check, a per-request key import or a logger stands out.
 *
 * Usage: node dist/bench/profile.js FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  ms: number;
  share: number;
}

function label(n: Node): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url.replace(/^file:\/\/.*?\/(dist\/|node_modules\/)/, '$1').replace(/^node:/, 'node:');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

export function summarise(
  p: Profile,
  top = 25,
): { self: ProfileLine[]; own: ProfileLine[]; totalMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const own = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id) as Node;
    self.set(label(n), (self.get(label(n)) ?? 0) + us);
    // Inclusive time of the project's own functions (dist/src, dist/lab): each counted once per
    // sample even when recursive.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur) as Node;
      if (!/\/dist\/(src|lab)\//.test(node.callFrame.url)) continue;
      const l = label(node);
      if (seen.has(l)) continue;
      seen.add(l);
      own.set(l, (own.get(l) ?? 0) + us);
    }
  }
  const lines = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / totalUs }));
  return { self: lines(self), own: lines(own), totalMs: totalUs / 1000 };
}

if (process.argv[1] && process.argv[1].endsWith('profile.js')) {
  const p = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Profile;
  const s = summarise(p, Number(process.argv[3] ?? 25));
  const pr = (l: ProfileLine) =>
    `${(l.share * 100).toFixed(1).padStart(5)}%  ${l.ms.toFixed(0).padStart(6)} ms  ${l.name}`;
  process.stdout.write(
    `total sampled ${s.totalMs.toFixed(0)} ms\n\nself time:\n${s.self.map(pr).join('\n')}\n\n` +
      `inclusive, fapi's own code:\n${s.own.map(pr).join('\n')}\n`,
  );
}
