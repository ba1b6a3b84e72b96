/**
 * Shared by the check modules: the spec shorthands of the catalogue (§0.3) and `defineCheck`,
 * which only gives a check its type.
 */
import type { Check } from '../types.js';

export const SP = 'FAPI2-SP';

export function defineCheck(c: Check): Check {
  return c;
}

/** The server's refusal words for a bad client authentication (catalogue Appendix B; the suite also accepts invalid_request). */
export const INVALID_CLIENT = ['invalid_client', 'invalid_request'] as const;
