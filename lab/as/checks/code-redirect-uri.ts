import { badRequest, invalidRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/** TK-05: `redirect_uri` is sent and equals the one of the authorization request (RFC 6749 §4.1.3). */
export const codeRedirectUri = defineCheck<TokenExchange>({
  id: 'TK-05',
  name: 'code-redirect-uri-matches',
  spec: 'RFC 6749 §4.1.3',
  run(s) {
    const uri = s.form.get('redirect_uri');
    if (uri === undefined)
      throw invalidRequest('redirect_uri is missing: send the one used in the pushed request');
    if (uri !== s.code!.redirectUri)
      throw badRequest(
        'invalid_grant',
        'redirect_uri differs from the one used in the authorization request',
      );
  },
});
