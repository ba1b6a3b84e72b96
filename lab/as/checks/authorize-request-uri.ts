import { badRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { AuthorizeExchange } from '../authorize.js';

/**
 * The request_uri is known, not expired (PAR-05), not used by an earlier authorization (PAR-06)
 * and pushed by this client (PAR-04). It is not consumed here: a page load, a reload or a link
 * preview must not burn it; the approval does (PAR-07; FAPI2-SP §5.3.2.2 Note 3).
 */
export const authorizeRequestUri = defineCheck<AuthorizeExchange>({
  id: 'PAR-05',
  name: 'authorize-request-uri-live-unused-and-bound',
  spec: 'RFC 9126 §4, §7.3; FAPI2-SP §5.3.2.2 Note 3',
  run(s) {
    const uri = s.query.get('request_uri');
    if (uri === undefined) return 'skip';
    const entry = s.ctx.requestUris.peek(uri);
    if (!entry)
      throw badRequest(
        'invalid_request_uri',
        'the request_uri is unknown or has expired: push the request again',
      );
    if (entry.expired)
      throw badRequest(
        'invalid_request_uri',
        `the request_uri expired ${Math.round(s.ctx.now() - entry.value.expiresAt)} s ago (it lives ${s.ctx.config.requestUriLifetime} s): push the request again`,
      );
    if (entry.value.usedAt !== undefined || s.ctx.usedRequestUris.get(uri))
      throw badRequest(
        'invalid_request_uri',
        'the request_uri was already used by an authorization (one-time use)',
        'PAR-06',
      );
    if (entry.value.clientId !== s.labClient!.client_id)
      throw badRequest('invalid_request_uri', 'the request_uri was pushed by another client', 'PAR-04');
    s.pushed = entry.value;
  },
});
