/** src/cli/options.ts: one integer-option parser for --days (keygen, lab cert), ports and counts. */
import { describe, expect, it } from 'vitest';
import { DAYS_OPTION, nonEmpty, parseIntOption, portOption } from '../../../src/cli/options.js';

describe('parseIntOption', () => {
  it('--days: 1 to 36500, in the same words for every command', () => {
    expect(parseIntOption('1', DAYS_OPTION)).toBe(1);
    expect(parseIntOption(' 30 ', DAYS_OPTION)).toBe(30);
    expect(parseIntOption('36500', DAYS_OPTION)).toBe(36_500);
    expect(parseIntOption(undefined, DAYS_OPTION)).toBeUndefined();
    for (const bad of ['0', '36501', '-1', '1e3', '0x10', '12.5', '', 'many'])
      expect(() => parseIntOption(bad, DAYS_OPTION), bad).toThrow(
        expect.objectContaining({
          code: 'E_DAYS',
          exitCode: 2,
          message: `--days ${bad} is not a number of days from 1 to 36500.`,
          hint: 'For example --days 365.',
          details: { flag: '--days' },
        }),
      );
  });

  it('ports: 0 (a free port) to 65535, named by their flag', () => {
    expect(parseIntOption('0', portOption('--port'))).toBe(0);
    expect(parseIntOption('65535', portOption('--rs-port'))).toBe(65_535);
    expect(() => parseIntOption('99999', portOption('--mtls-port'))).toThrow(
      expect.objectContaining({
        code: 'E_LAB_PORT',
        exitCode: 2,
        message: '--mtls-port 99999 is not a port number from 0 to 65535.',
        hint: 'Pass --mtls-port 0..65535 (0 = a free port).',
      }),
    );
  });

  it('a count without an upper bound', () => {
    const lines = { flag: '--lines', min: 0, what: 'a number of lines', code: 'E_LAB_LINES', example: 100 };
    expect(parseIntOption('0', lines)).toBe(0);
    expect(parseIntOption('1000000', lines)).toBe(1_000_000);
    expect(() => parseIntOption('-3', lines)).toThrow(
      expect.objectContaining({
        code: 'E_LAB_LINES',
        message: '--lines -3 is not a number of lines (0 or more).',
      }),
    );
  });
});

describe('parseSizeOption', () => {
  it('bytes, or K/M/G (powers of 1024, also KiB/MB spellings), from 1 byte to 1G', async () => {
    const { parseSizeOption } = await import('../../../src/cli/options.js');
    expect(parseSizeOption(undefined, '--max-size')).toBeUndefined();
    expect(parseSizeOption('65536', '--max-size')).toBe(65_536);
    expect(parseSizeOption('512K', '--max-size')).toBe(512 * 1024);
    expect(parseSizeOption('10M', '--max-size')).toBe(10 * 1024 ** 2);
    expect(parseSizeOption('10MiB', '--max-size')).toBe(10 * 1024 ** 2);
    expect(parseSizeOption('2mb', '--max-size')).toBe(2 * 1024 ** 2);
    expect(parseSizeOption('1G', '--max-size')).toBe(1024 ** 3);
    for (const bad of ['0', '2G', '-1', '1.5M', '10T', 'M', '', 'lots'])
      expect(() => parseSizeOption(bad, '--max-size'), bad).toThrow(
        expect.objectContaining({ code: 'E_BAD_SIZE', exitCode: 2, details: { flag: '--max-size' } }),
      );
  });
});

describe('nonEmpty', () => {
  it('is the string given, or undefined for an empty, absent or other value', () => {
    expect(nonEmpty('x')).toBe('x');
    expect(nonEmpty(' ')).toBe(' ');
    for (const v of ['', undefined, null, 0, true, ['x']]) expect(nonEmpty(v), String(v)).toBeUndefined();
  });
});
