/**
 * Access tokens whose signature the RS has already verified, keyed by the token string, until they
 * expire. A client calls an API many times with one token; verifying its signature once and
 * reading the cached result afterwards halves the RS's signature work (the signature checks
 * dominate an RS request: bench row 5b compares it with the crypto bound). It is sound because a
 * compact JWS string fully determines its header, payload and signature: a changed byte is a
 * different key and a miss. The rules that depend only on that string (typ, alg, crit, kid,
 * signature, iss) are thus checked once; the others (aud, exp, revocation, sender constraint)
 * still run on every request.
 * Bounded: the oldest entry is dropped at `max`, and an expired entry on lookup.
 */
import type { DecodedJws } from '../../src/core/jws.js';

export class VerifiedTokens {
  private readonly items = new Map<string, DecodedJws>();
  constructor(private readonly max = 10_000) {}

  /** The decoded token if its signature was verified before and it has not expired (`now` in epoch s). */
  get(token: string, now: number): DecodedJws | undefined {
    const hit = this.items.get(token);
    if (!hit) return undefined;
    const exp = hit.payload.exp;
    if (typeof exp !== 'number' || exp <= now) {
      this.items.delete(token);
      return undefined;
    }
    return hit;
  }

  /** Records a token whose signature has just been verified. */
  add(token: string, decoded: DecodedJws): void {
    if (this.items.size >= this.max) this.items.delete(this.items.keys().next().value as string);
    this.items.set(token, decoded);
  }

  get size(): number {
    return this.items.size;
  }
}
