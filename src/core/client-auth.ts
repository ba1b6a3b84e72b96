/**
 * Client authentication with `private_key_jwt` (OIDC Core §9, RFC 7523): assertion creation for
 * the CLI and verification for the lab, with the FAPI 2.0 Final rules. Each failure names its
 * catalogue check (CA-xx).
 */
import { randomToken } from './random.js';
import type { Jwk } from './jwk.js';
import {
  type ClientJwtParams,
  type DecodedJws,
  type JwsPolicy,
  checkJwsHeader,
  decodeJws,
  jwksCandidates,
  JwsError,
  signJws,
  verifiesWithAny,
} from './jws.js';
import { FAPI_ALGS } from './fapi.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientAssertionParams extends ClientJwtParams {
  /** FAPI2-SP §5.3.2.1-8 / §5.3.3.1-5: the issuer identifier, as a string. */
  audience: string | string[];
  /** Seconds; short (CL-06 recommends ≤ 60). */
  lifetime?: number;
}

/** A fresh assertion: iss = sub = client_id, aud, jti, iat, exp (CL-06). */
export function createClientAssertion(p: ClientAssertionParams): string {
  const now = Math.floor(p.now ?? Date.now() / 1000);
  const header: Record<string, unknown> = { typ: 'JWT', ...p.header };
  if (p.kid) header.kid = p.kid;
  const claims: Record<string, unknown> = {
    iss: p.clientId,
    sub: p.clientId,
    aud: p.audience,
    jti: p.jti ?? randomToken(16),
    iat: now,
    exp: now + (p.lifetime ?? 60),
    ...p.claims,
  };
  return signJws(header, claims, p.privateKey, p.alg);
}

/** The form parameters that carry an assertion. */
export function clientAssertionParams(clientId: string, assertion: string): Record<string, string> {
  return { client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: assertion };
}

