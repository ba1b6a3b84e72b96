/**
 * What the resource server needs from the rest of the lab, as a narrow interface: the lab's
 * token-signing keys, the issuer and the RS's own URL (the access-token audience), the clock, the
 * revocation state, DPoP nonces and replay detection. The platform (lab/server.ts) builds it once
 * at start; nothing here is created per request (the RS is load-tested: bench row 5b).
 */
import type { AccessTokenKey } from '../../src/core/access-token.js';
import type { NonceSource } from '../../src/core/nonce.js';
import type { VerifiedTokens } from './verified-tokens.js';

export type { AccessTokenKey };

/** The claims of a lab access token (RFC 9068 §2.2), as far as the RS reads them. */
export interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  sub?: string;
  client_id?: string;
  scope?: string;
  /** RFC 9449 §6.1 (`jkt`) or RFC 8705 §3.1 (`x5t#S256`). */
  cnf?: { jkt?: string; 'x5t#S256'?: string };
  /** The lab's grant identifier: revoking a refresh token revokes every AT of its grant (RV-03). */
  grant_id?: string;
  [claim: string]: unknown;
}

/** One decided request, for the lab's audit page ("which check decided it"). */
export interface RsDecision {
  at: number;
  listener: 'rs' | 'as';
  method: string;
  path: string;
  status: number;
  outcome: 'accepted' | 'refused';
  /** The catalogue ID of the deciding check (e.g. `DP-14`), or the route for accepted requests. */
  check: string;
  error?: string;
  description?: string;
  clientId?: string;
}

/** A nonce source whose value can also be replaced after a success (fault `dpop-nonce-rotate`). */
export interface RsNonces extends NonceSource {
  /** Called after every accepted request; a rotating source moves to a new value. */
  afterSuccess?(): void;
}

export interface RsContext {
  /**
   * The lab issuer: access tokens must carry it as `iss` (RS-04, RFC 9068 §4). `undefined` only for
   * `verifyResourceRequest` given a JWKS and no issuer: the keys are then the trust anchor, and `iss`
   * need only be present (src/core/access-token.ts, the one place the iss rule lives). The lab
   * always sets it.
   */
  issuer: string | undefined;
  /**
   * The audiences this resource accepts (RS-04): the RS base URL, e.g. `https://127.0.0.1:8445`
   * (the `aud` of lab access tokens); userinfo also accepts the issuer.
   */
  audiences: readonly string[];
  /** The lab's access-token verification keys, imported once. */
  accessTokenKeys(): readonly AccessTokenKey[];
  /** Tokens whose signature was already verified (RS-03 runs the signature check once per token). */
  verifiedTokens?: VerifiedTokens;
  /** Epoch seconds on the lab clock (the clock-skew fault moves it). */
  now(): number;
  /** True when the token, or its grant, was revoked (RS-03, RV-03). */
  isRevoked(claims: AccessTokenClaims): boolean;
  /** DPoP server nonces (DP-10, DP-20, RS-09); undefined when relaxed (`no-dpop-nonce`). */
  nonces?: RsNonces;
  /** Records a proof `jti`; false when seen before (DP-12). */
  replay(key: string, expiresAt: number): boolean;
  /** DP-11 window (seconds): default 300 past, 10 future. */
  dpopIatWindow?: { past: number; future: number };
  /** Accept unbound (plain bearer) access tokens: the `bearer-tokens` relaxation. */
  allowUnboundTokens?: boolean;
  /**
   * Accept an access token in the URI query, as a DPoP token when a proof comes with it, else as a
   * Bearer token: the `token-in-query` relaxation.
   */
  allowTokenInQuery?: boolean;
  /** Fault `rs-scheme-case`: the DPoP challenge scheme is sent as lower-case `dpop`. */
  lowerCaseDpopScheme?: boolean;
  /** Largest accepted request body (bytes); larger ones get 413. */
  bodyLimit?: number;
  /** Audit trail hook (kept in memory by the platform; never written per request). */
  record?(decision: RsDecision): void;
}
