/**
 * RS-05: the token's scope must cover the API (FAPI2-SP §5.3.4-4); otherwise 403 with
 * `error="insufficient_scope"` and the needed `scope` (RFC 6750 §3.1). An API whose access can
 * also be granted as an authorization details type is covered by a detail of that type too
 * (RFC 9396 §3.1: scope and authorization_details are two forms of the same requirement); what the
 * detail allows is then the API's rule (RAR-08..10).
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

/** The authorization details type that also grants each scope of the sample APIs (RFC 9396 §2). */
export const DETAIL_TYPE_OF_SCOPE: Readonly<Record<string, string>> = {
  accounts: 'account_information',
  payments: 'payment_initiation',
};

function hasDetailOfType(details: unknown, type: string | undefined): boolean {
  if (type === undefined || !Array.isArray(details)) return false;
  for (const d of details)
    if (d && typeof d === 'object' && (d as { type?: unknown }).type === type) return true;
  return false;
}

export const sufficientScope: RsCheck = {
  id: 'RS-05',
  name: 'sufficient-scope',
  cite: 'FAPI2-SP §5.3.4-4; RFC 6750 §3.1; RFC 9396 §3.1',
  run(req, st) {
    // A resource that names no scope (verifyResourceRequest without `scope`) needs none.
    if (req.requiredScope === '') return;
    const scope = st.claims?.scope;
    const granted = typeof scope === 'string' ? scope.split(' ') : [];
    if (granted.includes(req.requiredScope)) return;
    if (hasDetailOfType(st.claims?.authorization_details, DETAIL_TYPE_OF_SCOPE[req.requiredScope])) return;
    throw new RsError(
      403,
      st.scheme ?? 'both',
      'insufficient_scope',
      'RS-05',
      `this API needs the scope "${req.requiredScope}"${DETAIL_TYPE_OF_SCOPE[req.requiredScope] ? ` or a ${DETAIL_TYPE_OF_SCOPE[req.requiredScope]} authorization detail` : ''}; the token has ${JSON.stringify(scope ?? '')}`,
      { scope: req.requiredScope },
    );
  },
};
