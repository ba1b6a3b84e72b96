/**
 * RS-01 / DP-22 / DP-23: the access token comes in the Authorization header, as
 * `DPoP <token>` (RFC 9449 §7.1) or `Bearer <token>` (RFC 6750 §2.1, mTLS-bound tokens). The
 * scheme is case-insensitive (RFC 9110 §11.1). No credentials → 401 with the challenges and no
 * `error` (RFC 6750 §3.1, RFC 9449 §7.1).
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

// RFC 6750 §2.1 b64token, which also covers the JWS compact serialisation.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export const authorizationHeader: RsCheck = {
  id: 'RS-01',
  name: 'authorization-header',
  cite: 'FAPI2-SP §5.3.4-1; RFC 6750 §2.1; RFC 9449 §7.1; RFC 9110 §11.1',
  run(req, st) {
    const value = req.headers.authorization;
    if (value === undefined || value === '')
      throw new RsError(
        401,
        'both',
        undefined,
        'DP-23',
        'this resource needs an access token: Authorization: DPoP <token> with a DPoP proof, or Bearer <token> over mTLS',
      );
    const sp = value.indexOf(' ');
    const scheme = (sp === -1 ? value : value.slice(0, sp)).toLowerCase();
    const token = sp === -1 ? '' : value.slice(sp + 1).trim();
    if (scheme === 'dpop') st.scheme = 'DPoP';
    else if (scheme === 'bearer') st.scheme = 'Bearer';
    else
      throw new RsError(
        401,
        'both',
        undefined,
        'RS-01',
        `the Authorization scheme ${JSON.stringify(scheme.slice(0, 20))} is not supported here: use DPoP or Bearer`,
      );
    if (!B64TOKEN.test(token))
      throw new RsError(
        400,
        st.scheme,
        'invalid_request',
        'RS-01',
        `the Authorization header has no well-formed token after "${st.scheme}"`,
      );
    st.token = token;
  },
};
