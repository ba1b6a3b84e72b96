/**
 * The payment of the RAR checks (src/conform/payment.ts): the default (the lab's open-banking
 * shape, 1.00 EUR to Bob Example) and `--payment FILE`, whose bad shapes are usage errors naming
 * the file and what is wrong (exit 2, E_PAYMENT_FILE).
 */
import { describe, expect, it } from 'vitest';
import { paymentInitiationBody } from '../../../src/core/authorization-details.js';
import {
  DEFAULT_PAYMENT_DETAIL,
  defaultPayment,
  parsePaymentFile,
  paymentLabel,
} from '../../../src/conform/payment.js';
import { expectFapiError } from '../../helpers/expect-error.js';

describe('the payment of the RAR checks', () => {
  it('defaults to the lab shape: a payment_initiation detail and the body it covers', () => {
    expect(defaultPayment('https://rs.example/payments')).toEqual({
      url: 'https://rs.example/payments',
      detail: DEFAULT_PAYMENT_DETAIL,
      body: paymentInitiationBody(DEFAULT_PAYMENT_DETAIL),
    });
    expect(defaultPayment().url).toBeUndefined();
    expect(paymentLabel(DEFAULT_PAYMENT_DETAIL)).toBe('1.00 EUR to Bob Example');
    expect(paymentLabel({ type: 'urn:bank:payment' })).toBe('a urn:bank:payment payment');
  });

  it('--payment FILE: { detail, body }', () => {
    const detail = { type: 'payment_initiation', instructedAmount: { currency: 'GBP', amount: '0.50' } };
    const body = { Data: { Initiation: { InstructedAmount: { Amount: '0.50', Currency: 'GBP' } } } };
    expect(parsePaymentFile(JSON.stringify({ detail, body }), 'p.json', 'https://rs.example/pay')).toEqual({
      url: 'https://rs.example/pay',
      detail,
      body,
    });
  });

  it.each([
    ['{', /^--payment p\.json: not JSON/],
    ['[]', /not a JSON object/],
    ['{"detail":{"type":"payment_initiation"},"body":{},"url":"x"}', /unknown member url/],
    [
      '{"detail":{"amount":"1"},"body":{}}',
      /"detail" must be an authorization details object with a string "type"/,
    ],
    ['{"detail":{"type":"payment_initiation"},"body":"x"}', /"body" must be the JSON object/],
  ])('refuses %s (exit 2, E_PAYMENT_FILE)', (text, message) => {
    expectFapiError(() => parsePaymentFile(text, 'p.json'), { code: 'E_PAYMENT_FILE', exitCode: 2, message });
  });
});
