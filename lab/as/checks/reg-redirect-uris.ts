import { defineCheck } from '../check.js';
import { invalidRedirectUri, stringArray, type RegistrationExchange } from '../registration.js';

/**
 * REG-04: redirect URIs are absolute https URIs, or http on a loopback IP literal for native
 * apps (RFC 8252 §7.3; `localhost` is not a literal, §8.3); no fragment (RFC 6749 §3.1.2).
 * Required when the client uses the authorization_code grant.
 */
export function redirectUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `${JSON.stringify(uri)} is not an absolute URI`;
  }
  if (u.hash || uri.includes('#')) return `${uri} has a fragment (RFC 6749 §3.1.2)`;
  if (u.username || u.password) return `${uri} carries credentials`;
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:') {
    if (u.hostname === '127.0.0.1' || u.hostname === '[::1]') return undefined;
    return `${uri} uses http on a host that is not a loopback IP literal: use https, or http://127.0.0.1 / http://[::1] for native apps (RFC 8252 §7.3, §8.3)`;
  }
  return `${uri} uses the ${u.protocol.replace(':', '')} scheme: use https (FAPI2-SP §5.3.2.2-8)`;
}

export const regRedirectUris = defineCheck<RegistrationExchange>({
  id: 'REG-04',
  name: 'registration-redirect-uris-https-or-loopback',
  spec: 'FAPI2-SP §5.3.2.2-8; RFC 8252 §7.3; RFC 6749 §3.1.2',
  run(s) {
    const needed = s.metadata.grant_types?.includes('authorization_code');
    if (s.body.redirect_uris === undefined) {
      if (needed) throw invalidRedirectUri('redirect_uris is required for the authorization_code grant');
      s.metadata.redirect_uris = [];
      return;
    }
    const uris = stringArray(s.body.redirect_uris, 'redirect_uris', invalidRedirectUri);
    if (needed && uris.length === 0) throw invalidRedirectUri('redirect_uris must not be empty');
    for (const uri of uris) {
      const problem = redirectUriProblem(uri);
      if (problem) throw invalidRedirectUri(problem);
    }
    s.metadata.redirect_uris = [...new Set(uris)];
  },
});
