/**
 * Signed introspection responses at the lab (RFC 9701; FAPI2-MS §5.5.1; MS-10): a caller that
 * asks with `Accept: application/token-introspection+jwt` (or registered
 * `introspection_signed_response_alg` and states no preference) gets the RFC 7662 response as a
 * JWT signed by the lab key (the one of ID tokens and JARM, `kid` in jwks_uri), made by
 * src/core/introspection-jwt.ts. The `introspection-*` faults (client tests of MS-11) tamper with
 * it here: a signature that does not verify, typ JWT, another aud, or plain JSON (a downgrade).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  INTROSPECTION_JWT_MEDIA_TYPE,
  introspectionJwtClaims,
  signIntrospectionJwt,
  wantsIntrospectionJwt,
} from '../../src/core/introspection-jwt.js';
import type { LabContext } from '../context.js';
import type { LabClient } from '../model.js';
import { ID_TOKEN_ALGS } from './discovery.js';

/** The lab signs introspection responses with its own key's algorithm (as ID tokens, MS-10). */
export const INTROSPECTION_SIGNING_ALGS = ID_TOKEN_ALGS;

/** Whether this request gets a signed answer (RFC 9701 §4, §6); false under `introspection-unsigned`. */
export function signedIntrospectionWanted(ctx: LabContext, req: FastifyRequest, caller: LabClient): boolean {
  if (!wantsIntrospectionJwt(req.headers.accept, caller.metadata.introspection_signed_response_alg))
    return false;
  return !ctx.fault('introspection-unsigned');
}

/** The signed response for `caller`, with the introspection-* faults applied. */
export function signedIntrospectionResponse(
  ctx: LabContext,
  body: Record<string, unknown>,
  callerId: string,
): string {
  const claims = introspectionJwtClaims({
    issuer: ctx.urls.issuer,
    audience: ctx.fault('introspection-aud-wrong') ? `not-${callerId}` : callerId,
    now: ctx.now(),
    response: body,
  });
  const jwt = signIntrospectionJwt(
    claims,
    ctx.keys.signing,
    ctx.fault('introspection-typ-wrong') ? { typ: 'JWT' } : {},
  );
  if (!ctx.fault('introspection-sig-invalid')) return jwt;
  // A signature of the right size that does not verify: its first byte flipped.
  const dot = jwt.lastIndexOf('.');
  const sig = Buffer.from(jwt.slice(dot + 1), 'base64url');
  sig[0] = (sig[0] ?? 0) ^ 0xff;
  return `${jwt.slice(0, dot + 1)}${sig.toString('base64url')}`;
}

/** Sends the signed answer: 200, the RFC 9701 media type, no-store (RFC 7662 §2.2). */
export function sendSignedIntrospection(reply: FastifyReply, jwt: string): FastifyReply {
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type(INTROSPECTION_JWT_MEDIA_TYPE)
    .send(jwt);
}
