/**
 * Client fault-injection switches (README "Lab fault switches", mirroring the OIDF client tests):
 * the lab misbehaves on purpose so a client's own checks (CL-03, CL-11, CL-12, CL-15, CL-17..20,
 * CL-23, MS-09) can be tested offline. Each switch is named in the lab config's `faults` list;
 * every fault is loud (start-up warning and the `x-fapi-lab-warning` header, lab/config.ts).
 *
 * The lab calls these small hooks where a response is built, so the strict code path stays
 * readable:
 * - authorization response (success and error redirects): applyAuthorizationResponseFaults
 *   (`iss-wrong`, `iss-missing`, `state-wrong`, `state-missing`)
 * - token response body: applyTokenResponseFaults (`token-type-case`, `no-expires-in`)
 * - ID token: signIdToken (the `idtoken-*` claim and signature faults)
 * - refresh-token rotation: rotatesRefreshTokens, refreshGraceSeconds (`rotate-rt-no-grace`)
 * - JARM authorization response (response_mode=jwt): signAuthorizationResponse (the `jarm-*`
 *   claim and signature faults)
 * - DPoP nonces (AS and RS): createNonces (`dpop-nonce-rotate`)
 * - `Date` header under `clock-skew`: dateHeader
 * - TLS settings of the three HTTPS listeners: tlsFaultSettings (`tls-wrong-host`,
 *   `tls12-dhe-only`; CL-01, CL-02)
 * The others are one line where they apply: `discovery-issuer-mismatch` (lab/as/discovery.ts),
 * `rs-scheme-case` (lab/rs/errors.ts), the clock of `clock-skew` (lab/context.ts).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { signJws } from '../src/core/jws.js';
import { createNonceSource, type NonceSource } from '../src/core/nonce.js';
import { randomToken } from '../src/core/random.js';
import { generateSigningKey, privateKeyPem } from '../src/keys/generate.js';
import { SERVER_SANS, type LabCa } from './ca.js';
import type { Fault } from './config.js';
import { DHE_ONLY_CIPHERS, WRONG_TLS_HOST } from './switches.js';
import { type FapiAlg } from '../src/core/fapi.js';

/** Whether a fault switch is on (LabContext.fault). */
export type FaultCheck = (fault: Fault) => boolean;

/** A wrong issuer that is still a plausible https URL. */
export const WRONG_ISSUER = 'https://attacker.fapi-lab.example';

/**
 * `iss-wrong` / `iss-missing` (RFC 9207 §2; CL-11) and `state-wrong` / `state-missing`
 * (RFC 6749 §10.12; CL-12): tampers with the parameters of an authorization response, success or
 * error, just before they are added to the redirect URI.
 */
export function applyAuthorizationResponseFaults(fault: FaultCheck, params: Record<string, string>): void {
  if (fault('iss-wrong') && params.iss !== undefined) params.iss = WRONG_ISSUER;
  if (fault('iss-missing')) delete params.iss;
  if (fault('state-wrong')) params.state = `${params.state ?? ''}tampered-${randomToken(6)}`;
  if (fault('state-missing')) delete params.state;
}

/**
 * `token-type-case` (RFC 6749 §5.1: token_type is case-insensitive; CL-17) and `no-expires-in`
 * (RFC 6749 §5.1: RECOMMENDED only; CL-18): applied to a successful token response body.
 */
export function applyTokenResponseFaults(fault: FaultCheck, body: Record<string, unknown>): void {
  if (fault('token-type-case') && typeof body.token_type === 'string')
    body.token_type =
      body.token_type === 'DPoP' ? 'dPoP' : body.token_type === 'Bearer' ? 'bEARER' : body.token_type;
  if (fault('no-expires-in')) delete body.expires_in;
}

/**
 * The RSA key of `idtoken-alg-rs256`, generated on first use only and shared by the labs of a
 * process: a throwaway key that signs only tokens a client must refuse, not state of any lab.
 */
let rs256Key: KeyObject | undefined;

function rs256PrivateKey(): KeyObject {
  rs256Key ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return rs256Key;
}

/**
 * The key of `idtoken-kid-unknown`: an ES256 key the lab never publishes, generated on first use
 * and shared by the labs of a process (like the RS256 key above, it signs only tokens a client
 * must refuse).
 */
let unknownKey: { kid: string; privateKey: KeyObject } | undefined;

function unknownSigningKey(): { kid: string; privateKey: KeyObject } {
  unknownKey ??= {
    kid: `unknown-${randomToken(8)}`,
    privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  };
  return unknownKey;
}

/** A JWS whose signature, of the right size, does not verify: its first byte flipped. */
function breakSignature(jws: string): string {
  const dot = jws.lastIndexOf('.');
  const sig = Buffer.from(jws.slice(dot + 1), 'base64url');
  sig[0] = (sig[0] ?? 0) ^ 0xff;
  return `${jws.slice(0, dot + 1)}${sig.toString('base64url')}`;
}

