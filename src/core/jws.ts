/**
 * Compact JWS signing and verification on node:crypto, for the FAPI algorithms only
 * (FAPI2-SP §5.4.1-1: PS256, ES256, EdDSA; never `none`, never RS256 or HS*). Synchronous and
 * allocation-light: it sits on the lab's hot path (every token request verifies a client
 * assertion and a DPoP proof and signs an access token).
 *
 * It also holds the one JWS header policy every verifier applies, client and lab alike
 * (`checkJwsHeader`, `verifyCompactJws`, modelled on jose's compactVerify): `typ` compared as a
 * media type (RFC 7515 §4.1.9, RFC 8725 §3.11), `alg` from an allow-list, never `none` or HS*,
 * matching the key type, no `crit` (RFC 7515 §4.1.11: fapi understands no extension), and the key
 * either the header's public `jwk` (DPoP, RFC 9449 §4.2) or one of the signer's published or
 * registered keys chosen by `kid` (a `jwk` header there is never used). A refusal is a JwsError whose
 * `check` each caller maps to its catalogue ID (DP-xx, CA-xx, RS-xx, CL-20, MS-09).
 */
import { constants, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { type FapiAlg } from './fapi.js';
import { type Jwk, algMatchesKey, hasPrivateMembers, importPublicJwk, jwkThumbprint } from './jwk.js';

/** Which rule refused a JWS. */
export type JwsCheck = 'format' | 'typ' | 'alg' | 'crit' | 'jwk' | 'key' | 'signature';

export class JwsError extends Error {
  override name = 'JwsError';
  constructor(
    message: string,
    readonly check: JwsCheck = 'format',
    /** The header member the check is about is absent (DPoP tells "missing" from "wrong", DP-03). */
    readonly absent = false,
  ) {
    super(message);
  }
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
        'alg',
      );
  }
}

/** What a client signs one of its JWTs (a client assertion, a request object) with. */
export interface ClientJwtParams {
  clientId: string;
  privateKey: KeyObject;
  alg: FapiAlg;
  kid?: string;
  /** Epoch seconds (skew-corrected when the server's Date is known, CL-23). */
  now?: number;
  jti?: string;
  /** Extra header members / claims (tests and attack scenarios only). */
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
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

/**
 * The first member name that a JSON object text repeats at its top level, or undefined. RFC 7515
 * §5.2 and RFC 7519 §4 let a parser either refuse duplicate header parameters and claims or keep
 * the last one; JSON.parse keeps the last, so a verifier that must refuse them (a request object,
 * RFC 9101 §6) asks here. `json` must already be valid JSON (JSON.parse accepted it).
 */
export function duplicateMember(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < json.length && json.charCodeAt(i) !== 0x22; i++) if (json.charCodeAt(i) === 0x5c) i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (j < json.length && /\s/.test(json[j] as string)) j++;
      if (json[j] !== ':') continue;
      const name = JSON.parse(json.slice(start, i + 1)) as string;
      if (seen.has(name)) return name;
      seen.add(name);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) depth++;
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return undefined;
}

export interface DecodeOptions {
  /** Longest accepted token, in characters (default 16 KiB). */
  maxLength?: number;
  /** Refuse a header or payload that repeats a member name (RFC 7515 §5.2, RFC 7519 §4). */
  uniqueMembers?: boolean;
}

