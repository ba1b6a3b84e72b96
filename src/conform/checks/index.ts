/**
 * Every check of `fapi conform server`, in the order they run and are reported: by group
 * (discovery, registration, client authentication, PAR, authorization, token, DPoP, refresh,
 * introspection and revocation, resource server, rich authorization requests, attacks), then by catalogue ID.
 */
import type { Check } from '../types.js';
import { ATTACK_CHECKS } from './attacks.js';
import { AUTHORIZE_CHECKS } from './authorize.js';
import { BINDING_CHECKS } from './binding.js';
import { CLIENT_AUTH_CHECKS } from './client-auth.js';
import { METADATA_CHECKS } from './discovery/metadata.js';
import { TLS_CHECKS } from './discovery/tls.js';
import { DPOP_PAR_CHECKS, DPOP_RS_CHECKS, DPOP_TOKEN_CHECKS } from './dpop.js';
import { INTROSPECTION_CHECKS } from './introspection.js';
import { MESSAGE_SIGNING_CHECKS } from './message-signing.js';
import { PAR_CHECKS } from './par.js';
import { RAR_CHECKS } from './rar.js';
import { REFRESH_CHECKS } from './refresh.js';
import { REGISTRATION_CHECKS } from './registration.js';
import { RESOURCE_CHECKS } from './resource.js';
import { TOKEN_CHECKS } from './token.js';

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
  'rar',
  'attacks',
];

export const ALL_CHECKS: readonly Check[] = [
  ...METADATA_CHECKS,
  ...TLS_CHECKS,
  ...REGISTRATION_CHECKS,
  ...CLIENT_AUTH_CHECKS,
  ...PAR_CHECKS,
  ...AUTHORIZE_CHECKS,
  ...TOKEN_CHECKS,
  ...BINDING_CHECKS,
  ...DPOP_PAR_CHECKS,
  ...DPOP_TOKEN_CHECKS,
  ...REFRESH_CHECKS,
  ...INTROSPECTION_CHECKS,
  // FAPI 2.0 Message Signing (request objects at PAR, signed introspection), when advertised.
  ...MESSAGE_SIGNING_CHECKS,
  ...RESOURCE_CHECKS,
  ...DPOP_RS_CHECKS,
  // Rich Authorization Requests (RFC 9396), when advertised; real payments with --rs-payment.
  ...RAR_CHECKS,
  ...ATTACK_CHECKS,
].sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group));

const ids = new Set<string>();
for (const c of ALL_CHECKS) {
  if (ids.has(c.id)) throw new Error(`internal: two checks with the id ${c.id}`);
  ids.add(c.id);
}
