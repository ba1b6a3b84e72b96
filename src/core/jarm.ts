/**
 * JARM, the JWT Secured Authorization Response Mode (FAPI2-MS §5.4.2; MS-09), on the client side:
 * the client asks for `response_mode=jwt` in PAR and the authorization response comes back as one
 * JWT signed by the authorization server, `?response=<JWT>` (JARM §2.1, §2.3.1). Before anything
 * in it is used (JARM §2.4: "The client MUST NOT process the grant type specific authorization
 * response parameters before all checks succeed"), fapi checks:
 *  - the signature, with the issuer's key from its jwks_uri picked by `kid`, and `alg` a FAPI
 *    algorithm, never `none` (JARM §2.4 step 5; FAPI2-SP §5.4.1-1);
 *  - `iss` is the issuer (step 2), `aud` is the client_id (step 3), `exp` has not passed (step 4).
 * JARM lists the signature last; fapi verifies it first, so a message about a claim is never
 * about a forged JWT (all checks must pass either way). `state`, then the code or the error, are
 * checked afterwards, as for a plain response (./authorization-response.ts).
 */
import { FapiError, usageError } from '../errors.js';
import type { AuthorizationServerMetadata } from './discovery.js';
import { headerRefusalHint, type JwksSource, type VerifiedIssuerJws, verifyIssuerJws } from './issuer-jws.js';
import { JwsError } from './jws.js';
import { FAPI_ALGS } from './fapi.js';

/** FAPI2-MS §5.4.2-1: the client sets response_mode to `jwt` (JARM §2.3.4: query.jwt for code). */
export const JARM_RESPONSE_MODE = 'jwt';

/** The JARM checks, named in errors (`E_JARM_<CHECK>`) and in `--json` details. */
export type JarmCheckName = 'response' | 'alg' | 'signature' | 'iss' | 'aud' | 'exp';

export interface JarmCheck {
  /** The configured issuer; compared as an exact string. */
  issuer: string;
  /** The client_id used in the authorization request. */
  clientId: string;
  /** Epoch seconds, skew-corrected (the server's clock when fapi corrects it, CL-23). */
  now: number;
  /** Accepted lateness of exp and earliness of nbf, in seconds (default 60, as for ID tokens). */
  leeway?: number;
  /** The issuer's keys (./issuer-jws.ts jwksLoader). */
  jwks: JwksSource;
}

export interface ValidJarmResponse {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  alg: string;
  kid?: string;
  /** The authorization response parameters the JWT carries (iss, state, code or error, ...). */
  params: URLSearchParams;
}

/** Authorization response parameters of the code flow (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207). */
const RESPONSE_PARAMS = ['iss', 'state', 'code', 'error', 'error_description', 'error_uri'];

const HINTS: Record<JarmCheckName, string> = {
  response:
    'The server did not answer with a JARM response (response_mode=jwt). Run `fapi login --jarm` again; if it persists, the server does not implement JARM correctly: report it to its operator, or log in without --jarm.',
  alg: 'JARM responses must be signed with PS256, ES256 or EdDSA (FAPI2-SP §5.4.1-1), never unsigned. Register the client with authorization_signed_response_alg set to one of them (`fapi register --jarm`), or report it to the server operator.',
  signature:
    "The response was not signed by the issuer's key: it was forged or altered on the way. Do not use it; run `fapi login --jarm` again, and report it to the server operator if it persists.",
  iss: 'The response does not come from the configured issuer: this is what a mix-up attack looks like (JARM §2.4, RFC 9207). Never reuse this code; check that the profile issuer is the server you meant to log in to.',
  aud: 'The response was issued for another client: it may have been injected from another login. Check the profile client_id (`fapi profile show`); run `fapi login --jarm` again.',
  exp: 'A JARM response must carry exp and be used before it (JARM §2.1). Check the clock of this machine and the server (fapi corrects skew from the Date header unless --no-sync-clock), then run `fapi login --jarm` again.',
};

/** The FapiError of a failed JARM check: exit 5, stopped before the token request. */
export function jarmRefused(check: JarmCheckName, what: string, hint?: string): FapiError {
  return new FapiError(
    `E_JARM_${check.toUpperCase()}`,
    `The JARM authorization response was refused (${check} check): ${what}. fapi stopped before the token request.`,
    { kind: 'server', hint: hint ?? HINTS[check], details: { check } },
  );
}

/**
 * Validates the `response` JWT of a JARM authorization response (JARM §2.4, MS-09) and returns the
 * parameters it carries. Throws a FapiError naming the failed check.
 */
