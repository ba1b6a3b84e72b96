/**
 * RS refusals and their challenges: RFC 6750 §3 (`Bearer`) and RFC 9449 §7.1 (`DPoP`), as the
 * README's "The lab resource server" shows them.
 */

/** The DPoP algorithms the RS accepts, advertised in every DPoP challenge (DP-23). */
export const RS_DPOP_ALGS = 'ES256 PS256 EdDSA';

export type RsScheme = 'DPoP' | 'Bearer';

export class RsError extends Error {
  override name = 'RsError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415,
    /** The challenge scheme to answer with; both when the client's scheme is unknown. */
    readonly scheme: RsScheme | 'both',
    /** The RFC 6750 / RFC 9449 error code; undefined for "no credentials" (RFC 6750 §3.1). */
    readonly error: string | undefined,
    readonly check: string,
    message: string,
    readonly extra: { scope?: string; nonce?: boolean } = {},
  ) {
    super(message);
  }
}

/**
 * An RFC 6750 §3 auth-param value: error_description may only hold %x20-21 / %x23-5B / %x5D-7E,
 * so quotes, backslashes and non-ASCII are replaced.
 */
export function authParam(value: string): string {
  return value
    .replace(/["\\]/g, "'")
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 300);
}

export function challenge(
  scheme: RsScheme,
  e: { error?: string; description?: string; scope?: string },
  lowerCaseDpop = false,
): string {
  const params: string[] = [];
  if (e.error) params.push(`error="${e.error}"`);
  if (e.description) params.push(`error_description="${authParam(e.description)}"`);
  if (e.scope) params.push(`scope="${authParam(e.scope)}"`);
  if (scheme === 'DPoP') {
    // RFC 9449 §7.1: the algs auth-param lists the accepted proof algorithms (DP-23).
    params.push(`algs="${RS_DPOP_ALGS}"`);
    return `${lowerCaseDpop ? 'dpop' : 'DPoP'} ${params.join(', ')}`;
  }
  return params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer';
}

/** An RsError as the answer says it (RFC 6750 §3, RFC 9449 §7.1): status, challenge(s), JSON body. */
export interface RsRefusal {
  status: number;
  /** One challenge, or DPoP and Bearer when the client's scheme is unknown. */
  wwwAuthenticate: string | string[];
  body: Record<string, string>;
}

export function rsRefusal(e: RsError, lowerCaseDpopScheme = false): RsRefusal {
  const schemes: RsScheme[] = e.scheme === 'both' ? ['DPoP', 'Bearer'] : [e.scheme];
  const params = { error: e.error, description: e.error ? e.message : undefined, scope: e.extra.scope };
  const challenges = schemes.map((s) => challenge(s, params, lowerCaseDpopScheme));
  return {
    status: e.status,
    wwwAuthenticate: challenges.length === 1 ? (challenges[0] as string) : challenges,
    body: e.error ? { error: e.error, error_description: e.message } : { error_description: e.message },
  };
}