export interface IdTokenKey {
  kid: string;
  alg: FapiAlg;
  privateKey: KeyObject;
}

/**
 * Signs an ID token (OIDC Core §2, typ JWT) with the lab key, applying the `idtoken-*` faults
 * (CL-20): wrong/missing iss, aud, nonce, exp; an extra untrusted audience; `aud` as a one-element
 * array (valid: the client must accept it); alg `none` (unsigned); alg RS256 (not a FAPI
 * algorithm, FAPI2-SP §5.4.1-1). Beyond the OIDF client tests: `idtoken-sig-invalid`, a FAPI alg
 * and the lab's kid with a signature that does not verify (OIDC Core §3.1.3.7 step 6), and
 * `idtoken-kid-unknown`, a valid ES256 signature by a key that is not in jwks_uri (OIDC Core
 * §10.1: the key is the issuer's, by kid).
 */
export function signIdToken(
  fault: FaultCheck,
  claims: Record<string, unknown>,
  key: IdTokenKey,
  now: number,
): string {
  const c: Record<string, unknown> = { ...claims };
  const clientId = typeof c.aud === 'string' ? c.aud : Array.isArray(c.aud) ? c.aud[0] : undefined;
  if (fault('idtoken-iss')) c.iss = WRONG_ISSUER;
  if (fault('idtoken-iss-missing')) delete c.iss;
  if (fault('idtoken-aud')) c.aud = `not-${String(clientId)}`;
  if (fault('idtoken-secondary-aud')) c.aud = [clientId, 'https://untrusted-rp.fapi-lab.example'];
  if (fault('idtoken-aud-array')) c.aud = [clientId];
  if (fault('idtoken-aud-missing')) delete c.aud;
  if (fault('idtoken-exp-expired')) {
    c.iat = Math.floor(now) - 600;
    c.exp = Math.floor(now) - 300;
  }
  if (fault('idtoken-exp-missing')) delete c.exp;
  if (fault('idtoken-nonce-wrong')) c.nonce = `wrong-${randomToken(8)}`;
  if (fault('idtoken-nonce-missing')) delete c.nonce;

  const header = { typ: 'JWT', kid: key.kid };
  if (fault('idtoken-alg-none')) return unsignedJwt(c, { typ: 'JWT' });
  if (fault('idtoken-alg-rs256')) {
    const h = Buffer.from(JSON.stringify({ ...header, alg: 'RS256' })).toString('base64url');
    const input = `${h}.${Buffer.from(JSON.stringify(c)).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), rs256PrivateKey()).toString('base64url')}`;
  }
  if (fault('idtoken-kid-unknown')) {
    const other = unknownSigningKey();
    return signJws({ typ: 'JWT', kid: other.kid }, c, other.privateKey, 'ES256');
  }
  const jwt = signJws(header, c, key.privateKey, key.alg);
  return fault('idtoken-sig-invalid') ? breakSignature(jwt) : jwt;
}

/**
 * Whether the token endpoint hands out a new refresh token on every refresh: the `rotate-rt`
 * relaxation (RT-02, with a retry window) or the `rotate-rt-no-grace` fault (CL-19: a client must
 * keep the newest refresh token it was given, RFC 6749 §6).
 */
export function rotatesRefreshTokens(o: {
  relaxed: (r: 'rotate-rt') => boolean;
  fault: FaultCheck;
}): boolean {
  return o.relaxed('rotate-rt') || o.fault('rotate-rt-no-grace');
}

/** How long a replaced refresh token stays usable (RT-02): none under `rotate-rt-no-grace`. */
export function refreshGraceSeconds(fault: FaultCheck, configured: number): number {
  return fault('rotate-rt-no-grace') ? 0 : configured;
}

/** An unsigned JWS (alg none), for the `*-alg-none` faults. */
function unsignedJwt(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const h = Buffer.from(JSON.stringify({ alg: 'none', ...header })).toString('base64url');
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
}

/**
 * Signs a JARM authorization response (JARM §2.1, §2.2; FAPI2-MS §5.4.1; MS-08) with the lab key,
 * applying the `jarm-*` faults, which mirror the OIDF client tests
 * client-test-ensure-jarm-without-iss / -with-invalid-iss / -without-aud / -with-invalid-aud /
 * -without-exp / -with-expired-exp / -with-invalid-sig / -signature-is-not-none (MS-09).
 */
