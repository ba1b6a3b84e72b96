/**
 * Validation of the authorization response at the redirect URI, in the order that keeps a
 * mix-up or CSRF attacker from steering the client: first `iss` (RFC 9207 §2.4, FAPI2-SP
 * §5.3.3.2-5, CL-11: nothing in an unverified response is acted on, not even its `error`), then
 * `state` (RFC 6749 §10.12, CL-12), then the error or the code. A JARM response
 * (`response_mode=jwt`, MS-09) is first verified as a whole by ./jarm.ts; the same order then
 * applies to the parameters inside it.
 */
import { FapiError, serverError } from '../errors.js';
import { hintFor } from './oauth-error.js';
import { type JarmCheck, jarmRefused, validateJarmResponse } from './jarm.js';

export interface AuthorizationResponseCheck {
  /** The configured issuer; compared as an exact string. */
  issuer: string;
  /** The metadata's authorization_response_iss_parameter_supported (RFC 9207 §3). */
  issParameterSupported: boolean;
  /** The state sent in PAR. */
  state: string;
}

export interface AuthorizationResponse {
  code: string;
  /** Whether `iss` was present and matched (false only when the server does not advertise it). */
  iss_checked: boolean;
}

const refused = (code: string, message: string, hint: string) =>
  new FapiError(code, message, { kind: 'server', hint });

export function validateAuthorizationResponse(
  params: URLSearchParams,
  o: AuthorizationResponseCheck,
): AuthorizationResponse {
  // RFC 6749 §3.1: parameters must not be repeated; a repeated one is ambiguous, so refuse.
  for (const name of ['iss', 'state', 'code', 'error']) {
    if (params.getAll(name).length > 1)
      throw refused(
        'E_AUTHZ_RESPONSE_DUPLICATE',
        `The authorization response carries ${name} more than once; fapi does not guess which one counts.`,
        'Run `fapi login` again; if it persists, the server (or something between it and the browser) is broken.',
      );
  }
  const iss = params.get('iss');
  if (iss !== null) {
    if (iss !== o.issuer)
      throw refused(
        'E_ISS_MISMATCH',
        `Issuer mismatch in the authorization response: iss is ${JSON.stringify(iss)} but the configured issuer is ${JSON.stringify(o.issuer)}. fapi stopped before the token request.`,
        'This is what a mix-up attack looks like (RFC 9207): never reuse this code. Check that the profile issuer is the server you meant to log in to.',
      );
  } else if (o.issParameterSupported) {
    throw refused(
      'E_ISS_MISSING',
      `The authorization response has no iss parameter, though ${o.issuer} advertises authorization_response_iss_parameter_supported. fapi stopped before the token request.`,
      'A response without iss cannot be tied to this issuer (RFC 9207 §2.4, FAPI2-SP §5.3.3.2-5). Run `fapi login` again; report it to the server operator if it persists.',
    );
  }
  const state = params.get('state');
  if (state === null)
    throw refused(
      'E_STATE_MISSING',
      'The authorization response has no state parameter. fapi stopped before the token request.',
      'fapi always sends a state and the server must return it (RFC 6749 §4.1.2). A response without it may be forged (CSRF); run `fapi login` again.',
    );
  if (state !== o.state)
    throw refused(
      'E_STATE_MISMATCH',
      'The state in the authorization response does not match the one fapi sent. fapi stopped before the token request.',
      'The response belongs to another login attempt or was forged (CSRF, RFC 6749 §10.12). Run `fapi login` again.',
    );
  const error = params.get('error');
  if (error !== null) {
    const oauth = {
      error,
      ...(params.get('error_description')
        ? { error_description: params.get('error_description') as string }
        : {}),
    };
    throw serverError(
      `E_OAUTH_${error.toUpperCase()}`,
      `The authorization server returned an error to the redirect URI: ${error}${oauth.error_description ? `: ${oauth.error_description}` : ''}.`,
      oauth,
      hintFor('authorize', oauth) ?? 'The description above names the problem.',
    );
  }
  const code = params.get('code');
  if (!code)
    throw refused(
      'E_NO_CODE',
      'The authorization response has neither a code nor an error.',
      'The server did not complete the authorization; run `fapi login` again.',
    );
  return { code, iss_checked: iss !== null };
}

export interface JarmAuthorizationResponse extends AuthorizationResponse {
  /** The JARM JWT's signature: its algorithm and key id. */
  jarm: { alg: string; kid?: string };
}

/**
 * A JARM authorization response (MS-09; JARM §2.3.1): exactly one `response` parameter, a JWT
 * that must pass every JARM check (./jarm.ts) before its `state`, code or error is looked at. Any
 * other parameter at the top level is ignored: only the signed JWT counts (FAPI2-MS §5.4.1 Note).
 * A plain response where a JARM one was asked for is refused: it would be a silent downgrade.
 */
export async function validateJarmAuthorizationResponse(
  params: URLSearchParams,
  o: Omit<AuthorizationResponseCheck, 'issParameterSupported'> & JarmCheck,
): Promise<JarmAuthorizationResponse> {
  const responses = params.getAll('response');
  if (responses.length > 1)
    throw refused(
      'E_AUTHZ_RESPONSE_DUPLICATE',
      'The authorization response carries response more than once; fapi does not guess which one counts.',
      'Run `fapi login --jarm` again; if it persists, the server (or something between it and the browser) is broken.',
    );
  const jwt = responses[0];
  if (!jwt) {
    const error = params.get('error');
    throw jarmRefused(
      'response',
      error !== null
        ? `fapi asked for response_mode=jwt but got an unsigned error response (error ${JSON.stringify(error)}${params.get('error_description') ? `: ${JSON.stringify(params.get('error_description'))}` : ''}), which cannot be trusted`
        : 'fapi asked for response_mode=jwt but the response has no response parameter (a plain response is not accepted instead)',
    );
  }
  const v = await validateJarmResponse(jwt, o);
  // The iss inside the JWT was just checked; it is required there, so issParameterSupported holds.
  const r = validateAuthorizationResponse(v.params, { ...o, issParameterSupported: true });
  return { ...r, jarm: { alg: v.alg, ...(v.kid !== undefined ? { kid: v.kid } : {}) } };
}
