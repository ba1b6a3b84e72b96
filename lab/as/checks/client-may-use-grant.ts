import { badRequest } from '../../errors.js';
import type { GrantType } from '../../model.js';
import { clientOf, defineCheck, type AsExchange } from '../check.js';

/** The client is registered for the grant type it uses (RFC 6749 §5.2 unauthorized_client; RFC 7591 §2). */
export const clientMayUseGrant = (grant: (s: AsExchange) => GrantType | undefined) =>
  defineCheck<AsExchange>({
    id: 'REG-03',
    name: 'client-registered-for-grant-type',
    spec: 'RFC 7591 §2; RFC 6749 §5.2',
    run(s) {
      const g = grant(s);
      if (!g) return 'skip';
      const { client } = clientOf(s);
      if (!client.metadata.grant_types.includes(g))
        throw badRequest(
          'unauthorized_client',
          `client ${client.client_id} is not registered for the ${g} grant (its grant_types: ${client.metadata.grant_types.join(', ')})`,
        );
    },
  });
