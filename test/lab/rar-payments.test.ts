/**
 * The resource server executes only what was authorized (RFC 9396 §9): POST /payments matches the
 * body against the token's payment_initiation details (RAR-08: same decimal amount, currency and
 * creditor account), executes each detail once (RAR-09, also across a refresh), and the account
 * APIs show only the accounts an account_information detail names (RAR-10). With the
 * scope-only-payments relaxation a payments-scope token pays anything, as often as asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationDetail } from '../../src/core/authorization-details.js';
import {
  assertion,
  json,
  postForm,
  proof,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';
import { PAY_BOB } from './rar-helpers.js';
import { dpopTokens, rsCall, type Tokens } from './rs-helpers.js';

let t: TestLab;
let relaxed: TestLab;
let c: TestClient;
let rc: TestClient;

beforeAll(async () => {
  [t, relaxed] = await Promise.all([startTestLab(), startTestLab({ relax: ['scope-only-payments'] })]);
  [c, rc] = await Promise.all([registerClient(t), registerClient(relaxed)]);
}, 30_000);
afterAll(async () => {
  await Promise.all([t?.close(), relaxed?.close()]);
});

const BOB_IBAN = 'DE02100100109307118603';
const MALLORY_IBAN = 'GB29NWBK60161331926819';

function body(amount: string, iban = BOB_IBAN, currency = 'EUR') {
  return JSON.stringify({
    Data: {
      Initiation: {
        InstructedAmount: { Amount: amount, Currency: currency },
        CreditorAccount: { SchemeName: 'UK.OBIE.IBAN', Identification: iban, Name: 'Bob Example' },
      },
    },
  });
}

const tokensWith = (lab: TestLab, client: TestClient, details: AuthorizationDetail[], scope = 'openid') =>
  dpopTokens(lab, client, scope, { authorization_details: JSON.stringify(details) });

function pay(lab: TestLab, tk: Tokens, b: string, headers: Record<string, string> = {}) {
  return rsCall(lab, '/payments', {
    method: 'POST',
    token: tk.at,
    dpop: tk.dpop,
    headers: { 'content-type': 'application/json', ...headers },
    body: b,
  });
}

function expectInsufficient(
  lab: TestLab,
  res: { status: number; text(): string; header(n: string): string | undefined },
  check: string,
  description: RegExp,
) {
  expect(res.status, res.text()).toBe(403);
  expect(json(res as never)).toMatchObject({
    error: 'insufficient_authorization_details',
    error_description: expect.stringMatching(description),
  });
  expect(res.header('www-authenticate')).toMatch(
    /^DPoP error="insufficient_authorization_details", error_description="/,
  );
  const rec = lab.lab.ctx.requests.recent(1)[0];
  expect(rec).toMatchObject({
    path: '/payments',
    status: 403,
    outcome: 'refused',
    check,
    error: 'insufficient_authorization_details',
  });
}

describe('RFC 9396 §9: POST /payments executes what the user authorized, once', () => {
  it('RAR-08 a payment matching the detail executes (the amount compared as a decimal); the log names the checks', async () => {
    const tk = await tokensWith(t, c, [PAY_BOB]);
    const res = await pay(t, tk, body('10'));
    expect(res.status, res.text()).toBe(201);
    expect(json(res)).toMatchObject({
      Data: { Initiation: { InstructedAmount: { Amount: '10.00', Currency: 'EUR' } } },
    });
    expect(t.lab.ctx.requests.recent(1)[0]?.passed).toEqual(
      expect.arrayContaining(['RS-05', 'RAR-08', 'RAR-09']),
    );
  });

  it('RAR-09 the same token cannot pay again; the replay is refused and recorded', async () => {
    const tk = await tokensWith(t, c, [PAY_BOB]);
    const first = await pay(t, tk, body('10.00'));
    expect(first.status).toBe(201);
    const id = (json(first).Data as { DomesticPaymentId: string }).DomesticPaymentId;
    const again = await pay(t, tk, body('10.00'));
    expectInsufficient(t, again, 'RAR-09', new RegExp(`already executed \\(${id}\\)`));
  });

  it('RAR-09 a refreshed token carries the same consent: it cannot pay again either', async () => {
    const tk = await tokensWith(t, c, [PAY_BOB]);
    expect((await pay(t, tk, body('10.00'))).status).toBe(201);
    const url = `${t.lab.issuer}/token`;
    const r = await postForm(
      t.http,
      url,
      { ...assertion(t, c), grant_type: 'refresh_token', refresh_token: tk.rt as string },
      { dpop: proof(t, tk.dpop, 'POST', url) },
    );
    expect(r.status, r.text()).toBe(200);
    const refreshed = { ...tk, at: json(r).access_token as string };
    expectInsufficient(t, await pay(t, refreshed, body('10.00')), 'RAR-09', /already executed/);
  });

  it('RAR-08 paying more, or another creditor, or in another currency, is refused naming the mismatch', async () => {
    const tk = await tokensWith(t, c, [PAY_BOB]);
    expectInsufficient(
      t,
      await pay(t, tk, body('10000.00')),
      'RAR-08',
      /the payment is 10000\.00 EUR, the consent is for 10\.00 EUR/,
    );
    expectInsufficient(
      t,
      await pay(t, tk, body('10.00', MALLORY_IBAN)),
      'RAR-08',
      /goes to the account GB29NWBK60161331926819, the consent to DE02/,
    );
    expectInsufficient(
      t,
      await pay(t, tk, body('10.00', BOB_IBAN, 'GBP')),
      'RAR-08',
      /in GBP, the consent in EUR/,
    );
    // The refusals used nothing up: the consented payment still executes.
    expect((await pay(t, tk, body('10.00'))).status).toBe(201);
  });

  it('RAR-08 a token with the payments scope and no payment detail cannot pay', async () => {
    const tk = await dpopTokens(t, c, 'openid payments');
    expectInsufficient(
      t,
      await pay(t, tk, body('10.00')),
      'RAR-08',
      /carries no payment_initiation authorization detail/,
    );
  });

  it('RAR-09 two identical details are two payments; a third is refused', async () => {
    const tk = await tokensWith(t, c, [PAY_BOB, PAY_BOB]);
    expect((await pay(t, tk, body('10.00'))).status).toBe(201);
    expect((await pay(t, tk, body('10.00'))).status).toBe(201);
    expectInsufficient(t, await pay(t, tk, body('10.00')), 'RAR-09', /consented to it 2 times/);
  });

  it('RAR-09 an idempotent retry gets the first answer, not a refusal and not a second payment', async () => {
    const tk = await tokensWith(t, c, [PAY_BOB]);
    const first = await pay(t, tk, body('10.00'), { 'x-idempotency-key': 'retry-1' });
    const retry = await pay(t, tk, body('10.00'), { 'x-idempotency-key': 'retry-1' });
    expect([first.status, retry.status]).toEqual([201, 200]);
    expect(json(retry)).toEqual(json(first));
    expectInsufficient(
      t,
      await pay(t, tk, body('10.00'), { 'x-idempotency-key': 'retry-2' }),
      'RAR-09',
      /already executed/,
    );
  });

  it('scope-only-payments is a switch like the others: turned on and off while the lab runs', async () => {
    const tk = await dpopTokens(t, c, 'openid payments');
    expectInsufficient(t, await pay(t, tk, body('1.00', MALLORY_IBAN)), 'RAR-08', /no payment_initiation/);
    await t.lab.ctx.switches.setRelaxations(['scope-only-payments']);
    try {
      expect((await pay(t, tk, body('1.00', MALLORY_IBAN))).status).toBe(201);
    } finally {
      await t.lab.ctx.switches.setRelaxations([]);
    }
    expectInsufficient(t, await pay(t, tk, body('1.00', MALLORY_IBAN)), 'RAR-08', /no payment_initiation/);
  });

  it('scope-only-payments: a payments-scope token pays anything, to anyone, as often as asked', async () => {
    const tk = await dpopTokens(relaxed, rc, 'openid payments');
    expect((await pay(relaxed, tk, body('100.00', MALLORY_IBAN))).status).toBe(201);
    expect((await pay(relaxed, tk, body('100.00', MALLORY_IBAN))).status).toBe(201);
    const res = await pay(relaxed, tk, body('10.00'));
    expect(res.header('x-fapi-lab-warning')).toMatch(/relaxed=scope-only-payments/);
  });
});

describe('RFC 9396 §9: the account APIs (RAR-10)', () => {
  it('RAR-10 GET /accounts lists only the accounts an account_information detail names', async () => {
    const tk = await tokensWith(t, c, [
      {
        type: 'account_information',
        actions: ['list_accounts', 'read_balances'],
        accounts: [{ iban: 'DE02120300000000202051' }],
      },
    ]);
    const list = json(await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop }));
    expect((list.Data as { Account: { AccountId: string }[] }).Account.map((a) => a.AccountId)).toEqual([
      'acc-alice-savings',
    ]);
    expect((await rsCall(t, '/accounts/acc-alice-current', { token: tk.at, dpop: tk.dpop })).status).toBe(
      404,
    );
    expect(
      (await rsCall(t, '/accounts/acc-alice-current/balances', { token: tk.at, dpop: tk.dpop })).status,
    ).toBe(404);
    expect(
      (await rsCall(t, '/accounts/acc-alice-savings/balances', { token: tk.at, dpop: tk.dpop })).status,
    ).toBe(200);
  });

  it('RAR-10 without accounts in the detail, or without a detail, every account of the user is listed', async () => {
    for (const tk of [
      await tokensWith(t, c, [{ type: 'account_information', actions: ['list_accounts'] }]),
      await dpopTokens(t, c, 'openid accounts'),
    ]) {
      const list = json(await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop }));
      expect((list.Data as { Account: unknown[] }).Account).toHaveLength(2);
    }
  });
});
