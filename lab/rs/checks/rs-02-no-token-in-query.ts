/**
 * RS-02: never accept an access token in the URI query. FAPI2-SP §5.3.4-2 ("shall not accept access
 * tokens in the query parameters"); RFC 6750 §2.3. Answered before anything else, so a token in a
 * URL is refused even when a valid header is also sent (RFC 6750 §2: one method only).
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const noTokenInQuery: RsCheck = {
  id: 'RS-02',
  name: 'no-token-in-query',
  cite: 'FAPI2-SP §5.3.4-2; RFC 6750 §2.3',
  run(req, _st, ctx) {
    if (!req.query.has('access_token')) return;
    // Relaxation token-in-query (for `fapi lab attack`, and a ready-made faulty RS for RS-02): the
    // query token counts as if it came in the Authorization header: `DPoP <token>` when the request
    // carries a DPoP proof (RFC 9449 §7.1: the proof and its ath still bind it), else `Bearer`.
    if (ctx.allowTokenInQuery && req.headers.authorization === undefined) {
      const scheme = req.headers.dpop === undefined ? 'Bearer' : 'DPoP';
      req.headers.authorization = `${scheme} ${req.query.get('access_token') ?? ''}`;
      return;
    }
    throw new RsError(
      400,
      'both',
      'invalid_request',
      'RS-02',
      'access tokens in the URI query are refused (FAPI2-SP §5.3.4-2): send it in the Authorization header',
    );
  },
};
