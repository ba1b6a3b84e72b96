/**
 * Signed request objects pushed to the PAR endpoint (JAR, RFC 9101; FAPI2-MS §5.3; catalogue
 * MS-01..07): the one implementation of building them (the client, MS-07) and of verifying them
 * (the lab's PAR checks, MS-01..06), each rule a function of its own so the lab runs them as
 * separate checks. Pure: keys, clocks and replay memory come from the caller.
 *
 * The client puts every authorization parameter into one JWS (RFC 9101 §4) with `typ`
 * oauth-authz-req+jwt, signed with its registered key and a FAPI algorithm, with `iss` = client_id,
 * `aud` = the issuer as a string, `client_id`, `iat`, `nbf`, `exp` (5 minutes; FAPI2-MS §5.3.2-2:
 * never more than 60 minutes after nbf) and a `jti`, and never `sub` (RFC 9101 §10.8: a request
 * object must not double as a client assertion). The PAR form then carries only `client_id` and
 * `request` beside the client authentication (RFC 9126 §3).
 *
 * The server verifies the JWS through the one header policy of ./jws.ts (typ when present, FAPI
 * `alg`, no `crit`, the key by `kid` among the client's registered keys) and refuses what a lax
 * parser would let through: a JWE, a repeated header parameter or claim, an oversized token. Then
 * `iss` and `client_id` (MS-06), `aud` (MS-02: the issuer or an array containing it, FAPI2-MS
 * §5.3.1-2), `nbf` (MS-03: required, at most 60 minutes old, FAPI2-MS §5.3.1-3), `exp` (MS-04:
 * required, at most 60 minutes after nbf, not passed, FAPI2-MS §5.3.1-4), the `jti` used once,
 * and finally the parameters: only the request object's count (RFC 9101 §6.3; RFC 9126 §3), and a
 * `request_uri` or `request` inside it is refused (RFC 9126 §2.1; OIDC Core §6.1).
 */
import { usageError } from '../errors.js';
import { isStringArray, type AuthorizationServerMetadata } from './discovery.js';
import { FAPI_ALGS } from './fapi.js';
import type { Jwk } from './jwk.js';
import {
  type ClientJwtParams,
  type DecodedJws,
  type JwsPolicy,
  JwsError,
  checkJwsHeader,
  decodeJws,
  jwksCandidates,
  signJws,
  verifiesWithAny,
} from './jws.js';
import { randomToken } from './random.js';

/** RFC 9101 §4, §10.8: the explicit type of a request object (RECOMMENDED; fapi always sends it). */
export const REQUEST_OBJECT_TYP = 'oauth-authz-req+jwt';
/** How long fapi's request objects live (MS-07, LAB: 5 minutes). */
export const REQUEST_OBJECT_LIFETIME = 300;
/** FAPI2-MS §5.3.1-3, -4: nbf at most 60 minutes in the past, exp at most 60 minutes after nbf. */
export const MAX_REQUEST_OBJECT_LIFETIME = 3600;
/** The longest request object a verifier reads (characters); longer is refused, not parsed. */
export const MAX_REQUEST_OBJECT_LENGTH = 16_384;
/** FAPI2-SP §5.3.2.1-13 (CR-09): nbf and iat up to 10 s in the future are accepted. */
export const REQUEST_OBJECT_FUTURE_SKEW = 10;

/** The JWT claims of the request object itself: never authorization parameters. */
const JWT_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

// ── the client (MS-07) ───────────────────────────────────────────────────────

/** What createRequestObject signs; `header` and `claims` are set last, over its own. */
export interface RequestObjectParams extends ClientJwtParams {
  /** FAPI2-MS §5.3.2-1: the issuer identifier, as a string. */
  audience: string;
  /** The authorization request parameters (RFC 6749 §4.1.1, RFC 7636, RFC 9449 §10, ...). */
  params: Record<string, string | undefined>;
  /** Seconds; default 300, never more than 3600 (FAPI2-MS §5.3.2-2). */
  lifetime?: number;
}

/** A request object for the PAR endpoint (MS-07). */
export function createRequestObject(p: RequestObjectParams): string {
  const now = Math.floor(p.now ?? Date.now() / 1000);
  const lifetime = Math.min(p.lifetime ?? REQUEST_OBJECT_LIFETIME, MAX_REQUEST_OBJECT_LIFETIME);
  const header: Record<string, unknown> = { typ: REQUEST_OBJECT_TYP };
  if (p.kid) header.kid = p.kid;
  const claims: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.params))
    if (v !== undefined && !JWT_CLAIMS.has(k) && k !== 'request' && k !== 'request_uri') claims[k] = v;
  // RFC 9396 §3 (RFC 9101 §4): in a request object authorization_details is the JSON array itself,
  // not its form-encoded text (the session keeps the text, already checked to be an array).
  if (typeof claims.authorization_details === 'string')
    claims.authorization_details = JSON.parse(claims.authorization_details) as unknown;
  Object.assign(claims, {
    iss: p.clientId,
    aud: p.audience,
    client_id: p.clientId,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    jti: p.jti ?? randomToken(16),
  });
  return signJws({ ...header, ...p.header }, { ...claims, ...p.claims }, p.privateKey, p.alg);
}

