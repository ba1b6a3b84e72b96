/**
 * Client signing keys on node:crypto (never pure JavaScript): ES256 (P-256), PS256 (RSA, at least
 * 2048 bits) and EdDSA (Ed25519), the algorithms FAPI 2.0 permits (FAPI2-SP §5.4.1). The `kid`
 * defaults to the RFC 7638 thumbprint (CL-24). Also imports existing keys from JWK or PEM, with
 * the same strength rules.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { FapiError, usageError } from '../errors.js';
import {
  JwkError,
  algMatchesKey,
  assertFapiKeyStrength,
  fapiAlgForJwk,
  hasPrivateMembers,
  jwkThumbprint,
  publicJwk,
  type Jwk,
} from '../core/jwk.js';
import { FAPI_ALGS, type FapiAlg } from '../core/fapi.js';

export type KeyAlg = FapiAlg;

/** A signing key pair, with its public and private JWKs (the public API's KeyPair). */
export interface GeneratedKey {
  alg: KeyAlg;
  /** The key ID: the RFC 7638 thumbprint unless given. */
  kid: string;
  /** RFC 7638 JWK SHA-256 thumbprint (base64url). */
  thumbprint: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Private JWK with `kid`, `alg` and `use: "sig"`: keep it secret. */
  privateJwk: Jwk;
  /** The public JWK (`kid`, `alg`, `use`), ready for a `jwks` or a `jwks_uri`. */
  publicJwk: Jwk;
}

export const DEFAULT_RSA_BITS = 3072;
/** FAPI2-SP §5.4.1-2: RSA keys of at least 2048 bits. */
export const MIN_RSA_BITS = 2048;
/** Above this, generation takes minutes and no server expects it. */
export const MAX_RSA_BITS = 16384;

const generate = promisify(generateKeyPair);

/** Field sizes of the curves OpenSSL names, to explain a refusal. */
const EC_CURVE_BITS: Record<string, number> = {
  prime192v1: 192,
  secp192k1: 192,
  secp224r1: 224,
  secp224k1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
};

/** Checks `alg` names a FAPI 2.0 signing algorithm; a usage error naming --alg otherwise. */
export function checkAlg(alg: unknown): KeyAlg {
  if (typeof alg === 'string' && (FAPI_ALGS as readonly string[]).includes(alg)) return alg as KeyAlg;
  const a = String(alg);
  const why = /^(RS|HS)\d+$/i.test(a)
    ? `${a} is not allowed by FAPI 2.0, which permits only PS256, ES256 and EdDSA (FAPI2-SP §5.4.1-1).`
    : `Unknown signing algorithm ${JSON.stringify(a)}.`;
  const hint = /^RS/i.test(a)
    ? 'For an RSA key use --alg PS256 (RSASSA-PSS).'
    : 'Use --alg ES256 (default), PS256 or EdDSA.';
  throw usageError('E_ALG', why, hint, { flag: '--alg', value: a });
}

/** Checks an RSA modulus length; a usage error naming --bits otherwise. */
export function checkRsaBits(bits: unknown): number {
  const n = typeof bits === 'string' && /^\d+$/.test(bits.trim()) ? Number(bits) : bits;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw usageError(
      'E_BITS',
      `--bits ${String(bits)} is not a whole number.`,
      'Use --bits 2048, 3072 or 4096.',
      {
        flag: '--bits',
      },
    );
  }
  if (n < MIN_RSA_BITS) {
    throw usageError(
      'E_BITS',
      `--bits ${n}: FAPI 2.0 requires RSA keys of at least ${MIN_RSA_BITS} bits (FAPI2-SP §5.4.1-2).`,
      'Use --bits 2048 or more (default 3072), or --alg ES256.',
      { flag: '--bits' },
    );
  }
  if (n > MAX_RSA_BITS || n % 8 !== 0) {
    throw usageError(
      'E_BITS',
      `--bits ${n} is not a usable RSA size (a multiple of 8, at most ${MAX_RSA_BITS}).`,
      'Use --bits 2048, 3072 or 4096.',
      { flag: '--bits' },
    );
  }
  return n;
}

