/**
 * The token endpoint (RFC 6749 §4.1.3, §6, §4.4): the authorization_code grant (CL-13), refresh
 * with rotation (CL-19) and client_credentials, each with client authentication and the sender
 * constraint (RFC 9449 §5, RFC 8705 §3). The response is checked: token_type compared
 * case-insensitively (CL-17), a missing expires_in tolerated (CL-18), and a token that is not
 * sender-constrained refused (FAPI2-SP §5.3.2.1-4).
 */
import { FapiError, conformanceError } from '../errors.js';
import { type Client, type Exchange, jsonObject, responseError } from './client.js';
import { decodeJws } from './jws.js';
import type { AuthorizationSession } from './par.js';
import {
  AuthorizationDetailsError,
  CLIENT_DETAIL_LIMITS,
  checkDetailsShape,
  type AuthorizationDetail,
} from './authorization-details.js';

export interface TokenSet {
  access_token: string;
  /** `DPoP` or `Bearer` in canonical case; other types as sent. */
  token_type: string;
  /** As sent; undefined when the server omitted it (CL-18). */
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  /** RFC 9396 §7: the authorization details granted and assigned to this token. */
  authorization_details?: AuthorizationDetail[];
  /** How the binding was established. */
  binding: TokenBinding;
}

export interface TokenBinding {
  method: 'dpop' | 'mtls';
  /** RFC 7638 thumbprint of the DPoP key, for DPoP-bound tokens. */
  jkt?: string;
  /** base64url SHA-256 of the client certificate, for certificate-bound tokens. */
  x5t_s256?: string;
  /**
   * What proves the binding: `cnf` (a JWT access token's confirmation claim matched), `token_type`
   * (the server said DPoP; the token is opaque) or `unverifiable` (opaque Bearer token over mTLS).
   */
  evidence: 'cnf' | 'token_type' | 'unverifiable';
}

/** CL-13: code, redirect_uri (the one sent in PAR), code_verifier. */
export function authorizationCodeGrant(
  client: Client,
  code: string,
  s: AuthorizationSession,
): Promise<Exchange> {
  return client.sendToAs({
    step: 'token',
    endpoint: 'token_endpoint',
    form: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: s.redirect_uri,
      code_verifier: s.code_verifier,
    },
  });
}

/**
 * CL-19: the refresh token with client authentication and a DPoP proof or the certificate; with
 * `authorizationDetails`, a token for fewer of the granted details (RFC 9396 §6, §6.1).
 */
export function refreshTokenGrant(
  client: Client,
  refreshToken: string,
  scope?: string,
  authorizationDetails?: readonly AuthorizationDetail[],
): Promise<Exchange> {
  return client.sendToAs({
    step: 'refresh',
    endpoint: 'token_endpoint',
    form: {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope,
      authorization_details: authorizationDetails ? JSON.stringify(authorizationDetails) : undefined,
    },
  });
}

/** RFC 6749 §4.4; with `authorizationDetails`, RFC 9396 §6 (the client's policy decides). */
export function clientCredentialsGrant(
  client: Client,
  scope?: string,
  authorizationDetails?: readonly AuthorizationDetail[],
): Promise<Exchange> {
  return client.sendToAs({
    step: 'client_credentials',
    endpoint: 'token_endpoint',
    form: {
      grant_type: 'client_credentials',
      scope: scope || undefined,
      authorization_details: authorizationDetails ? JSON.stringify(authorizationDetails) : undefined,
    },
  });
}

export interface TokenResponseCheck {
  client: Client;
  /** The client certificate's x5t#S256, for certificate-bound tokens. */
  certificateThumbprint?: string;
  /** An ID token must be present (openid was requested in an authorization_code grant). */
  expectIdToken?: boolean;
  redirectUri?: string;
}

const invalid = (code: string, message: string, hint: string) => conformanceError(code, message, hint);