/** Splits and parses a compact JWS without verifying it. */
export function decodeJws(token: string, o: DecodeOptions = {}): DecodedJws {
  if (typeof token !== 'string' || token.length > (o.maxLength ?? 16_384))
    throw new JwsError('not a compact JWS');
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsError(`a compact JWS has 3 parts, this has ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(s)) throw new JwsError('the signature is not base64url');
  const decoded: DecodedJws = {
    header: parseJsonPart(h, 'header'),
    payload: parseJsonPart(p, 'payload'),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
  if (o.uniqueMembers)
    for (const [part, what] of [
      [h, 'header parameter'],
      [p, 'claim'],
    ] as const) {
      const dup = duplicateMember(Buffer.from(part, 'base64url').toString('utf8'));
      if (dup !== undefined)
        throw new JwsError(`the ${what} ${JSON.stringify(dup)} appears twice (RFC 7515 §5.2, RFC 7519 §4)`);
    }
  return decoded;
}

/**
 * The header and payload of a compact JWS, read without verifying it, or undefined when the value
 * is none (an opaque token, or no value): for looking at a token, never for trusting it.
 */
export function peekJws(
  token: string | undefined,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  if (!token) return undefined;
  try {
    const { header, payload } = decodeJws(token);
    return { header, payload };
  } catch {
    return undefined;
  }
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

export interface JwsPolicy {
  /** Names the JWS in messages, before a header member: "the DPoP proof" → "the DPoP proof alg …". */
  subject: string;
  /** The accepted algorithms (FAPI2-SP §5.4.1-1). `none` and HS* are refused whatever this holds. */
  algorithms: readonly string[];
  /**
   * The accepted `typ` values, lower case and without "application/" (RFC 8725 §3.11). Left out
   * when the JWS has no explicit type to check (ID tokens, JARM responses).
   */
  typ?: readonly string[];
  /** A JWS without `typ` is accepted (client assertions: rfc7523bis §4). Default: refused. */
  typOptional?: boolean;
  /**
   * Where the verification key comes from: `jwk`, the public key in the header (RFC 9449 §4.2;
   * required, without private members); `kid`, the signer's published or registered keys, chosen
   * by `kid`. With `kid` a `jwk` header is ignored, never used to verify: a key a JWS brings with
   * it proves nothing (RFC 8725 §3.10). It is not refused either: OIDC Core §2 says ID tokens
   * "SHOULD NOT" carry one, which a correct signer may still do.
   */
  key: 'jwk' | 'kid';
}

/**
 * True when `typ` names one of `expected` (lower case, no "application/"): a media type, compared
 * case-insensitively with "application/" implied when it has no "/" (RFC 7515 §4.1.9). The exact
 * short form, what every FAPI implementation sends, is matched without allocating.
 */
export function typMatches(typ: unknown, expected: readonly string[]): boolean {
  if (typeof typ !== 'string') return false;
  if (expected.includes(typ)) return true;
  const t = typ.toLowerCase();
  return expected.includes(t.startsWith('application/') ? t.slice('application/'.length) : t);
}

function quoteList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(' or ');
}

/**
 * Applies the header policy (typ, alg, crit, jwk) to a decoded header; returns the `alg`. Throws a
 * JwsError naming the check; nothing is verified yet. Use it when claims must be read before the
 * key can be chosen (a client assertion names its client in `sub`).
 */
export function checkJwsHeader(header: Record<string, unknown>, policy: JwsPolicy): string {
  const { subject } = policy;
  if (policy.typ !== undefined) {
    if (header.typ === undefined) {
      if (!policy.typOptional) throw new JwsError(`${subject} typ is missing`, 'typ', true);
    } else if (!typMatches(header.typ, policy.typ))
      throw new JwsError(
        `${subject} typ is ${JSON.stringify(header.typ)}, not ${quoteList(policy.typ)} (RFC 8725 §3.11)`,
        'typ',
      );
  }
  const alg = header.alg;
  if (typeof alg !== 'string') throw new JwsError(`${subject} alg is missing`, 'alg', true);
  if (alg === 'none' || alg.startsWith('HS') || !policy.algorithms.includes(alg))
    throw new JwsError(
      `${subject} alg ${JSON.stringify(alg)} is not allowed by FAPI 2.0 (${policy.algorithms.join(', ')}; FAPI2-SP §5.4.1-1)`,
      'alg',
    );
  // RFC 7515 §4.1.11: a JWS naming an extension the recipient does not understand is invalid.
  if (header.crit !== undefined)
    throw new JwsError(
      `${subject} has a crit header ${JSON.stringify(header.crit)}: fapi understands no JWS extension (RFC 7515 §4.1.11)`,
      'crit',
    );
  const jwk = header.jwk;
  if (policy.key === 'jwk') {
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk))
      throw new JwsError(`${subject} jwk header is missing`, 'jwk', true);
    if (hasPrivateMembers(jwk as Jwk))
      throw new JwsError(`${subject} jwk header contains private key material`, 'jwk');
    if (!algMatchesKey(alg, jwk as Jwk))
      throw new JwsError(
        `${subject} alg ${alg} does not match its jwk (kty ${String((jwk as Jwk).kty)})`,
        'alg',
      );
  }
  return alg;
}

/**
 * The keys of a JWKS that may have signed a JWS with this `kid` and `alg`: the same `kid` when the
 * header has one, then `use` sig, a matching `alg` and key type (FAPI2-SP §5.4.3, CR-08: with
 * repeated kids, kty/crv/alg/use decide).
 */
export function jwksCandidates(keys: readonly Jwk[], kid: unknown, alg: string): Jwk[] {
  return keys.filter(
    (k) =>
      (typeof kid !== 'string' || k.kid === kid) &&
      (k.use === undefined || k.use === 'sig') &&
      (k.alg === undefined || k.alg === alg) &&
      algMatchesKey(alg, k),
  );
}

/** True when one of the JWKs (imported once, src/core/jwk.ts cache) verifies the signature. */
export function verifiesWithAny(decoded: DecodedJws, alg: string, keys: readonly Jwk[]): boolean {
  return keys.some((k) => {
    try {
      return verifyJwsSignature(decoded, alg, importPublicJwk(k));
    } catch {
      return false;
    }
  });
}

export interface VerifiedJws {
  decoded: DecodedJws;
  alg: string;
  /** With a `jwk` policy: the header's public key and its RFC 7638 thumbprint. */
  jwk?: Jwk;
  jkt?: string;
}

/**
 * Decodes (unless given decoded) and verifies a compact JWS under `policy`: the header rules of
 * checkJwsHeader, then the signature with the header's `jwk` or with the key `key` returns for the
 * header (undefined: no such key). Throws a JwsError naming the check. Synchronous.
 */
export function verifyCompactJws(
  token: string | DecodedJws,
  policy: JwsPolicy,
  key?: (header: Record<string, unknown>, alg: string) => KeyObject | undefined,
): VerifiedJws {
  const decoded = typeof token === 'string' ? decodeJws(token) : token;
  const alg = checkJwsHeader(decoded.header, policy);
  const { subject } = policy;
  if (policy.key === 'jwk') {
    const jwk = decoded.header.jwk as Jwk;
    let publicKey: KeyObject;
    let jkt: string;
    try {
      jkt = jwkThumbprint(jwk);
      publicKey = importPublicJwk(jwk, jkt);
    } catch (e) {
      throw new JwsError(`${subject} jwk header is not a usable public key: ${(e as Error).message}`, 'key');
    }
    if (!verifyJwsSignature(decoded, alg, publicKey))
      throw new JwsError(`${subject} signature does not verify with its jwk`, 'signature');
    return { decoded, alg, jwk, jkt };
  }
  const k = key?.(decoded.header, alg);
  if (!k)
    throw new JwsError(
      `${subject} was signed by an unknown key (no key with kid ${JSON.stringify(decoded.header.kid)} and alg ${alg})`,
      'key',
    );
  if (!verifyJwsSignature(decoded, alg, k))
    throw new JwsError(`${subject} signature does not verify`, 'signature');
  return { decoded, alg };
}
