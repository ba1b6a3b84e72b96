/**
 * `fapi lab attack` on a terminal shares the step list of src/cli/steps.ts (`fapi login` uses it
 * too). On a pseudo-terminal without a size, as `script` gives one, a live listr2 list would draw
 * nothing readable, so the progress falls back to plain lines: each scenario's story on stderr.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/cli.js';
import { HAS_PTY, fapiPty } from '../helpers/pty.js';

const home = tempHome('fapi-attack-tty-');
afterAll(() => home.cleanup());

describe.skipIf(!HAS_PTY)('fapi lab attack on a terminal without a size', () => {
  it('tells each scenario step by step in plain lines, then prints the table', async () => {
    const r = await fapiPty(
      ['--home', home.dir, 'lab', 'attack', 'evil-twin', 'token-in-url', 'pkce-downgrade'],
      [],
      { timeoutMs: 60_000, env: { NO_COLOR: '1' } },
    );
    expect(r.code, r.output).toBe(0);
    // The live renderer hides the cursor first; plain lines do not.
    expect(r.output).not.toContain('\u001b[?25l');
    for (const title of [
      'evil-twin: an access token stolen from a log is replayed from another machine',
      'token-in-url: the access token in a query string',
    ])
      expect(r.output).toContain(title);
    expect(r.output).toMatch(/stopped by: PKCE with S256 only/);
    expect(r.output).toContain('3 of 3 attacks worked with the defence relaxed');
  });
});
