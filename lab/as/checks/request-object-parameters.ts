import { requestObjectParameters } from '../../../src/core/request-object.js';
import { Form } from '../../http.js';
import { clientOf, defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';

/**
 * MS-06 (parameters): only the request object's parameters count (RFC 9101 §6.3; RFC 9126 §3):
 * the form parameters beside it are ignored, except `client_id`, and a `request_uri` or `request`
 * inside it is refused (RFC 9126 §2.1; OIDC Core §6.1). The checks after this one read the pushed
 * request from the request object.
 */
export const requestObjectParametersOnly = defineCheck<ParExchange>({
  id: 'MS-06',
  name: 'request-object-parameters-only',
  spec: 'RFC 9101 §6.3; RFC 9126 §2.1, §3; OIDC Core §6.1',
  run(s) {
    if (!s.requestObject) return 'skip';
    const params = requestObjectParameters(s.requestObject.payload);
    params.client_id = clientOf(s).client.client_id;
    s.form = new Form(new URLSearchParams(params).toString());
  },
});
