/**
 * What is kept of a token response in the profile (tokens.json): the mapping from the protocol's
 * TokenSet to the stored, versioned record.
 */
import type { TokenSet } from '../core/token.js';
import { PROFILE_VERSION, type StoredTokens } from './profile.js';

/**
 * The tokens to store after a grant. On refresh, a new refresh token replaces the old one
 * (rotation), else the old one is kept (CL-19); the ID token is kept when none is returned.
 */
export function toStoredTokens(
  t: TokenSet,
  o: { issuer: string; clientId: string; now: number; previous?: StoredTokens },
): StoredTokens {
  const out: StoredTokens = {
    version: PROFILE_VERSION,
    access_token: t.access_token,
    token_type: t.token_type,
    obtained_at: o.now,
    issuer: o.issuer,
    client_id: o.clientId,
  };
  if (t.expires_in !== undefined) out.expires_at = o.now + t.expires_in;
  const rt = t.refresh_token ?? o.previous?.refresh_token;
  if (rt) out.refresh_token = rt;
  const idt = t.id_token ?? o.previous?.id_token;
  if (idt) out.id_token = idt;
  const scope = t.scope ?? o.previous?.scope;
  if (scope !== undefined) out.scope = scope;
  // RFC 9396 §7: a refresh answers with the token's details; kept like the scope when it does not.
  const details = t.authorization_details ?? o.previous?.authorization_details;
  if (details) out.authorization_details = details;
  const cnf: StoredTokens['cnf'] = {};
  if (t.binding.jkt) cnf.jkt = t.binding.jkt;
  if (t.binding.x5t_s256) cnf['x5t#S256'] = t.binding.x5t_s256;
  if (Object.keys(cnf).length > 0) out.cnf = cnf;
  return out;
}
