/**
 * RS-03 / RV-03: a token revoked at the AS (RFC 7009), or issued from a revoked grant (a revoked
 * refresh token, a reused authorization code: RFC 6749 §4.1.2), is refused.
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const atNotRevoked: RsCheck = {
  id: 'RS-03',
  name: 'at-not-revoked',
  cite: 'FAPI2-SP §5.3.4-3; RFC 7009 §2.1',
  run(_req, st, ctx) {
    if (ctx.isRevoked(st.claims!))
      throw new RsError(401, st.scheme ?? 'both', 'invalid_token', 'RS-03', 'the access token was revoked');
  },
};
