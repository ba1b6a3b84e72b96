/**
 * JWT access tokens (RFC 9068) as a resource server or the issuer's introspection validates them
 * (§4), synchronously: the JWS header policy of ./jws.ts with `typ` at+jwt (§2.1, compared as a
 * media type, so `application/at+jwt` too), a FAPI `alg` (FAPI2-SP §5.4.1-1), no `crit`
 * (RFC 7515 §4.1.11), the issuer's key chosen by `kid` (keys imported once by the caller), the
 * signature, and `iss` the issuer. `aud`, `exp` and revocation depend on who asks and when (the RS
 * checks them on every request; introspection reports them), so they are left to the caller.
 *
 * A caller with no issuer to compare (a resource server that trusts a JWKS alone) passes
 * `issuer: undefined`: `iss` must then still be a string (RFC 9068 §2.2 requires the claim), and it
 * is the caller's to judge. The lab always passes its issuer.
 */
import type { KeyObject } from 'node:crypto';
import { FAPI_ALGS } from './fapi.js';
import { type DecodedJws, type JwsCheck, type JwsPolicy, JwsError, verifyCompactJws } from './jws.js';

/** A public key the issuer signs access tokens with, imported once. */
export interface AccessTokenKey {
  kid: string;
  alg: string;
  key: KeyObject;
}

export const ACCESS_TOKEN_JWS: JwsPolicy = {
  subject: 'the access token',
  algorithms: FAPI_ALGS,
  typ: ['at+jwt'],
  key: 'kid',
};

export class AccessTokenError extends Error {
  override name = 'AccessTokenError';
  constructor(
    /** Which rule refused the token: a JWS rule, or `iss`. */
    readonly check: JwsCheck | 'iss',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Verifies an access token (the compact JWS, or already decoded) signed by one of `keys` for
 * `issuer` (RFC 9068 §4: `iss` equals it exactly; `undefined`: no issuer configured, `iss` need only
 * be present, as a string); returns it decoded. Throws an AccessTokenError naming the check.
 */
export function verifyAccessToken(
  token: string | DecodedJws,
  o: { keys: readonly AccessTokenKey[]; issuer: string | undefined },
): DecodedJws {
  let decoded: DecodedJws;
  try {
    decoded = verifyCompactJws(
      token,
      ACCESS_TOKEN_JWS,
      (header, alg) => o.keys.find((k) => k.kid === header.kid && k.alg === alg)?.key,
    ).decoded;
  } catch (e) {
    if (e instanceof JwsError) throw new AccessTokenError(e.check, e.message);
    throw e;
  }
  const iss = decoded.payload.iss;
  if (o.issuer === undefined) {
    if (typeof iss !== 'string' || iss === '')
      throw new AccessTokenError(
        'iss',
        iss === undefined
          ? 'the access token has no iss: RFC 9068 §2.2 requires the issuer identifier'
          : `the access token iss ${JSON.stringify(iss)} is not an issuer identifier (RFC 9068 §2.2: a string)`,
      );
  } else if (iss !== o.issuer)
    throw new AccessTokenError(
      'iss',
      `the access token iss ${JSON.stringify(iss)} is not the issuer ${JSON.stringify(o.issuer)}`,
    );
  return decoded;
}
