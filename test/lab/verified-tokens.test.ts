/** The RS's memory of verified access tokens (lab/rs/verified-tokens.ts): expiry and bound. */
import { describe, expect, it } from 'vitest';
import type { DecodedJws } from '../../src/core/jws.js';
import { VerifiedTokens } from '../../lab/rs/verified-tokens.js';

const decoded = (exp: unknown): DecodedJws => ({
  header: { alg: 'ES256' },
  payload: { exp },
  signingInput: 'h.p',
  signature: Buffer.alloc(0),
});

describe('VerifiedTokens', () => {
  it('returns a remembered token until its exp, then forgets it', () => {
    const v = new VerifiedTokens();
    v.add('t1', decoded(100));
    expect(v.get('t1', 99)?.payload.exp).toBe(100);
    expect(v.get('t2', 99)).toBeUndefined();
    expect(v.get('t1', 100)).toBeUndefined();
    expect(v.size).toBe(0);
  });
  it('never serves a token without a numeric exp', () => {
    const v = new VerifiedTokens();
    v.add('t1', decoded('100'));
    expect(v.get('t1', 1)).toBeUndefined();
  });
  it('stays bounded: the oldest entry goes first', () => {
    const v = new VerifiedTokens(3);
    for (const t of ['a', 'b', 'c', 'd']) v.add(t, decoded(1000));
    expect(v.size).toBe(3);
    expect(v.get('a', 1)).toBeUndefined();
    expect(v.get('d', 1)).toBeDefined();
  });
});
