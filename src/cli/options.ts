/**
 * Option values that commander hands over as strings, parsed the same way by every command.
 */
import { usageError } from '../errors.js';

/**
 * A whole-number option from `min` to `max`, or undefined when the option is absent. Anything else
 * (a sign, a fraction, an exponent, out of range) is a usage error naming the flag; its code is the
 * flag's (`--days` → E_DAYS).
 */
export function parseIntOption(
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw usageError(
      `E_${flag.replace(/^-+/, '').replace(/-/g, '_').toUpperCase()}`,
      `${flag} ${value} is not a whole number from ${min} to ${max}.`,
      `Pass ${flag} N with N from ${min} to ${max}.`,
      { flag },
    );
  return n;
}
