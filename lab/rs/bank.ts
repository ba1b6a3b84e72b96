/**
 * The sample open-banking data behind the RS: accounts, balances and domestic payments per test
 * user, shaped like the UK Open Banking Read/Write API (Data / Links / Meta). In memory, per lab
 * run; payments debit the balance so a client sees the effect of its call.
 */
import { randomUUID } from 'node:crypto';
import { PaymentConsents } from './payments.js';

export interface Account {
  AccountId: string;
  Status: 'Enabled';
  Currency: string;
  AccountType: 'Personal' | 'Business';
  AccountSubType: 'CurrentAccount' | 'Savings';
  Nickname: string;
  OpeningDate: string;
  Account: { SchemeName: 'UK.OBIE.IBAN'; Identification: string; Name: string }[];
}

export interface Balance {
  AccountId: string;
  CreditDebitIndicator: 'Credit' | 'Debit';
  Type: 'InterimAvailable';
  DateTime: string;
  Amount: { Amount: string; Currency: string };
}

export interface PaymentInitiation {
  InstructionIdentification: string;
  EndToEndIdentification: string;
  InstructedAmount: { Amount: string; Currency: string };
  DebtorAccount?: { SchemeName: string; Identification: string; Name?: string };
  CreditorAccount: { SchemeName: string; Identification: string; Name: string };
  RemittanceInformation?: { Reference?: string; Unstructured?: string };
}

export interface Payment {
  DomesticPaymentId: string;
  Status: 'AcceptedSettlementCompleted';
  CreationDateTime: string;
  StatusUpdateDateTime: string;
  DebtorAccountId: string;
  Initiation: PaymentInitiation;
  /** Internal: who made it, and with which idempotency key and body. */
  owner: string;
  idempotency?: { key: string; body: string };
}

interface Seed {
  id: string;
  sub: 'CurrentAccount' | 'Savings';
  nick: string;
  iban: string;
  name: string;
  cents: number;
  currency: string;
}

const SEED: Record<string, Seed[]> = {
  alice: [
    {
      id: 'acc-alice-current',
      sub: 'CurrentAccount',
      nick: 'Everyday',
      iban: 'DE89370400440532013000',
      name: 'Alice Example',
      cents: 152_037,
      currency: 'EUR',
    },
    {
      id: 'acc-alice-savings',
      sub: 'Savings',
      nick: 'Rainy day',
      iban: 'DE02120300000000202051',
      name: 'Alice Example',
      cents: 1_000_000,
      currency: 'EUR',
    },
  ],
  bob: [
    {
      id: 'acc-bob-current',
      sub: 'CurrentAccount',
      nick: 'Main',
      iban: 'GB29NWBK60161331926819',
      name: 'Bob Example',
      cents: 42_000,
      currency: 'GBP',
    },
  ],
};

const MAX_PAYMENTS = 10_000;

export class PaymentError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const AMOUNT = /^\d{1,13}(\.\d{1,2})?$/;

