/**
 * Protected-resource requests (CL-16): the access token only in the Authorization header, as
 * `DPoP <token>` with a fresh proof carrying `ath` (RFC 9449 §7.1) and the RS's nonce (retried once,
 * §9), or as `Bearer <token>` over the client certificate it is bound to (RFC 8705 §3).
 */
import { usageError } from '../errors.js';
import type { HttpResponse } from '../http/client.js';
import { type Client, type Exchange, type ResourceRequest, responseError } from './client.js';
import { oauthErrorOf } from './oauth-error.js';
import { findChallenge, parseWwwAuthenticate } from './www-authenticate.js';

/** The Authorization scheme for a token_type, compared case-insensitively (CL-17). */
export function schemeFor(tokenType: string): 'DPoP' | 'Bearer' {
  return tokenType.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
}

const FORBIDDEN_HEADERS = new Set(['authorization', 'dpop']);

export function callResource(client: Client, call: ResourceRequest): Promise<Exchange> {
  const u = new URL(call.url);
  for (const k of ['access_token']) {
    if (u.searchParams.has(k))
      throw usageError(
        'E_TOKEN_IN_URL',
        `The URL carries ${k}; fapi sends the access token only in the Authorization header (FAPI2-SP §5.3.3.1-3).`,
        'Remove it from the URL.',
      );
  }
  for (const k of Object.keys(call.headers ?? {})) {
    if (FORBIDDEN_HEADERS.has(k.toLowerCase()))
      throw usageError(
        'E_HEADER_RESERVED',
        `fapi call sets the ${k} header itself from the profile's token.`,
        `Remove -H '${k}: …', or use curl with \`fapi dpop\` for a hand-made request.`,
      );
  }
  return client.sendToResource(call);
}

/** 401 whose challenge says the token is no good (expired, revoked): worth one refresh. */
export function isTokenRejected(res: HttpResponse): boolean {
  if (res.status !== 401) return false;
  const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
  const c = findChallenge(challenges, 'DPoP') ?? findChallenge(challenges, 'Bearer');
  return c?.params.error === 'invalid_token' || oauthErrorOf(res).error === 'invalid_token';
}

/** An error for a failed resource call (`fapi call --fail`). */
export function resourceError(exchange: Exchange, client: Client) {
  return responseError(exchange, client.hintContext());
}
