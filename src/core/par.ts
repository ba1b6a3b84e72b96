/**
 * Pushed Authorization Requests (RFC 9126), always used (FAPI2-SP §5.3.3.2-2, CL-08): the whole
 * request goes to the PAR endpoint with client authentication, PKCE S256 (CL-09), a random state
 * (CL-12), a nonce when `openid` is asked for (≤ 64 chars, CL-21), `dpop_jkt` for DPoP (RFC 9449
 * §10) and the redirect URI (CL-10). The authorization URL then carries only client_id and
 * request_uri.
 */
import { conformanceError } from '../errors.js';
import { type Client, type Exchange, jsonObject, responseError } from './client.js';
import { type AuthorizationServerMetadata, endpoint } from './discovery.js';
import type { HintContext } from './oauth-error.js';
import { codeChallengeS256, createCodeVerifier } from './pkce.js';
import { randomToken } from './random.js';
import type { AuthorizationDetail } from './authorization-details.js';

/** Everything the flow must remember between PAR and the token request (kept in memory only). */
export interface AuthorizationSession {
  redirect_uri: string;
  scope: string;
  state: string;
  /** Only when `openid` is in scope. */
  nonce?: string;
  code_verifier: string;
  code_challenge: string;
  /** RFC 9449 §10: binds the code to the DPoP key. */
  dpop_jkt?: string;
  /** `jwt`: a signed JARM authorization response (FAPI2-MS §5.4.2-1, MS-09). */
  response_mode?: 'jwt';
  /** RFC 9396 §3: the authorization details, as the JSON text sent (form-encoded in PAR). */
  authorization_details?: string;
}

export interface PushedAuthorization {
  request_uri: string;
  expires_in: number;
}

export function hasOpenidScope(scope: string): boolean {
  return scope.split(/\s+/).includes('openid');
}

/** Fresh per-flow values: verifier from 32 random bytes (CL-09), state, nonce ≤ 64 chars (CL-21). */
export function createAuthorizationSession(o: {
  redirectUri: string;
  scope: string;
  dpopJkt?: string;
  /** Ask for a JARM response (`response_mode=jwt`). */
  jarm?: boolean;
  /** RFC 9396 authorization details (already checked: src/core/authorization-details.ts). */
  authorizationDetails?: readonly AuthorizationDetail[];
}): AuthorizationSession {
  const codeVerifier = createCodeVerifier();
  const session: AuthorizationSession = {
    redirect_uri: o.redirectUri,
    scope: o.scope,
    state: randomToken(32),
    code_verifier: codeVerifier,
    code_challenge: codeChallengeS256(codeVerifier),
  };
  // FAPI2-SP §5.3.3.2-7: nonce values up to 64 characters; 32 bytes → 43 characters.
  if (hasOpenidScope(o.scope)) session.nonce = randomToken(32);
  if (o.dpopJkt) session.dpop_jkt = o.dpopJkt;
  if (o.jarm) session.response_mode = 'jwt';
  if (o.authorizationDetails) session.authorization_details = JSON.stringify(o.authorizationDetails);
  return session;
}

/** The PAR form, without client authentication (the runtime adds it). Never `request_uri` (CL-08). */
export function parParameters(clientId: string, s: AuthorizationSession): Record<string, string | undefined> {
  return {
    client_id: clientId,
    response_type: 'code',
    response_mode: s.response_mode,
    redirect_uri: s.redirect_uri,
    scope: s.scope || undefined,
    state: s.state,
    nonce: s.nonce,
    code_challenge: s.code_challenge,
    code_challenge_method: 'S256',
    dpop_jkt: s.dpop_jkt,
    // RFC 9396 §3, §11.4: in the pushed request, never in the front channel.
    authorization_details: s.authorization_details,
  };
}

/**
 * Sends the PAR request (RFC 9126 §2.1); with `requestObject`, every parameter inside one signed
 * request object (JAR, RFC 9101; FAPI2-MS §5.3.2, MS-07).
 */
export function pushAuthorizationRequest(
  client: Client,
  s: AuthorizationSession,
  o: { requestObject?: boolean } = {},
): Promise<Exchange> {
  return client.sendToAs({
    step: 'PAR',
    endpoint: 'pushed_authorization_request_endpoint',
    form: parParameters(client.clientId, s),
    ...(o.requestObject ? { requestObject: true } : {}),
  });
}

/** Validates the PAR response: 201, a string request_uri, a positive numeric expires_in (RFC 9126 §2.2). */
export function processPushedAuthorizationResponse(
  exchange: Exchange,
  hints: HintContext = {},
): PushedAuthorization {
  const res = exchange.response;
  // RFC 9126 §2.2 says 201; a 200 with a valid body is tolerated.
  if (res.status !== 201 && res.status !== 200) throw responseError(exchange, hints);
  const body = jsonObject(exchange);
  if (typeof body.request_uri !== 'string' || !body.request_uri)
    throw conformanceError(
      'E_PAR_NO_REQUEST_URI',
      `The PAR response from ${exchange.url} has no request_uri string.`,
      'The server does not implement RFC 9126 §2.2 correctly.',
    );
  if (typeof body.expires_in !== 'number' || !(body.expires_in > 0))
    throw conformanceError(
      'E_PAR_NO_EXPIRES_IN',
      `The PAR response from ${exchange.url} has no positive numeric expires_in.`,
      'The server does not implement RFC 9126 §2.2 correctly.',
    );
  return { request_uri: body.request_uri, expires_in: body.expires_in };
}

/** The front-channel URL: exactly client_id and request_uri (FAPI2-SP §5.3.3.2-6, CL-08). */
export function authorizationUrl(
  metadata: AuthorizationServerMetadata,
  clientId: string,
  requestUri: string,
): string {
  // The front channel is never an mTLS alias (RFC 8705 §5).
  const u = new URL(endpoint(metadata, 'authorization_endpoint', { mtls: false }));
  u.searchParams.set('client_id', clientId);
  u.searchParams.set('request_uri', requestUri);
  return u.toString();
}
