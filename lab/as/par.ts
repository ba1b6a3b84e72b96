/**
 * The pushed authorization request endpoint (RFC 9126; FAPI2-SP §5.3.2.2-2): an ordered list of
 * checks, then a one-time, client-bound `request_uri` with a short lifetime (PAR-01..17). The
 * request comes as form parameters, or as a signed request object (JAR, RFC 9101; FAPI2-MS §5.3:
 * MS-01..06), required when the lab or the client says so.
 */
import type { DecodedJws } from '../../src/core/jws.js';
import { randomToken } from '../../src/core/random.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parBodyLimitOf } from '../config.js';
import type { LabContext } from '../context.js';
import { formOf, sendJson } from '../http.js';
import type { PushedRequest } from '../model.js';
import type { LabModule } from '../module.js';
import { runChecks, type AsExchange } from './check.js';
import { clientAuthentication } from './checks/client-authentication.js';
import { parClaims } from './checks/par-claims.js';
import { clientMayUseGrant } from './checks/client-may-use-grant.js';
import { dpopProof } from './checks/dpop-proof.js';
import { formBody } from './checks/form-body.js';
import { parDpopJkt } from './checks/par-dpop-jkt.js';
import { parNoRequestUri } from './checks/par-no-request-uri.js';
import { parPkce } from './checks/par-pkce.js';
import { parRedirectUri } from './checks/par-redirect-uri.js';
import { parResponseMode } from './checks/par-response-mode.js';
import { parResponseType } from './checks/par-response-type.js';
import { parScope } from './checks/par-scope.js';
import { requestObjectAudience } from './checks/request-object-audience.js';
import { requestObjectClient } from './checks/request-object-client.js';
import { requestObjectExp } from './checks/request-object-exp.js';
import { requestObjectJti } from './checks/request-object-jti.js';
import { requestObjectNbf } from './checks/request-object-nbf.js';
import { requestObjectParametersOnly } from './checks/request-object-parameters.js';
import { requestObjectRequired } from './checks/request-object-required.js';
import { requestObjectSignature } from './checks/request-object-signature.js';
import { rarJson } from './checks/rar-01-json.js';
import { rarTypes } from './checks/rar-02-types.js';
import { rarSchema } from './checks/rar-03-schema.js';
import { parEcosystem } from './checks/eco-02-par.js';
import type { AuthorizationDetail } from '../../src/core/authorization-details.js';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

export interface ParExchange extends AsExchange {
  redirectUri?: string;
  scope?: string[];
  dpopJkt?: string;
  /** `jwt` when a JARM response was asked for (set by par-response-mode). */
  responseMode?: 'jwt';
  /** The signed request object, once its signature verified (set by request-object-signature). */
  requestObject?: DecodedJws;
  /** RFC 9396: set by the RAR checks. */
  authorizationDetails?: AuthorizationDetail[];
}

/** The PAR endpoint's rules, in the order they run. */
export const PAR_CHECKS = [
  formBody,
  dpopProof, // DP-01..16, nonce (PAR-17): before anything is consumed
  clientAuthentication, // PAR-02, CA-*, MT-*
  parNoRequestUri, // PAR-08
  // FAPI 2.0 Message Signing (JAR): from here on the pushed request is the request object's.
  requestObjectRequired, // MS-01
  requestObjectSignature, // MS-05
  requestObjectClient, // MS-06
  requestObjectAudience, // MS-02
  requestObjectNbf, // MS-03
  requestObjectExp, // MS-04
  requestObjectJti, // MS-04
  requestObjectParametersOnly, // MS-06
  clientMayUseGrant(() => 'authorization_code'),
  parResponseType, // PAR-10
  parResponseMode, // MS-08 (JARM when asked for)
  parRedirectUri, // PAR-12, PAR-13
  parPkce, // PAR-11
  parScope, // AZ-09
  parClaims, // PAR-10: the OIDC claims parameter, when given
  rarJson, // RAR-01: RFC 9396 authorization_details
  rarTypes, // RAR-02
  rarSchema, // RAR-03
  parEcosystem, // ECO-02: an ecosystem preset's rules (lab/ecosystem.ts)
  parDpopJkt, // PAR-14, PAR-15
] as const;

/** Parameters that describe the request itself and are not kept as "extra". */
const KNOWN = new Set([
  'client_id',
  'client_assertion',
  'client_assertion_type',
  'response_type',
  'response_mode',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'dpop_jkt',
  'authorization_details',
]);

/** A new request_uri: 256 random bits (PAR-04; FAPI2-SP §5.4.1-4). */
export function newRequestUri(): string {
  return REQUEST_URI_PREFIX + randomToken(32);
}

/** Stores a validated pushed request and returns it. */
export function storePushedRequest(ctx: LabContext, s: ParExchange): PushedRequest {
  const now = ctx.now();
  const f = s.form;
  const extra: Record<string, string> = {};
  for (const [k, v] of f.entries()) if (!KNOWN.has(k)) extra[k] = v;
  const pushed: PushedRequest = {
    requestUri: newRequestUri(),
    clientId: s.client!.client.client_id,
    redirectUri: s.redirectUri!,
    scope: s.scope ?? [],
    state: f.get('state'),
    nonce: f.get('nonce'),
    codeChallenge: f.get('code_challenge'),
    codeChallengeMethod: f.get('code_challenge_method') as 'S256' | 'plain' | undefined,
    dpopJkt: s.dpopJkt,
    ...(s.responseMode ? { responseMode: s.responseMode } : {}),
    ...(s.authorizationDetails ? { authorizationDetails: s.authorizationDetails } : {}),
    extra,
    createdAt: now,
    expiresAt: now + ctx.config.requestUriLifetime,
  };
  ctx.requestUris.set(pushed.requestUri, pushed, pushed.expiresAt);
  return pushed;
}

/** Adds the current DPoP nonce to a response (RFC 9449 §8.2: a new nonce may come with any response). */
export function withNonce(ctx: LabContext, reply: FastifyReply): FastifyReply {
  if (!ctx.relaxed('no-dpop-nonce')) reply.header('dpop-nonce', ctx.nonces.as.current());
  return reply;
}

async function handlePar(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  withNonce(ctx, reply);
  const s: ParExchange = { ctx, req, reply, form: formOf(req) };
  await runChecks(s, PAR_CHECKS);
  const pushed = storePushedRequest(ctx, s);
  if (s.dpop) ctx.nonces.as.afterSuccess();
  // The nonce to use next is the one current now (RFC 9449 §8): another request may have rotated
  // it while this one waited (client authentication with a jwks_uri, say).
  withNonce(ctx, reply);
  // PAR-01, PAR-03: 201 with request_uri and expires_in (< 600 s).
  return sendJson(reply, 201, {
    request_uri: pushed.requestUri,
    expires_in: ctx.config.requestUriLifetime,
  });
}

export const parModule: LabModule = {
  name: 'par',
  routes: (ctx) => [
    {
      listener: 'as',
      mtlsAlias: true,
      methods: ['POST'],
      path: '/par',
      // Room for a 1 MB request object or authorization_details, refused by MS-05 or RAR-01 with
      // their OAuth errors instead of 413 (their length limits come before the request object's
      // keys are fetched or its signature verified, and before the details are parsed).
      bodyLimit: parBodyLimitOf(ctx.config),
      endpoint: 'par',
      metadataName: 'pushed_authorization_request_endpoint',
      description: 'pushed authorization requests (RFC 9126): the only way to start an authorization',
      handler: handlePar,
    },
  ],
};
