/**
 * OAuth error answers: the one parser of an error body (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 9126
 * §2.3) and of a resource server's challenge (RFC 6750 §3, RFC 9449 §7.1), and the one set of
 * hints that turn an error code at a step into its likely cause and fix. The fields stay verbatim
 * (the server's words); the hint is fapi's.
 */
import type { OAuthErrorFields } from '../errors.js';
import type { HttpResponse } from '../http/client.js';
import type { ClientAuthMethod } from './fapi.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

/** The `error` and `error_description` strings of a JSON error body; empty when there are none. */
export function oauthErrorBody(res: HttpResponse): { error?: string; error_description?: string } {
  let body: unknown;
  try {
    body = JSON.parse(res.text());
  } catch {
    return {}; // not JSON
  }
  const out: { error?: string; error_description?: string } = {};
  if (body && typeof body === 'object') {
    const { error, error_description } = body as Record<string, unknown>;
    if (typeof error === 'string') out.error = error;
    if (typeof error_description === 'string') out.error_description = error_description;
  }
  return out;
}

/** The OAuth error of a response: the JSON body (AS) or the WWW-Authenticate challenge (RS). */
export function oauthErrorOf(res: HttpResponse): OAuthErrorFields {
  const fields: OAuthErrorFields = { status: res.status, endpoint: res.url };
  const www = res.header('www-authenticate');
  if (www) {
    fields.www_authenticate = www;
    const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
    const withError = challenges.find((c) => c.params.error);
    if (withError) {
      fields.error = withError.params.error;
      if (withError.params.error_description) fields.error_description = withError.params.error_description;
    }
  }
  const body = oauthErrorBody(res);
  if (body.error !== undefined) fields.error = body.error;
  if (body.error_description !== undefined) fields.error_description = body.error_description;
  return fields;
}

export interface HintContext {
  clientId?: string;
  authMethod?: ClientAuthMethod;
  audience?: string;
  kid?: string;
  redirectUri?: string;
}

/** The step name of dynamic client registration and management (RFC 7591, RFC 7592). */
export const REGISTRATION = 'registration';

/** Registration errors (RFC 7591 §3.2.2) and what to do about them. */
const REGISTRATION_HINTS: Record<string, string> = {
  invalid_redirect_uri:
    'The server refused the redirect URI. Pass one it accepts with --redirect-uri (the CLI listens on a loopback IP, http://127.0.0.1/callback, RFC 8252 §7.3); some servers want it pre-agreed.',
  invalid_client_metadata:
    'The server refused a metadata field (its error_description should name it). Adjust it with --metadata FILE, or see the template in templates/.',
  invalid_software_statement:
    'The software statement is malformed or its signature did not verify. Check --software-statement FILE.',
  unapproved_software_statement:
    'The server does not accept this software statement (wrong issuer or not approved for this server).',
};

/**
 * The hint for an OAuth error at a step ("PAR", "token", "resource", "authorize", REGISTRATION,
 * ...): the likely cause and the fix. Undefined when there is nothing to add to the server's own
 * description.
 */
