/**
 * Every check of `fapi conform server`, in the order they run and are reported: by group
 * (discovery, registration, client authentication, PAR, authorization, token, DPoP, refresh,
 * introspection and revocation, resource server, attacks), then by catalogue ID.
 */
import type { Check } from '../types.js';
import { METADATA_CHECKS } from './discovery/metadata.js';
import { TLS_CHECKS } from './discovery/tls.js';

const GROUP_ORDER = [
  'discovery',
  'registration',
  'client-auth',
  'par',
  'authorization',
  'token',
  'dpop',
  'refresh',
  'introspection',
  'resource',
  'attacks',
];

export const ALL_CHECKS: readonly Check[] = [...METADATA_CHECKS, ...TLS_CHECKS].sort(
  (a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group),
);

const ids = new Set<string>();
for (const c of ALL_CHECKS) {
  if (ids.has(c.id)) throw new Error(`internal: two checks with the id ${c.id}`);
  ids.add(c.id);
}
