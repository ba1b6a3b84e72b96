/**
 * How the lab refuses a request: a LabError carries the HTTP status, the OAuth `error` code
 * (RFC 6749 §5.2 and the RFCs that extend it), a description, extra headers (WWW-Authenticate,
 * DPoP-Nonce) and the catalogue check that decided it, which the dashboard and the log show.
 */
import { DpopProofError } from '../src/core/dpop.js';
import { ClientAuthError } from '../src/core/client-auth.js';
import { RequestObjectError } from '../src/core/request-object.js';

export interface LabErrorOptions {
  /** The catalogue ID of the check that refused the request (e.g. PAR-11). */
  check?: string;
  headers?: Record<string, string>;
  /** Render as an HTML page for browsers (authorization endpoint errors that must not redirect). */
  page?: boolean;
}

export class LabError extends Error {
  override name = 'LabError';
  check: string | undefined;
  readonly headers: Record<string, string>;
  readonly page: boolean;
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    o: LabErrorOptions = {},
  ) {
    super(`${error}: ${description}`);
    this.check = o.check;
    this.headers = o.headers ?? {};
    this.page = o.page ?? false;
  }

  body(): Record<string, string> {
    return { error: this.error, error_description: this.description };
  }
}

export const badRequest = (
  error: string,
  description: string,
  check?: string,
  headers?: Record<string, string>,
) => new LabError(400, error, description, { check, headers });

export const invalidRequest = (description: string, check?: string) =>
  new LabError(400, 'invalid_request', description, { check });

/** Client authentication failed: 401 invalid_client (RFC 6749 §5.2). */
export const invalidClient = (description: string, check?: string, usedAuthorizationHeader = false) =>
  new LabError(401, 'invalid_client', description, {
    check,
    headers: usedAuthorizationHeader ? { 'www-authenticate': 'Basic realm="fapi-lab"' } : {},
  });

/** Converts the core's verification errors into lab refusals at the AS (PAR, token endpoint). */
export function asLabError(e: unknown, o: { nonce?: () => string } = {}): unknown {
  if (e instanceof DpopProofError) {
    if (e.error === 'use_dpop_nonce') {
      // RFC 9449 §8: 400 use_dpop_nonce with a fresh DPoP-Nonce header.
      const headers: Record<string, string> = o.nonce ? { 'dpop-nonce': o.nonce() } : {};
      return new LabError(400, 'use_dpop_nonce', e.message, { check: e.check, headers });
    }
    // At the AS, every proof failure is invalid_dpop_proof (RFC 9449 §5).
    return new LabError(400, 'invalid_dpop_proof', e.message, { check: e.check });
  }
  if (e instanceof ClientAuthError) return invalidClient(e.message, e.check);
  // A refused request object names its rule in the description too (RFC 9101 §6.3; MS-01..06).
  if (e instanceof RequestObjectError) return badRequest(e.error, `${e.check}: ${e.message}`, e.check);
  return e;
}
