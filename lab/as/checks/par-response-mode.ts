import { invalidRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';
import { RESPONSE_MODES } from '../discovery.js';

/**
 * MS-08: the response modes the lab offers. Without `response_mode` (or with `query`) the response
 * is the plain query of RFC 6749 §4.1.2 with `iss` (RFC 9207). `jwt` and `query.jwt` ask for a
 * signed JARM response in the query (JARM §2.3.1, §2.3.4: `jwt` means `query.jwt` for code;
 * FAPI2-MS §5.4). Any other mode (fragment, form_post, their .jwt forms) is refused.
 */
export const parResponseMode = defineCheck<ParExchange>({
  id: 'MS-08',
  name: 'par-response-mode-query-or-jwt',
  spec: 'JARM §2.3; FAPI2-MS §5.4.1; OAuth 2.0 Multiple Response Types §2.1',
  run(s) {
    const mode = s.form.get('response_mode');
    if (mode === undefined) return 'skip';
    if (!(RESPONSE_MODES as readonly string[]).includes(mode))
      throw invalidRequest(
        `response_mode ${JSON.stringify(mode)} is not supported: this lab answers in the query (query) or with a signed JARM response (jwt or query.jwt)`,
      );
    if (mode !== 'query') s.responseMode = 'jwt';
  },
});
