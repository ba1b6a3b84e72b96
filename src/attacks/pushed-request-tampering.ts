/**
 * pushed-request-tampering: an intermediary that sees the client's pushed authorization request in
 * the clear, before TLS protects it (a TLS-intercepting egress proxy, a logging sidecar, a
 * compromised API gateway in the client's own infrastructure), rewrites it: here the scope is
 * widened to `payments`. TLS is not broken: the attacker sits where the request is not yet
 * encrypted. Client authentication does not help, because the client assertion signs who the
 * client is, not what it asks for. A signed request object does (JAR, RFC 9101; FAPI 2.0 Message
 * Signing §5.3, non-repudiation NR1): its signature covers every parameter, end to end from the
 * client's key to the authorization server. Where the server requires it for the client (MS-01),
 * a request stripped of its request object is refused; a request object altered on the way no
 * longer verifies (MS-05); parameters added beside it are ignored (MS-06).
 */
import { Client } from '../core/client.js';
import { decodeJws } from '../core/jws.js';
import {
  authorizationUrl,
  createAuthorizationSession,
  processPushedAuthorizationResponse,
  pushAuthorizationRequest,
  type AuthorizationSession,
} from '../core/par.js';
import { requestObjectParameters } from '../core/request-object.js';
import { validateAuthorizationResponse } from '../core/authorization-response.js';
import { isFapiError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import {
  Skip,
  follow,
  honestParty,
  playScenario,
  redeem,
  refusalOf,
  tokensOf,
  type Attempt,
  type Party,
  type Play,
} from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'pushed-request-tampering',
  title: 'the pushed request is rewritten before TLS protects it',
  attacker: 'A2',
  tried: "rewrites the scope of the client's pushed request in a proxy that sees it in the clear",
  story:
    'This is not a TLS break. The attacker is an intermediary that handles the client\'s pushed authorization request before it is encrypted, such as a TLS-intercepting egress proxy, a logging sidecar or a compromised gateway in the client\'s own network. It widens the scope from "accounts" to "accounts payments". The client assertion still verifies, because it signs who the client is, not what it asks for, so plain PAR accepts the altered request and the user is asked to approve more than the client wanted. A signed request object protects the integrity of the request itself, end to end, and lets the server prove what the client asked for (non-repudiation). Where the server requires one for the client, a request stripped of it is refused, a rewritten one no longer verifies, and parameters added beside it are ignored.',
  defence: 'signed request objects (JAR) required at PAR: the signature covers every parameter',
  rules: [
    { id: 'MS-01', spec: 'FAPI2-MS §5.3.1-1' },
    { id: 'MS-05', spec: 'RFC 9101 §6.2; FAPI2-MS §5.3.1' },
    { id: 'MS-06', spec: 'RFC 9101 §6.3; RFC 9126 §3' },
  ],
  relax: ['unsigned-request-object'],
  external: true,
};

const ASKED = 'openid accounts';
const WIDENED = 'openid accounts payments';

type Rewrite = (form: URLSearchParams) => URLSearchParams;

/** The intermediary: rewrites every POST to the PAR endpoint (either URL) on its way out. */
function proxy(http: HttpClient, parUrls: readonly string[], rewrite: Rewrite): HttpClient {
  return (req) => {
    if (req.method !== 'POST' || !parUrls.includes(req.url) || req.body === undefined) return http(req);
    const form = new URLSearchParams(Buffer.from(req.body).toString('utf8'));
    return http({ ...req, body: rewrite(form).toString() });
  };
}

/** The request object's claims, read without verifying (the attacker has no key to check it). */
function requestObjectClaims(form: URLSearchParams): Record<string, unknown> {
  return decodeJws(form.get('request') ?? '').payload;
}

/** Rewrite 1: the request object is dropped and its parameters sent as plain PAR, scope widened. */
const strip: Rewrite = (form) => {
  const out = new URLSearchParams();
  for (const [k, v] of form) if (k !== 'request') out.set(k, v);
  for (const [k, v] of Object.entries(requestObjectParameters(requestObjectClaims(form)))) out.set(k, v);
  out.set('scope', WIDENED);
  return out;
};

/** Rewrite 2: the scope is widened inside the request object; its signature is kept as it was. */
const rewriteInside: Rewrite = (form) => {
  const [h, , s] = (form.get('request') ?? '').split('.');
  const claims = { ...requestObjectClaims(form), scope: WIDENED };
  const out = new URLSearchParams(form);
  out.set('request', `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`);
  return out;
};

