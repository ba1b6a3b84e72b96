/**
 * The RS verification pipeline's vocabulary: one request view, one per-request state, and the
 * shape of a named check (each rule in its own file, cited, listed in order).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { DecodedJws } from '../../src/core/jws.js';
import type { VerifiedDpop } from '../../src/core/dpop.js';
import type { AccessTokenClaims, RsContext } from './context.js';
import type { RsScheme } from './errors.js';

/** The parts of an HTTP request the checks read. */
export interface RsRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** The decoded query parameters. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Raw header lines as [name, value, name, value…] (to count repeated headers, DP-01). */
  rawHeaders: string[];
  /** Parsed body: a URLSearchParams for forms, a JSON value, or undefined. */
  body: unknown;
  /** The externally visible URL of this request, without query (DP-09). */
  htu: string;
  /** base64url(SHA-256(DER)) of the TLS client certificate, if one was presented (MT-07). */
  clientCertThumbprint(): string | undefined;
  /** The scope the route requires (RS-05); empty when it requires none. */
  requiredScope: string;
}

/** What the checks learn, in order. */
export interface RsState {
  /** How many checks of the pipeline passed so far. */
  passed?: number;
  scheme?: RsScheme;
  token?: string;
  decoded?: DecodedJws;
  claims?: AccessTokenClaims;
  /** The token's signature was verified earlier (RsContext.verifiedTokens): RS-03 skips the crypto. */
  signatureVerified?: boolean;
  dpop?: VerifiedDpop;
  /** How the token is sender-constrained. */
  binding?: 'dpop' | 'mtls' | 'none';
}

export interface RsCheck {
  /** Catalogue ID (e.g. `RS-04`, `DP-21`, `MT-07`). */
  id: string;
  /** A short name for the audit page and tests. */
  name: string;
  /** The spec section it enforces. */
  cite: string;
  /** Throws an RsError when the request must be refused. Synchronous: the RS is a hot path. */
  run(req: RsRequest, st: RsState, ctx: RsContext): void;
}
