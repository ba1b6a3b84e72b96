/** The table and word wrap of src/cli/text.ts (`fapi lab attack`'s report and --list). */
import { describe, expect, it } from 'vitest';
import { table, wrap } from '../../../src/cli/text.js';

const plain = {
  bold: (s: string) => s,
  dim: (s: string) => s,
  red: (s: string) => s,
  green: (s: string) => s,
  yellow: (s: string) => s,
  cyan: (s: string) => s,
};

describe('attack report layout', () => {
  it('wraps words to the width and cuts words that are longer', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrap('', 5)).toEqual(['']);
  });

  it('fits the table to the width, wrapping the wide columns', () => {
    const lines = table(
      ['scenario', 'what the attacker tried', 'defence relaxed', 'under FAPI 2.0', 'stopped by'],
      [
        [
          'evil-twin',
          'replays an access token stolen from a log, from another machine',
          'worked (200)',
          'stopped (401)',
          'DP-14 (RFC 9449 §7.1), MT-07 (RFC 8705 §3)',
        ],
      ],
      100,
      plain,
    );
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines[0]).toMatch(
      /^scenario\s+what the attacker tried\s+defence relaxed\s+under FAPI 2.0\s+stopped by$/,
    );
    expect(lines.slice(1).join(' ')).toContain('evil-twin');
    expect(lines.length).toBeGreaterThan(2);
  });
});