/** The PAR form of a request object: `client_id` and `request`, nothing else (RFC 9126 §3; MS-07). */
export function requestObjectForm(clientId: string, requestObject: string): Record<string, string> {
  return { client_id: clientId, request: requestObject };
}

/**
 * True when the server requires signed request objects: its metadata says
 * `require_signed_request_object` (RFC 9101 §10.5), or the client was registered so (§10.1).
 */
export function requestObjectsRequired(
  m: AuthorizationServerMetadata,
  registered?: Record<string, unknown>,
): boolean {
  return m.require_signed_request_object === true || registered?.require_signed_request_object === true;
}

/**
 * Request objects (`--jar`) only against a server that takes them: one that advertises
 * `request_object_signing_alg_values_supported`, `request_parameter_supported` or
 * `require_signed_request_object` (RFC 9101 §10.5; OIDC Discovery §3), and, when it lists its
 * algorithms, the signing key's among them. Throws a usage error (exit 2) naming the field.
 */
export function checkRequestObjectsSupported(m: AuthorizationServerMetadata, alg: string): void {
  const algs = m.request_object_signing_alg_values_supported;
  const offered =
    (isStringArray(algs) && algs.length > 0) ||
    m.request_parameter_supported === true ||
    m.require_signed_request_object === true;
  if (!offered)
    throw usageError(
      'E_JAR_UNSUPPORTED',
      `${m.issuer} does not offer signed request objects: its metadata has no request_object_signing_alg_values_supported, request_parameter_supported or require_signed_request_object.`,
      'Log in without --jar (JAR is part of FAPI 2.0 Message Signing, not of the Security Profile), or ask the operator to enable it.',
      { field: 'request_object_signing_alg_values_supported' },
    );
  if (isStringArray(algs) && !algs.includes(alg))
    throw usageError(
      'E_JAR_ALG_UNSUPPORTED',
      `${m.issuer} accepts request objects signed with ${algs.join(', ') || 'nothing'} (request_object_signing_alg_values_supported), not with the profile's ${alg} key.`,
      `Create a key it accepts (\`fapi keygen --force --alg ${algs.find((a) => (FAPI_ALGS as readonly string[]).includes(a)) ?? 'ES256'}\`) and register it again.`,
      { field: 'request_object_signing_alg_values_supported' },
    );
}

// ── the authorization server (MS-01..06) ─────────────────────────────────────

/** The catalogue rule a refusal comes from. */
export type RequestObjectCheck = 'MS-01' | 'MS-02' | 'MS-03' | 'MS-04' | 'MS-05' | 'MS-06';

/** A refused request object: `invalid_request_object` (RFC 9101 §6.3), or `invalid_request` (MS-01). */
export class RequestObjectError extends Error {
  override name = 'RequestObjectError';
  constructor(
    readonly check: RequestObjectCheck,
    message: string,
    readonly error: 'invalid_request_object' | 'invalid_request' = 'invalid_request_object',
  ) {
    super(message);
  }
}

const fail = (check: RequestObjectCheck, message: string): never => {
  throw new RequestObjectError(check, message);
};

/**
 * MS-05 (format): the `request` parameter as a compact JWS, read strictly: at most `maxLength`
 * characters, not a JWE (FAPI 2.0 signs request objects; nothing here decrypts), and no header
 * parameter or claim twice (RFC 7515 §5.2, RFC 7519 §4: a verifier that keeps the last one could
 * be shown another value than the signer meant).
 */
export function decodeRequestObject(jws: string, maxLength = MAX_REQUEST_OBJECT_LENGTH): DecodedJws {
  if (jws.length > maxLength)
    fail('MS-05', `the request object is ${jws.length} characters long; at most ${maxLength} are accepted`);
  const parts = jws.split('.').length;
  if (parts === 5)
    fail(
      'MS-05',
      'the request object is a JWE (5 parts): only signed request objects are accepted (FAPI2-MS §5.3.1-1; RFC 9101 §6.1)',
    );
  try {
    return decodeJws(jws, { maxLength, uniqueMembers: true });
  } catch (e) {
    if (!(e instanceof JwsError)) throw e;
    return fail('MS-05', `the request object is not a signed JWT: ${e.message}`);
  }
}

