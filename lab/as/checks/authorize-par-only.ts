import { invalidRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { AuthorizeExchange } from '../authorize.js';

/**
 * AZ-01: only pushed authorization requests are accepted (FAPI2-SP §5.3.2.2-3): the request
 * carries `request_uri` (PAR-16: with `client_id`, nothing else is needed).
 */
export const authorizeParOnly = defineCheck<AuthorizeExchange>({
  id: 'AZ-01',
  name: 'authorize-requires-par',
  spec: 'FAPI2-SP §5.3.2.2-3; RFC 9126 §4',
  run(s) {
    if (s.query.get('request_uri') !== undefined) return;
    const client = s.labClient!;
    if (s.ctx.relaxed('no-par') && !client.metadata.require_pushed_authorization_requests) return 'skip';
    throw invalidRequest(
      'this authorization server accepts only pushed authorization requests: POST the parameters to the PAR endpoint, then send client_id and request_uri here (FAPI2-SP §5.3.2.2-3)',
    );
  },
});
