import { badRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';
import { parseScope } from './par-scope.js';

/** RT-09: a refresh may narrow the scope, never widen it (RFC 6749 §6). */
export const refreshScope = defineCheck<TokenExchange>({
  id: 'RT-09',
  name: 'refresh-scope-within-grant',
  spec: 'RFC 6749 §6',
  run(s) {
    const original = s.refresh!.scope;
    const requested = s.form.get('scope');
    if (requested === undefined) {
      s.scope = original;
      return;
    }
    const scope = parseScope(requested);
    const extra = scope.filter((x) => !original.includes(x));
    if (extra.length)
      throw badRequest(
        'invalid_scope',
        `scope ${extra.join(' ')} was not granted; a refresh can only keep or narrow the scope (${original.join(' ')})`,
      );
    s.scope = scope;
  },
});
