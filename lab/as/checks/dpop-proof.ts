import { verifyDpopProof } from '../../../src/core/dpop.js';
import { externalUrl, headerValues } from '../../http.js';
import type { LabContext } from '../../context.js';
import type { FastifyRequest } from 'fastify';
import { defineCheck, type AsExchange } from '../check.js';
import { FAPI_ALGS } from '../../../src/core/fapi.js';

/** Verifies the DPoP header of an AS request (RFC 9449 §4.3: DP-01..16) with server nonces (DP-10, DP-20). */
export function verifyAsProof(ctx: LabContext, req: FastifyRequest) {
  return verifyDpopProof({
    headerValues: headerValues(req, 'dpop'),
    htm: req.method,
    // DP-09: the externally visible URL of this listener (the issuer or the mTLS alias base).
    htu: externalUrl(req),
    now: ctx.now(),
    allowedAlgs: FAPI_ALGS,
    iatWindow: { past: ctx.config.dpopIatPast, future: ctx.config.dpopIatFuture },
    nonce: { required: !ctx.relaxed('no-dpop-nonce'), isValid: (n) => ctx.nonces.as.isValid(n) },
    // DP-12: jti replay detection per endpoint (off only under the dpop-replay relaxation).
    replay: ctx.relaxed('dpop-replay')
      ? undefined
      : (jti, expiresAt) =>
          ctx.dpopJtis.once(`${req.lab.listener}${req.url.split('?')[0]}:${jti}`, expiresAt),
  });
}

/**
 * A DPoP proof, when sent, must be valid (RFC 9449 §4.3, §5; FAPI2-SP §5.3.2.1-12). Runs before
 * client authentication and before any one-time value is used, so a `use_dpop_nonce` challenge
 * burns nothing (TK-10). Whether a proof is *required* is decided later (TK-08, DP-19).
 */
export const dpopProof = defineCheck<AsExchange>({
  id: 'DP-01..16',
  name: 'dpop-proof-valid-when-present',
  spec: 'RFC 9449 §4.3, §8',
  run(s) {
    if (headerValues(s.req, 'dpop').length === 0) return 'skip';
    s.dpop = verifyAsProof(s.ctx, s.req);
  },
});
