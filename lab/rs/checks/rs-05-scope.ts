/**
 * RS-05: the token's scope must cover the API (FAPI2-SP §5.3.4-4); otherwise 403 with
 * `error="insufficient_scope"` and the needed `scope` (RFC 6750 §3.1).
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const sufficientScope: RsCheck = {
  id: 'RS-05',
  name: 'sufficient-scope',
  cite: 'FAPI2-SP §5.3.4-4; RFC 6750 §3.1',
  run(req, st) {
    // A resource that names no scope (verifyResourceRequest without `scope`) needs none.
    if (req.requiredScope === '') return;
    const scope = st.claims?.scope;
    const granted = typeof scope === 'string' ? scope.split(' ') : [];
    if (!granted.includes(req.requiredScope))
      throw new RsError(
        403,
        st.scheme ?? 'both',
        'insufficient_scope',
        'RS-05',
        `this API needs the scope "${req.requiredScope}"; the token has ${JSON.stringify(scope ?? '')}`,
        { scope: req.requiredScope },
      );
  },
};
