/**
 * Option values that several commands parse the same way, parsed in one place: integers with a
 * range (ports, counts, certificate validity). Errors are usage errors (exit 2) that name the flag.
 */
import { usageError } from '../errors.js';

/** A string option's value, or undefined when it is absent, empty or not a string. */
export const nonEmpty = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/** An integer option: its flag, its range and how a bad value is reported. */
export interface IntOption {
  /** The flag as typed, e.g. `--days`. */
  flag: string;
  min: number;
  /** Inclusive; omit for a count without an upper bound. */
  max?: number;
  /** What the number is, for the message: "a number of days". */
  what: string;
  /** The stable error code of a bad value. */
  code: string;
  /** A good value, for the hint ("For example --days 365."). */
  example: number;
  /** A hint of its own instead of the example. */
  hint?: string;
}

/** Certificate validity, `fapi keygen --days` and `fapi lab cert --days` (at most 100 years). */
export const DAYS_OPTION: IntOption = {
  flag: '--days',
  min: 1,
  max: 36_500,
  what: 'a number of days',
  code: 'E_DAYS',
  example: 365,
};

/** A TCP port on 127.0.0.1 (0: a free one). */
export const portOption = (flag: string): IntOption => ({
  flag,
  min: 0,
  max: 65_535,
  what: 'a port number',
  code: 'E_LAB_PORT',
  example: 8443,
  hint: `Pass ${flag} 0..65535 (0 = a free port).`,
});

/**
 * Parses a decimal integer option within its range: `--days 30` → 30. Only digits (no sign,
 * exponent or hex); undefined stays undefined (the option was not given).
 */
export function parseIntOption(value: string, option: IntOption): number;
export function parseIntOption(value: string | undefined, option: IntOption): number | undefined;
export function parseIntOption(value: string | undefined, option: IntOption): number | undefined {
  if (value === undefined) return undefined;
  const { flag, min, max } = option;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (Number.isSafeInteger(n) && n >= min && (max === undefined || n <= max)) return n;
  const range = max === undefined ? `(${min} or more)` : `from ${min} to ${max}`;
  throw usageError(
    option.code,
    `${flag} ${value} is not ${option.what} ${range}.`,
    option.hint ?? `For example ${flag} ${option.example}.`,
    { flag },
  );
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
/** The largest size option: 1 GiB (a response is held in memory). */
const MAX_SIZE = 1024 ** 3;

/**
 * A size in bytes: digits with an optional binary unit, `65536`, `512K`, `10M`, `1G` (also `10MiB`,
 * `10MB`: units are powers of 1024). From 1 byte to 1 GiB; undefined stays undefined.
 */
export function parseSizeOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(value.trim());
  const n = m ? Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? NaN) : NaN;
  if (Number.isSafeInteger(n) && n >= 1 && n <= MAX_SIZE) return n;
  throw usageError(
    'E_BAD_SIZE',
    `${flag} ${value} is not a size from 1 byte to 1G.`,
    `For example ${flag} 10M (units K, M, G are powers of 1024).`,
    { flag },
  );
}
