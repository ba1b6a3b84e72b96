/**
 * The core of RFC 9396 (src/core/authorization-details.ts) and its schema validator
 * (src/core/json-schema.ts), without a server: parsing (RAR-01), types (RAR-02), the shipped schema
 * (RAR-03), the comparison of §6.1 (RAR-06), the payment rule (RAR-08), the payment body a detail
 * covers and the words of the consent page.
 */
import { describe, expect, it } from 'vitest';
import {
  AuthorizationDetailsError,
  checkDetailTypes,
  checkDetailsSchema,
  checkRequestedTypes,
  parseRequestedDetails,
  describeDetail,
  detailForOtherAmount,
  detailsWithin,
  matchPayment,
  paymentInitiationBody,
  parseAuthorizationDetails,
  sameAmount,
  type AuthorizationDetail,
} from '../../../src/core/authorization-details.js';
import { SchemaError, compileSchema } from '../../../src/core/json-schema.js';
import { loadAuthorizationDetailsSchema } from '../../../src/store/templates.js';
import { toStoredTokens } from '../../../src/store/tokens.js';
import { clientCredentialsGrant, processTokenResponse, refreshTokenGrant } from '../../../src/core/token.js';
import { expectFapiError } from '../../helpers/expect-error.js';
import { ISSUER, ecSigningKey, fakeClient } from '../../helpers/fake-http.js';
import { parseInitiation } from '../../../lab/rs/bank.js';
import { instructionOf } from '../../../lab/rs/payments.js';

const PAY: AuthorizationDetail = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '10.00' },
  creditorName: 'Bob Example',
  creditorAccount: { iban: 'DE02100100109307118603' },
};

function refusal(fn: () => unknown): AuthorizationDetailsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AuthorizationDetailsError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('RAR-01 parseAuthorizationDetails (RFC 9396 §2)', () => {
  it('returns the array of objects', () => {
    expect(parseAuthorizationDetails(JSON.stringify([PAY]))).toEqual([PAY]);
  });
  it('refuses what is not an array of typed objects, naming the problem', () => {
    expect(refusal(() => parseAuthorizationDetails('nope')).message).toMatch(/is not JSON/);
    expect(refusal(() => parseAuthorizationDetails('{"type":"x"}')).message).toMatch(/not an object/);
    expect(refusal(() => parseAuthorizationDetails('[{"type":""}]')).message).toMatch(/non-empty string/);
    expect(refusal(() => parseAuthorizationDetails('[{"type":1}]')).check).toBe('RAR-01');
  });
  it('applies the limits: length, count and depth (without recursion)', () => {
    const limits = { maxLength: 100, maxDetails: 2, maxDepth: 3 };
    expect(refusal(() => parseAuthorizationDetails(' '.repeat(101), limits)).message).toMatch(
      /101 characters/,
    );
    expect(
      refusal(() => parseAuthorizationDetails('[{"type":"a"},{"type":"a"},{"type":"a"}]', limits)).message,
    ).toMatch(/has 3 entries/);
    expect(refusal(() => parseAuthorizationDetails('[{"type":"a","x":{"y":{}}}]', limits)).message).toMatch(
      /more than 3 levels/,
    );
    const deep = `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`;
    expect(
      refusal(() => parseAuthorizationDetails(deep, { maxLength: 1e6, maxDetails: 10, maxDepth: 6 })).message,
    ).toMatch(/nested/);
  });
});

describe('RAR-02 checkDetailTypes (RFC 9396 §5, §10)', () => {
  it('refuses an unsupported or unregistered type; compares exactly', () => {
    expect(() => checkDetailTypes([PAY], ['payment_initiation'])).not.toThrow();
    expect(
      refusal(() => checkDetailTypes([{ type: 'Payment_Initiation' }], ['payment_initiation'])).message,
    ).toMatch(/not supported/);
    expect(
      refusal(() => checkDetailTypes([PAY], ['payment_initiation'], ['account_information'])).message,
    ).toMatch(/not registered/);
  });
});

