/**
 * DP-01..16 at the RS (RFC 9449 §4.3, §7.1), through the shared src/core/dpop.ts verifier: one
 * well-formed proof, typ, alg, signature, public jwk, htm, htu (externally visible URL), server
 * nonce, iat window, nbf/exp, `ath` = hash of this access token (DP-13), the proof key = `cnf.jkt`
 * (DP-14), jti replay (DP-12). Errors: `invalid_dpop_proof`; `use_dpop_nonce` (+ DPoP-Nonce);
 * `invalid_token` for a key-binding mismatch (RFC 9449 §7.1).
 */
import { DpopProofError, verifyDpopProof } from '../../../src/core/dpop.js';
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const dpopProof: RsCheck = {
  id: 'DP-01..16',
  name: 'dpop-proof',
  cite: 'RFC 9449 §4.3, §7.1, §8, §9; FAPI2-SP §5.3.4-5',
  run(req, st, ctx) {
    if (st.binding !== 'dpop') return;
    // DP-01: repeated DPoP header lines are folded by Node into one value; count the raw lines.
    let lines = 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      if ((req.rawHeaders[i] as string).toLowerCase() === 'dpop') lines++;
    if (lines > 1) throw new RsError(401, 'DPoP', 'invalid_dpop_proof', 'DP-01', 'more than one DPoP header');
    try {
      st.dpop = verifyDpopProof({
        headerValues: req.headers.dpop,
        htm: req.method,
        htu: req.htu,
        now: ctx.now(),
        iatWindow: ctx.dpopIatWindow,
        accessToken: st.token,
        expectedJkt: st.claims!.cnf!.jkt,
        nonce: ctx.nonces ? { required: true, isValid: (n) => ctx.nonces!.isValid(n) } : undefined,
        replay: (key, exp) => ctx.replay(`rs:${key}`, exp),
      });
    } catch (e) {
      if (!(e instanceof DpopProofError)) throw e;
      throw new RsError(401, 'DPoP', e.error, e.check, e.message, {
        nonce: e.error === 'use_dpop_nonce',
      });
    }
  },
};
