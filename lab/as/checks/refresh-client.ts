import { badRequest } from '../../errors.js';
import { clientOf, defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/** RT-03: the refresh token is bound to the client it was issued to (RFC 6749 §6, §10.4). */
export const refreshClient = defineCheck<TokenExchange>({
  id: 'RT-03',
  name: 'refresh-token-bound-to-client',
  spec: 'RFC 6749 §6, §10.4',
  run(s) {
    if (s.refresh!.clientId !== clientOf(s).client.client_id)
      throw badRequest('invalid_grant', 'the refresh token was issued to another client');
  },
});
