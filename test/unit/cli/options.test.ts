/** Whole-number options (`--days`, `--bits`): one parser, one usage error shape (exit 2). */
import { describe, expect, it } from 'vitest';
import { FapiError } from '../../../src/errors.js';
import { parseIntOption } from '../../../src/cli/options.js';

describe('parseIntOption', () => {
  it('absent is undefined; a whole number in range is that number', () => {
    expect(parseIntOption('--days', undefined, 1, 10)).toBeUndefined();
    expect(parseIntOption('--days', '1', 1, 10)).toBe(1);
    expect(parseIntOption('--days', ' 10 ', 1, 10)).toBe(10);
    expect(parseIntOption('--days', '007', 1, 10)).toBe(7);
  });

  for (const bad of ['0', '11', '-1', '+3', '1.5', '1e1', '0x5', '', 'abc', '99999999999999999999']) {
    it(`refuses ${JSON.stringify(bad)}: a usage error naming the flag and the range`, () => {
      let err: unknown;
      try {
        parseIntOption('--ca-days', bad, 1, 10);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FapiError);
      const f = err as FapiError;
      expect(f.exitCode).toBe(2);
      expect(f.code).toBe('E_CA_DAYS');
      expect(f.message).toBe(`--ca-days ${bad} is not a whole number from 1 to 10.`);
      expect(f.details).toEqual({ flag: '--ca-days' });
    });
  }
});
