/**
 * RS-03: expiry. `exp` is required (RFC 9068 §2.2) and must be in the future; `nbf`, when present,
 * must not be (RFC 7519 §4.1.4-5). No leeway: the lab signs with its own clock.
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const atExp: RsCheck = {
  id: 'RS-03',
  name: 'at-exp',
  cite: 'FAPI2-SP §5.3.4-3; RFC 9068 §2.2, §4; RFC 7519 §4.1.4',
  run(_req, st, ctx) {
    const { exp, nbf } = st.claims ?? {};
    const now = ctx.now();
    const scheme = st.scheme ?? 'both';
    if (typeof exp !== 'number')
      throw new RsError(401, scheme, 'invalid_token', 'RS-03', 'the access token has no exp');
    if (exp <= now)
      throw new RsError(
        401,
        scheme,
        'invalid_token',
        'RS-03',
        `the access token expired ${Math.round(now - exp)} s ago: refresh it`,
      );
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now))
      throw new RsError(401, scheme, 'invalid_token', 'RS-03', 'the access token is not valid yet (nbf)');
  },
};