export class ClientAuthError extends Error {
  override name = 'ClientAuthError';
  readonly error = 'invalid_client';
  constructor(
    readonly check: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ClientAssertionVerifyOptions {
  assertion: string | undefined;
  /** The assertion already decoded by the caller (e.g. to find the client): not parsed twice. */
  decoded?: DecodedJws;
  assertionType: string | undefined;
  /** The `client_id` form parameter, when sent (CA-12). */
  clientIdParam?: string;
  issuer: string;
  /** Epoch seconds. */
  now: number;
  /** The client's registered public keys; undefined for an unknown client. */
  getClientKeys(clientId: string): Jwk[] | undefined;
  /** Records the jti; false when it was seen before (CA-06). */
  replay?: (key: string, expiresAt: number) => boolean;
  /** Longest accepted exp − iat (CA-05; default 300 s). */
  maxLifetime?: number;
  /** Accepted iat/nbf in the future: FAPI2-SP §5.3.2.1-13 accept ≤ 10 s, reject > 60 s. Default 10. */
  futureSkew?: number;
  allowedAlgs?: readonly string[];
  /**
   * Lab relaxation `lax-assertion-aud` only: also accept these audiences, and arrays holding an
   * accepted one, as RFC 9126 §2 did before FAPI 2.0 (the audience-injection weakness).
   */
  laxAudiences?: readonly string[];
}

export interface VerifiedAssertion {
  clientId: string;
  jti: string;
  exp: number;
  alg: string;
  kid?: string;
}

/**
 * The header policy of a client assertion: a FAPI alg (CA-07); explicitly typed as a plain JWT or
 * `client-authentication+jwt`, or untyped (rfc7523bis §4; CA-13 refuses other JWT types, RFC 8725
 * §3.11); the key one the client registered, chosen by kid (CA-08).
 */
const CLIENT_ASSERTION: JwsPolicy = {
  subject: 'the client assertion',
  algorithms: FAPI_ALGS,
  typ: ['jwt', 'client-authentication+jwt'],
  typOptional: true,
  key: 'kid',
};

/** CA-07 alg, CA-13 typ; CA-08 for the rest (an unknown crit or a jwk header: no key to verify with). */
function assertionCheckId(e: JwsError): string {
  return e.check === 'alg' ? 'CA-07' : e.check === 'typ' ? 'CA-13' : 'CA-08';
}

const fail = (check: string, message: string): never => {
  throw new ClientAuthError(check, message);
};

export function verifyClientAssertion(o: ClientAssertionVerifyOptions): VerifiedAssertion {
  // CA-10, CA-11
  if (o.assertion === undefined && o.assertionType === undefined)
    fail(
      'CA-11',
      'client authentication is required: send client_assertion (private_key_jwt) or a client certificate',
    );
  if (o.assertionType !== JWT_BEARER) fail('CA-10', `client_assertion_type must be ${JWT_BEARER}`);
  if (typeof o.assertion !== 'string' || o.assertion.length === 0)
    return fail('CA-11', 'client_assertion is missing');
  let decoded: DecodedJws;
  let alg: string;
  try {
    decoded = o.decoded ?? decodeJws(o.assertion);
    // CA-07, CA-13, CA-08: the one JWS header policy (src/core/jws.ts); the signature is checked
    // once the claims name the client whose keys verify it.
    alg = checkJwsHeader(
      decoded.header,
      o.allowedAlgs === undefined ? CLIENT_ASSERTION : { ...CLIENT_ASSERTION, algorithms: o.allowedAlgs },
    );
  } catch (e) {
    if (!(e instanceof JwsError)) throw e;
    return fail(
      assertionCheckId(e),
      e.check === 'format' ? `client_assertion is not a well-formed JWS: ${e.message}` : e.message,
    );
  }
  const { header, payload } = decoded;
  // CA-03
  if (typeof payload.iss !== 'string') fail('CA-03', 'the assertion has no iss');
  if (typeof payload.sub !== 'string') fail('CA-03', 'the assertion has no sub');
  if (payload.iss !== payload.sub)
    fail('CA-03', 'iss and sub of the assertion differ (both must be the client_id)');
  const clientId = payload.sub as string;
  // CA-12
  if (o.clientIdParam !== undefined && o.clientIdParam !== clientId)
    fail('CA-12', 'client_id does not match the client assertion sub');
  // CA-02: only the issuer, as a JSON string (FAPI2-SP §5.3.2.1-8; overrides RFC 9126 §2).
  if (o.laxAudiences) {
    const accepted = [o.issuer, ...o.laxAudiences];
    const auds: unknown[] = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!auds.some((a) => typeof a === 'string' && accepted.includes(a)))
      fail(
        'CA-02',
        `the assertion aud ${JSON.stringify(payload.aud)} names neither the issuer nor an endpoint`,
      );
  } else {
    if (Array.isArray(payload.aud))
      fail('CA-02', 'the assertion aud is an array; FAPI 2.0 accepts only the issuer identifier as a string');
    if (payload.aud !== o.issuer)
      fail('CA-02', `the assertion aud ${JSON.stringify(payload.aud)} is not the issuer ${o.issuer}`);
  }
  // CA-04, CA-05, CA-09
  const skew = o.futureSkew ?? 10;
  if (typeof payload.exp !== 'number') fail('CA-04', 'the assertion has no exp');
  if ((payload.exp as number) <= o.now) fail('CA-04', 'the assertion has expired');
  if (payload.iat !== undefined && typeof payload.iat !== 'number') fail('CA-09', 'iat must be a number');
  if (payload.nbf !== undefined && typeof payload.nbf !== 'number') fail('CA-09', 'nbf must be a number');
  if (typeof payload.iat === 'number' && payload.iat > o.now + skew)
    fail('CA-09', `iat is ${payload.iat - o.now} s in the future (FAPI2-SP §5.3.2.1-13)`);
  if (typeof payload.nbf === 'number' && payload.nbf > o.now + skew)
    fail('CA-09', `nbf is ${payload.nbf - o.now} s in the future (FAPI2-SP §5.3.2.1-13)`);
  const start =
    typeof payload.iat === 'number' ? payload.iat : typeof payload.nbf === 'number' ? payload.nbf : o.now;
  if ((payload.exp as number) - start > (o.maxLifetime ?? 300))
    fail(
      'CA-05',
      `the assertion lives ${(payload.exp as number) - start} s; at most ${o.maxLifetime ?? 300} s is accepted`,
    );
  // CA-06
  if (typeof payload.jti !== 'string' || payload.jti.length === 0) fail('CA-06', 'the assertion has no jti');
  // CA-08: the client's keys.
  const keys = o.getClientKeys(clientId);
  if (!keys) fail('CA-08', `unknown client ${JSON.stringify(clientId)}`);
  // CA-08 / CR-08: by kid, then kty/alg/use/crv when kids repeat (FAPI2-SP §5.4.3).
  const candidates = jwksCandidates(keys as Jwk[], header.kid, alg);
  if (candidates.length === 0)
    fail('CA-08', `no registered key of the client matches kid ${JSON.stringify(header.kid)} and alg ${alg}`);
  if (!verifiesWithAny(decoded, alg, candidates))
    fail('CA-08', 'the client assertion signature does not verify with the registered keys');
  if (o.replay && !o.replay(`${clientId}:${payload.jti as string}`, payload.exp as number))
    fail('CA-06', 'the client assertion was already used (jti replay)');
  const out: VerifiedAssertion = {
    clientId,
    jti: payload.jti as string,
    exp: payload.exp as number,
    alg,
  };
  if (typeof header.kid === 'string') out.kid = header.kid;
  return out;
}
