/**
 * `fapi`: the client-side building blocks a test of a FAPI 2.0 client or resource server needs,
 * as plain functions over plain data: signing keys, JWK thumbprints, PKCE pairs, client
 * assertions, DPoP proofs, and the lab resource server's own request verification. Each is the
 * code the fapi CLI and lab run themselves. Only what is named here is public; everything else in
 * the package is internal and may change.
 */
import type { KeyObject } from 'node:crypto';
import { JWT_BEARER, createClientAssertion as coreClientAssertion } from '../core/client-auth.js';
import { accessTokenHash as coreAth, createDpopProof as coreDpopProof } from '../core/dpop.js';
import { isFapiAlg, type FapiAlg } from '../core/fapi.js';
import { jwkThumbprint as coreThumbprint, type Jwk } from '../core/jwk.js';
import { codeChallengeS256, createCodeVerifier } from '../core/pkce.js';
import { FapiError, usageError } from '../errors.js';
import { generateSigningKey, type GeneratedKey } from '../keys/generate.js';

export { FapiError };
export type { Jwk };
export {
  createResourceVerifier,
  verifyResourceRequest,
  type ResourceRequest,
  type ResourceVerification,
  type ResourceVerifierOptions,
  type TokenBinding,
} from './resource.js';
export type { AccessTokenClaims } from '../../lab/rs/context.js';
export type { NonceSource } from '../core/nonce.js';

/** The JWS algorithms FAPI 2.0 permits (FAPI2-SP §5.4.1-1): no RS256, no HS*, never `none`. */
export type SigningAlg = FapiAlg;

/** A signing key pair, with its public and private JWKs. */
export type KeyPair = GeneratedKey;

/** What signs a client assertion or a DPoP proof: a KeyPair, or the parts of one. */
export interface SigningKey {
  privateKey: KeyObject;
  alg: SigningAlg;
  /** The `kid` header of client assertions (RFC 7515 §4.1.4). */
  kid?: string;
  /** The public JWK, needed for DPoP proofs (RFC 9449 §4.2: the `jwk` header). */
  publicJwk?: Jwk;
}

/**
 * Generates a signing key with node:crypto: ES256 (P-256, the default), PS256 (RSA, 2048 bits or
 * more, default 3072) or EdDSA (Ed25519), the algorithms of FAPI2-SP §5.4.1. The `kid` is the
 * RFC 7638 thumbprint unless given.
 */
export async function generateKey(
  alg: SigningAlg = 'ES256',
  options: { bits?: number; kid?: string } = {},
): Promise<KeyPair> {
  if (!isFapiAlg(alg))
    throw usageError(
      'E_ALG',
      `Unknown or forbidden signing algorithm ${JSON.stringify(alg)}: FAPI 2.0 permits ES256, PS256 and EdDSA (FAPI2-SP §5.4.1-1).`,
    );
  const k = await generateSigningKey(alg, options);
  return { ...k, alg };
}

/** The RFC 7638 §3 JWK SHA-256 thumbprint (base64url): DPoP's `jkt` (RFC 9449 §6.1), a default `kid`. */
export function jwkThumbprint(jwk: Jwk): string {
  return coreThumbprint(jwk);
}

/** A PKCE pair (RFC 7636 §4.1, §4.2): a 43-character verifier and its S256 challenge; FAPI 2.0 allows only S256 (FAPI2-SP §5.3.2.2-5). */
export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** A fresh PKCE pair: 256 random bits as the verifier (RFC 7636 §4.1), its S256 challenge (§4.2). */
export function createPkcePair(): PkcePair {
  const verifier = createCodeVerifier();
  return { verifier, challenge: codeChallengeS256(verifier), method: 'S256' };
}

export interface ClientAssertionOptions {
  clientId: string;
  /** The authorization server's issuer identifier, as a string (FAPI2-SP §5.3.2.1-8). */
  audience: string;
  key: SigningKey;
  /** Seconds until `exp` (default 60). */
  lifetime?: number;
  /** `iat` in epoch seconds (default now). */
  iat?: number;
  /** Default: 128 random bits. */
  jti?: string;
}

/**
 * A `private_key_jwt` client assertion (RFC 7523 §3, OIDC Core §9): `iss` = `sub` = the client,
 * `aud` the issuer, a fresh `jti`, `iat` and a short `exp`, signed with the client's key.
 */
export function createClientAssertion(o: ClientAssertionOptions): string {
  return coreClientAssertion({
    clientId: o.clientId,
    audience: o.audience,
    privateKey: o.key.privateKey,
    alg: o.key.alg,
    ...(o.key.kid !== undefined ? { kid: o.key.kid } : {}),
    ...(o.lifetime !== undefined ? { lifetime: o.lifetime } : {}),
    ...(o.iat !== undefined ? { now: o.iat } : {}),
    ...(o.jti !== undefined ? { jti: o.jti } : {}),
  });
}

/** The form parameters of a client assertion (RFC 7521 §4.2), to add to a PAR or token request. */
export function clientAssertionParams(
  clientId: string,
  assertion: string,
): { client_id: string; client_assertion_type: string; client_assertion: string } {
  return { client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: assertion };
}

export interface DpopProofOptions {
  /** The request's method (RFC 9449 §4.2 `htm`). */
  htm: string;
  /** The request's URL; query and fragment are dropped (RFC 9449 §4.2 `htu`). */
  htu: string;
  /** At a resource server: the access token, bound as `ath` (RFC 9449 §4.2). */
  accessToken?: string;
  /** The server's `DPoP-Nonce` (RFC 9449 §8, §9). */
  nonce?: string;
  /** `iat` in epoch seconds (default now). */
  iat?: number;
  /** Default: 128 random bits. */
  jti?: string;
}

/**
 * A DPoP proof (RFC 9449 §4.2): `typ` dpop+jwt, the public `jwk`, a fresh `jti`, `htm`, `htu`,
 * `iat`, and `ath` and `nonce` when given. One proof per request.
 */
export function createDpopProof(key: SigningKey, o: DpopProofOptions): string {
  if (!key.publicJwk)
    throw usageError(
      'E_DPOP_KEY',
      'A DPoP proof carries the public key: the key needs its publicJwk (RFC 9449 §4.2).',
    );
  return coreDpopProof(
    { privateKey: key.privateKey, publicJwk: key.publicJwk, alg: key.alg },
    {
      htm: o.htm,
      htu: o.htu,
      ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
      ...(o.accessToken !== undefined ? { accessToken: o.accessToken } : {}),
      ...(o.iat !== undefined ? { now: o.iat } : {}),
      ...(o.jti !== undefined ? { jti: o.jti } : {}),
    },
  );
}

/** `ath` (RFC 9449 §4.2): base64url(SHA-256(ASCII(access token))). */
export function accessTokenHash(accessToken: string): string {
  return coreAth(accessToken);
}
