/**
 * ID token validation (OIDC Core §3.1.3.7, FAPI2-SP §5.4.1, CL-20): the signature by the `kid`
 * from the issuer's jwks_uri, `alg` in the FAPI set and never `none`, then iss, aud (a string or
 * a one-element array, no other audiences), azp, exp, iat, sub and nonce.
 */
import { FapiError } from '../errors.js';
import { type JwksSource, type VerifiedIssuerJws, verifyIssuerJws } from './issuer-jws.js';
import { JwsError } from './jws.js';

export { jwksLoader } from './issuer-jws.js';

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
  jwks: JwksSource;
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
  let verified: VerifiedIssuerJws;
  try {
    verified = await verifyIssuerJws(idToken, o.jwks, 'the ID token');
  } catch (e) {
    if (!(e instanceof JwsError)) throw e;
    throw e.check === 'alg'
      ? bad(e.message, 'Register the client with id_token_signed_response_alg set to PS256, ES256 or EdDSA.')
      : bad(e.message);
  }
  const { decoded, alg, kid } = verified;
  const { header, payload: c } = decoded;

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
