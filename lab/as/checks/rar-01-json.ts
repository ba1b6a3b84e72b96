import {
  parseAuthorizationDetails,
  type AuthorizationDetail,
} from '../../../src/core/authorization-details.js';
import { defineCheck, type AsExchange } from '../check.js';
import { labRar, rarRule } from '../rar.js';

/** What the RAR checks read and set (PAR, the front-channel request of no-par, client credentials). */
export type RarExchange = AsExchange & { authorizationDetails?: AuthorizationDetail[] };

/**
 * RAR-01: `authorization_details`, when sent, is a JSON array of objects each with a string `type`,
 * within the lab's limits (16 KiB, 10 details, 6 levels of nesting): anything else is 400
 * invalid_authorization_details naming the problem (RFC 9396 §2, §5).
 */
export const rarJson = defineCheck<RarExchange>({
  id: 'RAR-01',
  name: 'authorization-details-json-array',
  spec: 'RFC 9396 §2, §5',
  run(s) {
    const text = s.form.get('authorization_details');
    if (text === undefined) return 'skip';
    s.authorizationDetails = rarRule(() => parseAuthorizationDetails(text, labRar().limits));
  },
});
