import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import {
  codeChallengeS256,
  createCodeVerifier,
  isValidCodeVerifier,
  verifyCodeVerifierS256,
} from '../../../src/core/pkce.js';
import {
  assertFapiKeyStrength,
  importPublicJwk,
  jwkThumbprint,
  publicJwk,
  rsaBits,
  type Jwk,
} from '../../../src/core/jwk.js';
import { createNonceSource } from '../../../src/core/nonce.js';

describe('PKCE (RFC 7636)', () => {
  it('matches the RFC 7636 Appendix B example', () => {
    expect(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });
  it('CL-09: verifiers are 43 chars from 32 random bytes, unique, and verify', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const v = createCodeVerifier();
      expect(v).toHaveLength(43);
      expect(isValidCodeVerifier(v)).toBe(true);
      seen.add(v);
      expect(verifyCodeVerifierS256(v, codeChallengeS256(v))).toBe(true);
    }
    expect(seen.size).toBe(100);
    expect(verifyCodeVerifierS256(createCodeVerifier(), codeChallengeS256(createCodeVerifier()))).toBe(false);
    expect(verifyCodeVerifierS256('short', codeChallengeS256('short'))).toBe(false);
  });
});

describe('JWK', () => {
  it('thumbprint equals the RFC 7638 §3.1 example and jose', async () => {
    const rfc: Jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(rfc)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    for (const kp of [generateKeyPairSync('ec', { namedCurve: 'P-256' }), generateKeyPairSync('ed25519')]) {
      const j = kp.publicKey.export({ format: 'jwk' }) as Jwk;
      expect(jwkThumbprint(j)).toBe(await jose.calculateJwkThumbprint(j as jose.JWK));
    }
  });
  it('CR-04/CR-05: refuses RSA < 2048 and unknown curves; strips private members', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      format: 'jwk',
    }) as Jwk;
    expect(rsaBits(small)).toBe(1024);
    expect(() => assertFapiKeyStrength(small)).toThrow(/2048/);
    expect(() => assertFapiKeyStrength({ kty: 'EC', crv: 'secp192r1' })).toThrow();
    const priv = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    }) as Jwk;
    expect(publicJwk(priv).d).toBeUndefined();
  });
});

describe('DPoP nonces', () => {
  it('rotate, accept the previous window, refuse others', () => {
    let t = 1000;
    const s = createNonceSource({ rotateSeconds: 60, now: () => t });
    const n1 = s.current();
    expect(s.isValid(n1)).toBe(true);
    t += 60;
    const n2 = s.current();
    expect(n2).not.toBe(n1);
    expect(s.isValid(n1)).toBe(true);
    t += 60;
    expect(s.isValid(n1)).toBe(false);
    expect(s.isValid('x'.repeat(24))).toBe(false);
  });
});

describe('importPublicJwk caches', () => {
  it('returns the same KeyObject for the same JWK object, for an equal JWK, and for a given thumbprint', () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Jwk;
    const k1 = importPublicJwk(jwk);
    expect(importPublicJwk(jwk)).toBe(k1);
    expect(importPublicJwk({ ...jwk })).toBe(k1);
    expect(importPublicJwk({ ...jwk }, jwkThumbprint(jwk))).toBe(k1);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'jwk',
    }) as Jwk;
    expect(importPublicJwk(other)).not.toBe(k1);
  });
});