function cents(amount: string): number {
  const [whole, frac = ''] = amount.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

function money(c: number): string {
  const abs = Math.abs(c);
  return `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

function str(v: unknown, path: string, max: number, required = true): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw new PaymentError(400, 'invalid_request', `${path} must be a string of 1 to ${max} characters`);
  return v;
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new PaymentError(400, 'invalid_request', `${path} must be an object`);
  return v as Record<string, unknown>;
}

/** Validates a payment request body `{ "Data": { "Initiation": { … } } }`. */
export function parseInitiation(body: unknown): PaymentInitiation {
  const data = obj(obj(body, '$').Data, '$.Data');
  const i = obj(data.Initiation, '$.Data.Initiation');
  const amount = obj(i.InstructedAmount, '$.Data.Initiation.InstructedAmount');
  const value = str(amount.Amount, '$.Data.Initiation.InstructedAmount.Amount', 16) as string;
  if (!AMOUNT.test(value) || cents(value) <= 0)
    throw new PaymentError(
      400,
      'invalid_request',
      '$.Data.Initiation.InstructedAmount.Amount must be a positive decimal string with at most 2 decimals, e.g. "10.50"',
    );
  const currency = str(amount.Currency, '$.Data.Initiation.InstructedAmount.Currency', 3) as string;
  if (!/^[A-Z]{3}$/.test(currency))
    throw new PaymentError(
      400,
      'invalid_request',
      '$.Data.Initiation.InstructedAmount.Currency must be an ISO 4217 code, e.g. "EUR"',
    );
  const creditor = obj(i.CreditorAccount, '$.Data.Initiation.CreditorAccount');
  const out: PaymentInitiation = {
    InstructionIdentification:
      str(i.InstructionIdentification, '$.Data.Initiation.InstructionIdentification', 35, false) ??
      randomUUID().slice(0, 35),
    EndToEndIdentification:
      str(i.EndToEndIdentification, '$.Data.Initiation.EndToEndIdentification', 35, false) ??
      randomUUID().slice(0, 35),
    InstructedAmount: { Amount: money(cents(value)), Currency: currency },
    CreditorAccount: {
      SchemeName:
        str(creditor.SchemeName, '$.Data.Initiation.CreditorAccount.SchemeName', 40, false) ?? 'UK.OBIE.IBAN',
      Identification: str(
        creditor.Identification,
        '$.Data.Initiation.CreditorAccount.Identification',
        256,
      ) as string,
      Name: str(creditor.Name, '$.Data.Initiation.CreditorAccount.Name', 140) as string,
    },
  };
  if (i.DebtorAccount !== undefined) {
    const d = obj(i.DebtorAccount, '$.Data.Initiation.DebtorAccount');
    out.DebtorAccount = {
      SchemeName:
        str(d.SchemeName, '$.Data.Initiation.DebtorAccount.SchemeName', 40, false) ?? 'UK.OBIE.IBAN',
      Identification: str(d.Identification, '$.Data.Initiation.DebtorAccount.Identification', 256) as string,
    };
  }
  if (i.RemittanceInformation !== undefined) {
    const r = obj(i.RemittanceInformation, '$.Data.Initiation.RemittanceInformation');
    out.RemittanceInformation = {};
    const ref = str(r.Reference, '$.Data.Initiation.RemittanceInformation.Reference', 35, false);
    const un = str(r.Unstructured, '$.Data.Initiation.RemittanceInformation.Unstructured', 140, false);
    if (ref) out.RemittanceInformation.Reference = ref;
    if (un) out.RemittanceInformation.Unstructured = un;
  }
  return out;
}

export class Bank {
  /** RAR-09: the payment consents used so far (lab/rs/payments.ts). */
  readonly consents = new PaymentConsents();
  private readonly accounts = new Map<string, { owner: string; account: Account; cents: number }>();
  private readonly payments = new Map<string, Payment>();
  private readonly opened = '2024-01-15T09:00:00+00:00';

  constructor(private readonly clock: () => number) {
    for (const [owner, seeds] of Object.entries(SEED)) {
      for (const s of seeds) {
        this.accounts.set(s.id, {
          owner,
          cents: s.cents,
          account: {
            AccountId: s.id,
            Status: 'Enabled',
            Currency: s.currency,
            AccountType: 'Personal',
            AccountSubType: s.sub,
            Nickname: s.nick,
            OpeningDate: this.opened,
            Account: [{ SchemeName: 'UK.OBIE.IBAN', Identification: s.iban, Name: s.name }],
          },
        });
      }
    }
  }

  private iso(): string {
    return new Date(this.clock() * 1000).toISOString();
  }

  /** The user's accounts (none for a token without a user, e.g. client_credentials). */
  accountsOf(user: string | undefined): Account[] {
    const out: Account[] = [];
    for (const a of this.accounts.values()) if (a.owner === user) out.push(a.account);
    return out;
  }

  /** An account of this user; undefined (→ 404) for unknown ids and other users' accounts. */
  account(user: string | undefined, id: string): Account | undefined {
    const a = this.accounts.get(id);
    return a && a.owner === user ? a.account : undefined;
  }

  balance(user: string | undefined, id: string): Balance | undefined {
    const a = this.accounts.get(id);
    if (!a || a.owner !== user) return undefined;
    return {
      AccountId: id,
      CreditDebitIndicator: a.cents >= 0 ? 'Credit' : 'Debit',
      Type: 'InterimAvailable',
      DateTime: this.iso(),
      Amount: { Amount: money(a.cents), Currency: a.account.Currency },
    };
  }

  /**
   * The first result of an idempotent retry: the payment this user made with the same
   * `x-idempotency-key` and body, or undefined; 409 when the key came with another body.
   */
  replayOf(user: string | undefined, idempotency: { key: string; body: string }): Payment | undefined {
    for (const p of this.payments.values()) {
      if (p.owner === user && p.idempotency?.key === idempotency.key) {
        if (p.idempotency.body !== idempotency.body)
          throw new PaymentError(
            409,
            'idempotency_conflict',
            'x-idempotency-key was already used with a different request body',
          );
        return p;
      }
    }
    return undefined;
  }

  /**
   * Makes a payment from the user's account (the DebtorAccount, else their first current account).
   * An `x-idempotency-key` replays the first result for the same body (409 for another body).
   */
  pay(
    user: string | undefined,
    init: PaymentInitiation,
    idempotency?: { key: string; body: string },
  ): { payment: Payment; replayed: boolean } {
    const replay = idempotency ? this.replayOf(user, idempotency) : undefined;
    if (replay) return { payment: replay, replayed: true };
    const mine = [...this.accounts.values()].filter((a) => a.owner === user);
    if (mine.length === 0)
      throw new PaymentError(
        422,
        'no_account',
        'the token has no user with accounts (a client_credentials token cannot pay)',
      );
    const debtor = init.DebtorAccount
      ? mine.find((a) =>
          a.account.Account.some((x) => x.Identification === init.DebtorAccount?.Identification),
        )
      : (mine.find((a) => a.account.AccountSubType === 'CurrentAccount') ?? mine[0]);
    if (!debtor)
      throw new PaymentError(404, 'unknown_account', 'DebtorAccount is not an account of this user');
    if (debtor.account.Currency !== init.InstructedAmount.Currency)
      throw new PaymentError(
        422,
        'currency_mismatch',
        `the debtor account is in ${debtor.account.Currency}, the payment in ${init.InstructedAmount.Currency}`,
      );
    const amount = cents(init.InstructedAmount.Amount);
    if (amount > debtor.cents)
      throw new PaymentError(422, 'insufficient_funds', 'the debtor account has insufficient funds');
    debtor.cents -= amount;
    const now = this.iso();
    const payment: Payment = {
      DomesticPaymentId: `pmt-${randomUUID()}`,
      Status: 'AcceptedSettlementCompleted',
      CreationDateTime: now,
      StatusUpdateDateTime: now,
      DebtorAccountId: debtor.account.AccountId,
      Initiation: init,
      owner: user as string,
      ...(idempotency ? { idempotency } : {}),
    };
    if (this.payments.size >= MAX_PAYMENTS) this.payments.delete(this.payments.keys().next().value as string);
    this.payments.set(payment.DomesticPaymentId, payment);
    return { payment, replayed: false };
  }

  payment(user: string | undefined, id: string): Payment | undefined {
    const p = this.payments.get(id);
    return p && p.owner === user ? p : undefined;
  }
}

/** The public view of a payment (without internal fields). */
export function paymentView(p: Payment): Record<string, unknown> {
  return {
    DomesticPaymentId: p.DomesticPaymentId,
    Status: p.Status,
    CreationDateTime: p.CreationDateTime,
    StatusUpdateDateTime: p.StatusUpdateDateTime,
    DebtorAccountId: p.DebtorAccountId,
    Initiation: p.Initiation,
  };
}
