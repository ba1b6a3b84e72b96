import {
  AuthorizationDetailsError,
  checkDetailsSchema,
  detailsWithin,
  parseAuthorizationDetails,
} from '../../../src/core/authorization-details.js';
import { defineCheck } from '../check.js';
import { labRar, rarRefusal, rarRule } from '../rar.js';
import type { TokenExchange } from '../token.js';

/**
 * RAR-06: a token request (authorization_code, refresh_token) may name `authorization_details` to
 * get a token for fewer of them; each must be covered by the grant's (RFC 9396 §6, §6.1: narrow,
 * never widen; the grant itself is unchanged). Without the parameter the token carries the grant's
 * details (§7).
 */
export const rarWithinGrant = defineCheck<TokenExchange>({
  id: 'RAR-06',
  name: 'token-authorization-details-within-grant',
  spec: 'RFC 9396 §6, §6.1, §7',
  run(s) {
    const granted =
      s.code?.authorizationDetails ??
      (s.refresh ? s.ctx.grants.activeGrant(s.refresh.grantId)?.authorizationDetails : undefined);
    const text = s.form.get('authorization_details');
    if (text === undefined) {
      if (!granted) return 'skip';
      s.authorizationDetails = granted;
      return;
    }
    const requested = rarRule(() => {
      const d = parseAuthorizationDetails(text, labRar().limits);
      checkDetailsSchema(d, labRar().schema);
      return d;
    });
    const problem = granted
      ? detailsWithin(requested, granted)
      : 'this grant has no authorization details; a token request cannot add any (RFC 9396 §6)';
    if (problem) throw rarRefusal(new AuthorizationDetailsError('RAR-06', problem));
    s.authorizationDetails = requested;
  },
});
