/**
 * Server DPoP nonces (RFC 9449 §8, §9): stateless, HMAC over a time window, rotating every
 * `rotateSeconds`; the current and the previous window are accepted so a nonce handed out just
 * before a rotation still works once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface NonceSource {
  current(): string;
  isValid(nonce: string): boolean;
}

export function createNonceSource(o: {
  rotateSeconds: number;
  now: () => number;
  secret?: Buffer;
}): NonceSource {
  const secret = o.secret ?? randomBytes(32);
  const mac = (window: number) =>
    createHmac('sha256', secret).update(String(window)).digest().subarray(0, 18).toString('base64url');
  const windowOf = () => Math.floor(o.now() / o.rotateSeconds);
  let cachedWindow = -1;
  let cached = '';
  return {
    current() {
      const w = windowOf();
      if (w !== cachedWindow) {
        cachedWindow = w;
        cached = mac(w);
      }
      return cached;
    },
    isValid(nonce: string) {
      if (typeof nonce !== 'string' || nonce.length !== 24) return false;
      const w = windowOf();
      const given = Buffer.from(nonce);
      for (const candidate of [w, w - 1]) {
        const expected = Buffer.from(candidate === cachedWindow ? cached : mac(candidate));
        if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
      }
      return false;
    },
  };
}
