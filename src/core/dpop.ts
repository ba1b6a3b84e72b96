/**
 * DPoP (RFC 9449): proof creation (the CLI) and verification (the lab's PAR, token endpoint and
 * RS) in one module. Each verification failure names the catalogue check (DP-xx) that failed.
 */
import type { KeyObject } from 'node:crypto';
import { randomToken } from './random.js';
import { type Jwk, publicJwk, sha256b64url } from './jwk.js';
import { type JwsPolicy, type VerifiedJws, JwsError, signJws, verifyCompactJws } from './jws.js';
import { FAPI_ALGS, type FapiAlg } from './fapi.js';

export interface DpopKey {
  privateKey: KeyObject;
  publicJwk: Jwk;
  alg: FapiAlg;
}

export interface DpopProofParams {
  htm: string;
  htu: string;
  nonce?: string;
  /** Only for resource requests: adds `ath` (RFC 9449 §4.2). Never at PAR or the token endpoint (CL-14). */
  accessToken?: string;
  /** Epoch seconds; defaults to the local clock. Pass a skew-corrected time (CL-23). */
  now?: number;
  jti?: string;
  /** Extra claims (tests and attack scenarios only). */
  extraClaims?: Record<string, unknown>;
}

/** `ath`: base64url(SHA-256(ASCII(access_token))), RFC 9449 §4.2. */
export function accessTokenHash(accessToken: string): string {
  return sha256b64url(Buffer.from(accessToken, 'ascii'));
}

/**
 * `htu` without query and fragment (RFC 9449 §4.2), with syntax- and scheme-based normalisation
 * (RFC 3986 §6.2.2-6.2.3: lower-case scheme and host, no default port), so the client sends and the
 * server compares the same string (DP-09).
 */
export function normalizeHtu(url: string): string {
  const u = new URL(url);
  const port =
    u.port && !((u.protocol === 'https:' && u.port === '443') || (u.protocol === 'http:' && u.port === '80'))
      ? `:${u.port}`
      : '';
  return `${u.protocol}//${u.hostname.toLowerCase()}${port}${u.pathname || '/'}`;
}

/** Creates a proof: typ dpop+jwt, the public JWK, a fresh ≥ 96-bit jti, htm, htu, iat (CL-14). */
export function createDpopProof(key: DpopKey, p: DpopProofParams): string {
  const jwk = publicJwk(key.publicJwk);
  delete jwk.kid;
  delete jwk.use;
  delete jwk.alg;
  delete jwk.key_ops;
  delete jwk.x5c;
  const claims: Record<string, unknown> = {
    jti: p.jti ?? randomToken(16),
    htm: p.htm.toUpperCase(),
    htu: normalizeHtu(p.htu),
    iat: Math.floor(p.now ?? Date.now() / 1000),
  };
  if (p.nonce !== undefined) claims.nonce = p.nonce;
  if (p.accessToken !== undefined) claims.ath = accessTokenHash(p.accessToken);
  if (p.extraClaims) Object.assign(claims, p.extraClaims);
  return signJws({ typ: 'dpop+jwt', jwk }, claims, key.privateKey, key.alg);
}

export type DpopErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token';

