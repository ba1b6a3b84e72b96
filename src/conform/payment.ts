/**
 * The payment of the Rich Authorization Requests checks (./checks/rar.ts): the payment_initiation
 * detail the test clients ask the user to consent to (RFC 9396 §2), and the body of the payment
 * it covers at the resource server of `--rs-payment`. `--payment FILE` gives both, as
 * `{ "detail": {…}, "body": {…} }`; the default is the lab's open-banking shape (README "Payments
 * with Rich Authorization Requests"): 1.00 EUR to Bob Example.
 */
import { paymentInitiationBody, type AuthorizationDetail } from '../core/authorization-details.js';
import { usageError } from '../errors.js';
import { isPlainObject as isObject } from '../store/validate.js';

export interface PaymentSpec {
  /** The resource that executes a payment on POST (`--rs-payment`); without it the RS RAR checks skip. */
  url?: string;
  /** The detail a token must carry to make the payment (RAR-05, RAR-08). */
  detail: AuthorizationDetail;
  /** The JSON body of the payment that detail covers. */
  body: unknown;
}

/** RFC 9396 §2's payment_initiation, for a small amount: the checks make real payments. */
export const DEFAULT_PAYMENT_DETAIL: AuthorizationDetail = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '1.00' },
  creditorName: 'Bob Example',
  creditorAccount: { iban: 'DE02100100109307118603' },
  remittanceInformationUnstructured: 'fapi conform server',
};

export function defaultPayment(url?: string): PaymentSpec {
  return {
    ...(url ? { url } : {}),
    detail: DEFAULT_PAYMENT_DETAIL,
    body: paymentInitiationBody(DEFAULT_PAYMENT_DETAIL),
  };
}

/** Reads a `--payment` file: `{ "detail": {…a detail with a string type…}, "body": {…} }`. */
export function parsePaymentFile(text: string, file: string, url?: string): PaymentSpec {
  const bad = (why: string) =>
    usageError(
      'E_PAYMENT_FILE',
      `--payment ${file}: ${why}.`,
      'Write { "detail": { "type": "payment_initiation", … }, "body": { …the POST body of that payment… } } (README "Test your own server").',
    );
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (!isObject(v)) throw bad('not a JSON object');
  const unknown = Object.keys(v).filter((k) => k !== 'detail' && k !== 'body');
  if (unknown.length) throw bad(`unknown member${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (!isObject(v.detail) || typeof v.detail.type !== 'string' || v.detail.type === '')
    throw bad('"detail" must be an authorization details object with a string "type" (RFC 9396 §2)');
  if (!isObject(v.body)) throw bad('"body" must be the JSON object the payment is POSTed as');
  return { ...(url ? { url } : {}), detail: v.detail as AuthorizationDetail, body: v.body };
}

/** "1.00 EUR to Bob Example", or the detail's type when it is not a payment_initiation. */
export function paymentLabel(d: AuthorizationDetail): string {
  const a = isObject(d.instructedAmount) ? d.instructedAmount : {};
  if (typeof a.amount !== 'string' || typeof a.currency !== 'string') return `a ${d.type} payment`;
  return `${a.amount} ${a.currency}${typeof d.creditorName === 'string' ? ` to ${d.creditorName}` : ''}`;
}
