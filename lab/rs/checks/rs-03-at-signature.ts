/**
 * RS-03 / RS-04: integrity. The access token is signed by one of the lab's keys with a FAPI
 * algorithm (FAPI2-SP §5.4.1-1: PS256, ES256, EdDSA; never `none`), selected by `kid`. Keys are
 * imported once at start; nothing is imported per request. A token verified once is remembered
 * until it expires (../verified-tokens.ts), so its signature is checked once, not per request.
 */
import { verifyJwsSignature } from '../../../src/core/jws.js';
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';
import { FAPI_ALGS } from '../../../src/core/fapi.js';

export const atSignature: RsCheck = {
  id: 'RS-03',
  name: 'at-signature',
  cite: 'FAPI2-SP §5.3.4-3, §5.4.1-1; RFC 9068 §4',
  run(_req, st, ctx) {
    // Verified on an earlier request (same token string, so same signature): see verified-tokens.ts.
    if (st.signatureVerified) return;
    const decoded = st.decoded!;
    const alg = decoded.header.alg;
    const scheme = st.scheme ?? 'both';
    if (typeof alg !== 'string' || !(FAPI_ALGS as readonly string[]).includes(alg))
      throw new RsError(
        401,
        scheme,
        'invalid_token',
        'RS-04',
        `the access token alg ${JSON.stringify(alg)} is not allowed (FAPI 2.0: ${FAPI_ALGS.join(', ')})`,
      );
    const kid = decoded.header.kid;
    const keys = ctx.accessTokenKeys();
    const key = keys.find((k) => k.kid === kid && k.alg === alg);
    if (!key)
      throw new RsError(
        401,
        scheme,
        'invalid_token',
        'RS-03',
        `the access token was not signed by this lab (no lab key with kid ${JSON.stringify(kid)} and alg ${alg})`,
      );
    if (!verifyJwsSignature(decoded, alg, key.key))
      throw new RsError(401, scheme, 'invalid_token', 'RS-03', 'the access token signature is invalid');
    ctx.verifiedTokens?.add(st.token as string, decoded);
  },
};
