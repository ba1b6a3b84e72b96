import { badRequest, invalidRequest } from '../../errors.js';
import { refreshGraceSeconds } from '../../faults.js';
import { defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/**
 * RT-11: the refresh token is live: known, not expired, not revoked (RFC 7009 §2.1). With the
 * rotate-rt relaxation a replaced token stays usable for a short retry window (RT-02,
 * FAPI2-SP §5.3.2.1 Note 1), none under the rotate-rt-no-grace fault (CL-19).
 */
export const refreshTokenValid = defineCheck<TokenExchange>({
  id: 'RT-11',
  name: 'refresh-token-live',
  spec: 'RFC 6749 §6; RFC 7009 §2.1; FAPI2-SP §5.3.2.1-9',
  run(s) {
    const token = s.form.get('refresh_token');
    if (token === undefined) throw invalidRequest('refresh_token is missing');
    const rec = s.ctx.grants.activeRefreshToken(token);
    if (!rec) throw badRequest('invalid_grant', 'the refresh token is unknown, expired or revoked');
    if (
      rec.rotatedAt !== undefined &&
      s.ctx.now() > rec.rotatedAt + refreshGraceSeconds(s.ctx.fault, s.ctx.config.refreshGraceSeconds)
    )
      throw badRequest(
        'invalid_grant',
        'the refresh token was replaced by a newer one (rotation) and its retry window has passed',
        'RT-02',
      );
    s.refresh = rec;
    s.refreshTokenValue = token;
  },
});
