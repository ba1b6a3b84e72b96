/**
 * Token introspection (RFC 7662), for the lab's clients and resource servers:
 * - IN-01: the caller authenticates with a FAPI method (private_key_jwt or mTLS; never a secret);
 * - IN-02: anything not usable now (unknown, expired, revoked, from a revoked grant) is exactly
 *   `{"active":false}`;
 * - IN-03: an active access token comes with its `cnf` (`jkt` or `x5t#S256`) and `token_type`
 *   (`DPoP` or `Bearer`; RFC 9449 §6.2, RFC 8705 §3.2);
 * - IN-04 (LAB): a caller only learns about tokens issued to itself; others' tokens are inactive
 *   to it (RFC 7662 §4: the AS decides who may introspect what; MS §6.2 RS/client confusion);
 * - MS-10: signed as a JWT when the caller asks for one (RFC 9701; ./introspection-jwt.ts).
 */
import type { LabContext } from '../context.js';
import { sendJson } from '../http.js';
import type { LabModule } from '../module.js';
import {
  INTROSPECTION_SIGNING_ALGS,
  sendSignedIntrospection,
  signedIntrospectionResponse,
  signedIntrospectionWanted,
} from './introspection-jwt.js';
import { endpointAuthMetadata, isActive, tokenManagementRequest, type FoundToken } from './token-lookup.js';

/** The RFC 7662 §2.2 response for a found token, or `{active:false}`. */
export function introspectionResponse(
  ctx: LabContext,
  found: FoundToken | undefined,
  callerId: string,
): Record<string, unknown> {
  if (!found || !isActive(ctx, found)) return { active: false };
  if (found.record.clientId !== callerId) return { active: false }; // IN-04
  if (found.kind === 'access_token') {
    const r = found.record;
    const c = found.claims;
    const out: Record<string, unknown> = {
      active: true,
      iss: ctx.urls.issuer,
      sub: r.sub,
      aud: c.aud,
      client_id: r.clientId,
      scope: r.scope.join(' '),
      // IN-03: DPoP §6.2 (token_type DPoP + cnf.jkt), RFC 8705 §3.2 (cnf.x5t#S256).
      token_type: r.tokenType,
      iat: r.issuedAt,
      exp: r.expiresAt,
      jti: r.jti,
    };
    if (typeof c.nbf === 'number') out.nbf = c.nbf;
    if (typeof c.auth_time === 'number') out.auth_time = c.auth_time;
    if (r.binding.jkt || r.binding['x5t#S256']) out.cnf = { ...r.binding };
    // RAR-05: RFC 9396 §9.2, a top-level member.
    if (r.authorizationDetails) out.authorization_details = r.authorizationDetails;
    return out;
  }
  const r = found.record;
  const grant = ctx.grants.activeGrant(r.grantId);
  return {
    active: true,
    iss: ctx.urls.issuer,
    ...(grant ? { sub: grant.sub } : {}),
    client_id: r.clientId,
    scope: r.scope.join(' '),
    ...(grant?.authorizationDetails ? { authorization_details: grant.authorizationDetails } : {}),
    iat: Math.floor(r.createdAt),
    exp: Math.floor(r.expiresAt),
  };
}

export const introspectionModule: LabModule = {
  name: 'introspection',
  routes: () => [
    {
      listener: 'as',
      mtlsAlias: true,
      methods: ['POST'],
      path: '/introspect',
      endpoint: 'introspection',
      metadataName: 'introspection_endpoint',
      description: 'token introspection (RFC 7662): authenticated; cnf and token_type for active tokens',
      async handler(req, reply, ctx) {
        // IN-01: form, client authentication, token (lab/as/token-lookup.ts).
        const { caller, found } = await tokenManagementRequest(req, reply, ctx);
        const body = introspectionResponse(ctx, found, caller);
        req.lab.passed.push(body.active ? 'IN-03' : 'IN-02');
        const client = ctx.clients.get(caller);
        if (client && signedIntrospectionWanted(ctx, req, client)) {
          req.lab.passed.push('MS-10');
          return sendSignedIntrospection(reply, signedIntrospectionResponse(ctx, body, caller));
        }
        return sendJson(reply, 200, body);
      },
    },
  ],
  metadata: () => ({
    ...endpointAuthMetadata('introspection'),
    // MS-10: signed introspection responses (RFC 9701 §7).
    introspection_signing_alg_values_supported: [...INTROSPECTION_SIGNING_ALGS],
  }),
};
