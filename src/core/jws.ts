/**
 * Compact JWS signing and verification on node:crypto, for the FAPI algorithms only
 * (FAPI2-SP §5.4.1-1: PS256, ES256, EdDSA; never `none`, never RS256 or HS*). Synchronous and
 * allocation-light: it sits on the lab's hot path (every token request verifies a client
 * assertion and a DPoP proof and signs an access token).
 */
import { constants, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { type FapiAlg } from './fapi.js';

export class JwsError extends Error {
  override name = 'JwsError';
}

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function params(alg: string): { hash: string | null; opts: Record<string, unknown> } {
  switch (alg) {
    case 'PS256':
      return { hash: 'sha256', opts: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
    case 'ES256':
      return { hash: 'sha256', opts: { dsaEncoding: 'ieee-p1363' } };
    case 'EdDSA':
    case 'Ed25519':
      return { hash: null, opts: {} };
    default:
      throw new JwsError(
        `algorithm ${JSON.stringify(alg)} is not allowed (FAPI 2.0 permits PS256, ES256, EdDSA)`,
      );
  }
}

export function signJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject,
  alg: FapiAlg,
): string {
  const h = Buffer.from(JSON.stringify({ ...header, alg })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const input = `${h}.${p}`;
  const { hash, opts } = params(alg);
  const sig = cryptoSign(hash, Buffer.from(input), { key, ...opts } as Parameters<typeof cryptoSign>[2]);
  return `${input}.${sig.toString('base64url')}`;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function parseJsonPart(part: string, what: string): Record<string, unknown> {
  if (!B64URL.test(part)) throw new JwsError(`the ${what} is not base64url`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError(`the ${what} is not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new JwsError(`the ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Splits and parses a compact JWS without verifying it. */
export function decodeJws(token: string): DecodedJws {
  if (typeof token !== 'string' || token.length > 16_384) throw new JwsError('not a compact JWS');
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsError(`a compact JWS has 3 parts, this has ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(s)) throw new JwsError('the signature is not base64url');
  return {
    header: parseJsonPart(h, 'header'),
    payload: parseJsonPart(p, 'payload'),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** Verifies the signature of a decoded JWS with `alg` (already checked against an allow-list). */
export function verifyJwsSignature(decoded: DecodedJws, alg: string, key: KeyObject): boolean {
  const { hash, opts } = params(alg);
  try {
    return cryptoVerify(
      hash,
      Buffer.from(decoded.signingInput),
      { key, ...opts } as Parameters<typeof cryptoVerify>[2],
      decoded.signature,
    );
  } catch {
    return false;
  }
}