/**
 * The header policy of a request object: `typ` oauth-authz-req+jwt when present (RFC 9101 §4
 * RECOMMENDS it, so a request object without one is accepted), a FAPI `alg` (FAPI2-SP §5.4.1-1),
 * no `crit`, the key one the client registered, chosen by `kid` (RFC 9101 §6.2).
 */
export const REQUEST_OBJECT_POLICY: JwsPolicy = {
  subject: 'the request object',
  algorithms: FAPI_ALGS,
  typ: [REQUEST_OBJECT_TYP],
  typOptional: true,
  key: 'kid',
};

/**
 * MS-05 (signature): verified with one of the client's registered keys (RFC 9101 §6.2), under the
 * header policy; `allowedAlgs` narrows the algorithms to a registered request_object_signing_alg.
 */
export function verifyRequestObjectSignature(
  decoded: DecodedJws,
  keys: readonly Jwk[],
  allowedAlgs?: readonly string[],
): { alg: string; kid?: string } {
  let alg: string;
  try {
    alg = checkJwsHeader(
      decoded.header,
      allowedAlgs ? { ...REQUEST_OBJECT_POLICY, algorithms: allowedAlgs } : REQUEST_OBJECT_POLICY,
    );
  } catch (e) {
    if (!(e instanceof JwsError)) throw e;
    return fail('MS-05', e.message);
  }
  const kid = decoded.header.kid;
  const candidates = jwksCandidates(keys, kid, alg);
  if (candidates.length === 0)
    fail(
      'MS-05',
      `the request object was signed with a key the client never registered (kid ${JSON.stringify(kid)}, alg ${alg})`,
    );
  if (!verifiesWithAny(decoded, alg, candidates))
    fail('MS-05', "the request object signature does not verify with the client's registered keys");
  return typeof kid === 'string' ? { alg, kid } : { alg };
}

/**
 * MS-06 (client): `iss` and `client_id` name the authenticated client (RFC 9101 §5, §6.3;
 * FAPI2-MS §5.3.2), and a `client_id` form parameter beside the request object is the same.
 */
export function checkRequestObjectClient(
  claims: Record<string, unknown>,
  clientId: string,
  clientIdParam?: string,
): void {
  if (claims.iss !== clientId)
    fail(
      'MS-06',
      `the request object iss ${JSON.stringify(claims.iss)} is not the client_id ${JSON.stringify(clientId)}`,
    );
  if (claims.client_id !== clientId)
    fail(
      'MS-06',
      `the request object client_id ${JSON.stringify(claims.client_id)} is not the authenticated client ${JSON.stringify(clientId)}`,
    );
  if (clientIdParam !== undefined && clientIdParam !== claims.client_id)
    fail(
      'MS-06',
      `the client_id parameter ${JSON.stringify(clientIdParam)} differs from the request object's (RFC 9101 §5)`,
    );
}

/** MS-02: `aud` is the issuer, or an array that contains it (FAPI2-MS §5.3.1-2). */
export function checkRequestObjectAudience(claims: Record<string, unknown>, issuer: string): void {
  const aud = claims.aud;
  if (aud === undefined) fail('MS-02', 'the request object has no aud (FAPI2-MS §5.3.1-2)');
  const ok = Array.isArray(aud) ? aud.includes(issuer) : aud === issuer;
  if (!ok) fail('MS-02', `the request object aud ${JSON.stringify(aud)} does not name the issuer ${issuer}`);
}

/**
 * MS-03: `nbf` is required and at most 60 minutes in the past (FAPI2-MS §5.3.1-3); `nbf` and `iat`
 * may be up to `futureSkew` seconds in the future, not more (FAPI2-SP §5.3.2.1-13, CR-09).
 */
export function checkRequestObjectNbf(
  claims: Record<string, unknown>,
  now: number,
  futureSkew = REQUEST_OBJECT_FUTURE_SKEW,
): void {
  const { nbf, iat } = claims;
  if (nbf === undefined) fail('MS-03', 'the request object has no nbf (FAPI2-MS §5.3.1-3)');
  if (typeof nbf !== 'number' || !Number.isFinite(nbf))
    fail('MS-03', `the request object nbf ${JSON.stringify(nbf)} is not a number of seconds`);
  if ((nbf as number) > now + futureSkew)
    fail('MS-03', `the request object nbf is ${Math.round((nbf as number) - now)} s in the future`);
  if (now - (nbf as number) > MAX_REQUEST_OBJECT_LIFETIME)
    fail(
      'MS-03',
      `the request object nbf is ${Math.round((now - (nbf as number)) / 60)} min in the past; at most 60 min is accepted (FAPI2-MS §5.3.1-3)`,
    );
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + futureSkew))
    fail('MS-03', `the request object iat ${JSON.stringify(iat)} is not a time up to now`);
}