export class DpopProofError extends Error {
  override name = 'DpopProofError';
  constructor(
    readonly error: DpopErrorCode,
    readonly check: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DpopVerifyOptions {
  /** The raw `DPoP` header value(s) as received. */
  headerValues: string | string[] | undefined;
  htm: string;
  /** The externally visible URL of the request (DP-09). */
  htu: string;
  /** Epoch seconds. */
  now: number;
  allowedAlgs?: readonly string[];
  /** Accepted `iat` window in seconds: past and future (DP-11; default 300 and 10). */
  iatWindow?: { past: number; future: number };
  /** When given, `ath` is required and must match (DP-13). */
  accessToken?: string;
  /** When given, the proof key thumbprint must equal it (DP-14: `invalid_token`). */
  expectedJkt?: string;
  /** Server nonces (DP-10, DP-20). */
  nonce?: { required: boolean; isValid(n: string): boolean };
  /** Records the jti; returns false when it was seen before (DP-12). */
  replay?: (jti: string, expiresAt: number) => boolean;
  /** Told each check as it passes, in order (`fapi dpop explain`); the lab passes none. */
  trace?: (check: string) => void;
}

export interface VerifiedDpop {
  jkt: string;
  jwk: Jwk;
  jti: string;
  iat: number;
  alg: string;
  claims: Record<string, unknown>;
}

const fail = (check: string, message: string, error: DpopErrorCode = 'invalid_dpop_proof'): never => {
  throw new DpopProofError(error, check, message);
};

/** RFC 9449 §4.3 checks 2-7 (typ dpop+jwt, a FAPI alg, the public key in the header). */
const DPOP_PROOF: JwsPolicy = {
  subject: 'the DPoP proof',
  algorithms: FAPI_ALGS,
  typ: ['dpop+jwt'],
  key: 'jwk',
};

/**
 * The catalogue ID of a header-policy refusal: DP-03 for a missing member, DP-04 typ, DP-05 alg,
 * DP-06 signature, DP-07 private jwk; DP-02 otherwise (not a JWS, an unusable jwk, or a `crit`
 * extension, which makes the JWS invalid: RFC 7515 §4.1.11).
 */
function dpopCheckId(e: JwsError): string {
  if (e.absent) return 'DP-03';
  switch (e.check) {
    case 'typ':
      return 'DP-04';
    case 'alg':
      return 'DP-05';
    case 'signature':
      return 'DP-06';
    case 'jwk':
      return 'DP-07';
    default:
      return 'DP-02';
  }
}

/** Verifies a DPoP proof per RFC 9449 §4.3 (DP-01..16). Synchronous. */
export function verifyDpopProof(o: DpopVerifyOptions): VerifiedDpop {
  const values =
    o.headerValues === undefined ? [] : Array.isArray(o.headerValues) ? o.headerValues : [o.headerValues];
  if (values.length === 0) fail('DP-03', 'DPoP proof missing: send a DPoP header');
  // DP-01: exactly one DPoP header (a comma would mean two folded headers).
  if (values.length > 1 || (values[0] as string).includes(',')) fail('DP-01', 'more than one DPoP header');
  const trace = o.trace;
  trace?.('DP-01');
  const proof = (values[0] as string).trim();
  // DP-02..07: the one JWS header policy (src/core/jws.ts), then the signature with the header jwk.
  const policy =
    o.allowedAlgs === undefined || o.allowedAlgs === FAPI_ALGS
      ? DPOP_PROOF
      : { ...DPOP_PROOF, algorithms: o.allowedAlgs };
  let verified: VerifiedJws;
  try {
    verified = verifyCompactJws(proof, policy);
  } catch (e) {
    if (!(e instanceof JwsError)) throw e;
    return fail(
      dpopCheckId(e),
      e.check === 'format' ? `the DPoP header is not a well-formed JWS: ${e.message}` : e.message,
    );
  }
  const { alg, decoded } = verified;
  const jwk = verified.jwk as Jwk;
  const jkt = verified.jkt as string;
  const { payload } = decoded;
  if (trace) for (const id of ['DP-02', 'DP-04', 'DP-05', 'DP-07', 'DP-06']) trace(id);
  for (const claim of ['jti', 'htm', 'htu', 'iat'] as const) {
    if (payload[claim] === undefined) fail('DP-03', `the proof has no ${claim} claim`);
  }
  if (typeof payload.jti !== 'string' || payload.jti.length < 1 || payload.jti.length > 256)
    fail('DP-03', 'jti must be a non-empty string');
  if (typeof payload.iat !== 'number') fail('DP-03', 'iat must be a number');
  trace?.('DP-03');
  // DP-08
  if (payload.htm !== o.htm.toUpperCase())
    fail(
      'DP-08',
      `htm ${JSON.stringify(payload.htm)} does not match the request method ${o.htm.toUpperCase()}`,
    );
  trace?.('DP-08');
  // DP-09: compare without query/fragment, after normalisation. A claim equal to the normalised
  // request URL is already normal (normalisation is idempotent): the common case parses one URL.
  const expectedHtu = normalizeHtu(o.htu);
  if (payload.htu !== expectedHtu) {
    let htu: string;
    try {
      htu = normalizeHtu(String(payload.htu));
    } catch {
      return fail('DP-09', `htu ${JSON.stringify(payload.htu)} is not a URL`);
    }
    if (htu !== expectedHtu)
      fail('DP-09', `htu ${JSON.stringify(payload.htu)} does not match the request URL ${expectedHtu}`);
  }
  trace?.('DP-09');
  // DP-10: nonce.
  if (o.nonce?.required) {
    if (typeof payload.nonce !== 'string')
      fail('DP-10', 'the server requires a DPoP nonce', 'use_dpop_nonce');
    if (!o.nonce.isValid(payload.nonce as string))
      fail('DP-10', 'the DPoP nonce is stale or unknown', 'use_dpop_nonce');
    trace?.('DP-10');
  }
  // DP-11: freshness window.
  const iat = payload.iat as number;
  const win = o.iatWindow ?? { past: 300, future: 10 };
  if (iat > o.now + win.future)
    fail('DP-11', `iat is ${Math.round(iat - o.now)} s in the future (at most ${win.future} s accepted)`);
  if (iat < o.now - win.past)
    fail('DP-11', `iat is ${Math.round(o.now - iat)} s in the past (at most ${win.past} s accepted)`);
  trace?.('DP-11');
  // DP-16: nbf/exp when present.
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > o.now + win.future))
    fail('DP-16', 'the proof is not yet valid (nbf)');
  if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp < o.now))
    fail('DP-16', 'the proof has expired (exp)');
  trace?.('DP-16');
  // DP-13: ath at the RS.
  if (o.accessToken !== undefined) {
    if (typeof payload.ath !== 'string')
      fail('DP-13', 'the proof has no ath claim (required with an access token)');
    if (payload.ath !== accessTokenHash(o.accessToken)) fail('DP-13', 'ath does not match the access token');
    trace?.('DP-13');
  }
  // DP-14: key binding.
  if (o.expectedJkt !== undefined && o.expectedJkt !== jkt)
    fail(
      'DP-14',
      'Invalid DPoP key binding: the proof key is not the key the token is bound to (cnf.jkt)',
      'invalid_token',
    );
  if (o.expectedJkt !== undefined) trace?.('DP-14');
  // DP-12: replay, last, so a rejected proof does not burn its jti.
  if (o.replay && !o.replay(`${jkt}:${payload.jti as string}`, iat + win.past + win.future))
    fail('DP-12', 'the proof was already used (jti replay)');
  if (o.replay) trace?.('DP-12');
  // DP-15: members the verifier does not know were ignored.
  trace?.('DP-15');
  return { jkt, jwk, jti: payload.jti as string, iat, alg, claims: payload };
}

