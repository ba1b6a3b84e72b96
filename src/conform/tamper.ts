/**
 * Malformed messages for the negative checks, made the way the black-box tests of their
 * catalogue IDs describe them: a valid JWT from the core (a client assertion from src/core/client-auth.ts, a
 * DPoP proof from src/core/dpop.ts), then altered: a header member changed and the JWS signed
 * again, signed with RS256 (which src/core/jws.ts never does: FAPI2-SP §5.4.1-1), left unsigned
 * (`alg: none`), or with a broken signature.
 */
import { constants, sign, type KeyObject } from 'node:crypto';
import { decodeJws, signJws } from '../core/jws.js';
import type { FapiAlg } from '../core/fapi.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function parts(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const d = decodeJws(jwt);
  return { header: d.header, payload: d.payload };
}

/** The same JWT with header and claim changes, signed again with `key` (a FAPI algorithm). */
export function resign(
  jwt: string,
  key: { privateKey: KeyObject; alg: FapiAlg },
  changes: { header?: Record<string, unknown>; claims?: Record<string, unknown>; drop?: string[] } = {},
): string {
  const { header, payload } = parts(jwt);
  const h: Record<string, unknown> = { ...header, ...changes.header };
  delete h.alg;
  const p: Record<string, unknown> = { ...payload, ...changes.claims };
  for (const k of changes.drop ?? []) {
    delete p[k];
    delete h[k];
  }
  return signJws(h, p, key.privateKey, key.alg);
}

/** The same JWT signed with RS256 (RSASSA-PKCS1-v1_5 with SHA-256), which FAPI 2.0 forbids. */
export function resignRs256(jwt: string, rsaKey: KeyObject, header: Record<string, unknown> = {}): string {
  const d = parts(jwt);
  const input = `${b64({ ...d.header, ...header, alg: 'RS256' })}.${b64(d.payload)}`;
  const sig = sign('sha256', Buffer.from(input), { key: rsaKey, padding: constants.RSA_PKCS1_PADDING });
  return `${input}.${sig.toString('base64url')}`;
}

/** The same JWT, unsigned: `alg: none` and an empty signature (RFC 7519 §6.1). */
export function unsigned(jwt: string): string {
  const d = parts(jwt);
  return `${b64({ ...d.header, alg: 'none' })}.${b64(d.payload)}.`;
}

/** The same JWS with one bit of its signature flipped. */
export function flipSignature(jwt: string): string {
  const [h, p, s] = jwt.split('.') as [string, string, string];
  const sig = Buffer.from(s, 'base64url');
  sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 0x01;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

/** The decoded header and payload of a JWT, for evidence (never printed whole: it may be a token). */
export function jwtParts(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  return parts(jwt);
}
