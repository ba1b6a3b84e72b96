import { invalidRequest } from '../../errors.js';
import { defineCheck, type AsExchange } from '../check.js';

/**
 * PAR-08: a pushed request must not itself contain `request_uri` (RFC 9126 §2.1). A request object
 * by value (`request`, JAR) is welcome: the request-object checks (MS-01..06) read it.
 */
export const parNoRequestUri = defineCheck<AsExchange>({
  id: 'PAR-08',
  name: 'par-rejects-request-uri',
  spec: 'RFC 9126 §2.1',
  run({ form }) {
    if (form.has('request_uri'))
      throw invalidRequest('request_uri must not be sent to the PAR endpoint (RFC 9126 §2.1)');
  },
});