/**
 * The checks of a DPoP proof at a resource server (RFC 9449 §4.3, §7.1; catalogue DP-01..16), in
 * catalogue order, each with what it requires: what `fapi dpop explain` reports on.
 */
export const DPOP_PROOF_CHECKS: readonly { id: string; rule: string; spec: string }[] = [
  { id: 'DP-01', rule: 'exactly one DPoP header', spec: 'RFC 9449 §4.3 step 1' },
  { id: 'DP-02', rule: 'a single well-formed JWS', spec: 'RFC 9449 §4.3 step 2' },
  {
    id: 'DP-03',
    rule: 'typ, alg and jwk in the header; jti, htm, htu and iat in the claims',
    spec: 'RFC 9449 §4.2, §4.3 step 3',
  },
  { id: 'DP-04', rule: 'typ is dpop+jwt', spec: 'RFC 9449 §4.3 step 4' },
  {
    id: 'DP-05',
    rule: 'alg is an asymmetric FAPI algorithm (PS256, ES256, EdDSA), never none',
    spec: 'RFC 9449 §4.3 step 5; FAPI2-SP §5.4.1-1',
  },
  { id: 'DP-06', rule: 'the signature verifies with the jwk of the header', spec: 'RFC 9449 §4.3 step 6' },
  { id: 'DP-07', rule: 'the jwk holds no private key', spec: 'RFC 9449 §4.3 step 7' },
  { id: 'DP-08', rule: 'htm is the request method', spec: 'RFC 9449 §4.3 step 8' },
  {
    id: 'DP-09',
    rule: 'htu is the request URL (externally visible, without query and fragment)',
    spec: 'RFC 9449 §4.3 step 9',
  },
  { id: 'DP-10', rule: 'nonce is the server-provided nonce', spec: 'RFC 9449 §4.3 step 10, §9' },
  {
    id: 'DP-11',
    rule: 'iat is recent (the lab: 300 s in the past, 10 s in the future)',
    spec: 'RFC 9449 §4.3 step 11, §11.1',
  },
  { id: 'DP-12', rule: 'jti not seen before (replay)', spec: 'RFC 9449 §11.1' },
  { id: 'DP-13', rule: 'ath is the hash of the access token', spec: 'RFC 9449 §4.3 step 12, §4.2' },
  {
    id: 'DP-14',
    rule: "the proof key is the token's key (cnf.jkt)",
    spec: 'RFC 9449 §4.3 step 12, §6.1, §7.1',
  },
  { id: 'DP-15', rule: 'unknown header parameters and claims are ignored', spec: 'RFC 9449 §4.2' },
  { id: 'DP-16', rule: 'nbf and exp, when present, are honoured', spec: 'RFC 7519 §4.1.4, §4.1.5' },
];

