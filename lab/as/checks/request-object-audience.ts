import { checkRequestObjectAudience } from '../../../src/core/request-object.js';
import { defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';

/** MS-02: the request object's `aud` is the issuer, or an array containing it (FAPI2-MS §5.3.1-2). */
export const requestObjectAudience = defineCheck<ParExchange>({
  id: 'MS-02',
  name: 'request-object-aud-is-the-issuer',
  spec: 'FAPI2-MS §5.3.1-2; RFC 9101 §4',
  run(s) {
    if (!s.requestObject) return 'skip';
    checkRequestObjectAudience(s.requestObject.payload, s.ctx.urls.issuer);
  },
});
