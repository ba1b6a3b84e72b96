/**
 * JWTs the authorization server signs for the client: ID tokens (OIDC Core §3.1.3.7, CL-20) and
 * JARM authorization responses (JARM §2.4, MS-09). One verification for both: `alg` in the FAPI
 * set and never `none`, RS256 or HS* (FAPI2-SP §5.4.1-1), no `crit`, and the signature by the
 * issuer's key from its jwks_uri, picked by `kid` (re-fetched once, for key rotation).
 */
import { conformanceError } from '../errors.js';
import { type Client, jsonObject } from './client.js';
import { type Jwk, algMatchesKey, importPublicJwk } from './jwk.js';
import { type DecodedJws, decodeJws, verifyJwsSignature } from './jws.js';
import { FAPI_ALGS } from './fapi.js';

/** The issuer's keys; `refresh` forces a new fetch (key rotation). */
export type JwksSource = (refresh: boolean) => Promise<Jwk[]>;

/** Which check refused the JWS, so each caller can name it in its own error. */
export type IssuerJwsCheck = 'format' | 'alg' | 'crit' | 'key' | 'signature';

export class IssuerJwsError extends Error {
  override name = 'IssuerJwsError';
  constructor(
    readonly check: IssuerJwsCheck,
    /** What is wrong, as a clause: "its alg "none" is not allowed ...". */
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface VerifiedIssuerJws {
  decoded: DecodedJws;
  alg: string;
  kid?: string;
}

/** Decodes `token` and verifies its signature with the issuer's key; throws IssuerJwsError. */
export async function verifyIssuerJws(token: string, jwks: JwksSource): Promise<VerifiedIssuerJws> {
  let decoded: DecodedJws;
  try {
    decoded = decodeJws(token);
  } catch (e) {
    throw new IssuerJwsError('format', `it is not a signed JWT (${(e as Error).message})`);
  }
  const { header } = decoded;
  const alg = header.alg;
  // FAPI2-SP §5.4.1-1: PS256, ES256 or EdDSA; never none (JARM §2.4 step 5), never RS256 or HS*.
  if (typeof alg !== 'string' || alg === 'none' || !(FAPI_ALGS as readonly string[]).includes(alg))
    throw new IssuerJwsError(
      'alg',
      `its alg ${JSON.stringify(alg)} is not allowed by FAPI 2.0 (${FAPI_ALGS.join(', ')}; FAPI2-SP §5.4.1)`,
    );
  if (header.crit !== undefined)
    throw new IssuerJwsError('crit', 'it has a crit header fapi does not understand (RFC 7515 §4.1.11)');
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const pick = (keys: Jwk[]) =>
    keys.filter(
      (k) =>
        (kid === undefined || k.kid === kid) &&
        (k.use === undefined || k.use === 'sig') &&
        (k.alg === undefined || k.alg === alg) &&
        algMatchesKey(alg, k),
    );
  let candidates = pick(await jwks(false));
  if (candidates.length === 0) candidates = pick(await jwks(true)); // the issuer may have rotated keys
  if (candidates.length === 0)
    throw new IssuerJwsError(
      'key',
      `no key of the issuer's jwks_uri matches kid ${JSON.stringify(kid)} and alg ${alg}`,
    );
  if (kid === undefined && candidates.length > 1)
    throw new IssuerJwsError(
      'key',
      'it has no kid and the issuer publishes several keys for its alg (OIDC Core §10.1)',
    );
  const verified = candidates.some((k) => {
    try {
      return verifyJwsSignature(decoded, alg, importPublicJwk(k));
    } catch {
      return false;
    }
  });
  if (!verified)
    throw new IssuerJwsError(
      'signature',
      `its signature does not verify with the issuer's key ${JSON.stringify(kid ?? '')}`,
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
