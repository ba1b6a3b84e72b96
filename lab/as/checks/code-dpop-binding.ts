import { badRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/**
 * DP-18: a code bound to a DPoP key (dpop_jkt or the PAR proof, PAR-14) is redeemed only with a
 * proof by that key (FAPI2-SP §5.3.2.1-12; RFC 9449 §10).
 */
export const codeDpopBinding = defineCheck<TokenExchange>({
  id: 'DP-18',
  name: 'code-dpop-binding-matches',
  spec: 'FAPI2-SP §5.3.2.1-12; RFC 9449 §10',
  run(s) {
    const jkt = s.code!.dpopJkt;
    if (!jkt) return 'skip';
    if (!s.dpop)
      throw badRequest(
        'invalid_grant',
        'the authorization code is bound to a DPoP key: redeem it with a DPoP proof by that key',
      );
    if (s.dpop.jkt !== jkt)
      throw badRequest(
        'invalid_grant',
        'the DPoP proof key is not the key the authorization code is bound to (dpop_jkt / PAR proof, RFC 9449 §10)',
      );
  },
});