describe('RAR-03 the shipped schema (templates/authorization-details.schema.json)', () => {
  const schema = loadAuthorizationDetailsSchema();
  it('declares the types and the count limit', () => {
    expect(schema.types).toEqual(['payment_initiation', 'account_information']);
    expect(schema.maxDetails).toBe(10);
  });
  it('accepts RFC 9396 §2 Figure 2 (with bic and actions) and refuses unknown fields', () => {
    const fig2 = {
      ...PAY,
      actions: ['initiate', 'status', 'cancel'],
      locations: ['https://example.com/payments'],
      creditorAccount: { iban: 'DE02100100109307118603', bic: 'ABCIDEFFXXX' },
      remittanceInformationUnstructured: 'Ref Number Merchant',
    };
    expect(() => checkDetailsSchema([fig2], schema)).not.toThrow();
    expect(refusal(() => checkDetailsSchema([{ ...PAY, x: 1 }], schema)).message).toMatch(
      /authorization_details\[0\]\.x is not a field of payment_initiation/,
    );
    expect(
      refusal(() =>
        checkDetailsSchema(
          [{ ...PAY, creditorAccount: { iban: 'DE02100100109307118603', 'a b': 1 } }],
          schema,
        ),
      ).message,
    ).toMatch(/creditorAccount\["a b"\] is not a field/);
  });
});

describe('json-schema: strict about what it supports', () => {
  it('refuses unsupported keywords and dangling references at compile time', () => {
    expect(() => compileSchema({ type: 'object', patternProperties: {} })).toThrow(SchemaError);
    expect(() => compileSchema({ $ref: '#/$defs/none' })).toThrow(/does not exist/);
    expect(() => compileSchema({ $ref: 'https://example.com/s.json' })).toThrow(/only local/);
  });
  it('validates if/then, allOf, const and recursion through $ref', () => {
    const v = compileSchema({
      $defs: {
        node: { type: 'object', properties: { next: { $ref: '#/$defs/node' } }, additionalProperties: false },
      },
      allOf: [{ if: { properties: { k: { const: 1 } } }, then: { required: ['x'] } }],
      properties: { n: { $ref: '#/$defs/node' } },
    });
    expect(v({ k: 1, x: 2 }, '$')).toBeUndefined();
    expect(v({ k: 1 }, '$')).toBe('$.x is missing');
    expect(v({ n: { next: { next: { bad: 1 } } } }, '$')).toMatch(/\$\.n\.next\.next\.bad is not a field/);
  });
});

describe('RAR-06 detailsWithin (RFC 9396 §6.1)', () => {
  const accounts: AuthorizationDetail = {
    type: 'account_information',
    actions: ['list_accounts', 'read_balances'],
    accounts: [{ iban: 'A1' }, { iban: 'A2' }],
  };
  it('a subset of accounts and actions is within; the same payment is within once', () => {
    expect(
      detailsWithin(
        [{ type: 'account_information', actions: ['read_balances'], accounts: [{ iban: 'A2' }] }],
        [accounts],
      ),
    ).toBeUndefined();
    expect(detailsWithin([PAY], [accounts, PAY])).toBeUndefined();
    expect(detailsWithin([PAY, PAY], [PAY])).toMatch(/\[1\].*was not granted/);
    expect(detailsWithin([PAY, PAY], [PAY, PAY])).toBeUndefined();
  });
  it('finds a matching where a greedy choice would not', () => {
    const wide: AuthorizationDetail = {
      type: 'account_information',
      actions: ['list_accounts', 'read_balances'],
    };
    const narrow: AuthorizationDetail = { type: 'account_information', actions: ['list_accounts'] };
    expect(detailsWithin([narrow, wide], [wide, narrow])).toBeUndefined();
  });
  it('a payment is covered only by the identical payment', () => {
    const more = { ...PAY, instructedAmount: { currency: 'EUR', amount: '10.01' } };
    expect(detailsWithin([more], [PAY])).toMatch(/not granted/);
  });
});

