/**
 * A registered client's public keys: `jwks` by value, or `jwks_uri` fetched over verified TLS
 * (FAPI2-SP §5.2.1-5, NET-08) and cached for a few minutes.
 */
import type { Jwk } from '../../src/core/jwk.js';
import { createHttpClient } from '../../src/http/client.js';
import type { LabContext } from '../context.js';
import type { LabClient } from '../model.js';

const TTL_SECONDS = 300;
const caches = new WeakMap<LabContext, Map<string, { keys: Jwk[]; fetchedAt: number }>>();

export class JwksFetchError extends Error {
  override name = 'JwksFetchError';
}

/** Fetches a JWKS document; throws JwksFetchError naming the URL and the problem. */
export async function fetchJwks(ctx: LabContext, uri: string): Promise<Jwk[]> {
  const http = createHttpClient({ ca: [ctx.ca.certPem], timeoutMs: 5000, userAgent: 'fapi-lab' });
  let body: unknown;
  try {
    const res = await http({ method: 'GET', url: uri, headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new JwksFetchError(`jwks_uri ${uri} answered HTTP ${res.status}`);
    body = res.json();
  } catch (e) {
    if (e instanceof JwksFetchError) throw e;
    throw new JwksFetchError(`jwks_uri ${uri} could not be fetched: ${(e as Error).message}`);
  }
  const keys = (body as { keys?: unknown })?.keys;
  if (!Array.isArray(keys))
    throw new JwksFetchError(`jwks_uri ${uri} did not return a JWKS ({"keys": [...]})`);
  return keys as Jwk[];
}

/**
 * The keys `load` resolves to; a jwks_uri that cannot be used (JwksFetchError) becomes the
 * endpoint's own refusal, made by `refuse` and named NET-08 (FAPI2-SP §5.2.1-5): invalid_client at
 * client authentication, invalid_client_metadata at registration.
 */
export async function keysOrRefuse(
  load: Promise<Jwk[]>,
  refuse: (description: string, check: string) => Error,
): Promise<Jwk[]> {
  try {
    return await load;
  } catch (e) {
    if (e instanceof JwksFetchError) throw refuse(e.message, 'NET-08');
    throw e;
  }
}

/** The client's keys, or a JwksFetchError when its jwks_uri cannot be used. */
export async function clientKeys(ctx: LabContext, client: LabClient): Promise<Jwk[]> {
  const m = client.metadata;
  if (m.jwks) return m.jwks.keys;
  if (!m.jwks_uri) return [];
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  const hit = cache.get(m.jwks_uri);
  if (hit && ctx.now() - hit.fetchedAt < TTL_SECONDS) return hit.keys;
  const keys = await fetchJwks(ctx, m.jwks_uri);
  cache.set(m.jwks_uri, { keys, fetchedAt: ctx.now() });
  if (cache.size > 1000) cache.delete(cache.keys().next().value as string);
  return keys;
}

/** Forgets a cached jwks_uri (after a client update). */
export function forgetJwks(ctx: LabContext, uri: string | undefined): void {
  if (uri) caches.get(ctx)?.delete(uri);
}
