/**
 * RS-04: `aud` names this resource server (RFC 9068 §4: "MUST validate that the aud claim contains a
 * resource indicator value corresponding to an identifier the resource server expects for itself").
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const atAud: RsCheck = {
  id: 'RS-04',
  name: 'at-aud',
  cite: 'RFC 9068 §4; FAPI2-SP §5.3.2.1-14',
  run(_req, st, ctx) {
    const aud = st.claims?.aud;
    const ours = ctx.audiences;
    const ok =
      typeof aud === 'string'
        ? ours.includes(aud)
        : Array.isArray(aud) && aud.some((a) => typeof a === 'string' && ours.includes(a));
    if (!ok)
      throw new RsError(
        401,
        st.scheme ?? 'both',
        'invalid_token',
        'RS-04',
        `the access token aud ${JSON.stringify(aud)} does not name this resource server (${ours.join(' or ')})`,
      );
  },
};
