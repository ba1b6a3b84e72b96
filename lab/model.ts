/**
 * The lab's data model. Wire names keep the RFCs' snake_case (client metadata, pushed request
 * parameters); lab-internal records use camelCase.
 */
import type { AuthorizationDetail } from '../src/core/authorization-details.js';
import type { Jwk } from '../src/core/jwk.js';

import type { ClientAuthMethod, GrantType } from '../src/core/fapi.js';
export type { ClientAuthMethod, GrantType };

/** Registered client metadata (RFC 7591 §2, RFC 8705 §2.1.2, RFC 9449 §5.2, RFC 9126 §6). */
export interface ClientMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: ClientAuthMethod;
  grant_types: GrantType[];
  response_types: string[];
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  contacts?: string[];
  scope?: string;
  jwks?: { keys: Jwk[] };
  jwks_uri?: string;
  token_endpoint_auth_signing_alg?: string;
  id_token_signed_response_alg?: string;
  /** JARM §3: the alg of signed authorization responses (the lab signs with its own key's). */
  authorization_signed_response_alg?: string;
  /** RFC 9101 §10.1: the alg of the client's request objects (FAPI2-MS §5.3; MS-05). */
  request_object_signing_alg?: string;
  /** RFC 9101 §10.1: this client's pushed requests must be signed request objects (MS-01). */
  require_signed_request_object?: boolean;
  /** RFC 9701 §6: the alg of signed introspection responses for this caller (MS-10). */
  introspection_signed_response_alg?: string;
  tls_client_auth_subject_dn?: string;
  tls_client_auth_san_dns?: string;
  tls_client_auth_san_uri?: string;
  tls_client_auth_san_ip?: string;
  tls_client_auth_san_email?: string;
  dpop_bound_access_tokens?: boolean;
  tls_client_certificate_bound_access_tokens?: boolean;
  require_pushed_authorization_requests?: boolean;
  use_mtls_endpoint_aliases?: boolean;
  software_id?: string;
  software_version?: string;
  /** RFC 9396 §10: the authorization details types this client may use (RAR-07). */
  authorization_details_types?: string[];
}

/** A registered client as persisted in `<lab home>/clients/<client_id>.json`. */
export interface LabClient {
  version: 1;
  client_id: string;
  client_id_issued_at: number;
  /** SHA-256 (base64url) of the registration access token; the token itself is never stored. */
  registration_access_token_sha256: string;
  metadata: ClientMetadata;
  updated_at: number;
}

/** Scopes the lab knows, with what they allow (shown on the consent page). */
export const SCOPES: Readonly<Record<string, string>> = {
  openid: 'confirm who you are (an ID token with your user id)',
  offline_access: 'keep access while you are away (a refresh token)',
  accounts: 'read your accounts and their balances',
  payments: 'initiate payments from your accounts',
};

/** A validated pushed authorization request (RFC 9126), kept until used or expired. */
export interface PushedRequest {
  requestUri: string;
  clientId: string;
  redirectUri: string;
  scope: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  /** DPoP key binding of the code (dpop_jkt or the PAR proof's key, RFC 9449 §10). */
  dpopJkt?: string;
  /** `jwt` when the client asked for a JARM response (`response_mode=jwt` or `query.jwt`, MS-08). */
  responseMode?: 'jwt';
  /** RFC 9396: the validated authorization details (RAR-01..03), shown on the consent page. */
  authorizationDetails?: AuthorizationDetail[];
  /** Other pushed parameters (e.g. claims, acr_values), kept for the record. */
  extra: Record<string, string>;
  createdAt: number;
  expiresAt: number;
  /** Set when authorization consumed it (PAR-06/07: one-time at the point of authorization). */
  usedAt?: number;
}

/** An issued authorization code. */
export interface AuthorizationCode {
  code: string;
  grantId: string;
  clientId: string;
  redirectUri: string;
  scope: string[];
  sub: string;
  authTime: number;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  dpopJkt?: string;
  /** RFC 9396: the authorization details the user approved (RAR-04). */
  authorizationDetails?: AuthorizationDetail[];
  createdAt: number;
  expiresAt: number;
  /** Set at redemption; a second redemption is refused and revokes the grant (TK-03). */
  redeemedAt?: number;
}

/** What an access token is bound to (RFC 9449 §6, RFC 8705 §3). */
export interface TokenBinding {
  jkt?: string;
  'x5t#S256'?: string;
}

/** One authorization: the tokens issued from it are revoked together. */
export interface Grant {
  id: string;
  clientId: string;
  /** The user, or the client itself for client_credentials. */
  sub: string;
  scope: string[];
  /** RFC 9396: the approved authorization details; refreshes narrow within them (RAR-06). */
  authorizationDetails?: AuthorizationDetail[];
  authTime: number;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  /** Why it was revoked (code reuse, revocation, client deletion). */
  revokedBecause?: string;
}

export interface RefreshTokenRecord {
  /** SHA-256 of the token (base64url); the token itself is never kept. */
  hash: string;
  grantId: string;
  clientId: string;
  scope: string[];
  createdAt: number;
  expiresAt: number;
  /** With rotate-rt: when it was replaced; it stays usable until rotatedAt + grace (RT-02). */
  rotatedAt?: number;
}

/** An issued access token, known by its jti (for revocation and introspection). */
export interface AccessTokenRecord {
  jti: string;
  grantId: string;
  clientId: string;
  sub: string;
  scope: string[];
  binding: TokenBinding;
  tokenType: 'DPoP' | 'Bearer';
  /** RFC 9396 §9: the details assigned to this token (RAR-05). */
  authorizationDetails?: AuthorizationDetail[];
  issuedAt: number;
  expiresAt: number;
  revokedAt?: number;
}
