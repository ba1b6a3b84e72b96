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
  for (const claim of ['jti', 'htm', 'htu', 'iat'] as const) {
    if (payload[claim] === undefined) fail('DP-03', `the proof has no ${claim} claim`);
  }
  if (typeof payload.jti !== 'string' || payload.jti.length < 1 || payload.jti.length > 256)
    fail('DP-03', 'jti must be a non-empty string');
  if (typeof payload.iat !== 'number') fail('DP-03', 'iat must be a number');
  // DP-08
  if (payload.htm !== o.htm.toUpperCase())
    fail(
      'DP-08',
      `htm ${JSON.stringify(payload.htm)} does not match the request method ${o.htm.toUpperCase()}`,
    );
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
  // DP-10: nonce.
  if (o.nonce?.required) {
    if (typeof payload.nonce !== 'string')
      fail('DP-10', 'the server requires a DPoP nonce', 'use_dpop_nonce');
    if (!o.nonce.isValid(payload.nonce as string))
      fail('DP-10', 'the DPoP nonce is stale or unknown', 'use_dpop_nonce');
  }
  // DP-11: freshness window.
  const iat = payload.iat as number;
  const win = o.iatWindow ?? { past: 300, future: 10 };
  if (iat > o.now + win.future)
    fail('DP-11', `iat is ${Math.round(iat - o.now)} s in the future (at most ${win.future} s accepted)`);
  if (iat < o.now - win.past)
    fail('DP-11', `iat is ${Math.round(o.now - iat)} s in the past (at most ${win.past} s accepted)`);
  // DP-16: nbf/exp when present.
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > o.now + win.future))
    fail('DP-16', 'the proof is not yet valid (nbf)');
  if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp < o.now))
    fail('DP-16', 'the proof has expired (exp)');
  // DP-13: ath at the RS.
  if (o.accessToken !== undefined) {
    if (typeof payload.ath !== 'string')
      fail('DP-13', 'the proof has no ath claim (required with an access token)');
    if (payload.ath !== accessTokenHash(o.accessToken)) fail('DP-13', 'ath does not match the access token');
  }
  // DP-14: key binding.
  if (o.expectedJkt !== undefined && o.expectedJkt !== jkt)
    fail(
      'DP-14',
      'Invalid DPoP key binding: the proof key is not the key the token is bound to (cnf.jkt)',
      'invalid_token',
    );
  // DP-12: replay, last, so a rejected proof does not burn its jti.
  if (o.replay && !o.replay(`${jkt}:${payload.jti as string}`, iat + win.past + win.future))
    fail('DP-12', 'the proof was already used (jti replay)');
  return { jkt, jwk, jti: payload.jti as string, iat, alg, claims: payload };
}
