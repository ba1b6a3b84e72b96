/**
 * RS-02 (LAB): never accept an access token in a form-encoded body (RFC 6750 §2.2). FAPI2-SP
 * §5.3.4-1 only allows the Authorization header; the lab refuses the body method too.
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const noTokenInBody: RsCheck = {
  id: 'RS-02',
  name: 'no-token-in-body',
  cite: 'FAPI2-SP §5.3.4-1; RFC 6750 §2.2',
  run(req) {
    const body = req.body as { has?: unknown } | undefined;
    // A parsed form (URLSearchParams or the lab's Form) has has(); JSON bodies are not RFC 6750 §2.2.
    if (body && typeof body.has === 'function' && (body as { has(n: string): boolean }).has('access_token'))
      throw new RsError(
        400,
        'both',
        'invalid_request',
        'RS-02',
        'access tokens in the request body are refused: send it in the Authorization header',
      );
  },
};