describe('RAR-08 matchPayment: the same decimal amount, currency and creditor account', () => {
  it('compares amounts as decimals', () => {
    expect(sameAmount('10', '10.00')).toBe(true);
    expect(sameAmount('010.5', '10.50')).toBe(true);
    expect(sameAmount('10.5', '105')).toBe(false);
    expect(sameAmount('0.05', '0.5')).toBe(false);
    expect(sameAmount('1e1', '10')).toBe(false);
  });
  it('names the mismatch', () => {
    const p = { amount: '10', currency: 'EUR', creditorAccount: 'DE02100100109307118603' };
    expect(matchPayment([PAY], p)).toEqual({ matches: [0] });
    expect(matchPayment([PAY], { ...p, amount: '10000.00' })).toEqual({
      problem: 'the payment is 10000.00 EUR, the consent is for 10.00 EUR',
    });
    expect(matchPayment([PAY], { ...p, currency: 'GBP' })).toMatchObject({
      problem: expect.stringMatching(/in GBP, the consent in EUR/),
    });
    expect(matchPayment([PAY], { ...p, creditorAccount: 'GB29NWBK60161331926819' })).toMatchObject({
      problem: expect.stringMatching(/goes to the account GB29NWBK60161331926819, the consent to DE02/),
    });
    expect(matchPayment([{ type: 'account_information' }], p)).toMatchObject({
      problem: expect.stringMatching(/no payment_initiation/),
    });
  });
});

describe('paymentInitiationBody: the open-banking payment a detail covers (fapi conform server, payment-overreach)', () => {
  it("is the lab RS's body, and the lab reads back the same payment (RAR-08)", () => {
    expect(paymentInitiationBody(PAY)).toEqual({
      Data: {
        Initiation: {
          InstructedAmount: { Amount: '10.00', Currency: 'EUR' },
          CreditorAccount: {
            SchemeName: 'UK.OBIE.IBAN',
            Identification: 'DE02100100109307118603',
            Name: 'Bob Example',
          },
        },
      },
    });
    expect(matchPayment([PAY], instructionOf(parseInitiation(paymentInitiationBody(PAY))))).toEqual({
      matches: [0],
    });
    const from = (paymentInitiationBody(PAY, 'DE02120300000000202051') as { Data: { Initiation: unknown } })
      .Data.Initiation;
    expect(from).toMatchObject({ DebtorAccount: { Identification: 'DE02120300000000202051' } });
  });

  it('detailForOtherAmount: twice the amount, as many decimals; undefined without a decimal amount', () => {
    const amount = (d: AuthorizationDetail | undefined) => (d?.instructedAmount as { amount: string }).amount;
    expect(amount(detailForOtherAmount(PAY))).toBe('20.00');
    expect(detailForOtherAmount(PAY)).toMatchObject({
      creditorName: 'Bob Example',
      instructedAmount: { currency: 'EUR' },
    });
    expect(
      amount(detailForOtherAmount({ ...PAY, instructedAmount: { currency: 'EUR', amount: '0.05' } })),
    ).toBe('0.10');
    expect(
      amount(detailForOtherAmount({ ...PAY, instructedAmount: { currency: 'JPY', amount: '500' } }, 3)),
    ).toBe('1500');
    expect(detailForOtherAmount({ type: 'payment_initiation' })).toBeUndefined();
    expect(
      detailForOtherAmount({ ...PAY, instructedAmount: { currency: 'EUR', amount: '1e3' } }),
    ).toBeUndefined();
  });
});

describe('describeDetail: what the consent page says', () => {
  it('says who is paid how much, once', () => {
    expect(describeDetail({ ...PAY, remittanceInformationUnstructured: 'Invoice 42' })).toBe(
      'Pay 10.00 EUR to Bob Example (IBAN DE02100100109307118603), reference "Invoice 42", once',
    );
    expect(describeDetail({ type: 'account_information', actions: ['list_accounts'] })).toBe(
      'List your accounts: all your accounts',
    );
    expect(describeDetail({ type: 'other', a: 1 })).toBe('other: {"type":"other","a":1}');
  });
});

