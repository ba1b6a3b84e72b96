import { badRequest, invalidRequest } from '../../errors.js';
import type { GrantType } from '../../model.js';
import { GRANT_TYPES } from '../../../src/core/fapi.js';
import { defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/**
 * TK-01: only authorization_code, refresh_token and client_credentials; never the password or
 * implicit grants (FAPI2-SP §5.3.2.1-2; RFC 9700 §2.4).
 */
export const grantType = defineCheck<TokenExchange>({
  id: 'TK-01',
  name: 'token-grant-type-supported',
  spec: 'FAPI2-SP §5.3.2.1-2; RFC 6749 §5.2',
  run(s) {
    const g = s.form.get('grant_type');
    if (g === undefined) throw invalidRequest('grant_type is missing');
    if (!(GRANT_TYPES as readonly string[]).includes(g))
      throw badRequest(
        'unsupported_grant_type',
        `grant_type ${JSON.stringify(g)} is not supported${g === 'password' ? ': FAPI 2.0 forbids the resource owner password grant (FAPI2-SP §5.3.2.1-2)' : ''}; use ${GRANT_TYPES.join(', ')}`,
      );
    s.grantType = g as GrantType;
    s.req.lab.grantType = g;
  },
});
