/** RS-04: `iss` is the lab's issuer identifier, exactly (RFC 9068 §4; RFC 8414 §2). */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const atIss: RsCheck = {
  id: 'RS-04',
  name: 'at-iss',
  cite: 'RFC 9068 §4',
  run(_req, st, ctx) {
    if (st.claims?.iss !== ctx.issuer)
      throw new RsError(
        401,
        st.scheme ?? 'both',
        'invalid_token',
        'RS-04',
        `the access token iss ${JSON.stringify(st.claims?.iss)} is not this lab's issuer`,
      );
  },
};
