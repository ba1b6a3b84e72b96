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
import type { Bank } from './bank.js';
import { PaymentError, parseInitiation, paymentView } from './bank.js';
import type { RsState } from './check.js';

export interface ApiInput {
  params: Record<string, string>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  st: RsState;
  bank: Bank;
  /** The RS base URL, for Links.Self. */
  rsUrl: string;
}

export interface ApiResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
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

export const RS_APIS: readonly RsApi[] = [
  {
    method: 'GET',
    path: '/accounts',
    scope: 'accounts',
    description: "the user's accounts",
    handle: ({ st, bank, rsUrl }) => ({
      status: 200,
      body: {
        Data: { Account: bank.accountsOf(userOf(st)) },
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
      const account = bank.account(userOf(st), id);
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
      const balance = bank.balance(userOf(st), id);
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
    handle: ({ body, headers, st, bank, rsUrl }) => {
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
        const { payment, replayed } = bank.pay(userOf(st), init, idem);
        const self = `${rsUrl}/payments/${payment.DomesticPaymentId}`;
        return {
          status: replayed ? 200 : 201,
          headers: { location: self },
          body: { Data: paymentView(payment), Links: { Self: self }, Meta: {} },
        };
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