export async function validateJarmResponse(jwt: string, o: JarmCheck): Promise<ValidJarmResponse> {
  let verified: VerifiedIssuerJws;
  try {
    verified = await verifyIssuerJws(jwt, o.jwks, 'the response');
  } catch (e) {
    if (!(e instanceof JwsError)) throw e;
    // A crit extension or a jwk of its own: a signature fapi cannot accept as the issuer's.
    throw jarmRefused(
      e.check === 'alg' ? 'alg' : e.check === 'format' ? 'response' : 'signature',
      e.message,
      headerRefusalHint(e.check),
    );
  }
  const { decoded, alg, kid } = verified;
  const c = decoded.payload;

  // JARM §2.4 step 2: iss identifies the expected issuer, as an exact string.
  if (c.iss === undefined) throw jarmRefused('iss', 'it has no iss (JARM §2.1 requires it)');
  if (c.iss !== o.issuer)
    throw jarmRefused(
      'iss',
      `its iss ${JSON.stringify(c.iss)} is not the issuer ${JSON.stringify(o.issuer)}`,
    );
  // Step 3: aud is this client (a string, or an array that contains it).
  if (c.aud === undefined) throw jarmRefused('aud', 'it has no aud (JARM §2.1 requires it)');
  const aud = Array.isArray(c.aud) ? (c.aud as unknown[]) : [c.aud];
  if (!aud.includes(o.clientId))
    throw jarmRefused('aud', `its aud ${JSON.stringify(c.aud)} is not the client_id ${o.clientId}`);
  // Step 4: exp has not passed, with the same clock-skew leeway as ID tokens.
  const leeway = o.leeway ?? 60;
  if (c.exp === undefined) throw jarmRefused('exp', 'it has no exp (JARM §2.1 requires it)');
  if (typeof c.exp !== 'number' || !Number.isFinite(c.exp))
    throw jarmRefused('exp', `its exp ${JSON.stringify(c.exp)} is not a number of seconds`);
  if (c.exp + leeway <= o.now)
    throw jarmRefused(
      'exp',
      `it expired at ${new Date(c.exp * 1000).toISOString()} (${Math.round(o.now - c.exp)} s ago)`,
    );
  // RFC 7519 §4.1.5: not before nbf, when the server sets one.
  if (c.nbf !== undefined && (typeof c.nbf !== 'number' || c.nbf > o.now + leeway))
    throw jarmRefused('exp', `its nbf ${JSON.stringify(c.nbf)} is in the future`);

  // JARM §2.1: response parameter values are JSON strings; anything else is not a response.
  const params = new URLSearchParams();
  for (const name of RESPONSE_PARAMS) {
    const v = c[name];
    if (v === undefined) continue;
    if (typeof v !== 'string')
      throw jarmRefused('response', `its ${name} is ${JSON.stringify(v)}, not a string (JARM §2.1)`);
    params.set(name, v);
  }
  const out: ValidJarmResponse = { header: decoded.header, claims: c, alg, params };
  if (kid !== undefined) out.kid = kid;
  return out;
}

/**
 * `fapi login --jarm` and `fapi register --jarm` only against a server that offers JARM: `jwt` in response_modes_supported
 * (JARM §4; RFC 8414 §2: the default is query and fragment only), and, when it lists its
 * authorization_signing_alg_values_supported, a FAPI algorithm among them. Returns that list.
 */
export function checkJarmSupported(m: AuthorizationServerMetadata): { algs?: string[] } {
  const modes = m.response_modes_supported;
  if (!Array.isArray(modes) || !modes.includes(JARM_RESPONSE_MODE))
    throw usageError(
      'E_JARM_UNSUPPORTED',
      `${m.issuer} does not offer JARM: its response_modes_supported is ${Array.isArray(modes) ? JSON.stringify(modes) : 'absent (query and fragment only, RFC 8414 §2)'}, without "jwt".`,
      'Run it without --jarm (JARM is optional in FAPI 2.0; the plain response with iss is FAPI 2.0 conformant), or ask the operator to enable it.',
      { field: 'response_modes_supported' },
    );
  const algs = m.authorization_signing_alg_values_supported;
  if (Array.isArray(algs) && !algs.some((a) => (FAPI_ALGS as readonly string[]).includes(a)))
    throw usageError(
      'E_JARM_UNSUPPORTED',
      `${m.issuer} signs JARM responses only with ${algs.join(', ') || 'nothing'} (authorization_signing_alg_values_supported), none of them a FAPI algorithm (PS256, ES256, EdDSA; FAPI2-SP §5.4.1-1).`,
      'Run it without --jarm, or ask the operator to offer a FAPI algorithm.',
      { field: 'authorization_signing_alg_values_supported' },
    );
  return Array.isArray(algs) ? { algs } : {};
}
