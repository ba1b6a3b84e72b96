/**
 * The lab playing an ecosystem preset (`fapi lab up --ecosystem NAME`; src/core/ecosystems.ts has
 * the rules and their sources). What the lab can enforce it enforces, as named checks:
 *
 * | ID     | where                         | what                                                            |
 * | ECO-01 | registration (METADATA_CHECKS)| client authentication, sender constraint and key algorithms     |
 * | ECO-02 | PAR (PAR_CHECKS)              | RAR required or not used, registered types, JARM, openid        |
 * | ECO-03 | every back-channel and RS request | mTLS on every endpoint: the plain listener refuses them      |
 * | ECO-04 | PAR, token and RS requests    | x-fapi-interaction-id required (and echoed)                     |
 * | ECO-05 | token (TOKEN_CHECKS)          | tokens bound the ecosystem's one way (DPoP or mTLS)             |
 *
 * plus the metadata (only what the ecosystem allows is advertised) and the access token lifetime.
 * Rules it cannot enforce are named at start, on the dashboard and in `fapi lab status`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import {
  DEFAULT_ECOSYSTEM,
  ecosystem,
  ruleOf,
  unsupportedRules,
  type Ecosystem,
  type RuleTopic,
} from '../src/core/ecosystems.js';
import type { LabConfig } from './config.js';
import type { LabContext, ListenerName } from './context.js';
import { LabError } from './errors.js';
import { sendError } from './http.js';
import type { LabModule, LabRoute } from './module.js';

/** The preset of a lab (plain FAPI 2.0 when none). */
export function labEcosystem(config: Pick<LabConfig, 'ecosystem'>): Ecosystem {
  return ecosystem(config.ecosystem ?? DEFAULT_ECOSYSTEM);
}

/** The configuration under a preset: the access token lifetime within its bounds. */
export function ecosystemConfig(config: LabConfig): LabConfig {
  const s = labEcosystem(config).settings;
  let out = config;
  const b = s.accessTokenLifetime;
  if (b) {
    const lifetime = Math.min(b.max, Math.max(b.min ?? 1, config.accessTokenLifetime));
    if (lifetime !== config.accessTokenLifetime) out = { ...out, accessTokenLifetime: lifetime };
  }
  // Signed request objects at PAR for every client (MS-01; advertised as require_signed_request_object).
  if (s.jar === 'required' && !out.requireSignedRequestObject)
    out = { ...out, requireSignedRequestObject: true };
  return out;
}

/** "… (uae.sender: <source>)": the rule a refusal enforces, cited. */
export function citing(eco: Ecosystem, topic: RuleTopic): string {
  const rule = ruleOf(eco, topic);
  return rule ? ` (${rule.id}: ${rule.source})` : '';
}

/** The lines `fapi lab up` prints, and the dashboard shows, about the preset. */
export function ecosystemNotice(eco: Ecosystem): { enforced: string[]; notSupported: string[] } {
  return {
    enforced: eco.rules.filter((x) => x.lab === 'yes').map((x) => `${x.id}: ${x.rule}`),
    notSupported: unsupportedRules(eco, 'lab').map((x) => `${x.id}: ${x.rule} — ${x.gap ?? 'not supported'}`),
  };
}

/**
 * The metadata under a preset (RFC 8414 §2): only the sender constraint, client authentication,
 * algorithms and response modes it allows; with mTLS on every endpoint the back-channel endpoints
 * are published at the mTLS listener itself, without aliases.
 */
