import { checkRequestObjectClient } from '../../../src/core/request-object.js';
import { clientOf, defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';

/**
 * MS-06 (client): the request object's `iss` and `client_id` are the authenticated client, and a
 * `client_id` parameter beside it is the same (RFC 9101 §5, §6.3; FAPI2-MS §5.3.2).
 */
export const requestObjectClient = defineCheck<ParExchange>({
  id: 'MS-06',
  name: 'request-object-names-the-client',
  spec: 'RFC 9101 §5, §6.3; FAPI2-MS §5.3.2',
  run(s) {
    if (!s.requestObject) return 'skip';
    checkRequestObjectClient(s.requestObject.payload, clientOf(s).client.client_id, s.form.get('client_id'));
  },
});
