/**
 * The resource server's checks, in the order they run. A reviewer reads the RS's
 * rules top to bottom here; each lives in its own file under ./checks, cited to its spec section.
 */
import type { RsCheck, RsRequest, RsState } from './check.js';
import type { RsContext } from './context.js';
import { noTokenInQuery } from './checks/rs-02-no-token-in-query.js';
import { noTokenInBody } from './checks/rs-02-no-token-in-body.js';
import { authorizationHeader } from './checks/rs-01-authorization-header.js';
import { atIsJws } from './checks/rs-04-at-jws.js';
import { atSignature } from './checks/rs-03-at-signature.js';
import { atAud } from './checks/rs-04-at-aud.js';
import { atExp } from './checks/rs-03-at-exp.js';
import { atNotRevoked } from './checks/rs-03-at-revoked.js';
import { schemeMatchesBinding } from './checks/dp-21-scheme-matches-binding.js';
import { dpopProof } from './checks/dp-proof.js';
import { certificateBinding } from './checks/mt-07-certificate-binding.js';
import { sufficientScope } from './checks/rs-05-scope.js';

export const RS_CHECKS: readonly RsCheck[] = [
  noTokenInQuery, // RS-02
  noTokenInBody, // RS-02 (LAB)
  authorizationHeader, // RS-01, DP-22, DP-23
  atIsJws, // RS-04
  atSignature, // RS-03, RS-04: typ, alg, crit, kid, signature, iss (src/core/access-token.ts)
  atAud, // RS-04
  atExp, // RS-03
  atNotRevoked, // RS-03, RV-03
  schemeMatchesBinding, // DP-21, MT-08, RS-06
  dpopProof, // DP-01..16
  certificateBinding, // MT-07
  sufficientScope, // RS-05
];

/**
 * Runs every check in order; throws the first RsError. `st.passed` counts the checks that passed
 * (a refusal's `RS_CHECKS.slice(0, st.passed)`), so the caller can say which ran.
 */
export function verifyResourceRequest(req: RsRequest, ctx: RsContext, st: RsState = { passed: 0 }): RsState {
  for (const check of RS_CHECKS) {
    check.run(req, st, ctx);
    st.passed = (st.passed ?? 0) + 1;
  }
  return st;
}