function ecosystemMetadata(ctx: LabContext): Record<string, unknown> {
  const eco = labEcosystem(ctx.config);
  const s = eco.settings;
  const out: Record<string, unknown> = {};
  if (s.sender === 'mtls') out.dpop_signing_alg_values_supported = undefined;
  if (s.sender === 'dpop') out.tls_client_certificate_bound_access_tokens = false;
  if (s.authMethods) out.token_endpoint_auth_methods_supported = [...s.authMethods];
  if (s.algs) {
    out.token_endpoint_auth_signing_alg_values_supported = [...s.algs];
    out.request_object_signing_alg_values_supported = [...s.algs];
    if (s.sender !== 'mtls') out.dpop_signing_alg_values_supported = [...s.algs];
  }
  if (s.jarm === 'not-used') {
    out.response_modes_supported = ['query'];
    out.authorization_signing_alg_values_supported = undefined;
  }
  if (s.rar === 'not-used') out.authorization_details_types_supported = undefined;
  if (s.mtlsEverywhere) {
    for (const r of ctx.routes)
      if (r.metadataName && r.mtlsAlias && r.listener === 'as') out[r.metadataName] = ctx.urls.mtls + r.path;
    out.mtls_endpoint_aliases = undefined;
  }
  return out;
}

/** The preset in the metadata (applied after every other module's metadata). */
export const ecosystemModule: LabModule = {
  name: 'ecosystem',
  routes: () => [],
  metadata: ecosystemMetadata,
};

function hasClientCertificate(req: FastifyRequest): boolean {
  const socket = req.raw.socket as TLSSocket;
  return (
    typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate()).length > 0
  );
}

const INTERACTION_ID = /^[\x21-\x7e]{1,128}$/;

/** Whether the lab's preset puts checks in front of whole endpoints (ECO-03, ECO-04). */
export function ecosystemGated(ctx: LabContext): boolean {
  const s = labEcosystem(ctx.config).settings;
  return Boolean(s.mtlsEverywhere || s.interactionIdAtAs || s.interactionIdAtRs === 'required');
}

/**
 * ECO-03, ECO-04: the checks a preset puts in front of whole endpoints, run before the endpoint's
 * own table. Returns the reply when it refused, undefined to go on.
 */
export function ecosystemGate(
  ctx: LabContext,
  listener: ListenerName,
  route: LabRoute,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | undefined {
  const eco = labEcosystem(ctx.config);
  const s = eco.settings;
  if (!s.mtlsEverywhere && !s.interactionIdAtAs && s.interactionIdAtRs !== 'required') return undefined;
  const refuse = (e: LabError) => sendError(req, reply, e);
  const backChannel = route.listener === 'as' && route.mtlsAlias === true;
  const api = route.listener === 'rs' && route.path !== '/';
  if (s.mtlsEverywhere && (backChannel || api)) {
    if (listener === 'as')
      return refuse(
        new LabError(
          400,
          'invalid_request',
          `${eco.name} requires mTLS on every endpoint: send this request to ${ctx.urls.mtls}${route.path} with the client certificate${citing(eco, 'mtlsEverywhere')}`,
          { check: 'ECO-03' },
        ),
      );
    if (!hasClientCertificate(req))
      return refuse(
        new LabError(
          401,
          listener === 'rs' ? 'invalid_token' : 'invalid_client',
          `${eco.name} requires mTLS on every endpoint: this request came without a TLS client certificate${citing(eco, 'mtlsEverywhere')}`,
          { check: 'ECO-03' },
        ),
      );
    req.lab.passed.push('ECO-03');
  }
  const asInteraction = s.interactionIdAtAs && (route.path === '/par' || route.path === '/token');
  const rsInteraction = s.interactionIdAtRs === 'required' && api;
  if (asInteraction || rsInteraction) {
    const id = req.headers['x-fapi-interaction-id'];
    if (typeof id !== 'string' || !INTERACTION_ID.test(id))
      return refuse(
        new LabError(
          400,
          'invalid_request',
          `${eco.name} requires an x-fapi-interaction-id header on this request${citing(eco, asInteraction ? 'interactionIdAtAs' : 'interactionIdAtRs')}`,
          { check: 'ECO-04' },
        ),
      );
    reply.header('x-fapi-interaction-id', id);
    req.lab.passed.push('ECO-04');
  }
  return undefined;
}
