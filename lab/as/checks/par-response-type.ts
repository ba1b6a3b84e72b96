import { badRequest, invalidRequest } from '../../errors.js';
import { defineCheck, type AsExchange } from '../check.js';

/** PAR-10: only `response_type=code` (FAPI2-SP §5.3.2.2-1; the pushed request is a full request, RFC 9126 §2.1). */
export const parResponseType = defineCheck<AsExchange>({
  id: 'PAR-10',
  name: 'par-response-type-code-only',
  spec: 'FAPI2-SP §5.3.2.2-1',
  run({ form }) {
    const rt = form.get('response_type');
    if (rt === undefined) throw invalidRequest('response_type is missing (it must be "code")');
    if (rt !== 'code')
      throw badRequest(
        'unsupported_response_type',
        `response_type ${JSON.stringify(rt)} is not allowed: FAPI 2.0 uses "code" only (FAPI2-SP §5.3.2.2-1)`,
      );
  },
});
