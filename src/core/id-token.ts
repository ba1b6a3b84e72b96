/**
 * ID token validation (OIDC Core §3.1.3.7, FAPI2-SP §5.4.1, CL-20): the signature by the `kid`
 * from the issuer's jwks_uri, `alg` in the FAPI set and never `none`, then iss, aud (a string or
 * a one-element array, no other audiences), azp, exp, iat, sub and nonce.
 */
import { FapiError, conformanceError } from '../errors.js';
import { type Client, jsonObject } from './client.js';
import { FAPI_ALGS, type Jwk, algMatchesKey, importPublicJwk } from './jwk.js';
import { type DecodedJws, decodeJws, verifyJwsSignature } from './jws.js';

export interface IdTokenCheck {
  issuer: string;
  clientId: string;
  /** The nonce sent in PAR; undefined on refresh (OIDC Core §12.2). */
  nonce?: string;
  /** Epoch seconds, skew-corrected. */
  now: number;
  /** Accepted lateness of exp and earliness of iat, in seconds (default 60). */
  leeway?: number;
  /** The issuer's keys; `refresh` forces a new fetch (key rotation). */
  jwks: (refresh: boolean) => Promise<Jwk[]>;
}

export interface ValidIdToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  alg: string;
  kid?: string;
}

const bad = (
  what: string,
  hint = 'Do not trust this login; report it to the server operator if it persists.',
) => new FapiError('E_ID_TOKEN_INVALID', `The ID token was refused: ${what}.`, { kind: 'server', hint });

export async function validateIdToken(idToken: string, o: IdTokenCheck): Promise<ValidIdToken> {
  let decoded: DecodedJws;
  try {
    decoded = decodeJws(idToken);
  } catch (e) {
    throw bad(`it is not a signed JWT (${(e as Error).message})`);
  }
  const { header, payload: c } = decoded;
  const alg = header.alg;
  // FAPI2-SP §5.4.1-1: PS256, ES256 or EdDSA; never none, never RS256 (CL-20).
  if (typeof alg !== 'string' || alg === 'none' || !(FAPI_ALGS as readonly string[]).includes(alg))
    throw bad(
      `its alg ${JSON.stringify(alg)} is not allowed by FAPI 2.0 (${FAPI_ALGS.join(', ')}; FAPI2-SP §5.4.1)`,
      'Register the client with id_token_signed_response_alg set to PS256, ES256 or EdDSA.',
    );
  if (header.crit !== undefined)
    throw bad('it has a crit header fapi does not understand (RFC 7515 §4.1.11)');
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const pick = (keys: Jwk[]) =>
    keys.filter(
      (k) =>
        (kid === undefined || k.kid === kid) &&
        (k.use === undefined || k.use === 'sig') &&
        (k.alg === undefined || k.alg === alg) &&
        algMatchesKey(alg, k),
    );
  let candidates = pick(await o.jwks(false));
  if (candidates.length === 0) candidates = pick(await o.jwks(true)); // the issuer may have rotated keys
  if (candidates.length === 0)
    throw bad(`no key of the issuer's jwks_uri matches kid ${JSON.stringify(kid)} and alg ${alg}`);
  if (kid === undefined && candidates.length > 1)
    throw bad('it has no kid and the issuer publishes several keys for its alg (OIDC Core §10.1)');
  const verified = candidates.some((k) => {
    try {
      return verifyJwsSignature(decoded, alg, importPublicJwk(k));
    } catch {
      return false;
    }
  });
  if (!verified)
    throw bad(`its signature does not verify with the issuer's key ${JSON.stringify(kid ?? '')}`);

  if (c.iss === undefined) throw bad('it has no iss');
  if (c.iss !== o.issuer)
    throw bad(`its iss ${JSON.stringify(c.iss)} is not the issuer ${JSON.stringify(o.issuer)}`);
  if (c.aud === undefined) throw bad('it has no aud');
  const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (!aud.includes(o.clientId))
    throw bad(`its aud ${JSON.stringify(c.aud)} does not contain the client_id ${o.clientId}`);
  // OIDC Core §3.1.3.7-3: extra audiences must be trusted; fapi trusts none (CL-20).
  const others = aud.filter((a) => a !== o.clientId);
  if (others.length > 0)
    throw bad(`its aud also names ${JSON.stringify(others)}, an audience fapi does not trust`);
  if (c.azp !== undefined && c.azp !== o.clientId)
    throw bad(`its azp ${JSON.stringify(c.azp)} is not the client_id ${o.clientId}`);
  const leeway = o.leeway ?? 60;
  if (typeof c.exp !== 'number') throw bad('it has no numeric exp');
  if (c.exp + leeway <= o.now) throw bad(`it expired at ${new Date(c.exp * 1000).toISOString()}`);
  if (typeof c.iat !== 'number') throw bad('it has no numeric iat');
  if (c.iat > o.now + leeway) throw bad(`its iat is ${c.iat - o.now} s in the future`);
  if (typeof c.sub !== 'string' || !c.sub) throw bad('it has no sub');
  if (o.nonce !== undefined) {
    if (c.nonce === undefined) throw bad('it has no nonce, though fapi sent one (OIDC Core §3.1.3.7-11)');
    if (c.nonce !== o.nonce) throw bad('its nonce is not the one fapi sent (a replayed ID token?)');
  }
  const out: ValidIdToken = { header, claims: c, alg };
  if (kid !== undefined) out.kid = kid;
  return out;
}

/**
 * A cached loader of the issuer's JWKS (jwks_uri from the metadata only, CL-04). Concurrent calls
 * share one fetch (login prefetches while the user is in the browser); a failed fetch is not cached.
 */
export function jwksLoader(client: Client): (refresh: boolean) => Promise<Jwk[]> {
  let cached: Promise<Jwk[]> | undefined;
  const load = async (): Promise<Jwk[]> => {
    const uri = client.metadata.jwks_uri;
    if (typeof uri !== 'string' || !uri)
      throw conformanceError(
        'E_METADATA_ENDPOINT_MISSING',
        `The server metadata of ${client.metadata.issuer} has no jwks_uri, so its ID tokens cannot be verified.`,
        'OIDC Discovery §3 requires jwks_uri.',
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
