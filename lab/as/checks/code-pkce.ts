import { isValidCodeVerifier, verifyCodeVerifierS256 } from '../../../src/core/pkce.js';
import { badRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/**
 * TK-06: the code_verifier matches the pushed code_challenge (RFC 7636 §4.6). A missing verifier
 * is invalid_grant. TK-07: a verifier for a code issued without a challenge is refused
 * (PKCE downgrade, RFC 9700 §4.8.2).
 */
export const codePkce = defineCheck<TokenExchange>({
  id: 'TK-06',
  name: 'code-pkce-verifier-matches',
  spec: 'RFC 7636 §4.6; FAPI2-SP §5.3.2.2-5; RFC 9700 §4.8.2',
  run(s) {
    const code = s.code!;
    const verifier = s.form.get('code_verifier');
    if (!code.codeChallenge) {
      if (verifier !== undefined)
        throw badRequest(
          'invalid_grant',
          'code_verifier sent for a code issued without code_challenge',
          'TK-07',
        );
      return;
    }
    if (verifier === undefined)
      throw badRequest('invalid_grant', 'code_verifier is missing (PKCE, RFC 7636 §4.5)');
    const ok =
      code.codeChallengeMethod === 'plain'
        ? isValidCodeVerifier(verifier) && verifier === code.codeChallenge
        : verifyCodeVerifierS256(verifier, code.codeChallenge);
    if (!ok) throw badRequest('invalid_grant', 'code_verifier does not match the code_challenge (PKCE S256)');
  },
});
