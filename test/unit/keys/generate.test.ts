/** CL-24: signing keys for FAPI 2.0 (ES256, PS256 ≥ 2048, EdDSA), kid = RFC 7638 thumbprint. */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, type Jwk } from '../../../src/core/jwk.js';
import { decodeJws, signJws, verifyJwsSignature } from '../../../src/core/jws.js';
import {
  checkAlg,
  generateSigningKey,
  keyFromPem,
  keyFromPrivateJwk,
  privateKeyPem,
  type KeyAlg,
} from '../../../src/keys/generate.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

describe('CL-24 generateSigningKey', () => {
  const cases: [KeyAlg, Record<string, unknown>][] = [
    ['ES256', { kty: 'EC', crv: 'P-256' }],
    ['PS256', { kty: 'RSA', e: 'AQAB' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ];
  for (const [alg, shape] of cases) {
    it(`${alg}: JWKs carry kid = RFC 7638 thumbprint (same as jose), alg and use; the public JWK has no private members`, async () => {
      const key = await generateSigningKey(alg, alg === 'PS256' ? { bits: 2048 } : {});
      expect(key.alg).toBe(alg);
      expect(key.privateJwk).toMatchObject({ ...shape, alg, use: 'sig', kid: key.thumbprint });
      expect(key.kid).toBe(key.thumbprint);
      expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk as never, 'sha256'));
      expect(key.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const m of PRIVATE) expect(key.publicJwk).not.toHaveProperty(m);
      expect(key.privateJwk.d).toEqual(expect.any(String));
      expect(key.privateKey.type).toBe('private');
      expect(key.publicKey.type).toBe('public');
      // The key signs and verifies a JWS with its algorithm.
      const jws = signJws({ kid: key.kid }, { hello: 'fapi' }, key.privateKey, alg);
      expect(verifyJwsSignature(decodeJws(jws), alg, key.publicKey)).toBe(true);
    });
  }

  it('PS256 defaults to 3072 bits and honours --bits 2048', async () => {
    const small = await generateSigningKey('PS256', { bits: 2048 });
    expect(small.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(small.privateKey.asymmetricKeyDetails?.publicExponent).toBe(65537n);
  });

  it('uses a given kid', async () => {
    const key = await generateSigningKey('ES256', { kid: 'client-2025' });
    expect(key.kid).toBe('client-2025');
    expect(key.privateJwk.kid).toBe('client-2025');
    expect(key.publicJwk.kid).toBe('client-2025');
    expect(key.thumbprint).not.toBe('client-2025');
  });

  it('refuses RS256, HS256, none and unknown algorithms as usage errors naming --alg', async () => {
    for (const alg of ['RS256', 'HS256', 'none', 'ES384', 'es256x']) {
      const e = await expectFapiError(generateSigningKey(alg as KeyAlg));
      expect(e.exitCode).toBe(2);
      expect(e.code).toBe('E_ALG');
      expect(e.details).toMatchObject({ flag: '--alg' });
    }
    const rs = expectFapiError(() => checkAlg('RS256'));
    expect(rs.message).toContain('not allowed by FAPI 2.0');
    expect(rs.hint).toContain('PS256');
  });

  it('refuses RSA under 2048 bits, odd sizes, and --bits for non-RSA keys (exit 2, naming --bits)', async () => {
    for (const bits of [1024, 2047, 512, 100_000]) {
      const e = await expectFapiError(generateSigningKey('PS256', { bits }));
      expect(e.exitCode).toBe(2);
      expect(e.details).toMatchObject({ flag: '--bits' });
    }
    const e = await expectFapiError(generateSigningKey('ES256', { bits: 2048 }));
    expect(e.message).toContain('--bits only applies');
    const k = await expectFapiError(generateSigningKey('ES256', { kid: '' }));
    expect(k.details).toMatchObject({ flag: '--kid' });
  });
});

describe('CL-24 RFC 7638 §3.1 example', () => {
  it('gives NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', async () => {
    const jwk: Jwk = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
        'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h' +
        'ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(await calculateJwkThumbprint(jwk as never, 'sha256')).toBe(
      'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    );
  });
});

describe('CL-24 importing keys', () => {
  it('round-trips a private JWK, keeping kid and x5c', async () => {
    const key = await generateSigningKey('EdDSA', { kid: 'k1' });
    const back = keyFromPrivateJwk({ ...key.privateJwk, x5c: ['AAAA'] });
    expect(back.kid).toBe('k1');
    expect(back.thumbprint).toBe(key.thumbprint);
    expect(back.publicJwk.x5c).toEqual(['AAAA']);
    expect(back.publicJwk).not.toHaveProperty('d');
  });

  it('imports PKCS#8, PKCS#1 and SEC1 PEM keys', async () => {
    const ec = await generateSigningKey('ES256');
    expect(keyFromPem(privateKeyPem(ec.privateKey)).thumbprint).toBe(ec.thumbprint);
    const sec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect(keyFromPem(sec1).alg).toBe('ES256');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    expect(keyFromPem(pkcs1).alg).toBe('PS256');
  });

  it('refuses weak and non-FAPI keys as local-state errors naming the source (exit 3)', () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const e1 = expectFapiError(() => keyFromPem(privateKeyPem(rsa1024), { source: '/tmp/weak.pem' }));
    expect(e1.exitCode).toBe(3);
    expect(e1.message).toContain('/tmp/weak.pem');
    expect(e1.message).toContain('1024 bits');
    const p192 = generateKeyPairSync('ec', { namedCurve: 'prime192v1' }).privateKey;
    const e2 = expectFapiError(() => keyFromPem(privateKeyPem(p192)));
    expect(e2.message).toContain('at least 224 bits');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    expect(expectFapiError(() => keyFromPem(privateKeyPem(p384))).message).toContain('ES256 needs P-256');
    const x25519 = generateKeyPairSync('x25519').privateKey;
    expect(expectFapiError(() => keyFromPem(privateKeyPem(x25519))).exitCode).toBe(3);
  });

  it('refuses public, encrypted and non-key input, and a JWK whose alg FAPI forbids', async () => {
    const key = await generateSigningKey('PS256', { bits: 2048 });
    expect(expectFapiError(() => keyFromPrivateJwk(key.publicJwk)).message).toContain('public JWK');
    expect(expectFapiError(() => keyFromPrivateJwk({ ...key.privateJwk, alg: 'RS256' })).message).toContain(
      '"RS256"',
    );
    expect(expectFapiError(() => keyFromPrivateJwk('nope')).message).toContain('not a JWK');
    const enc = key.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'x',
    });
    expect(expectFapiError(() => keyFromPem(enc as string)).message).toContain('encrypted');
    const pub = key.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(expectFapiError(() => keyFromPem(pub)).message).toContain('holds no private key');
    expect(expectFapiError(() => keyFromPem('hello')).message).toContain('not a PEM private key');
    // A PKCS#8 PEM whose body is garbage.
    const bad = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    expect(expectFapiError(() => keyFromPem(bad)).exitCode).toBe(3);
    expect(() => createPrivateKey(bad)).toThrow();
  });
});
