/**
 * JWTs the authorization server signs for the client: ID tokens (OIDC Core §3.1.3.7, CL-20), JARM
 * authorization responses (JARM §2.4, MS-09) and signed introspection responses (RFC 9701, MS-11).
 * One verification for all, under the JWS header policy of ./jws.ts: `alg` in the FAPI set and
 * never `none`, RS256 or HS* (FAPI2-SP §5.4.1-1), no `crit` (RFC 7515 §4.1.11), no `jwk` of its own
 * (OIDC Core §2), `typ` where the JWT has one (RFC 9701 §5), and the signature by the issuer's key
 * from its jwks_uri, picked by `kid` (re-fetched once, for key rotation).
 */
import { conformanceError } from '../errors.js';
import { type Client, jsonObject } from './client.js';
import type { Jwk } from './jwk.js';
import {
  type DecodedJws,
  type JwsPolicy,
  checkJwsHeader,
  decodeJws,
  jwksCandidates,
  JwsError,
  verifiesWithAny,
} from './jws.js';
import { FAPI_ALGS } from './fapi.js';

/** The issuer's keys; `refresh` forces a new fetch (key rotation). */
export type JwksSource = (refresh: boolean) => Promise<Jwk[]>;

/**
 * The hint for a JWS refused for its header rather than its signature: a `crit` extension fapi
 * does not understand (RFC 7515 §4.1.11), or a key of its own in `jwk` (the issuer's key comes from
 * its `jwks_uri`). Not a forgery: a server that signs that way.
 */
export function headerRefusalHint(check: string): string | undefined {
  if (check === 'crit')
    return 'Its JWS header lists crit extensions: a recipient that does not understand one must refuse the JWS (RFC 7515 §4.1.11), and fapi understands none. Report it to the server operator.';
  if (check === 'jwk')
    return "Its JWS header carries a key of its own (jwk): the issuer's keys come only from its jwks_uri, never from the token. Report it to the server operator.";
  return undefined;
}

export interface VerifiedIssuerJws {
  decoded: DecodedJws;
  alg: string;
  kid?: string;
}

/**
 * Decodes `token` and verifies its signature with the issuer's key. Throws a JwsError whose message
 * is a clause about `subject` ("the ID token alg … is not allowed …") and whose `check` says which
 * rule refused it: format, alg, crit, jwk, key or signature.
 */
export async function verifyIssuerJws(
  token: string,
  jwks: JwksSource,
  subject: string,
  /** The explicit types accepted (RFC 8725 §3.11), required when given: introspection JWTs (RFC 9701 §5). */
  typ?: readonly string[],
): Promise<VerifiedIssuerJws> {
  let decoded: DecodedJws;
  try {
    decoded = decodeJws(token);
  } catch (e) {
    throw new JwsError(`it is not a signed JWT (${(e as Error).message})`, 'format');
  }
  // ID tokens and JARM responses carry no explicit type to check (OIDC Core §2; JARM §2.1).
  const policy: JwsPolicy = { subject, algorithms: FAPI_ALGS, key: 'kid', ...(typ ? { typ } : {}) };
  const alg = checkJwsHeader(decoded.header, policy);
  const kid = typeof decoded.header.kid === 'string' ? decoded.header.kid : undefined;
  let candidates = jwksCandidates(await jwks(false), kid, alg);
  // The issuer may have rotated its keys.
  if (candidates.length === 0) candidates = jwksCandidates(await jwks(true), kid, alg);
  if (candidates.length === 0)
    throw new JwsError(
      `no key of the issuer's jwks_uri matches kid ${JSON.stringify(kid)} and alg ${alg}`,
      'key',
    );
  if (kid === undefined && candidates.length > 1)
    throw new JwsError(
      'it has no kid and the issuer publishes several keys for its alg (OIDC Core §10.1)',
      'key',
    );
  if (!verifiesWithAny(decoded, alg, candidates))
    throw new JwsError(
      `its signature does not verify with the issuer's key ${JSON.stringify(kid ?? '')}`,
      'signature',
    );
  const out: VerifiedIssuerJws = { decoded, alg };
  if (kid !== undefined) out.kid = kid;
  return out;
}

/**
 * A cached loader of the issuer's JWKS (jwks_uri from the metadata only, CL-04). Concurrent calls
 * share one fetch (login prefetches while the user is in the browser); a failed fetch is not cached.
 */
export function jwksLoader(client: Client): JwksSource {
  let cached: Promise<Jwk[]> | undefined;
  const load = async (): Promise<Jwk[]> => {
    const uri = client.metadata.jwks_uri;
    if (typeof uri !== 'string' || !uri)
      throw conformanceError(
        'E_METADATA_ENDPOINT_MISSING',
        `The server metadata of ${client.metadata.issuer} has no jwks_uri, so its ID tokens and signed responses cannot be verified.`,
        'OIDC Discovery §3 and RFC 8414 §2 define jwks_uri; the server must publish its signing keys.',
        { field: 'jwks_uri' },
      );
    const ex = await client.get(uri, 'JWKS');
    if (ex.response.status !== 200)
      throw conformanceError(
        'E_JWKS_FETCH',
        `${uri} answered HTTP ${ex.response.status} instead of the issuer's keys.`,
        'The server operator must fix jwks_uri.',
      );
    const body = jsonObject(ex);
    if (!Array.isArray(body.keys))
      throw conformanceError('E_JWKS_INVALID', `${uri} is not a JWK Set (no keys array).`, 'RFC 7517 §5.');
    return (body.keys as unknown[]).filter((k): k is Jwk => !!k && typeof k === 'object' && 'kty' in k);
  };
  return (refresh) => {
    if (!cached || refresh) {
      const p = load();
      cached = p;
      p.catch(() => {
        if (cached === p) cached = undefined;
      });
    }
    return cached;
  };
}
