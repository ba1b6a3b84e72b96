import { checkRequestObjectJti } from '../../../src/core/request-object.js';
import { clientOf, defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';

/**
 * MS-04 (replay): a request object is used once while it lives: its `jti` is remembered until its
 * `exp` (RFC 7519 §4.1.7; the 60-minute bound of FAPI2-MS §5.3.1-4 bounds the memory too).
 */
export const requestObjectJti = defineCheck<ParExchange>({
  id: 'MS-04',
  name: 'request-object-used-once',
  spec: 'FAPI2-MS §5.3.1-4; RFC 7519 §4.1.7',
  run(s) {
    if (!s.requestObject) return 'skip';
    const { ctx } = s;
    checkRequestObjectJti(s.requestObject.payload, clientOf(s).client.client_id, (key, exp) =>
      ctx.assertionJtis.once(`request-object:${key}`, exp),
    );
  },
});
