import { badRequest } from '../../errors.js';
import { SCOPES } from '../../model.js';
import { clientOf, defineCheck, type AsExchange } from '../check.js';

/** Splits a scope parameter into a set, order-independent (RFC 6749 §3.3; AZ-09). */
export function parseScope(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter(Boolean))];
}

/**
 * Requested scopes are known to the lab and, when the client registered a `scope`, within it
 * (RFC 6749 §3.3; RFC 7591 §2). Unknown or unregistered scopes get invalid_scope.
 */
export const parScope = defineCheck<AsExchange & { scope?: string[] }>({
  id: 'AZ-09',
  name: 'scope-known-and-allowed',
  spec: 'RFC 6749 §3.3; RFC 7591 §2',
  run(s) {
    const scope = parseScope(s.form.get('scope'));
    const unknown = scope.filter((x) => !(x in SCOPES));
    if (unknown.length)
      throw badRequest(
        'invalid_scope',
        `unknown scope ${unknown.map((x) => JSON.stringify(x)).join(', ')}; this lab offers ${Object.keys(SCOPES).join(', ')}`,
      );
    const { client } = clientOf(s);
    if (client.metadata.scope) {
      const allowed = parseScope(client.metadata.scope);
      const extra = scope.filter((x) => !allowed.includes(x));
      if (extra.length)
        throw badRequest(
          'invalid_scope',
          `client ${client.client_id} is not registered for scope ${extra.join(', ')} (registered: ${allowed.join(' ')})`,
        );
    }
    s.scope = scope;
  },
});