export function signAuthorizationResponse(
  fault: FaultCheck,
  claims: Record<string, unknown>,
  key: IdTokenKey,
  now: number,
): string {
  const c: Record<string, unknown> = { ...claims };
  if (fault('jarm-iss-wrong')) c.iss = WRONG_ISSUER;
  if (fault('jarm-iss-missing')) delete c.iss;
  if (fault('jarm-aud-wrong')) c.aud = `not-${String(c.aud)}`;
  if (fault('jarm-aud-missing')) delete c.aud;
  if (fault('jarm-exp-expired')) {
    // Well beyond any client's clock-skew leeway.
    c.iat = Math.floor(now) - 900;
    c.exp = Math.floor(now) - 600;
  }
  if (fault('jarm-exp-missing')) delete c.exp;
  if (fault('jarm-alg-none')) return unsignedJwt(c);
  // JARM defines no typ; the kid names the lab key in jwks_uri (JARM §2.4 step 5).
  const jwt = signJws({ kid: key.kid }, c, key.privateKey, key.alg);
  return fault('jarm-sig-invalid') ? breakSignature(jwt) : jwt;
}

/** A nonce source that can also move on after each accepted request. */
export interface LabNonces extends NonceSource {
  /** Called after every accepted request that carried a proof; rotates under `dpop-nonce-rotate`. */
  afterSuccess(): void;
}

/**
 * DPoP server nonces (RFC 9449 §8, §9; DP-20). Default: stateless, rotating every `rotateSeconds`
 * (the previous one stays valid for one period). With `dpop-nonce-rotate` (the OIDF client tests'
 * mock AS/RS): a new nonce after every success, and only the newest is valid (CL-15). The fault is
 * read on every call, so switching it while the lab runs takes effect on the next request.
 */
export function createNonces(fault: FaultCheck, o: { rotateSeconds: number; now: () => number }): LabNonces {
  const base = createNonceSource(o);
  const fresh = () => randomToken(18);
  /** The rotating nonce while the fault is on; dropped when it goes off, so it restarts fresh. */
  let value: string | undefined;
  const rotating = (): string | undefined => {
    if (!fault('dpop-nonce-rotate')) return (value = undefined);
    return (value ??= fresh());
  };
  return {
    current: () => rotating() ?? base.current(),
    isValid: (n) => {
      const v = rotating();
      return v !== undefined ? n === v : base.isValid(n);
    },
    afterSuccess() {
      if (fault('dpop-nonce-rotate')) value = fresh();
    },
  };
}

/**
 * `clock-skew`: the lab clock runs ahead, and its `Date` header (RFC 9110 §6.6.1) says so, which is
 * what lets a client correct its own clock (FAPI2-SP §5.3.3.1 Note 1; CL-23). Undefined when the
 * lab clock is the real one (Node's own Date header is then right).
 */
export function dateHeader(labNow: number, realNowMs: number = Date.now()): string | undefined {
  if (Math.abs(labNow * 1000 - realNowMs) < 1000) return undefined;
  return new Date(labNow * 1000).toUTCString();
}

// WRONG_TLS_HOST and DHE_ONLY_CIPHERS live in ./switches.ts (imported by the CLI's control client).
export { DHE_ONLY_CIPHERS, WRONG_TLS_HOST };

/** What a `tls-*` fault changes in the listeners' TLS options (node:tls SecureContextOptions). */
export interface TlsFaultSettings {
  /** PEM server key and certificate, made in memory (the lab's own stay untouched on disk). */
  key: string;
  cert: string;
  maxVersion?: 'TLSv1.2';
  ciphers?: string;
  /** Well-known DH parameters (RFC 7919 / RFC 3526 groups chosen by OpenSSL), needed for DHE. */
  dhparam?: 'auto';
}

/**
 * `tls-wrong-host` (CL-01; FAPI2-SP §5.2.1-5, RFC 9525 §6.3): a certificate from the lab CA, so
 * trust succeeds, naming only WRONG_TLS_HOST, so the client's host name check must fail.
 * `tls12-dhe-only` (CL-02): TLS 1.2 only, DHE suites only, with an RSA key (DHE-RSA signs the key
 * exchange with RSA; the lab's own key is EC P-256). Both together: an RSA certificate for the
 * wrong host. Undefined when neither is on. The certificate lives for one day, in memory only, so
 * switching the fault off restores the lab's normal certificate.
 */
export async function tlsFaultSettings(fault: FaultCheck, ca: LabCa): Promise<TlsFaultSettings | undefined> {
  const wrongHost = fault('tls-wrong-host');
  const dheOnly = fault('tls12-dhe-only');
  if (!wrongHost && !dheOnly) return undefined;
  const key = dheOnly ? await generateSigningKey('PS256', { bits: 2048 }) : await generateSigningKey('ES256');
  const cert = await ca.issueServerCertificate({
    key,
    subject: wrongHost ? `CN=${WRONG_TLS_HOST},O=fapi lab fault` : 'CN=localhost,O=fapi lab fault',
    sans: wrongHost ? [{ type: 'dns', value: WRONG_TLS_HOST }] : SERVER_SANS,
    days: 1,
  });
  return {
    key: privateKeyPem(key.privateKey),
    cert: cert.pem,
    ...(dheOnly ? { maxVersion: 'TLSv1.2', ciphers: DHE_ONLY_CIPHERS.join(':'), dhparam: 'auto' } : {}),
  };
}
