import { badRequest, invalidRequest } from '../../errors.js';
import { defineCheck, type AsExchange } from '../check.js';

/**
 * PAR-08: a pushed request must not itself contain `request_uri` (RFC 9126 §2.1). Request objects
 * by value (`request`, JAR) belong to FAPI 2.0 Message Signing, which this lab does not offer.
 */
export const parNoRequestUri = defineCheck<AsExchange>({
  id: 'PAR-08',
  name: 'par-rejects-request-uri',
  spec: 'RFC 9126 §2.1',
  run({ form }) {
    if (form.has('request_uri'))
      throw invalidRequest('request_uri must not be sent to the PAR endpoint (RFC 9126 §2.1)');
    if (form.has('request'))
      throw badRequest(
        'request_not_supported',
        'request objects (JAR) are not supported by this lab: push the parameters as form fields',
      );
  },
});
