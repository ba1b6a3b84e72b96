/**
 * RS-03 / RS-04: integrity and origin. The access token is one the lab issued, checked by the
 * lab's one access-token verification (src/core/access-token.ts, also used by introspection and
 * revocation): `typ` at+jwt (RFC 9068 §2.1, §4), a FAPI algorithm (FAPI2-SP §5.4.1-1: PS256,
 * ES256, EdDSA; never `none`), no `crit` (RFC 7515 §4.1.11), signed by a lab key selected by `kid`,
 * and `iss` the lab's issuer (with no issuer configured, which only `verifyResourceRequest` given a
 * JWKS alone allows, `iss` must still be present: the rule is in src/core/access-token.ts). Keys
 * are imported once at start; nothing is imported per request. A token verified once is remembered
 * until it expires (../verified-tokens.ts), so all of this runs once per token, not per request:
 * each of these rules depends only on the token string.
 */
import { AccessTokenError, verifyAccessToken } from '../../../src/core/access-token.js';
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const atSignature: RsCheck = {
  id: 'RS-03',
  name: 'at-signature',
  cite: 'FAPI2-SP §5.3.4-3, §5.4.1-1; RFC 9068 §2.1, §4; RFC 7515 §4.1.11',
  run(_req, st, ctx) {
    // Verified on an earlier request (same token string, so same signature): see verified-tokens.ts.
    if (st.signatureVerified) return;
    const decoded = st.decoded!;
    try {
      verifyAccessToken(decoded, { keys: ctx.accessTokenKeys(), issuer: ctx.issuer });
    } catch (e) {
      if (!(e instanceof AccessTokenError)) throw e;
      // RS-03: not signed by the lab (integrity); RS-04: not a FAPI JWT access token of this issuer.
      const id = e.check === 'key' || e.check === 'signature' ? 'RS-03' : 'RS-04';
      throw new RsError(401, st.scheme ?? 'both', 'invalid_token', id, e.message);
    }
    ctx.verifiedTokens?.add(st.token as string, decoded);
  },
};
