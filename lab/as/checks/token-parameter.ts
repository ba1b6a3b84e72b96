import { invalidRequest } from '../../errors.js';
import { defineCheck, type AsExchange } from '../check.js';

/**
 * Introspection and revocation requests carry the `token` parameter (RFC 7662 §2.1, RFC 7009 §2.1:
 * REQUIRED); without it the request is malformed (RFC 6749 §5.2 `invalid_request`).
 */
export const tokenParameter = defineCheck<AsExchange>({
  id: 'IN-01',
  name: 'token-parameter-present',
  spec: 'RFC 7662 §2.1; RFC 7009 §2.1',
  run(s) {
    if (s.form.get('token') === undefined) throw invalidRequest('the token parameter is missing');
  },
});
