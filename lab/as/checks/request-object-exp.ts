import { checkRequestObjectExp } from '../../../src/core/request-object.js';
import { defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';

/**
 * MS-04: the request object's `exp` is required, at most 60 minutes after `nbf`, and not passed
 * (10 s of clock allowance) (FAPI2-MS §5.3.1-4).
 */
export const requestObjectExp = defineCheck<ParExchange>({
  id: 'MS-04',
  name: 'request-object-exp-within-60-min-of-nbf',
  spec: 'FAPI2-MS §5.3.1-4',
  run(s) {
    if (!s.requestObject) return 'skip';
    checkRequestObjectExp(s.requestObject.payload, s.ctx.now());
  },
});
