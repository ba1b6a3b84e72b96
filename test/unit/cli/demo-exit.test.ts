/** `fapi demo` fails with the exit code of the step that failed: the ExitCode table read backwards. */
import { describe, expect, it } from 'vitest';
import { kindOfExit } from '../../../src/cli/commands/demo.js';
import { ExitCode, FapiError } from '../../../src/errors.js';

describe('fapi demo step failures', () => {
  it('keeps the exit code of a failed step (2-6, 130); anything else is internal (1)', () => {
    for (const code of [2, 3, 4, 5, 6, 130])
      expect(new FapiError('E_DEMO_STEP', 'm', { kind: kindOfExit(code) }).exitCode).toBe(code);
    for (const code of [1, 7, 137]) expect(kindOfExit(code)).toBe('internal');
    expect(kindOfExit(ExitCode.localState)).toBe('localState');
  });
});