/**
 * Why a proof's `htu` is not the URL a server computed for the request (DP-09), in words: which
 * parts differ, and the likely cause (a TLS-terminating proxy, a rewritten Host, a path prefix),
 * or undefined when they do not differ (after RFC 3986 §6.2.2-6.2.3 normalisation).
 */
export function htuMismatch(htu: unknown, requestUrl: string): string | undefined {
  const expected = normalizeHtu(requestUrl);
  let signed: URL;
  try {
    signed = new URL(normalizeHtu(String(htu)));
  } catch {
    return `htu ${JSON.stringify(htu)} is not a URL`;
  }
  if (signed.href === expected) return undefined;
  const seen = new URL(expected);
  const parts: string[] = [];
  if (signed.protocol !== seen.protocol) parts.push('the scheme');
  if (signed.hostname !== seen.hostname) parts.push('the host');
  if (signed.port !== seen.port) parts.push('the port');
  const pathDiffers = signed.pathname !== seen.pathname;
  if (pathDiffers) parts.push('the path');
  const proxied =
    parts.some((p) => p !== 'the path') ||
    (pathDiffers && (signed.pathname.endsWith(seen.pathname) || seen.pathname.endsWith(signed.pathname)));
  const cause = proxied
    ? `a proxy or load balancer in front of the server rewrote the URL${pathDiffers && parts.length === 1 ? ' (a path prefix)' : ''}: compute the expected URL from the externally visible one (X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Prefix or Forwarded, from a proxy you trust), not from the server's own address`
    : 'the client signed a proof for another resource';
  return `htu is ${signed.href}, the request URL is ${expected}: ${parts.join(', ')} ${parts.length === 1 ? 'differs' : 'differ'}; ${cause}`;
}
