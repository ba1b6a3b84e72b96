/**
 * RAR-08: a payment executes only when it matches a payment_initiation authorization detail of
 * its access token: the same amount as a decimal, the same currency, the same creditor account
 * (RFC 9396 §9: the RS enforces what the user authorized). Otherwise 403
 * `error="insufficient_authorization_details"` naming the mismatch (a lab error: RFC 9396 leaves
 * the RS's error open).
 */
import { INSUFFICIENT_AUTHORIZATION_DETAILS, matchPayment } from '../../../src/core/authorization-details.js';
import { RsError } from '../errors.js';
import type { PaymentCheck } from '../payments.js';

export const paymentMatchesDetail: PaymentCheck = {
  id: 'RAR-08',
  name: 'payment-matches-authorization-detail',
  cite: 'RFC 9396 §9, §9.1',
  run(p) {
    if (p.scopeOnly) return 'skip';
    const m = matchPayment(p.details ?? [], p.instruction);
    if ('problem' in m)
      throw new RsError(403, p.st.scheme ?? 'both', INSUFFICIENT_AUTHORIZATION_DETAILS, 'RAR-08', m.problem);
    p.matches = m.matches;
  },
};
