/** PKCE (RFC 7636) with S256 only (FAPI2-SP §5.3.2.2-5, §5.3.3.2-3). */
import { createHash, timingSafeEqual } from 'node:crypto';
import { randomToken } from './random.js';

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** A fresh verifier from 32 random bytes (256 bits), base64url: 43 characters (CL-09). */
export function createCodeVerifier(): string {
  return randomToken(32);
}

export function isValidCodeVerifier(v: unknown): v is string {
  return typeof v === 'string' && VERIFIER.test(v);
}

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A valid S256 challenge is 43 base64url characters (a SHA-256 digest). */
export function isValidS256Challenge(c: unknown): c is string {
  return typeof c === 'string' && /^[A-Za-z0-9_-]{43}$/.test(c);
}

/** RFC 7636 §4.6, in constant time. */
export function verifyCodeVerifierS256(verifier: string, challenge: string): boolean {
  if (!isValidCodeVerifier(verifier)) return false;
  const a = Buffer.from(codeChallengeS256(verifier));
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}
