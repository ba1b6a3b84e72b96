/**
 * The scenarios of `fapi lab attack`, in the order they run and are listed. Each module
 * names its attacker (FAPI 2.0 attacker model), what it tries, the defence and its rules, and plays
 * the honest client and the attacker against a relaxed lab and a FAPI 2.0 server.
 */
import { clientImpersonation } from './client-impersonation.js';
import { codeInjection } from './code-injection.js';
import { dpopProofReplay } from './dpop-proof-replay.js';
import { evilTwin } from './evil-twin.js';
import { mixUpScenario } from './mix-up.js';
import { paymentOverreach } from './payment-overreach.js';
import { pkceDowngrade } from './pkce-downgrade.js';
import { pushedRequestTampering } from './pushed-request-tampering.js';
import { redirectUriSwap } from './redirect-uri-swap.js';
import { requestTampering } from './request-tampering.js';
import { stolenRefreshToken } from './stolen-refresh-token.js';
import { tokenInUrl } from './token-in-url.js';
import type { Scenario } from './types.js';

export const SCENARIOS: readonly Scenario[] = [
  evilTwin,
  dpopProofReplay,
  stolenRefreshToken,
  codeInjection,
  pkceDowngrade,
  requestTampering,
  pushedRequestTampering,
  redirectUriSwap,
  mixUpScenario,
  clientImpersonation,
  tokenInUrl,
  paymentOverreach,
];

export function findScenario(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

export type { Scenario };
