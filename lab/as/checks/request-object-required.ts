import { RequestObjectError } from '../../../src/core/request-object.js';
import { clientOf, defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';

/**
 * MS-01: where signed request objects are required (the lab's `requireSignedRequestObject`, or a
 * client registered with `require_signed_request_object`, RFC 9101 §10.5), a pushed request
 * without `request` is refused with invalid_request (FAPI2-MS §5.3.1-1: "support, require use of,
 * and verify" request objects at PAR). Skipped under the relaxation `unsigned-request-object`.
 */
export const requestObjectRequired = defineCheck<ParExchange>({
  id: 'MS-01',
  name: 'par-requires-signed-request-object',
  spec: 'FAPI2-MS §5.3.1-1; RFC 9101 §10.5',
  run(s) {
    if (s.form.has('request')) return 'skip';
    const { client } = clientOf(s);
    const required =
      s.ctx.config.requireSignedRequestObject || client.metadata.require_signed_request_object === true;
    if (!required || s.ctx.relaxed('unsigned-request-object')) return 'skip';
    throw new RequestObjectError(
      'MS-01',
      `${s.ctx.config.requireSignedRequestObject ? 'this server' : `client ${client.client_id}`} requires a signed request object: push every parameter inside request=<JWS> (RFC 9101; FAPI2-MS §5.3.1-1)`,
      'invalid_request',
    );
  },
});
