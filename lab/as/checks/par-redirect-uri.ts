import { invalidRequest } from '../../errors.js';
import type { LabClient } from '../../model.js';
import { clientOf, defineCheck, type AsExchange } from '../check.js';

const LOOPBACK_IPS = new Set(['127.0.0.1', '[::1]']);

/**
 * The registered redirect URI a requested one matches: exactly, or for http loopback IP literals
 * with any port (RFC 8252 §7.3).
 */
export function matchRedirectUri(client: LabClient, requested: string): string | undefined {
  const registered = client.metadata.redirect_uris ?? [];
  if (registered.includes(requested)) return requested;
  let r: URL;
  try {
    r = new URL(requested);
  } catch {
    return undefined;
  }
  if (r.protocol !== 'http:' || !LOOPBACK_IPS.has(r.hostname)) return undefined;
  for (const uri of registered) {
    const u = new URL(uri);
    if (u.protocol !== 'http:' || u.hostname !== r.hostname) continue;
    u.port = r.port;
    if (u.href === r.href) return uri;
  }
  return undefined;
}

/**
 * PAR-12: `redirect_uri` is required in the pushed request (FAPI2-SP §5.3.2.2-6).
 * PAR-13: it is one the client registered, matched exactly (loopback: any port)
 * (FAPI2-SP §5.3.2.2-8; RFC 9700 §2.1; RFC 8252 §7.3).
 */
export const parRedirectUri = defineCheck<AsExchange & { redirectUri?: string }>({
  id: 'PAR-12',
  name: 'par-redirect-uri-required-and-registered',
  spec: 'FAPI2-SP §5.3.2.2-6, -8; RFC 8252 §7.3',
  run(s) {
    const uri = s.form.get('redirect_uri');
    if (uri === undefined)
      throw invalidRequest('redirect_uri is required in the pushed request (FAPI2-SP §5.3.2.2-6)');
    const { client } = clientOf(s);
    // Relaxation unregistered-redirect-uri (for `fapi lab attack`): any redirect URI is taken.
    if (!matchRedirectUri(client, uri) && !s.ctx.relaxed('unregistered-redirect-uri'))
      throw invalidRequest(
        `redirect_uri ${JSON.stringify(uri)} is not registered for client ${client.client_id} (exact match required; loopback IPs may use any port)`,
        'PAR-13',
      );
    s.redirectUri = uri;
  },
});
