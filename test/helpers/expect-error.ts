/**
 * "This must fail with a FapiError": the one assertion the tests use for fapi's expected errors
 * (src/errors.ts). It fails the test when nothing is thrown, rethrows anything that is not a
 * FapiError (its stack is the clue), checks the fields asked for, and returns the error so a test
 * can look at more (hint, details, oauth).
 */
import { expect } from 'vitest';
import { FapiError } from '../../src/errors.js';

export interface FapiErrorExpectation {
  code?: string;
  exitCode?: number;
  /** A substring of the message, or a pattern it must match. */
  message?: string | RegExp;
  /** Names the case in failure messages (for loops over inputs). */
  label?: string;
}

/**
 * `expectFapiError(() => parse(x), { code: 'E_X', exitCode: 2 })` for a synchronous call;
 * `await expectFapiError(promise, …)` or `await expectFapiError(async () => …, …)` for a rejection.
 */
export function expectFapiError(
  what: Promise<unknown> | (() => Promise<unknown>),
  want?: FapiErrorExpectation,
): Promise<FapiError>;
export function expectFapiError(what: () => unknown, want?: FapiErrorExpectation): FapiError;
export function expectFapiError(
  what: Promise<unknown> | (() => unknown),
  want: FapiErrorExpectation = {},
): FapiError | Promise<FapiError> {
  if (typeof what !== 'function') return settle(what, want);
  let result: unknown;
  try {
    result = what();
  } catch (e) {
    return check(e, want);
  }
  if (result instanceof Promise) return settle(result, want);
  return notThrown(want);
}

function settle(p: Promise<unknown>, want: FapiErrorExpectation): Promise<FapiError> {
  return p.then(
    () => notThrown(want),
    (e: unknown) => check(e, want),
  );
}

function describe(want: FapiErrorExpectation): string {
  return `${want.label ? `${want.label}: ` : ''}expected a FapiError${want.code ? ` ${want.code}` : ''}`;
}

function notThrown(want: FapiErrorExpectation): never {
  throw new Error(`${describe(want)}, but nothing was thrown`);
}

function check(e: unknown, want: FapiErrorExpectation): FapiError {
  if (!(e instanceof FapiError)) throw new Error(`${describe(want)}, got ${String(e)}`, { cause: e });
  if (want.code !== undefined) expect(e.code, want.label).toBe(want.code);
  if (want.exitCode !== undefined) expect(e.exitCode, want.label).toBe(want.exitCode);
  if (typeof want.message === 'string') expect(e.message, want.label).toContain(want.message);
  else if (want.message) expect(e.message, want.label).toMatch(want.message);
  return e;
}
