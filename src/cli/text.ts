/**
 * Plain-text layout for human output: word wrap and a table whose wide columns wrap to fit the
 * terminal, and paths shown with `~`. Widths count characters, so cells carry no colour codes (the
 * header is styled whole).
 */
import path from 'node:path';
import type { Palette } from './output.js';

/** `file` with the home folder shortened to `~`, for display: ~/.config/fapi/lab/ca.pem. */
export function tilde(file: string, home: string | undefined): string {
  return home && file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
}

/**
 * A plain-text table that fits `width`: the first column keeps its width, the others wrap (at most
 * 44 wide, never narrower than `minWidths[i]`, default 12), and the last takes what is left.
 */
export function table(
  head: string[],
  rows: string[][],
  width: number,
  c: Palette,
  minWidths: readonly number[] = [],
): string[] {
  const min = head.map((_, i) => minWidths[i] ?? 12);
  const natural = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const widths = natural.map((n, i) => Math.min(n, i === 0 ? n : 44));
  const gap = 2;
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  // Shrink the widest wrapping columns until the table fits.
  while (total() > width) {
    let widest = 1;
    for (let i = 1; i < widths.length; i++)
      if ((widths[i] as number) - (min[i] as number) > (widths[widest] as number) - (min[widest] as number))
        widest = i;
    if ((widths[widest] as number) <= (min[widest] as number)) break;
    widths[widest] = (widths[widest] as number) - 1;
  }
  // The last column takes what is left.
  const last = widths.length - 1;
  widths[last] = Math.max(min[last] as number, width - (total() - (widths[last] as number)));
  const render = (cells: string[], style: (s: string) => string = (s) => s): string[] => {
    const wrapped = cells.map((t, i) => wrap(t, widths[i] as number));
    const height = Math.max(...wrapped.map((w) => w.length));
    const out: string[] = [];
    for (let l = 0; l < height; l++)
      out.push(
        wrapped
          .map((w, i) => (i === last ? (w[l] ?? '') : (w[l] ?? '').padEnd(widths[i] as number)))
          .join(' '.repeat(gap))
          .trimEnd(),
      );
    return out.map(style);
  };
  return [...render(head, c.bold), ...rows.flatMap((r) => render(r))];
}

/** Word-wraps text to `width` columns (words longer than the width are cut). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let w = word;
    while (w.length > width) {
      if (line) {
        out.push(line);
        line = '';
      }
      out.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (!line) line = w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      out.push(line);
      line = w;
    }
  }
  if (line || out.length === 0) out.push(line);
  return out;
}
