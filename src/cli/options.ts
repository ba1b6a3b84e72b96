/**
 * Option values that several commands parse the same way, parsed in one place: integers with a
 * range (ports, counts, certificate validity). Errors are usage errors (exit 2) that name the flag.
 */
import { usageError } from '../errors.js';

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