/** Validates a token response (RFC 6749 §5.1, §5.2). */
export function processTokenResponse(exchange: Exchange, o: TokenResponseCheck): TokenSet {
  const res = exchange.response;
  if (res.status !== 200)
    throw responseError(exchange, o.client.hintContext(o.redirectUri ? { redirectUri: o.redirectUri } : {}));
  const body = jsonObject(exchange);
  const where = `The token response from ${exchange.url}`;
  if (typeof body.access_token !== 'string' || !body.access_token)
    throw invalid(
      'E_TOKEN_NO_ACCESS_TOKEN',
      `${where} has no access_token.`,
      'The server broke RFC 6749 §5.1.',
    );
  if (typeof body.token_type !== 'string' || !body.token_type)
    throw invalid('E_TOKEN_NO_TOKEN_TYPE', `${where} has no token_type.`, 'The server broke RFC 6749 §5.1.');
  // RFC 6749 §5.1: token_type is case insensitive (CL-17).
  const type = body.token_type.toLowerCase();
  const tokenType = type === 'dpop' ? 'DPoP' : type === 'bearer' ? 'Bearer' : body.token_type;
  const out: TokenSet = {
    access_token: body.access_token,
    token_type: tokenType,
    binding: checkBinding(body.access_token, tokenType, o, where),
  };
  // CL-18: expires_in is RECOMMENDED, not required.
  if (body.expires_in !== undefined) {
    const n = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
      throw invalid(
        'E_TOKEN_EXPIRES_IN',
        `${where} has expires_in ${JSON.stringify(body.expires_in)}, which is not a number of seconds.`,
        'The server broke RFC 6749 §5.1.',
      );
    out.expires_in = n;
  }
  for (const k of ['refresh_token', 'id_token', 'scope'] as const) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string')
      throw invalid(
        'E_TOKEN_FIELD',
        `${where} has a ${k} that is not a string.`,
        'The server broke RFC 6749 §5.1.',
      );
    out[k] = v;
  }
  if (body.authorization_details !== undefined && body.authorization_details !== null) {
    try {
      out.authorization_details = checkDetailsShape(body.authorization_details, CLIENT_DETAIL_LIMITS);
    } catch (e) {
      if (!(e instanceof AuthorizationDetailsError)) throw e;
      throw invalid(
        'E_TOKEN_FIELD',
        `${where} has malformed authorization_details: ${e.message}.`,
        'The server broke RFC 9396 §7.',
      );
    }
  }
  if (o.expectIdToken && !out.id_token)
    throw invalid(
      'E_NO_ID_TOKEN',
      `${where} has no id_token, though the scope included openid (OIDC Core §3.1.3.3).`,
      'The server did not honour the openid scope.',
    );
  return out;
}

/** The sender constraint must hold (FAPI2-SP §5.3.2.1-4; LAB policy of CL-17). */
function checkBinding(
  accessToken: string,
  tokenType: string,
  o: TokenResponseCheck,
  where: string,
): TokenBinding {
  const cnf = jwtCnf(accessToken);
  if (o.client.sender === 'dpop') {
    if (tokenType !== 'DPoP')
      throw new FapiError(
        'E_TOKEN_NOT_DPOP',
        `${where} has token_type ${JSON.stringify(tokenType)}, but fapi asked for a DPoP-bound token: a ${tokenType} token is usable by whoever steals it.`,
        {
          kind: 'nonConformant',
          hint: 'FAPI 2.0 requires sender-constrained tokens (FAPI2-SP §5.3.2.1-4). Check that the client is registered with dpop_bound_access_tokens, or use --sender mtls if the server only binds to certificates.',
        },
      );
    const jkt = o.client.dpopJkt as string;
    if (cnf) {
      if (cnf.jkt === undefined)
        throw new FapiError(
          'E_TOKEN_NOT_DPOP_BOUND',
          `${where} carries a JWT access token without cnf.jkt, so a resource server cannot check its DPoP binding (RFC 9449 §6.1).`,
          {
            kind: 'nonConformant',
            hint: 'The server did not bind the token to the DPoP key; do not use it.',
          },
        );
      if (cnf.jkt !== jkt)
        throw new FapiError(
          'E_TOKEN_WRONG_JKT',
          `${where} carries an access token whose cnf.jkt ${JSON.stringify(cnf.jkt)} is not the thumbprint of fapi's DPoP key (${jkt}).`,
          { kind: 'nonConformant', hint: 'The server bound the token to another key; do not use it.' },
        );
      return { method: 'dpop', jkt, evidence: 'cnf' };
    }
    return { method: 'dpop', jkt, evidence: 'token_type' };
  }
  if (tokenType !== 'Bearer')
    throw invalid(
      'E_TOKEN_TYPE',
      `${where} has token_type ${JSON.stringify(tokenType)}; a certificate-bound token is a Bearer token (RFC 8705 §3).`,
      'Check the sender constraint of the profile (`fapi profile show`).',
    );
  const x5t = o.certificateThumbprint;
  if (cnf) {
    if (!cnf['x5t#S256'])
      throw new FapiError(
        'E_TOKEN_NOT_CERT_BOUND',
        `${where} carries a JWT access token without cnf.x5t#S256: it is not bound to the client certificate.`,
        {
          kind: 'nonConformant',
          hint: 'FAPI 2.0 requires sender-constrained tokens (FAPI2-SP §5.3.2.1-4). Check that the client is registered with tls_client_certificate_bound_access_tokens.',
        },
      );
    if (x5t && cnf['x5t#S256'] !== x5t)
      throw new FapiError(
        'E_TOKEN_WRONG_X5T',
        `${where} carries an access token bound to certificate ${String(cnf['x5t#S256'])}, not to fapi's (${x5t}).`,
        { kind: 'nonConformant', hint: 'The server bound the token to another certificate; do not use it.' },
      );
    return { method: 'mtls', x5t_s256: cnf['x5t#S256'] as string, evidence: 'cnf' };
  }
  return { method: 'mtls', ...(x5t ? { x5t_s256: x5t } : {}), evidence: 'unverifiable' };
}

/** The `cnf` claim of a JWT access token, or undefined for an opaque token. */
function jwtCnf(accessToken: string): Record<string, unknown> | undefined {
  if (accessToken.split('.').length !== 3) return undefined;
  try {
    const { payload } = decodeJws(accessToken);
    const cnf = payload.cnf;
    return cnf && typeof cnf === 'object' ? (cnf as Record<string, unknown>) : {};
  } catch {
    return undefined;
  }
}
