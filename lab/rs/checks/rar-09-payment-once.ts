/**
 * RAR-09: a payment_initiation detail executes once (a grant with two identical details, twice):
 * a replayed payment, with the same token or a refreshed one, is refused with 403
 * `error="insufficient_authorization_details"` naming the payment already made, and the request
 * log records the refusal. A retry with the same `x-idempotency-key` and body is answered with
 * the first result before this check runs, so a client may safely retry a payment.
 */
import {
  INSUFFICIENT_AUTHORIZATION_DETAILS,
  type AuthorizationDetail,
} from '../../../src/core/authorization-details.js';
import { RsError } from '../errors.js';
import { PaymentConsents, type PaymentCheck } from '../payments.js';

export const paymentDetailUnused: PaymentCheck = {
  id: 'RAR-09',
  name: 'payment-detail-executes-once',
  cite: 'RFC 9396 §9',
  run(p) {
    if (p.scopeOnly || !p.matches || !p.details) return 'skip';
    const grant = p.st.claims?.grant_id;
    const details = p.details;
    const refuse = (m: string) =>
      new RsError(403, p.st.scheme ?? 'both', INSUFFICIENT_AUTHORIZATION_DETAILS, 'RAR-09', m);
    if (typeof grant !== 'string') throw refuse('the access token names no grant');
    let first: { made: readonly string[]; allowed: number } | undefined;
    for (const i of p.matches) {
      const key = PaymentConsents.key(grant, details[i] as AuthorizationDetail);
      const allowed = details.filter((d) => PaymentConsents.key(grant, d) === key).length;
      const made = p.consents.paymentsOf(key);
      if (made.length < allowed) {
        p.consent = { key, allowed };
        return;
      }
      first ??= { made, allowed };
    }
    const { made, allowed } = first as { made: readonly string[]; allowed: number };
    throw refuse(
      `this payment was already executed (${made.join(', ')}): the user consented to it ${allowed === 1 ? 'once' : `${allowed} times`}; ask for a new consent`,
    );
  },
};
