import { badRequest, invalidRequest } from '../../errors.js';
import { defineCheck, type AsExchange } from '../check.js';

/**
 * PAR-14/15: authorization code binding to a DPoP key (FAPI2-SP §5.3.2.1-12; RFC 9449 §10). The
 * code is bound to `dpop_jkt`, or else to the key of the DPoP proof sent to PAR; when both are
 * sent they must agree (RFC 9449 §10.1).
 */
export const parDpopJkt = defineCheck<AsExchange & { dpopJkt?: string }>({
  id: 'PAR-15',
  name: 'par-dpop-jkt-matches-proof',
  spec: 'RFC 9449 §10, §10.1; FAPI2-SP §5.3.2.1-12',
  run(s) {
    const jkt = s.form.get('dpop_jkt');
    if (jkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(jkt))
      throw invalidRequest('dpop_jkt must be a base64url SHA-256 JWK thumbprint (43 characters, RFC 7638)');
    if (jkt !== undefined && s.dpop && s.dpop.jkt !== jkt)
      throw badRequest(
        'invalid_dpop_proof',
        'dpop_jkt does not match the key of the DPoP proof sent with the request (RFC 9449 §10.1)',
      );
    s.dpopJkt = jkt ?? s.dpop?.jkt;
    if (!s.dpopJkt) return 'skip';
  },
});
