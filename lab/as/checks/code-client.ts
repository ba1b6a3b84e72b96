import { badRequest } from '../../errors.js';
import { clientOf, defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/** TK-04: the code is redeemed by the client it was issued to (RFC 6749 §4.1.3). */
export const codeClient = defineCheck<TokenExchange>({
  id: 'TK-04',
  name: 'code-bound-to-client',
  spec: 'RFC 6749 §4.1.3',
  run(s) {
    if (s.code!.clientId !== clientOf(s).client.client_id)
      throw badRequest('invalid_grant', 'the authorization code was issued to another client');
  },
});