/** Rewrite 3: a widened scope is added beside the request object. */
const addBeside: Rewrite = (form) => {
  const out = new URLSearchParams(form);
  out.set('scope', WIDENED);
  return out;
};

/** The honest client's runtime, with its pushed requests going through the intermediary. */
function proxiedClient(p: Play, party: Party, rewrite: Rewrite): Client {
  const key = party.signingKey ?? party.requestObjectKey;
  if (!key) throw new Skip('the client has no signing key for request objects');
  const m = p.target.metadata;
  const parUrls = [
    m.pushed_authorization_request_endpoint,
    m.mtls_endpoint_aliases?.pushed_authorization_request_endpoint,
  ].filter((u): u is string => typeof u === 'string');
  return new Client({
    http: proxy(party.http, parUrls, rewrite),
    metadata: m,
    clientId: party.clientId,
    authMethod: party.client.authMethod,
    sender: party.client.sender,
    signingKey: key,
    ...(party.client.dpopKey ? { dpopKey: party.client.dpopKey } : {}),
  });
}

/** The scope the honest client's token ends up with, after the authorization and its checks. */
async function grantedScope(p: Play, party: Party, requestUri: string, session: AuthorizationSession) {
  const r = await follow(p.target, authorizationUrl(p.target.metadata, party.clientId, requestUri));
  const { code } = validateAuthorizationResponse(r.params, {
    issuer: p.target.issuer,
    issParameterSupported: p.target.metadata.authorization_response_iss_parameter_supported === true,
    state: session.state,
  });
  return tokensOf(party, await redeem(party, code, session)).scope ?? '';
}

/**
 * The honest client pushes its request as a signed request object for scope "openid accounts";
 * the intermediary rewrites it. Success for the attacker: the server accepts the request and (at
 * the lab) the token carries the widened scope.
 */
async function tampered(p: Play, party: Party, rewrite: Rewrite): Promise<Attempt> {
  const client = proxiedClient(p, party, rewrite);
  const session = createAuthorizationSession({
    redirectUri: party.redirectUri,
    scope: ASKED,
    ...(client.dpopJkt ? { dpopJkt: client.dpopJkt } : {}),
  });
  const ex = await pushAuthorizationRequest(client, session, { requestObject: true });
  if (ex.response.status !== 201 && ex.response.status !== 200) return refusalOf(p.target, ex.response);
  let requestUri: string;
  try {
    ({ request_uri: requestUri } = processPushedAuthorizationResponse(ex));
  } catch (e) {
    if (isFapiError(e)) return refusalOf(p.target, ex.response);
    throw e;
  }
  if (!p.target.lab)
    return {
      succeeded: true,
      status: ex.response.status,
      summary: `${ex.response.status}: the server took the rewritten request`,
    };
  const scope = await grantedScope(p, party, requestUri, session);
  return scope.split(' ').includes('payments')
    ? {
        succeeded: true,
        status: ex.response.status,
        summary: `${ex.response.status}, token scope "${scope}": more than the client asked for`,
      }
    : {
        succeeded: false,
        status: ex.response.status,
        check: 'MS-06',
        summary: `${ex.response.status}, only the request object counts: token scope "${scope}" (MS-06)`,
      };
}

/** An external server is checked only where it says it requires request objects (MS-01). */
function requireJarAtExternal(p: Play): void {
  if (!p.target.lab && p.target.metadata.require_signed_request_object !== true)
    throw new Skip('the server does not require signed request objects (require_signed_request_object)');
}

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop', jar: true });
  await p.attack(
    'attacker',
    'the proxy drops the request object and pushes its parameters, scope + payments',
    {},
    () => tampered(p, honest, strip),
  );
}

async function fapi2(p: Play): Promise<void> {
  requireJarAtExternal(p);
  const honest = await honestParty(p, { binding: 'dpop', jar: true });
  await p.attack(
    'attacker',
    'the proxy drops the request object and pushes its parameters, scope + payments',
    { refusedWith: ['invalid_request', 'invalid_request_object'] },
    () => tampered(p, honest, strip),
  );
  await p.attack(
    'attacker',
    'the proxy widens the scope inside the request object',
    { refusedWith: ['invalid_request_object'] },
    () => tampered(p, honest, rewriteInside),
  );
  await p.labOnly(
    'attacker',
    'the proxy adds scope + payments beside the request object',
    'needs the lab (auto-approve) to see the token scope',
    () =>
      p
        .attack('attacker', 'the proxy adds scope + payments beside the request object', {}, () =>
          tampered(p, honest, addBeside),
        )
        .then(() => undefined),
  );
}

export const pushedRequestTampering: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
