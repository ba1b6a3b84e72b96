/**
 * Shared by the check modules: the spec shorthand for FAPI 2.0 Security Profile sections and
 * `defineCheck`, which only gives a check its type.
 */
import type { Check } from '../types.js';

export const SP = 'FAPI2-SP';

export function defineCheck(c: Check): Check {
  return c;
}

/** The refusals of a bad client authentication: invalid_client (RFC 6749 §5.2), or invalid_request as the OIDF suite also accepts. */
export const INVALID_CLIENT = ['invalid_client', 'invalid_request'] as const;
