import { badRequest, invalidRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/**
 * The code is one this server issued, not expired (TK-02: codes live at most 60 s, FAPI2-SP
 * §5.3.2.1-11) and not already redeemed (TK-03: a reused code is refused and the tokens issued
 * from it are revoked, RFC 6749 §4.1.2).
 */
export const codeValid = defineCheck<TokenExchange>({
  id: 'TK-03',
  name: 'code-live-and-unused',
  spec: 'FAPI2-SP §5.3.2.1-11, §5.3.2.2-9; RFC 6749 §4.1.2',
  run(s) {
    const value = s.form.get('code');
    if (value === undefined) throw invalidRequest('code is missing');
    const code = s.ctx.codes.get(value);
    if (!code)
      throw badRequest('invalid_grant', 'the authorization code is unknown or was issued too long ago');
    if (code.redeemedAt !== undefined) {
      s.ctx.grants.revokeGrant(code.grantId, 'authorization code reused');
      throw badRequest(
        'invalid_grant',
        'the authorization code was already used; the tokens issued from it are now revoked (RFC 6749 §4.1.2)',
      );
    }
    if (s.ctx.now() >= code.expiresAt)
      throw badRequest(
        'invalid_grant',
        `the authorization code expired ${Math.round(s.ctx.now() - code.expiresAt)} s ago (codes live ${s.ctx.config.codeLifetime} s)`,
        'TK-02',
      );
    s.code = code;
  },
});