function checkKid(kid: string): string {
  // eslint-disable-next-line no-control-regex
  if (kid.length === 0 || kid.length > 256 || /[\u0000-\u001f\u007f]/.test(kid)) {
    throw usageError(
      'E_KID',
      `--kid must be 1 to 256 printable characters.`,
      'Omit --kid to use the RFC 7638 thumbprint.',
      { flag: '--kid' },
    );
  }
  return kid;
}

/** Generates a signing key for `alg` with node:crypto. */
export async function generateSigningKey(
  alg: KeyAlg,
  opts: { bits?: number; kid?: string } = {},
): Promise<GeneratedKey> {
  const a = checkAlg(alg);
  if (opts.bits !== undefined && a !== 'PS256') {
    throw usageError('E_BITS', `--bits only applies to RSA keys (--alg PS256), not ${a}.`, 'Drop --bits.', {
      flag: '--bits',
    });
  }
  if (opts.kid !== undefined) checkKid(opts.kid);
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  switch (a) {
    case 'ES256':
      pair = await generate('ec', { namedCurve: 'P-256' });
      break;
    case 'PS256':
      pair = await generate('rsa', {
        modulusLength: checkRsaBits(opts.bits ?? DEFAULT_RSA_BITS),
        publicExponent: 0x10001,
      });
      break;
    case 'EdDSA':
      pair = await generate('ed25519', {});
      break;
  }
  return fromKeyObjects(pair.privateKey, pair.publicKey, a, opts.kid);
}

function fromKeyObjects(
  privateKey: KeyObject,
  publicKey: KeyObject,
  alg: KeyAlg,
  kid?: string,
): GeneratedKey {
  const raw = privateKey.export({ format: 'jwk' }) as Jwk;
  const thumbprint = jwkThumbprint(raw);
  const privateJwk: Jwk = { ...raw, kid: kid ?? thumbprint, alg, use: 'sig' };
  return {
    alg,
    kid: privateJwk.kid as string,
    thumbprint,
    privateKey,
    publicKey,
    privateJwk,
    publicJwk: publicJwk(privateJwk),
  };
}

function invalidKey(
  source: string | undefined,
  why: string,
  hint: string,
  cause?: unknown,
  what = 'key',
): FapiError {
  return new FapiError('E_KEY_INVALID', `The ${what}${source ? ` ${source}` : ''} ${why}`, {
    kind: 'localState',
    hint,
    cause,
    details: source ? { file: source } : undefined,
  });
}

export interface ImportOptions {
  /** Where the key came from (a file path), used in error messages. */
  source?: string;
  /** Overrides the key's own kid. */
  kid?: string;
}

