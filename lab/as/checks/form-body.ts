import { invalidRequest } from '../../errors.js';
import { Form } from '../../http.js';
import { defineCheck, type AsExchange } from '../check.js';

/**
 * Back-channel requests are form-encoded POSTs, and no parameter is repeated
 * (RFC 6749 §3.1, §3.2; RFC 9126 §2.1).
 */
export const formBody = defineCheck<AsExchange>({
  id: 'FORM',
  name: 'form-encoded-post-without-repeated-parameters',
  spec: 'RFC 6749 §3.1, §3.2',
  run(s) {
    if (!(s.req.body instanceof Form))
      throw invalidRequest('the request body must be application/x-www-form-urlencoded (RFC 6749 §3.2)');
    const repeated = s.form.repeated();
    if (repeated.length > 0)
      throw invalidRequest(
        `the parameter${repeated.length > 1 ? 's' : ''} ${repeated.join(', ')} must not be repeated (RFC 6749 §3.1)`,
      );
  },
});
