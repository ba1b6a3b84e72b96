/**
 * The sample APIs of the lab RS, shaped like the UK Open Banking Read/Write API, as a table:
 * method, path, the scope it needs (RS-05), and a handler that runs after every check passed.
 *
 *   GET  /accounts                      scope accounts
 *   GET  /accounts/{id}                 scope accounts
 *   GET  /accounts/{id}/balances        scope accounts
 *   POST /payments         (JSON body)  scope payments
 *   GET  /payments/{id}                 scope payments
 */
import type { Relaxation } from '../switches.js';
import type { Account, Bank, Payment } from './bank.js';
import { PaymentError, parseInitiation, paymentView } from './bank.js';
import type { RsState } from './check.js';
import { challenge } from './errors.js';
import { allowedAccounts, authorizePayment, paymentExchange } from './payments.js';

export interface ApiInput {
  params: Record<string, string>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  st: RsState;
  bank: Bank;
  /** The RS base URL, for Links.Self. */
  rsUrl: string;
  /** Whether a relaxation is on now (read per request: switches may change while the lab runs). */
  relaxed(r: Relaxation): boolean;
}

export interface ApiResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The check that refused the request, for the request log (RAR-08, RAR-09). */
  refusal?: { check: string; error: string; description: string };
  /** Checks the request passed beyond the common pipeline. */
  passed?: string[];
}

export interface RsApi {
  method: 'GET' | 'POST';
  path: string;
  scope: 'accounts' | 'payments';
  description: string;
  handle(i: ApiInput): ApiResult;
}

const notFound = (what: string, id: string): ApiResult => ({
  status: 404,
  body: { error: 'not_found', error_description: `no ${what} ${JSON.stringify(id)} for this user` },
});

const userOf = (st: RsState) => (typeof st.claims?.sub === 'string' ? st.claims.sub : undefined);

/** RAR-10: the account is one the token's account_information details allow (all without them). */
function visible(st: RsState, account: Account | undefined): Account | undefined {
  if (!account) return undefined;
  const allowed = allowedAccounts(st);
  return !allowed || account.Account.some((a) => allowed.has(a.Identification)) ? account : undefined;
}

function paymentResult(payment: Payment, replayed: boolean, rsUrl: string, passed?: string[]): ApiResult {
  const self = `${rsUrl}/payments/${payment.DomesticPaymentId}`;
  return {
    status: replayed ? 200 : 201,
    headers: { location: self },
    body: { Data: paymentView(payment), Links: { Self: self }, Meta: {} },
    ...(passed ? { passed } : {}),
  };
}

export const RS_APIS: readonly RsApi[] = [
  {
    method: 'GET',
    path: '/accounts',
    scope: 'accounts',
    description: "the user's accounts",
    handle: ({ st, bank, rsUrl }) => ({
      status: 200,
      body: {
        Data: { Account: bank.accountsOf(userOf(st)).filter((a) => visible(st, a)) },
        Links: { Self: `${rsUrl}/accounts` },
        Meta: { TotalPages: 1 },
      },
    }),
  },
  {
    method: 'GET',
    path: '/accounts/:accountId',
    scope: 'accounts',
    description: 'one account',
    handle: ({ params, st, bank, rsUrl }) => {
      const id = params.accountId as string;
      const account = visible(st, bank.account(userOf(st), id));
      if (!account) return notFound('account', id);
      return {
        status: 200,
        body: {
          Data: { Account: [account] },
          Links: { Self: `${rsUrl}/accounts/${encodeURIComponent(id)}` },
          Meta: { TotalPages: 1 },
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/accounts/:accountId/balances',
    scope: 'accounts',
    description: "an account's balance",
    handle: ({ params, st, bank, rsUrl }) => {
      const id = params.accountId as string;
      const balance = visible(st, bank.account(userOf(st), id)) && bank.balance(userOf(st), id);
      if (!balance) return notFound('account', id);
      return {
        status: 200,
        body: {
          Data: { Balance: [balance] },
          Links: { Self: `${rsUrl}/accounts/${encodeURIComponent(id)}/balances` },
          Meta: { TotalPages: 1 },
        },
      };
    },
  },
  {
    method: 'POST',
    path: '/payments',
    scope: 'payments',
    description: 'a domestic payment (JSON body {"Data":{"Initiation":{…}}})',
    handle: ({ body, headers, st, bank, rsUrl, relaxed }) => {
      const type = headers['content-type'];
      if (typeof type !== 'string' || !type.toLowerCase().startsWith('application/json'))
        return {
          status: 415,
          body: {
            error: 'unsupported_media_type',
            error_description: 'send the payment as application/json',
          },
        };
      try {
        const init = parseInitiation(body);
        const key = headers['x-idempotency-key'];
        const idem =
          typeof key === 'string' && key.length > 0 && key.length <= 40
            ? { key, body: JSON.stringify(body) }
            : undefined;
        // An idempotent retry gets the first answer, before the consent is looked at (RAR-09).
        const first = idem ? bank.replayOf(userOf(st), idem) : undefined;
        if (first) return paymentResult(first, true, rsUrl);
        // RAR-08, RAR-09: the payment is one the user authorized, not executed yet (./payments.ts).
        const p = paymentExchange(st, init, bank.consents, relaxed('scope-only-payments'));
        const auth = authorizePayment(p);
        if (!auth.ok) {
          const e = auth.error;
          const scheme = st.scheme ?? 'DPoP';
          return {
            status: e.status,
            headers: {
              'www-authenticate': challenge(scheme, { error: e.error, description: e.message }),
            },
            body: { error: e.error, error_description: e.message },
            refusal: { check: e.check, error: e.error ?? 'refused', description: e.message },
            passed: auth.passed,
          };
        }
        const { payment } = bank.pay(userOf(st), init, idem);
        if (p.consent) bank.consents.record(p.consent.key, payment.DomesticPaymentId);
        return paymentResult(payment, false, rsUrl, auth.passed);
      } catch (e) {
        if (e instanceof PaymentError)
          return { status: e.status, body: { error: e.code, error_description: e.message } };
        throw e;
      }
    },
  },
  {
    method: 'GET',
    path: '/payments/:paymentId',
    scope: 'payments',
    description: 'one payment',
    handle: ({ params, st, bank, rsUrl }) => {
      const id = params.paymentId as string;
      const payment = bank.payment(userOf(st), id);
      if (!payment) return notFound('payment', id);
      return {
        status: 200,
        body: { Data: paymentView(payment), Links: { Self: `${rsUrl}/payments/${id}` }, Meta: {} },
      };
    },
  },
];
