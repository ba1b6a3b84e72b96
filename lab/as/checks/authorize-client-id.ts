import { invalidRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { AuthorizeExchange } from '../authorize.js';

/**
 * AZ-03: the authorization request names a registered client. Errors before the client and its
 * redirect URI are known are shown as a page, never redirected (FAPI2-SP §5.3.2.1-7; RFC 6749 §4.1.2.1).
 */
export const authorizeClientId = defineCheck<AuthorizeExchange>({
  id: 'AZ-03',
  name: 'authorize-known-client-no-open-redirect',
  spec: 'FAPI2-SP §5.3.2.1-7; RFC 6749 §4.1.2.1',
  run(s) {
    const id = s.query.get('client_id');
    if (id === undefined) throw invalidRequest('client_id is missing from the authorization request');
    const client = s.ctx.clients.get(id);
    if (!client) throw invalidRequest(`unknown client ${JSON.stringify(id)}`);
    s.labClient = client;
    s.req.lab.clientId = id;
  },
});
