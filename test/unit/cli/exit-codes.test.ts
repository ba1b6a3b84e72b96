/** The one place that prints errors: each kind maps to its documented exit code (README). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { printError } from '../../../src/cli/main.js';
import { FapiError, type ErrorKind } from '../../../src/errors.js';

let written = '';
afterEach(() => {
  vi.restoreAllMocks();
  written = '';
});
function capture() {
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    written += String(s);
    return true;
  });
}

describe('exit codes', () => {
  it('maps every error kind to its code', () => {
    const table: [ErrorKind, number][] = [
      ['usage', 2],
      ['localState', 3],
      ['network', 4],
      ['server', 5],
      ['nonConformant', 6],
      ['interrupted', 130],
    ];
    capture();
    for (const [kind, code] of table)
      expect(printError(new FapiError('E_X', 'm', { kind }), false)).toBe(code);
  });

  it('prints the server OAuth error and the hint, no stack, for expected errors', () => {
    capture();
    const code = printError(
      new FapiError('E_PAR', 'PAR was refused.', {
        kind: 'server',
        oauth: { status: 401, error: 'invalid_client', error_description: 'aud must be the issuer' },
        hint: 'check assertion_audience',
      }),
      false,
    );
    expect(code).toBe(5);
    expect(written).toContain('server said: HTTP 401 invalid_client: aud must be the issuer');
    expect(written).toContain('hint: check assertion_audience');
    expect(written).not.toMatch(/\n\s+at /);
  });

  it('an unexpected error is an internal bug: exit 1, with the stack to report, and as JSON with --json', () => {
    capture();
    expect(printError(new TypeError('boom'), false)).toBe(1);
    expect(written).toContain('internal error: TypeError: boom');
    expect(written).toMatch(/\n\s+at /);
    written = '';
    expect(printError(new TypeError('boom'), true)).toBe(1);
    expect(JSON.parse(written)).toMatchObject({
      error: { code: 'E_INTERNAL', message: 'boom', exit_code: 1 },
    });
  });

  it('a prompt cancelled with Ctrl-C is exit 130', () => {
    capture();
    const e = new Error('User force closed the prompt');
    e.name = 'ExitPromptError';
    expect(printError(e, false)).toBe(130);
  });
});
