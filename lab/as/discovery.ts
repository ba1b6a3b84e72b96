/**
 * Authorization server metadata (RFC 8414 §2, OIDC Discovery §3) at both well-known locations,
 * with the FAPI 2.0 values (catalogue META-01..14), and the lab's JWKS (META-12).
 * Endpoint URLs come from the route table, so a module's endpoint is advertised once it exists.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LabContext } from '../context.js';
import { sendJson } from '../http.js';
import type { LabModule, LabRoute } from '../module.js';
import { CLIENT_AUTH_METHODS } from '../../src/core/fapi.js';
import { SCOPES } from '../model.js';
import { FAPI_ALGS } from '../../src/core/fapi.js';

export const ID_TOKEN_ALGS = ['ES256'] as const;
/** JARM responses are signed with the same lab key as ID tokens and access tokens (MS-08). */
export const AUTHORIZATION_SIGNING_ALGS = ID_TOKEN_ALGS;
/** `query`, and JARM (JARM §2.3): `jwt` is `query.jwt` for response type code (§2.3.4). */
export const RESPONSE_MODES = ['query', 'jwt', 'query.jwt'] as const;

export function authorizationServerMetadata(ctx: LabContext): Record<string, unknown> {
  const issuer = ctx.urls.issuer;
  const m: Record<string, unknown> = {
    // META-02/03: byte-identical to the URL it is fetched from; https, no query or fragment.
    issuer: ctx.fault('discovery-issuer-mismatch') ? issuer.replace('127.0.0.1', 'localhost') : issuer,
  };
  const aliases: Record<string, string> = {};
  for (const r of ctx.routes) {
    if (!r.metadataName || r.listener !== 'as') continue;
    m[r.metadataName] = issuer + r.path;
    if (r.mtlsAlias) aliases[r.metadataName] = ctx.urls.mtls + r.path;
  }
  Object.assign(m, {
    // META-04: PAR is required (RFC 9126 §5), unless the no-par relaxation is on.
    require_pushed_authorization_requests: !ctx.relaxed('no-par'),
    // META-05, META-11: code only; no implicit, no password.
    response_types_supported: ['code'],
    response_modes_supported: [...RESPONSE_MODES],
    // MS-08: signed authorization responses (JARM §4; FAPI2-MS §5.4.1), when the client asks.
    authorization_signing_alg_values_supported: [...AUTHORIZATION_SIGNING_ALGS],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    // META-06: S256 only (FAPI2-SP §5.3.2.2-5).
    code_challenge_methods_supported: ctx.relaxed('plain-pkce') ? ['S256', 'plain'] : ['S256'],
    // META-07: RFC 9207.
    authorization_response_iss_parameter_supported: !ctx.relaxed('no-iss'),
    // META-08: FAPI client authentication only (FAPI2-SP §5.3.2.1-6, §5.4.1-1).
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...FAPI_ALGS],
    // META-09: DPoP (RFC 9449 §5.1).
    dpop_signing_alg_values_supported: [...FAPI_ALGS],
    // META-10: mTLS-bound tokens (RFC 8705 §3.3) and the aliases (§5).
    tls_client_certificate_bound_access_tokens: true,
    mtls_endpoint_aliases: aliases,
    // META-13: OpenID Connect.
    scopes_supported: Object.keys(SCOPES),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...ID_TOKEN_ALGS],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'email'],
    // OIDC Core §5.5: the claims parameter is validated (PAR-10); the test users' name and email
    // come back in the ID token and at userinfo.
    claims_parameter_supported: true,
    // MS-01, MS-05, META-15: signed request objects (JAR, RFC 9101 §10.5) at the PAR endpoint,
    // with the FAPI algorithms; required when the lab is configured so (FAPI2-MS §5.3.1-1).
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: [...FAPI_ALGS],
    require_signed_request_object:
      ctx.config.requireSignedRequestObject && !ctx.relaxed('unsigned-request-object'),
    request_uri_parameter_supported: false,
  });
  for (const mod of ctx.modules) if (mod.metadata) Object.assign(m, mod.metadata(ctx));
  return m;
}

export const discoveryModule: LabModule = {
  name: 'discovery',
  routes: () => [
    ...['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'].map(
      (path): LabRoute => ({
        listener: 'as',
        methods: ['GET'],
        path,
        description: path.includes('openid')
          ? 'OpenID Connect Discovery 1.0 metadata'
          : 'RFC 8414 authorization server metadata',
        handler: (req: FastifyRequest, reply: FastifyReply, ctx: LabContext) => {
          req.lab.passed.push('META-01');
          return sendJson(reply, 200, authorizationServerMetadata(ctx), false);
        },
      }),
    ),
    {
      listener: 'as',
      methods: ['GET'],
      path: '/jwks',
      metadataName: 'jwks_uri',
      description: "the lab's public signing keys (ES256)",
      handler: (req, reply, ctx) => {
        req.lab.passed.push('META-12');
        return sendJson(reply, 200, ctx.keys.jwks(), false);
      },
    },
  ],
};
