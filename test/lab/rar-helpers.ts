/** Authorization details used by the RAR tests (RFC 9396 §2 shapes, the lab's sample accounts). */
import type { AuthorizationDetail } from '../../src/core/authorization-details.js';

/** Pay 10.00 EUR to Bob Example (RFC 9396 §2 Figure 2's shape). */
export const PAY_BOB: AuthorizationDetail = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '10.00' },
  creditorName: 'Bob Example',
  creditorAccount: { iban: 'DE02100100109307118603' },
  remittanceInformationUnstructured: 'Invoice 42',
};

/** Read alice's two accounts and their balances. */
export const READ_ACCOUNTS: AuthorizationDetail = {
  type: 'account_information',
  actions: ['list_accounts', 'read_balances'],
  accounts: [{ iban: 'DE89370400440532013000' }, { iban: 'DE02120300000000202051' }],
};
