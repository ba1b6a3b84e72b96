/**
 * payment-overreach: the user consents to one payment, "10.00 EUR to Bob Example", and the app that
 * asked uses its token to pay 10,000.00 EUR to an account of its own, then to repeat the consented
 * payment. A token that only says "scope payments" allows any payment, as often as asked; with
 * Rich Authorization Requests (RFC 9396) the token carries the consented payment itself and the
 * resource server executes exactly that, once (RFC 9396 §9; the lab's RAR-08, RAR-09).
 */
import {
  INSUFFICIENT_AUTHORIZATION_DETAILS,
  paymentInitiationBody,
  type AuthorizationDetail,
} from '../core/authorization-details.js';
import { callResource } from '../core/resource.js';
import {
  attemptOf,
  authorize,
  redeem,
  registerParty,
  short,
  tokensOf,
  type Party,
  type Play,
  type Tokens,
  playScenario,
} from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'payment-overreach',
  title: 'a token consented for 10.00 EUR pays 10,000.00 EUR to another creditor',
  attacker: 'A1',
  tried:
    'pays 10,000.00 EUR to its own account, and the consented payment twice, with a token for one 10.00 EUR payment',
  story:
    'A payment app asks the user to approve "pay 10.00 EUR to Bob Example" and gets a token. If the token only says "scope payments", nothing ties it to that payment: the app (malicious, or compromised) pays 10,000.00 EUR to an account of its own and repeats the approved payment, and the bank executes both. With Rich Authorization Requests (RFC 9396) the approved payment travels in the token as an authorization detail; the resource server executes a payment only when it matches that detail (amount, currency, creditor account) and only once.',
  defence:
    "the resource server executes only the payment in the token's authorization details, once (RFC 9396)",
  rules: [
    { id: 'RAR-08', spec: 'RFC 9396 §9' },
    { id: 'RAR-09', spec: 'RFC 9396 §9' },
  ],
  relax: ['scope-only-payments'],
  external: false,
};

/** What the user approves (RFC 9396 §2's payment_initiation). */
const CONSENT: AuthorizationDetail = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '10.00' },
  creditorName: 'Bob Example',
  creditorAccount: { iban: 'DE02100100109307118603' },
  remittanceInformationUnstructured: 'Invoice 42',
};
/** The attacker's own account. */
const ATTACKER_IBAN = 'GB94BARC10201530093459';
/** alice's savings account in the lab (10,000.00 EUR). */
const SAVINGS_IBAN = 'DE02120300000000202051';

/** What the app pays itself instead: 10,000.00 EUR from alice's savings. */
const OVERREACH: AuthorizationDetail = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '10000.00' },
  creditorName: 'the app',
  creditorAccount: { iban: ATTACKER_IBAN },
};

/** The open-banking body of a payment (one implementation with `fapi conform server`'s RAR-08). */
const paymentBody = (d: AuthorizationDetail, debtor?: string) =>
  JSON.stringify(paymentInitiationBody(d, debtor));

async function pay(p: Play, party: Party, tokens: Tokens, body: string) {
  if (!p.target.rs) throw new Error('the target has no resource server');
  const ex = await callResource(party.client, {
    method: 'POST',
    url: `${p.target.rs}/payments`,
    headers: { 'content-type': 'application/json' },
    body,
    accessToken: tokens.accessToken,
    scheme: 'DPoP',
  });
  return ex.response;
}

async function run(p: Play): Promise<void> {
  const app = await p.setup(
    'attacker',
    'a payment app registers (DPoP-bound tokens)',
    () => registerParty(p.target, 'attacker', { binding: 'dpop', clientName: 'a payment app' }),
    (a) => `client_id ${short(a.clientId)}`,
  );
  const tokens = await p.setup(
    'browser',
    'the user approves "pay 10.00 EUR to Bob Example" (PAR with authorization_details)',
    async () => {
      const { session, code } = await authorize(p.target, app, {
        scope: 'openid payments',
        authorizationDetails: [CONSENT],
      });
      return tokensOf(app, await redeem(app, code, session));
    },
    (t) => `${t.tokenType} access token, scope ${t.scope ?? '?'}`,
  );
  await p.setup(
    'attacker',
    'the app pays the approved 10.00 EUR to Bob Example',
    async () => {
      const res = await pay(p, app, tokens, paymentBody(CONSENT));
      if (res.status !== 201) throw new Error(`POST /payments answered ${res.status}: ${res.text()}`);
      return res;
    },
    (r) => `${r.status}`,
  );
  const refusedWith = [INSUFFICIENT_AUTHORIZATION_DETAILS];
  await p.attack(
    'attacker',
    'it pays 10,000.00 EUR to its own account with the same token',
    { refusedWith },
    async () =>
      attemptOf(
        p.target,
        await pay(p, app, tokens, paymentBody(OVERREACH, SAVINGS_IBAN)),
        'the bank paid 10,000.00 EUR to the attacker',
      ),
  );
  await p.attack('attacker', 'it pays the approved 10.00 EUR a second time', { refusedWith }, async () =>
    attemptOf(p.target, await pay(p, app, tokens, paymentBody(CONSENT)), 'Bob Example was paid twice'),
  );
}

export const paymentOverreach: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, run, run),
};