/**
 * MS-04: `exp` is required, at most 60 minutes after `nbf` (FAPI2-MS §5.3.1-4), and not passed
 * (with `skew` seconds of clock allowance). Run after checkRequestObjectNbf.
 */
export function checkRequestObjectExp(
  claims: Record<string, unknown>,
  now: number,
  skew = REQUEST_OBJECT_FUTURE_SKEW,
): void {
  const { exp, nbf } = claims;
  if (exp === undefined) fail('MS-04', 'the request object has no exp (FAPI2-MS §5.3.1-4)');
  if (typeof exp !== 'number' || !Number.isFinite(exp))
    fail('MS-04', `the request object exp ${JSON.stringify(exp)} is not a number of seconds`);
  if (typeof nbf === 'number' && (exp as number) - nbf > MAX_REQUEST_OBJECT_LIFETIME)
    fail(
      'MS-04',
      `the request object exp is ${Math.round(((exp as number) - nbf) / 60)} min after its nbf; at most 60 min is accepted (FAPI2-MS §5.3.1-4)`,
    );
  if ((exp as number) + skew <= now)
    fail('MS-04', `the request object expired ${Math.round(now - (exp as number))} s ago`);
}

/**
 * MS-04 (replay): the `jti` is used once while the request object lives; `once(key, exp)` records
 * it and answers false when it was seen before. A request object without `jti` cannot be protected
 * so, and is refused (a lab policy: RFC 9101 makes jti optional).
 */
export function checkRequestObjectJti(
  claims: Record<string, unknown>,
  clientId: string,
  once: (key: string, expiresAt: number) => boolean,
): void {
  const { jti, exp } = claims;
  if (typeof jti !== 'string' || jti.length === 0)
    fail('MS-04', 'the request object has no jti, so a replay could not be told apart (RFC 7519 §4.1.7)');
  if (!once(`${clientId}:${jti as string}`, exp as number))
    fail('MS-04', 'the request object was already used (jti replay)');
}

/**
 * MS-06 (parameters): the authorization request the request object carries, as form values: only
 * its parameters count (RFC 9101 §6.3, RFC 9126 §3), its JWT claims are not parameters, objects
 * (`claims`, `authorization_details`) become JSON, other values strings. A `request_uri` or
 * `request` inside it is refused (RFC 9126 §2.1; OIDC Core §6.1).
 */
export function requestObjectParameters(claims: Record<string, unknown>): Record<string, string> {
  for (const p of ['request_uri', 'request'])
    if (claims[p] !== undefined)
      fail('MS-06', `the request object must not contain ${p} (RFC 9126 §2.1; OIDC Core §6.1)`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (JWT_CLAIMS.has(k) || v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

export interface RequestObjectVerifyOptions {
  issuer: string;
  /** The authenticated client. */
  clientId: string;
  /** The `client_id` form parameter, when sent. */
  clientIdParam?: string;
  /** The client's registered public keys. */
  keys: readonly Jwk[];
  /** A registered request_object_signing_alg, as a list. */
  allowedAlgs?: readonly string[];
  /** Epoch seconds. */
  now: number;
  /** Records a jti (see checkRequestObjectJti); omitted: no replay check. */
  once?: (key: string, expiresAt: number) => boolean;
  maxLength?: number;
}

export interface VerifiedRequestObject {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  alg: string;
  kid?: string;
  /** The authorization request parameters it carries. */
  params: Record<string, string>;
}

/** Every rule in the order the lab runs them (MS-05, MS-06, MS-02, MS-03, MS-04, MS-06). */
export function verifyRequestObject(jws: string, o: RequestObjectVerifyOptions): VerifiedRequestObject {
  const decoded = decodeRequestObject(jws, o.maxLength);
  const sig = verifyRequestObjectSignature(decoded, o.keys, o.allowedAlgs);
  const claims = decoded.payload;
  checkRequestObjectClient(claims, o.clientId, o.clientIdParam);
  checkRequestObjectAudience(claims, o.issuer);
  checkRequestObjectNbf(claims, o.now);
  checkRequestObjectExp(claims, o.now);
  if (o.once) checkRequestObjectJti(claims, o.clientId, o.once);
  return { header: decoded.header, claims, ...sig, params: requestObjectParameters(claims) };
}
