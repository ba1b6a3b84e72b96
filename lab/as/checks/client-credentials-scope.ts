import { badRequest } from '../../errors.js';
import { SCOPES } from '../../model.js';
import { clientOf, defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';
import { parseScope } from './par-scope.js';

/** Scopes a client may get for itself (no user): API scopes only, never openid or offline_access. */
const MACHINE_SCOPES = Object.keys(SCOPES).filter((s) => s !== 'openid' && s !== 'offline_access');

/**
 * TK-13 companion: client_credentials tokens carry API scopes only, within the client's registered
 * scope (RFC 6749 §4.4.2, §3.3); sender-constraint and client auth are enforced by the common checks.
 */
export const clientCredentialsScope = defineCheck<TokenExchange>({
  id: 'TK-13',
  name: 'client-credentials-scope',
  spec: 'RFC 6749 §4.4.2; FAPI2-SP §5.3.2.1 Note 2',
  run(s) {
    const { client } = clientOf(s);
    const registered = client.metadata.scope ? parseScope(client.metadata.scope) : MACHINE_SCOPES;
    const requested = parseScope(s.form.get('scope'));
    const scope = requested.length ? requested : registered.filter((x) => MACHINE_SCOPES.includes(x));
    const bad = scope.filter((x) => !MACHINE_SCOPES.includes(x) || !registered.includes(x));
    if (bad.length)
      throw badRequest(
        'invalid_scope',
        `scope ${bad.join(' ')} cannot be granted to the client itself (client_credentials allows ${MACHINE_SCOPES.filter((x) => registered.includes(x)).join(' ')})`,
      );
    s.scope = scope;
  },
});
