/**
 * The resource server's side of RFC 9396: a payment executes only what the user authorized. POST
 * /payments runs, after the common pipeline (./pipeline.ts) and the body's validation (./bank.ts),
 * an ordered table of checks against the access token's `authorization_details` (RFC 9396 §9.1):
 * RAR-08 the payment matches a payment_initiation detail (same decimal amount, currency and
 * creditor account), RAR-09 that detail has not been executed yet. A refusal is 403 with
 * `error="insufficient_authorization_details"` naming the mismatch: a lab error, since RFC 9396
 * leaves the resource server's error open (by analogy with RFC 6750 §3.1's insufficient_scope).
 *
 * A detail is used up per grant, not per access token: a refreshed token carries the same consent
 * and must not pay it again. Identical details in one grant are as many payments.
 * The `scope-only-payments` relaxation turns these checks off (`fapi lab attack scope-only-payments`).
 *
 * The account APIs show only the accounts an account_information detail names, when the token
 * has one (RAR-10).
 */
import {
  canonicalJson,
  detailsOfClaim,
  type AuthorizationDetail,
  type PaymentInstruction,
} from '../../src/core/authorization-details.js';
import type { PaymentInitiation } from './bank.js';
import type { RsState } from './check.js';
import { paymentMatchesDetail } from './checks/rar-08-payment-matches-detail.js';
import { paymentDetailUnused } from './checks/rar-09-payment-once.js';
import type { RsError } from './errors.js';

/** What the payment checks read and learn. */
export interface PaymentExchange {
  st: RsState;
  init: PaymentInitiation;
  /** The instruction of the body, in the terms of RFC 9396's payment rule. */
  instruction: PaymentInstruction;
  /** The token's authorization details (RFC 9396 §9.1), when it has any. */
  details: AuthorizationDetail[] | undefined;
  consents: PaymentConsents;
  /** The `scope-only-payments` relaxation. */
  scopeOnly: boolean;
  /** Set by RAR-08: the indexes of the matching details. */
  matches?: number[];
  /** Set by RAR-09: the consent this payment uses up. */
  consent?: { key: string; allowed: number };
}

export interface PaymentCheck {
  /** Catalogue ID (RAR-08, RAR-09). */
  id: string;
  name: string;
  cite: string;
  /** Throws an RsError (403 insufficient_authorization_details); 'skip' when it did not apply. */
  run(p: PaymentExchange): void | 'skip';
}

/** POST /payments, after the common pipeline and the body's validation: in order. */
export const PAYMENT_CHECKS: readonly PaymentCheck[] = [
  paymentMatchesDetail, // RAR-08
  paymentDetailUnused, // RAR-09
];

/**
 * The payment consents used so far, per grant and detail (RAR-09): how many payments each has
 * made, and which. Bounded: the oldest entries go first (a lab run is not a bank's lifetime).
 */
export class PaymentConsents {
  private readonly used = new Map<string, string[]>();
  constructor(private readonly max = 100_000) {}

  /** The key of a detail of a grant: identical details of one grant share it. */
  static key(grantId: string, detail: AuthorizationDetail): string {
    return `${grantId}\u0000${canonicalJson(detail)}`;
  }

  /** The payments already made with this consent. */
  paymentsOf(key: string): readonly string[] {
    return this.used.get(key) ?? [];
  }

  record(key: string, paymentId: string): void {
    const list = this.used.get(key);
    if (list) list.push(paymentId);
    else {
      if (this.used.size >= this.max) this.used.delete(this.used.keys().next().value as string);
      this.used.set(key, [paymentId]);
    }
  }
}

/** The instruction of a validated payment body (the RS's creditor identification is an IBAN). */
export function instructionOf(init: PaymentInitiation): PaymentInstruction {
  return {
    amount: init.InstructedAmount.Amount,
    currency: init.InstructedAmount.Currency,
    creditorAccount: init.CreditorAccount.Identification,
  };
}

/**
 * Runs the payment checks: on success, the consent the payment uses (record it once the payment is
 * made); on refusal, the RsError and the ID of the check that made it.
 */
export function authorizePayment(
  p: PaymentExchange,
): { ok: true; passed: string[] } | { ok: false; error: RsError; passed: string[] } {
  const passed: string[] = [];
  for (const c of PAYMENT_CHECKS) {
    try {
      if (c.run(p) !== 'skip') passed.push(c.id);
    } catch (e) {
      return { ok: false, error: e as RsError, passed };
    }
  }
  return { ok: true, passed };
}

/** The exchange for a payment request. */
export function paymentExchange(
  st: RsState,
  init: PaymentInitiation,
  consents: PaymentConsents,
  scopeOnly: boolean,
): PaymentExchange {
  return {
    st,
    init,
    instruction: instructionOf(init),
    details: detailsOfClaim(st.claims?.authorization_details),
    consents,
    scopeOnly,
  };
}

/**
 * RAR-10: the IBANs the token's account_information details allow, or undefined for no limit
 * (no such detail, or one that names no accounts: "all your accounts").
 */
export function allowedAccounts(st: RsState): Set<string> | undefined {
  const details = detailsOfClaim(st.claims?.authorization_details);
  const infos = details?.filter((d) => d.type === 'account_information');
  if (!infos?.length) return undefined;
  const out = new Set<string>();
  for (const d of infos) {
    if (!Array.isArray(d.accounts)) return undefined;
    for (const a of d.accounts) {
      const iban = (a as { iban?: unknown })?.iban;
      if (typeof iban === 'string') out.add(iban);
    }
  }
  return out;
}