function fromPrivateKeyObject(
  privateKey: KeyObject,
  jwkAlg: unknown,
  kid: string | undefined,
  source?: string,
) {
  if (privateKey.asymmetricKeyType === 'rsa-pss') {
    throw invalidKey(
      source,
      'is an RSA-PSS-restricted key, which cannot be used as a JWK.',
      'Use a plain RSA key (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072`), or `fapi keygen --alg PS256`.',
    );
  }
  if (privateKey.asymmetricKeyType === 'ec') {
    const curve = String(privateKey.asymmetricKeyDetails?.namedCurve);
    if (curve !== 'prime256v1') {
      const bits = EC_CURVE_BITS[curve];
      throw invalidKey(
        source,
        bits !== undefined && bits < 224
          ? `is an EC key on ${curve} (${bits} bits): FAPI 2.0 requires at least 224 bits (FAPI2-SP §5.4.1-3).`
          : `is an EC key on ${curve}; ES256 needs P-256 (prime256v1).`,
        'Use an EC P-256 key (`fapi keygen --alg ES256`).',
      );
    }
  }
  let raw: Jwk;
  try {
    raw = privateKey.export({ format: 'jwk' }) as Jwk;
  } catch (cause) {
    throw invalidKey(
      source,
      `has a type fapi cannot use (${String(privateKey.asymmetricKeyType)}).`,
      'Use an EC P-256, RSA (2048 bits or more) or Ed25519 key.',
      cause,
    );
  }
  let alg: KeyAlg;
  try {
    // FAPI2-SP §5.4.1-2/3: RSA ≥ 2048 bits, EC ≥ 224 bits; ES256 needs P-256.
    assertFapiKeyStrength(raw);
    alg = fapiAlgForJwk(raw);
  } catch (cause) {
    if (cause instanceof JwkError) {
      throw invalidKey(
        source,
        `is not allowed: ${cause.message}.`,
        'Use an EC P-256, RSA (2048 bits or more) or Ed25519 key.',
        cause,
      );
    }
    throw cause;
  }
  if (jwkAlg !== undefined && (typeof jwkAlg !== 'string' || !algMatchesKey(jwkAlg, raw))) {
    throw invalidKey(
      source,
      `says "alg": ${JSON.stringify(jwkAlg)}, which FAPI 2.0 does not allow for this key (use ${alg}).`,
      `Set "alg" to "${alg}" or remove it.`,
    );
  }
  if (kid !== undefined) checkKid(kid);
  return fromKeyObjects(privateKey, createPublicKey(privateKey), alg, kid);
}

/** Imports a private JWK (EC P-256, RSA ≥ 2048, Ed25519), keeping its kid unless one is given. */
export function keyFromPrivateJwk(jwk: unknown, opts: ImportOptions = {}): GeneratedKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || typeof (jwk as Jwk).kty !== 'string') {
    throw invalidKey(
      opts.source,
      'is not a JWK (a JSON object with "kty").',
      'Pass a private JWK, or a PEM key.',
    );
  }
  const j = jwk as Jwk;
  if (!hasPrivateMembers(j) || typeof j.d !== 'string') {
    throw invalidKey(
      opts.source,
      'is a public JWK; fapi needs the private key ("d").',
      'Pass the private JWK.',
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: j as JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw invalidKey(
      opts.source,
      `cannot be imported: ${(cause as Error).message}.`,
      'Check the JWK members.',
      cause,
    );
  }
  const kid = opts.kid ?? (typeof j.kid === 'string' && j.kid ? j.kid : undefined);
  const key = fromPrivateKeyObject(privateKey, j.alg, kid, opts.source);
  if (Array.isArray(j.x5c)) {
    key.privateJwk.x5c = j.x5c;
    key.publicJwk.x5c = j.x5c;
  }
  return key;
}

/** Imports a PEM private key (PKCS#8, PKCS#1 or SEC1), unencrypted. */
export function keyFromPem(pem: string, opts: ImportOptions = {}): GeneratedKey {
  return fromPrivateKeyObject(readPemPrivateKey(pem, opts.source), undefined, opts.kid, opts.source);
}

/** Parses a PEM private key of any type (used for CA keys too, whose curves FAPI does not restrict). */
export function readPemPrivateKey(pem: string, source?: string, what = 'key'): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw invalidKey(
      source,
      'is encrypted with a passphrase.',
      'Decrypt it first: `openssl pkey -in KEY -out key.pem` (keep the result private, mode 0600).',
      undefined,
      what,
    );
  }
  if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(pem)) {
    throw invalidKey(
      source,
      /-----BEGIN (?:PUBLIC KEY|CERTIFICATE)-----/.test(pem)
        ? 'holds no private key (it is a public key or a certificate).'
        : 'is not a PEM private key.',
      'Pass a PEM file with a "BEGIN PRIVATE KEY" block.',
      undefined,
      what,
    );
  }
  try {
    return createPrivateKey(pem);
  } catch (cause) {
    throw invalidKey(
      source,
      `cannot be read: ${(cause as Error).message}.`,
      'Check the PEM file.',
      cause,
      what,
    );
  }
}

/** PKCS#8 PEM of a private key, SPKI PEM of a public key. */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}
export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}
