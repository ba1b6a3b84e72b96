import { isValidS256Challenge } from '../../../src/core/pkce.js';
import { invalidRequest } from '../../errors.js';
import { defineCheck, type AsExchange } from '../check.js';

/**
 * PAR-11: PKCE is required, with S256 (FAPI2-SP §5.3.2.2-5; RFC 7636 §4.3). A missing
 * code_challenge_method means "plain" (RFC 7636 §4.3) and is refused too.
 */
export const parPkce = defineCheck<AsExchange>({
  id: 'PAR-11',
  name: 'par-requires-pkce-s256',
  spec: 'FAPI2-SP §5.3.2.2-5; RFC 7636 §4.3',
  run({ form, ctx }) {
    const challenge = form.get('code_challenge');
    const method = form.get('code_challenge_method');
    // Relaxation no-pkce (for `fapi lab attack`): a request without any PKCE is accepted.
    if (challenge === undefined && method === undefined && ctx.relaxed('no-pkce')) return;
    if (challenge === undefined)
      throw invalidRequest(
        'code_challenge is required: FAPI 2.0 requires PKCE with S256 (FAPI2-SP §5.3.2.2-5)',
      );
    const plainAllowed = ctx.relaxed('plain-pkce');
    if (method === undefined)
      throw invalidRequest(
        'code_challenge_method is missing, which means "plain" (RFC 7636 §4.3): send code_challenge_method=S256',
      );
    if (method === 'plain' && plainAllowed) {
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(challenge))
        throw invalidRequest(
          'a plain code_challenge must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)',
        );
      return;
    }
    if (method !== 'S256')
      throw invalidRequest(
        `code_challenge_method ${JSON.stringify(method)} is not allowed: use S256 (FAPI2-SP §5.3.2.2-5)`,
      );
    if (!isValidS256Challenge(challenge))
      throw invalidRequest(
        'code_challenge must be 43 base64url characters: BASE64URL(SHA256(code_verifier))',
      );
  },
});
