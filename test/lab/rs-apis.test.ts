/**
 * The RS sample APIs (open-banking shaped): accounts, balances, payments; per-user data; JSON
 * validation of payments; 404 / 405 / 415 answers instead of crashes. The payments here are about
 * the bank's API, so they run with the scope-only-payments relaxation; what a payment needs from
 * the token under the strict lab (RFC 9396 authorization details) is rar-payments.test.ts's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/core/jwk.js';
import { json, registerClient, startTestLab, type TestLab } from './helpers.js';
import { dpopTokens, mintAccessToken, rsCall, type Tokens } from './rs-helpers.js';

let t: TestLab;
let alice: Tokens;

beforeAll(async () => {
  t = await startTestLab({ relax: ['scope-only-payments'] });
  alice = await dpopTokens(t, await registerClient(t));
});
afterAll(() => t.close());

const call = (path: string, o: Parameters<typeof rsCall>[2] = {}) =>
  rsCall(t, path, { token: alice.at, dpop: alice.dpop, ...o });
const pay = (body: unknown, headers: Record<string, string> = {}) =>
  call('/payments', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const payment = (amount: string, currency = 'EUR') => ({
  Data: {
    Initiation: {
      InstructedAmount: { Amount: amount, Currency: currency },
      CreditorAccount: {
        SchemeName: 'UK.OBIE.IBAN',
        Identification: 'GB33BUKB20201555555555',
        Name: 'Coffee shop',
      },
      RemittanceInformation: { Reference: 'latte' },
    },
  },
});

describe('RS sample APIs', () => {
  it('lists the APIs at the RS root without a token', async () => {
    const res = await rsCall(t, '/');
    expect(res.status).toBe(200);
    const paths = (json(res).apis as { path: string }[]).map((a) => a.path);
    expect(paths).toEqual([
      '/accounts',
      '/accounts/{accountId}',
      '/accounts/{accountId}/balances',
      '/payments',
      '/payments/{paymentId}',
    ]);
  });

  it("GET /accounts/{id} and /balances return the user's account; another user's is 404", async () => {
    const one = await call('/accounts/acc-alice-current');
    expect(one.status).toBe(200);
    expect(json(one)).toMatchObject({
      Data: { Account: [{ AccountId: 'acc-alice-current', Currency: 'EUR' }] },
      Links: { Self: `${t.lab.rs}/accounts/acc-alice-current` },
    });
    const bal = await call('/accounts/acc-alice-current/balances');
    expect(json(bal)).toMatchObject({
      Data: { Balance: [{ AccountId: 'acc-alice-current', Amount: { Amount: '1520.37', Currency: 'EUR' } }] },
    });
    const bob = await call('/accounts/acc-bob-current');
    expect(bob.status).toBe(404);
    expect(json(bob).error).toBe('not_found');
  });

  it("bob sees only bob's accounts", async () => {
    const at = mintAccessToken(t, { sub: 'bob', binding: { jkt: jwkThumbprint(alice.dpop.publicJwk) } });
    const res = await call('/accounts', { token: at });
    expect((json(res).Data as { Account: { AccountId: string }[] }).Account.map((a) => a.AccountId)).toEqual([
      'acc-bob-current',
    ]);
  });

  it('POST /payments makes a payment, debits the balance, and can be read back', async () => {
    const res = await pay(payment('20.37'));
    expect(res.status, res.text()).toBe(201);
    const body = json(res) as {
      Data: { DomesticPaymentId: string; Status: string; DebtorAccountId: string };
    };
    expect(body.Data).toMatchObject({
      Status: 'AcceptedSettlementCompleted',
      DebtorAccountId: 'acc-alice-current',
    });
    expect(res.header('location')).toBe(`${t.lab.rs}/payments/${body.Data.DomesticPaymentId}`);
    const bal = json(await call('/accounts/acc-alice-current/balances')) as {
      Data: { Balance: { Amount: { Amount: string } }[] };
    };
    expect(bal.Data.Balance[0]?.Amount.Amount).toBe('1500.00');
    const back = await call(`/payments/${body.Data.DomesticPaymentId}`);
    expect(back.status).toBe(200);
    expect(json(back)).toMatchObject({ Data: { DomesticPaymentId: body.Data.DomesticPaymentId } });
  });

  it('x-idempotency-key replays the first result; another body with it is 409', async () => {
    const first = await pay(payment('1.00'), { 'x-idempotency-key': 'k-1' });
    const again = await pay(payment('1.00'), { 'x-idempotency-key': 'k-1' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(json(again)).toEqual(json(first));
    const conflict = await pay(payment('2.00'), { 'x-idempotency-key': 'k-1' });
    expect(conflict.status).toBe(409);
  });

  it('refuses bad payment bodies with 4xx naming the field', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{}, 400, /\$\.Data must be an object/],
      [payment('-1'), 400, /Amount/],
      [payment('1.001'), 400, /Amount/],
      [payment('abc'), 400, /Amount/],
      [payment('1.00', 'eur'), 400, /Currency/],
      [payment('1.00', 'GBP'), 422, /in EUR/],
      [payment('999999.00'), 422, /insufficient funds/],
      ['{"Data":', 400, /JSON/i],
      ['[1,2]', 400, /\$ must be an object/],
    ];
    for (const [body, status, message] of cases) {
      const res = await pay(body);
      expect(res.status, `${JSON.stringify(body)} → ${res.text()}`).toBe(status);
      expect(String(json(res).error_description)).toMatch(message);
    }
    const text = await call('/payments', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(text.status).toBe(415);
  });

  it('answers 404 for unknown paths and 405 (with Allow) for wrong methods', async () => {
    const missing = await call('/nope');
    expect(missing.status).toBe(404);
    const wrong = await call('/accounts', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.header('allow')).toBe('GET');
    const put = await call('/payments', {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(put.status).toBe(405);
  });
});
