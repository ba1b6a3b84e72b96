/**
 * JWK helpers shared by the CLI and the lab: RFC 7638 thumbprints, public-only JWKs, FAPI key
 * strength rules (FAPI2-SP §5.4.1: RSA ≥ 2048 bits, EC ≥ 224 bits; algorithms PS256, ES256,
 * EdDSA), and a cache of imported public keys so a hot path never re-imports the same JWK.
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

import type { FapiAlg } from './fapi.js';

export interface Jwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  d?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  x5c?: string[];
  'x5t#S256'?: string;
  [other: string]: unknown;
}

export interface Jwks {
  keys: Jwk[];
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export function b64url(buf: Uint8Array): string {
  return Buffer.from(buf).toString('base64url');
}

export function sha256b64url(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url');
}

/** RFC 7638 §3: SHA-256 over the required members in lexicographic order, base64url. */
export function jwkThumbprint(jwk: Jwk): string {
  let canonical: string;
  switch (jwk.kty) {
    case 'EC':
      canonical = `{"crv":${JSON.stringify(jwk.crv)},"kty":"EC","x":${JSON.stringify(jwk.x)},"y":${JSON.stringify(jwk.y)}}`;
      break;
    case 'RSA':
      canonical = `{"e":${JSON.stringify(jwk.e)},"kty":"RSA","n":${JSON.stringify(jwk.n)}}`;
      break;
    case 'OKP':
      canonical = `{"crv":${JSON.stringify(jwk.crv)},"kty":"OKP","x":${JSON.stringify(jwk.x)}}`;
      break;
    default:
      throw new JwkError(`unsupported kty ${JSON.stringify(jwk.kty)}`);
  }
  return sha256b64url(canonical);
}

export function hasPrivateMembers(jwk: Jwk): boolean {
  return PRIVATE_MEMBERS.some((m) => jwk[m] !== undefined);
}

/** The public part of a JWK (no d/p/q/dp/dq/qi/oth/k), keeping kid/alg/use/x5c. */
export function publicJwk(jwk: Jwk): Jwk {
  const out: Jwk = { kty: jwk.kty };
  for (const [k, v] of Object.entries(jwk)) if (!PRIVATE_MEMBERS.includes(k) && v !== undefined) out[k] = v;
  return out;
}

export class JwkError extends Error {
  override name = 'JwkError';
}

/** RSA modulus length in bits from the JWK's `n`. */
export function rsaBits(jwk: Jwk): number {
  const n = Buffer.from(jwk.n ?? '', 'base64url');
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i >= n.length) return 0;
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i] as number));
}

const EC_BITS: Record<string, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };

/**
 * Throws a JwkError when the key is not allowed by FAPI 2.0: RSA under 2048 bits
 * (FAPI2-SP §5.4.1-2), EC under 224 bits or an unknown curve (§5.4.1-3), or a kty/crv with no
 * FAPI algorithm.
 */
export function assertFapiKeyStrength(jwk: Jwk): void {
  if (jwk.kty === 'RSA') {
    const bits = rsaBits(jwk);
    if (bits < 2048)
      throw new JwkError(`RSA key of ${bits} bits: FAPI 2.0 requires at least 2048 (FAPI2-SP §5.4.1-2)`);
    return;
  }
  if (jwk.kty === 'EC') {
    const bits = EC_BITS[jwk.crv ?? ''];
    if (!bits) throw new JwkError(`EC curve ${JSON.stringify(jwk.crv)} is not supported (P-256 for ES256)`);
    if (bits < 224)
      throw new JwkError(`EC key of ${bits} bits: FAPI 2.0 requires at least 224 (FAPI2-SP §5.4.1-3)`);
    return;
  }
  if (jwk.kty === 'OKP') {
    if (jwk.crv !== 'Ed25519')
      throw new JwkError(`OKP curve ${JSON.stringify(jwk.crv)} is not allowed (Ed25519 for EdDSA)`);
    return;
  }
  throw new JwkError(`key type ${JSON.stringify(jwk.kty)} is not allowed by FAPI 2.0 (RSA, EC or OKP only)`);
}

/** The FAPI algorithm a key is used with. */
export function fapiAlgForJwk(jwk: Jwk): FapiAlg {
  if (jwk.kty === 'RSA') return 'PS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  throw new JwkError(`no FAPI algorithm for kty ${JSON.stringify(jwk.kty)} crv ${JSON.stringify(jwk.crv)}`);
}

/** True when `alg` can be used with this key (EdDSA and Ed25519 both name Ed25519, RFC 9864). */
export function algMatchesKey(alg: string, jwk: Jwk): boolean {
  switch (alg) {
    case 'PS256':
      return jwk.kty === 'RSA';
    case 'ES256':
      return jwk.kty === 'EC' && jwk.crv === 'P-256';
    case 'EdDSA':
    case 'Ed25519':
      return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
    default:
      return false;
  }
}

const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_MAX = 10_000;
/**
 * Long-lived JWK objects (a registered client's keys) mapped to their KeyObject by identity, so a
 * hot path does not even hash them again. JWKs are never mutated after they are stored.
 */
const byObject = new WeakMap<Jwk, KeyObject>();

/**
 * Imports a public JWK as a KeyObject, cached by thumbprint (bounded). Pass the thumbprint when the
 * caller already computed it for a JWK it got with this request (a DPoP proof's header jwk), so it
 * is hashed once; such one-off objects are not remembered by identity. Long-lived JWKs (a
 * registered client's keys) are called without one and remembered by identity.
 */
export function importPublicJwk(jwk: Jwk, thumbprint?: string): KeyObject {
  const oneOff = thumbprint !== undefined;
  const same = oneOff ? undefined : byObject.get(jwk);
  if (same) return same;
  const tp = thumbprint ?? jwkThumbprint(jwk);
  const cached = keyCache.get(tp);
  if (cached) {
    if (!oneOff) byObject.set(jwk, cached);
    return cached;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicJwk(jwk) as JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw new JwkError(`the JWK cannot be imported: ${(cause as Error).message}`);
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(tp, key);
  if (!oneOff) byObject.set(jwk, key);
  return key;
}
