import { checkRequestObjectNbf } from '../../../src/core/request-object.js';
import { defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';

/**
 * MS-03: the request object's `nbf` is required and at most 60 minutes old (FAPI2-MS §5.3.1-3);
 * `nbf` and `iat` up to 10 s in the future are accepted, more is not (FAPI2-SP §5.3.2.1-13).
 */
export const requestObjectNbf = defineCheck<ParExchange>({
  id: 'MS-03',
  name: 'request-object-nbf-at-most-60-min-old',
  spec: 'FAPI2-MS §5.3.1-3; FAPI2-SP §5.3.2.1-13',
  run(s) {
    if (!s.requestObject) return 'skip';
    checkRequestObjectNbf(s.requestObject.payload, s.ctx.now());
  },
});
