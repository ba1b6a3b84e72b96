import {
  RequestObjectError,
  decodeRequestObject,
  verifyRequestObjectSignature,
} from '../../../src/core/request-object.js';
import { clientOf, defineCheck } from '../check.js';
import { clientKeys, keysOrRefuse } from '../client-keys.js';
import type { ParExchange } from '../par.js';

/**
 * MS-05: the request object is a compact JWS (not a JWE, no repeated header parameter or claim,
 * not oversized) signed by a key the client registered, chosen by `kid`, with a FAPI algorithm
 * (never none, RS256 or HS*), the registered `request_object_signing_alg` when there is one, no
 * `crit`, and `typ` oauth-authz-req+jwt when present (RFC 9101 §4, §6.2; FAPI2-SP §5.4.1-1;
 * src/core/request-object.ts). A jwks_uri that cannot be fetched is refused as NET-08.
 */
export const requestObjectSignature = defineCheck<ParExchange>({
  id: 'MS-05',
  name: 'request-object-signed-by-client-key',
  spec: 'RFC 9101 §4, §6.2; FAPI2-SP §5.4.1-1; FAPI2-MS §5.3.1',
  async run(s) {
    if (!s.form.has('request')) return 'skip';
    const jws = s.form.get('request');
    if (jws === undefined) throw new RequestObjectError('MS-05', 'the request parameter is empty');
    const decoded = decodeRequestObject(jws);
    const { client } = clientOf(s);
    const keys = await keysOrRefuse(
      clientKeys(s.ctx, client),
      (description, check) => new RequestObjectError('MS-05', `${description} (${check})`),
    );
    const alg = client.metadata.request_object_signing_alg;
    verifyRequestObjectSignature(decoded, keys, alg ? [alg] : undefined);
    s.requestObject = decoded;
  },
});
