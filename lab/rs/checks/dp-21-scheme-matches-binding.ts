/**
 * DP-21 / MT-08 / RS-06: the Authorization scheme must match how the token is bound.
 * - A DPoP-bound token (`cnf.jkt`) presented as `Bearer` is a downgrade and is refused
 *   (RFC 9449 §7.2: the RS "MUST NOT" accept it as a bearer token).
 * - A certificate-bound token (`cnf.x5t#S256`) uses `Bearer` (RFC 8705 §3, MT-08).
 * - An unbound token is refused: FAPI 2.0 only allows sender-constrained tokens (FAPI2-SP
 *   §5.3.2.1-4, §5.3.4-5), unless the `bearer-tokens` relaxation is on.
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const schemeMatchesBinding: RsCheck = {
  id: 'DP-21',
  name: 'scheme-matches-binding',
  cite: 'RFC 9449 §7.1, §7.2; RFC 8705 §3; FAPI2-SP §5.3.4-5',
  run(_req, st, ctx) {
    const cnf = st.claims?.cnf;
    const jkt = cnf && typeof cnf === 'object' ? cnf.jkt : undefined;
    const x5t = cnf && typeof cnf === 'object' ? cnf['x5t#S256'] : undefined;
    if (typeof jkt === 'string') {
      if (st.scheme !== 'DPoP')
        throw new RsError(
          401,
          'DPoP',
          'invalid_token',
          'DP-21',
          'this access token is DPoP-bound: send it as "Authorization: DPoP <token>" with a DPoP proof, never as Bearer',
        );
      st.binding = 'dpop';
      return;
    }
    if (typeof x5t === 'string') {
      if (st.scheme !== 'Bearer')
        throw new RsError(
          401,
          'Bearer',
          'invalid_token',
          'MT-08',
          'this access token is bound to a TLS client certificate: send it as "Authorization: Bearer <token>" over mTLS',
        );
      st.binding = 'mtls';
      return;
    }
    if (ctx.allowUnboundTokens && st.scheme === 'Bearer') {
      st.binding = 'none';
      return;
    }
    throw new RsError(
      401,
      st.scheme ?? 'both',
      'invalid_token',
      'RS-06',
      'the access token is not sender-constrained (no cnf): FAPI 2.0 accepts only DPoP- or certificate-bound tokens',
    );
  },
};
