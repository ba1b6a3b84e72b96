/**
 * Rows of the benchmark report: each figure with its baseline, the ratio, the target and the
 * verdict, printed as a table and written as JSON.
 */

export interface Target {
  /** `max`: ratio must be at most `value`; `min`: at least `value`. */
  kind: 'max' | 'min';
  value: number;
  /**
   * How the ratio is shown: `x` (1.3x), `%` (40%), or an absolute figure: `MB` (120 MB), `s`
   * (14.2 s), `ms` (300 ms), `µs` (12.5 µs).
   */
  unit: 'x' | '%' | 'MB' | 's' | 'ms' | 'µs';
}

export interface Row {
  id: string;
  section: string;
  name: string;
  /** The figure itself, human-readable (e.g. "61 ms", "2140 req/s"). */
  measured: string;
  /** What it is compared with, human-readable. */
  baseline: string;
  /** measured / baseline (median of the per-run ratios), or null when not measured. */
  ratio: number | null;
  target: Target | null;
  /** true/false against the target; null for a reference row or when not measured. */
  pass: boolean | null;
  /** How the ratio is shown when there is no target (reference rows); else the target's unit. */
  unit?: Target['unit'];
  note?: string;
  /** Raw numbers for results.json. */
  data?: Record<string, unknown>;
}

export function fmtRatio(ratio: number | null, unit: Target['unit'] = 'x'): string {
  if (ratio === null || !Number.isFinite(ratio)) return '-';
  if (unit === 'MB') return `${Math.round(ratio)} MB`;
  if (unit === 's') return `${ratio.toFixed(1)} s`;
  if (unit === 'ms') return ms(ratio);
  if (unit === 'µs') return `${ratio.toFixed(1)} µs`;
  return unit === '%' ? `${Math.round(ratio * 100)}%` : `${ratio.toFixed(2)}x`;
}

export function fmtTarget(t: Target | null): string {
  if (!t) return 'reference';
  const v =
    t.unit === 'MB' || t.unit === 's' || t.unit === 'ms' || t.unit === 'µs'
      ? `${t.value} ${t.unit}`
      : t.unit === '%'
        ? `${Math.round(t.value * 100)}%`
        : `${t.value}x`;
  const absolute = t.unit === 'MB' || t.unit === 's' || t.unit === 'ms' || t.unit === 'µs';
  return `${t.kind === 'max' ? (absolute ? '<' : '≤') : '≥'} ${v}`;
}

export function verdict(ratio: number | null, t: Target | null): boolean | null {
  if (!t || ratio === null || !Number.isFinite(ratio)) return null;
  return t.kind === 'max' ? ratio <= t.value : ratio >= t.value;
}

export function ms(x: number): string {
  return x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`;
}

/** A fixed-width text table (also valid Markdown). */
export function table(rows: Row[]): string {
  const head = ['#', 'measurement', 'measured', 'baseline (same run)', 'ratio', 'target', 'ok'];
  const body = rows.map((r) => [
    r.id,
    r.name,
    r.measured,
    r.baseline,
    fmtRatio(r.ratio, r.target?.unit ?? r.unit ?? 'x'),
    fmtTarget(r.target),
    r.pass === null ? (r.ratio === null ? 'n/a' : '-') : r.pass ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** The table as Markdown (for the README): `node dist/bench/report.js bench/results.json`. */
export function markdown(rows: Row[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    '| # | measurement | measured | baseline (same run) | ratio | target | ok |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const ok = r.pass === null ? (r.ratio === null ? 'n/a' : '-') : r.pass ? 'yes' : '**no**';
    out.push(
      `| ${r.id} | ${cell(r.name)} | ${cell(r.measured)} | ${cell(r.baseline)} | ${fmtRatio(r.ratio, r.target?.unit ?? r.unit ?? 'x')} | ${fmtTarget(r.target)} | ${ok} |`,
    );
  }
  return out.join('\n');
}

if (process.argv[1] && process.argv[1].endsWith('report.js') && process.argv[2]) {
  const { readFileSync } = await import('node:fs');
  const results = JSON.parse(readFileSync(process.argv[2], 'utf8')) as { rows: Row[] };
  process.stdout.write(markdown(results.rows) + '\n');
}
