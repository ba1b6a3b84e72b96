import { timingSafeEqual } from 'node:crypto';
import { LabError } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { RegistrationExchange } from '../registration.js';

/** A Bearer token from the Authorization header (RFC 6750 §2.1), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const m = authorization?.match(/^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i);
  return m ? m[1] : undefined;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** RFC 6750 §3: 401 with a Bearer challenge, and no client data in the body. */
export const invalidToken = (description: string, check: string) =>
  new LabError(401, 'invalid_token', description, {
    check,
    headers: {
      'www-authenticate': `Bearer realm="fapi-lab", error="invalid_token", error_description="${description.replace(/["\\]/g, '')}"`,
    },
  });

/**
 * REG-13: with --registration-token, registration needs that initial access token as a Bearer
 * token (RFC 7591 §3). Without it, registration is open (the lab's default).
 */
export const regInitialAccessToken = defineCheck<RegistrationExchange>({
  id: 'REG-13',
  name: 'registration-initial-access-token',
  spec: 'RFC 7591 §3',
  run(s) {
    const expected = s.ctx.config.registrationToken;
    if (!expected) return 'skip';
    const given = bearerToken(s.req.headers.authorization);
    if (!given || !sameSecret(given, expected))
      throw invalidToken(
        given
          ? 'the initial access token is not valid'
          : 'this lab requires an initial access token to register (Authorization: Bearer ...)',
        'REG-13',
      );
  },
});
