/**
 * The README's first command: `npm run demo` (= `fapi demo`) runs the whole journey on a lab of its
 * own and cleans up after itself. Also covers `fapi lab open` (the non-interactive browser).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fapi } from '../helpers/cli.js';

describe('fapi demo', () => {
  it('runs lab up, init, login, call, refresh, call, lab down; prints the steps; leaves nothing running', async () => {
    const r = await fapi(['--json', 'demo'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as {
      home: string | null;
      steps: { command: string; exit: number }[];
    };
    expect(result.home).toBeNull();
    const commands = result.steps.map((s) => s.command.split(' ').slice(0, 3).join(' '));
    expect(commands).toEqual(
      expect.arrayContaining([
        'fapi lab up',
        'fapi init --lab',
        'fapi login',
        'fapi call -i',
        'fapi token refresh',
        'fapi lab down',
        'fapi lab attack',
      ]),
    );
    expect(result.steps.every((s) => s.exit === 0)).toBe(true);
    // The narration shows each command and the RS answer; no token is printed.
    expect(r.stderr).toContain('$ fapi login');
    expect(r.stderr).toContain('HTTP 200');
    expect(r.stderr).not.toMatch(/eyJ[\w-]{20,}\.eyJ/);
    const home = /in (\S*fapi-demo-\S+)/.exec(r.stderr)?.[1];
    expect(home && existsSync(home)).toBe(false);
  }, 150_000);
});
