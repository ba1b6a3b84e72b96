/**
 * RS-04: the access token is a JWT (RFC 9068 §2): a compact JWS whose header and payload are JSON
 * objects. Anything else is `invalid_token` (RFC 6750 §3.1).
 */
import { decodeJws } from '../../../src/core/jws.js';
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';
import type { AccessTokenClaims } from '../context.js';

export const atIsJws: RsCheck = {
  id: 'RS-04',
  name: 'at-is-jwt',
  cite: 'RFC 9068 §2, §4; RFC 6750 §3.1',
  run(_req, st, ctx) {
    const known = ctx.verifiedTokens?.get(st.token as string, ctx.now());
    if (known) {
      st.decoded = known;
      st.claims = known.payload as AccessTokenClaims;
      st.signatureVerified = true;
      return;
    }
    try {
      st.decoded = decodeJws(st.token as string);
    } catch (e) {
      throw new RsError(
        401,
        st.scheme ?? 'both',
        'invalid_token',
        'RS-04',
        `the access token is not a JWT issued by this lab (${(e as Error).message})`,
      );
    }
    st.claims = st.decoded.payload as AccessTokenClaims;
  },
};
