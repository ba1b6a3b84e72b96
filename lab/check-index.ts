/**
 * The lab's checks by catalogue ID, from the endpoint tables: what a refusal's check enforces and
 * where the rule comes from, for the dashboard's request detail ("decided by PAR-11: …, FAPI2-SP
 * §5.3.2.2-5"). Built on first use.
 */
import { AUTHORIZE_CHECKS } from './as/authorize.js';
import { PAR_CHECKS } from './as/par.js';
import { METADATA_CHECKS } from './as/registration.js';
import { TOKEN_MANAGEMENT_CHECKS } from './as/token-lookup.js';
import { CLIENT_CREDENTIALS_CHECKS, CODE_CHECKS, REFRESH_CHECKS, TOKEN_CHECKS } from './as/token.js';
import { RS_CHECKS } from './rs/pipeline.js';

/** Checks that are not in an endpoint table: the lab's own tags. */
const OWN: Readonly<Record<string, { rule: string; spec: string }>> = {
  'FAIL-NEXT': { rule: 'a failure injected by the test (failNext): no check ran', spec: 'RFC 6749 §5.2' },
  HTTP: { rule: 'the request reached no endpoint, or an HTTP-level limit', spec: 'RFC 9110 §15.5' },
  'LAB-CONTROL': {
    rule: 'the control API needs the secret of this lab run (run.json, control_secret)',
    spec: 'RFC 6750 §3.1',
  },
};

let index: Map<string, { rule: string; spec: string }> | undefined;

function build(): Map<string, { rule: string; spec: string }> {
  const m = new Map<string, { rule: string; spec: string }>();
  const tables = [
    PAR_CHECKS,
    AUTHORIZE_CHECKS,
    TOKEN_CHECKS,
    CODE_CHECKS,
    REFRESH_CHECKS,
    CLIENT_CREDENTIALS_CHECKS,
    METADATA_CHECKS,
    TOKEN_MANAGEMENT_CHECKS,
  ] as const;
  for (const t of tables) for (const c of t) if (!m.has(c.id)) m.set(c.id, { rule: c.name, spec: c.spec });
  for (const c of RS_CHECKS) if (!m.has(c.id)) m.set(c.id, { rule: c.name, spec: c.cite });
  for (const [id, v] of Object.entries(OWN)) m.set(id, v);
  return m;
}

/** What the check with this ID enforces, and its spec section; undefined for an unknown ID. */
export function checkExplanation(id: string): { rule: string; spec: string } | undefined {
  index ??= build();
  const exact = index.get(id);
  if (exact) return exact;
  // DP-02..16 are refused by the one DPoP verifier (src/core/dpop.ts), listed as DP-01..16.
  if (/^DP-(0[1-9]|1[0-6])$/.test(id)) return index.get('DP-01..16');
  return undefined;
}