describe('the client: --authorization-details (RFC 9396 §3, §7, §10)', () => {
  it('parseRequestedDetails: a usage error (exit 2) naming the problem', () => {
    expect(parseRequestedDetails(JSON.stringify([PAY]))).toEqual([PAY]);
    expectFapiError(() => parseRequestedDetails('{"type":"x"}'), {
      code: 'E_AUTHORIZATION_DETAILS',
      exitCode: 2,
      message: /--authorization-details: authorization_details must be a JSON array/,
    });
  });

  it('checkRequestedTypes: the server must list RAR and each type (exit 2 naming it)', () => {
    const m = { issuer: 'https://as.example', authorization_details_types_supported: ['payment_initiation'] };
    expect(() => checkRequestedTypes([PAY], m)).not.toThrow();
    expect(() => checkRequestedTypes([{ type: 'x' }], m)).toThrow(
      /the type "x" is not supported by https:\/\/as\.example/,
    );
    expect(() => checkRequestedTypes([PAY], { issuer: 'https://as.example' })).toThrow(
      /does not support Rich Authorization Requests/,
    );
  });

  it('processTokenResponse keeps the granted details; refuses malformed ones (RFC 9396 §7)', async () => {
    const { f, c } = fakeClient({ signingKey: ecSigningKey() });
    let body: Record<string, unknown> = {
      access_token: 'at',
      token_type: 'DPoP',
      authorization_details: [PAY],
    };
    f.on('POST', `${ISSUER}/token`, () => ({ status: 200, json: body }));
    const t = processTokenResponse(await clientCredentialsGrant(c, undefined, [PAY]), { client: c });
    expect(f.forms[0]?.get('authorization_details')).toBe(JSON.stringify([PAY]));
    expect(t.authorization_details).toEqual([PAY]);
    body = { access_token: 'at', token_type: 'DPoP', authorization_details: { type: 'x' } };
    const ex = await refreshTokenGrant(c, 'rt', undefined, [PAY]);
    expect(f.forms[1]?.get('authorization_details')).toBe(JSON.stringify([PAY]));
    expect(() => processTokenResponse(ex, { client: c })).toThrow(/malformed authorization_details/);
  });

  it('stored with the tokens, kept across a refresh that does not repeat them', () => {
    const binding = { method: 'dpop' as const, jkt: 'k', evidence: 'token_type' as const };
    const first = toStoredTokens(
      { access_token: 'a', token_type: 'DPoP', binding, authorization_details: [PAY] },
      { issuer: ISSUER, clientId: 'c', now: 1 },
    );
    expect(first.authorization_details).toEqual([PAY]);
    const next = toStoredTokens(
      { access_token: 'b', token_type: 'DPoP', binding },
      { issuer: ISSUER, clientId: 'c', now: 2, previous: first },
    );
    expect(next.authorization_details).toEqual([PAY]);
  });
});

describe('RFC 9396 §3 with JAR: the request object carries the array', () => {
  it('createRequestObject turns the session text into the JSON array claim', async () => {
    const { createRequestObject } = await import('../../../src/core/request-object.js');
    const { createAuthorizationSession, parParameters } = await import('../../../src/core/par.js');
    const k = ecSigningKey();
    const session = createAuthorizationSession({
      redirectUri: 'http://127.0.0.1/cb',
      scope: 'openid',
      authorizationDetails: [PAY],
    });
    expect(parParameters('c', session).authorization_details).toBe(JSON.stringify([PAY]));
    const jwt = createRequestObject({
      clientId: 'c',
      audience: ISSUER,
      params: parParameters('c', session),
      privateKey: k.privateKey,
      alg: 'ES256',
    });
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims.authorization_details).toEqual([PAY]);
  });
});