export function hintFor(step: string, o: OAuthErrorFields, ctx: HintContext = {}): string | undefined {
  if (step === REGISTRATION)
    return o.error && Object.hasOwn(REGISTRATION_HINTS, o.error) ? REGISTRATION_HINTS[o.error] : undefined;
  const desc = (o.error_description ?? '').toLowerCase();
  switch (o.error) {
    case 'invalid_client':
      if (ctx.authMethod && ctx.authMethod !== 'private_key_jwt')
        return (
          `The server did not accept the client certificate for client ${ctx.clientId ?? ''}. Check that the ` +
          'certificate in the profile is the one registered (tls_client_auth_subject_dn / SAN, or the jwks for ' +
          'self_signed_tls_client_auth) and that the request went to the mtls_endpoint_aliases (RFC 8705 §2, §5).'
        );
      return (
        `The server refused the client assertion. Likely causes: its "aud" was ${JSON.stringify(ctx.audience ?? '(the issuer)')} ` +
        'but FAPI 2.0 requires the issuer itself as a string (FAPI2-SP §5.3.2.1-8) — check "assertion_audience" ' +
        `in \`fapi profile show\`; the key with kid ${JSON.stringify(ctx.kid ?? '')} is not registered for client ` +
        `${ctx.clientId ?? ''} (re-run \`fapi register\`); or the clocks differ (fapi corrects skew from the ` +
        "server's Date header unless --no-sync-clock)."
      );
    case 'use_dpop_nonce':
      return (
        'The server asked for a new DPoP nonce again right after fapi retried with the nonce it sent: its nonces ' +
        'rotate faster than one round trip, or it does not accept its own nonce (RFC 9449 §8). Retry the command; ' +
        'if it persists, report it to the server operator.'
      );
    case 'invalid_dpop_proof':
      return (
        "The server rejected the DPoP proof. Check that the DPoP key's algorithm is in the server's " +
        'dpop_signing_alg_values_supported (`fapi discover`), and the clocks (fapi corrects skew from the Date ' +
        'header unless --no-sync-clock). `fapi -v` shows the decoded proof.'
      );
    case 'invalid_redirect_uri':
      return `The redirect URI ${ctx.redirectUri ?? ''} is not registered for this client. Register it (\`fapi register --redirect-uri ${ctx.redirectUri ?? 'URI'}\`) or set the profile's redirect_uri to a registered one.`;
    case 'invalid_request_object':
      return (
        'The server refused the signed request object (JAR, RFC 9101); its description names the rule. Likely ' +
        `causes: the signing key (kid ${JSON.stringify(ctx.kid ?? '')}) is not registered for client ${ctx.clientId ?? ''} ` +
        '(`fapi client update` registers the profile key; `fapi register --jar` registers it for request objects), ' +
        'its algorithm is not the registered request_object_signing_alg, or the clocks differ (fapi corrects skew ' +
        "from the server's Date header unless --no-sync-clock). `fapi -v` shows the decoded request object."
      );
    case 'request_not_supported':
      return 'The server does not take request objects: log in with --no-jar.';
    case 'invalid_request':
      if (desc.includes('request object') || desc.includes('signed request'))
        return 'The server requires a signed request object for this client (JAR, FAPI2-MS §5.3.1-1): run `fapi login --jar` (and `fapi register --jar` so the server knows the algorithm).';
      if (desc.includes('redirect'))
        return `The redirect URI ${ctx.redirectUri ?? ''} may not be registered for this client: register it with \`fapi register --redirect-uri\`, or set the profile's redirect_uri to a registered loopback URI.`;
      if (desc.includes('pkce') || desc.includes('code_challenge'))
        return 'fapi always sends PKCE S256; the server rejected it. `fapi -v` shows the PAR request.';
      return 'The server rejected a parameter of the request; its description names it. `fapi -v` shows the request.';
    case 'invalid_grant':
      if (step === 'refresh')
        return 'The refresh token expired, was revoked or was already rotated. Run `fapi login` again.';
      if (step === 'token')
        return (
          'The authorization code expired (codes live about 60 s), was already used, or the code_verifier, ' +
          'redirect_uri or DPoP key did not match the authorization request. Run `fapi login` again.'
        );
      return 'The server refused the grant. Run `fapi login` again.';
    case 'invalid_scope':
      return 'A requested scope is not allowed for this client. Ask for fewer scopes with --scope, or register them.';
    case 'invalid_authorization_details':
      return "The server refused the authorization details (RFC 9396 §5: an unknown type or field, a wrong value, a missing field, or a type this client is not registered for). Check them against the server's documentation; servers may require the client to be registered with authorization_details_types (RFC 9396 §10).";
    case 'unauthorized_client':
      return 'This client is not allowed to use this grant type or request. Check the grant_types it was registered with.';
    case 'unsupported_grant_type':
      return 'The server does not support this grant type (see grant_types_supported with `fapi discover`).';
    case 'invalid_request_uri':
      return 'The pushed request expired or was already used (request_uri lives about 60 s). Run `fapi login` again.';
    case 'access_denied':
      return 'The user or the server denied the authorization request.';
    case 'invalid_token':
      return step === 'resource'
        ? 'The access token expired, was revoked, or is bound to another key or certificate. Run `fapi token refresh` or `fapi login`.'
        : 'The token was not accepted.';
    case 'insufficient_scope':
      return 'The access token lacks a scope this resource needs. Log in again with `fapi login --scope ...`.';
    case 'unsupported_token_type':
      return 'The server does not support revoking or introspecting this kind of token.';
    case 'temporarily_unavailable':
    case 'server_error':
      return 'The server had a problem; try again later.';
    default:
      return undefined;
  }
}
