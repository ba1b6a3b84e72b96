/**
 * RS-04: RFC 9068 §4 "Resource servers … MUST verify that the typ header value is at+jwt or
 * application/at+jwt and reject tokens carrying any other value" (explicit typing, RFC 8725 §3.11):
 * an ID token or a DPoP proof is never an access token.
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const atTyp: RsCheck = {
  id: 'RS-04',
  name: 'at-typ',
  cite: 'RFC 9068 §2.1, §4; RFC 8725 §3.11',
  run(_req, st) {
    const typ = st.decoded?.header.typ;
    const t = typeof typ === 'string' ? typ.toLowerCase() : undefined;
    if (t !== 'at+jwt' && t !== 'application/at+jwt')
      throw new RsError(
        401,
        st.scheme ?? 'both',
        'invalid_token',
        'RS-04',
        `the access token typ is ${JSON.stringify(typ)}; an RFC 9068 access token has typ "at+jwt"`,
      );
  },
};
