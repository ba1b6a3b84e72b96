/**
 * The FAPI 2.0 vocabulary every layer shares: client authentication methods, sender constraints,
 * signing algorithms, grant types, the RFC 8705 certificate subject fields and the loopback
 * redirect URI. Defined here once; the client, the store, the lab and the CLI import these.
 */

/** FAPI2-SP §5.3.2.1-6: mTLS (RFC 8705 §2) or private_key_jwt (OIDC Core §9), in fapi's preference order. */
export const CLIENT_AUTH_METHODS = [
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** FAPI2-SP §5.3.2.1-5 (authorization server) / §5.3.3-4 (client): DPoP (RFC 9449) or mTLS (RFC 8705). */
export const SENDER_CONSTRAINTS = ['dpop', 'mtls'] as const;
export type SenderConstraint = (typeof SENDER_CONSTRAINTS)[number];

/** FAPI2-SP §5.4.1-1: the JWS algorithms FAPI 2.0 allows, as fapi names them. */
export const FAPI_ALGS = ['PS256', 'ES256', 'EdDSA'] as const;
export type FapiAlg = (typeof FAPI_ALGS)[number];

/**
 * The algorithms fapi generates keys for, in its preference order (ES256 first: short keys, fast
 * signatures). The same set as {@link FAPI_ALGS}.
 */
export const SIGNING_ALGS: readonly FapiAlg[] = ['ES256', 'PS256', 'EdDSA'];
export type SigningAlg = FapiAlg;

/**
 * FAPI_ALGS plus `Ed25519`, the fully-specified name of EdDSA over Ed25519 (RFC 9864): what a
 * server may advertise or a peer may send.
 */
export const FAPI_JWS_ALGS: ReadonlySet<string> = new Set<string>([...FAPI_ALGS, 'Ed25519']);

export function isFapiAlg(alg: unknown): alg is FapiAlg {
  return typeof alg === 'string' && (FAPI_ALGS as readonly string[]).includes(alg);
}

export function isClientAuthMethod(m: unknown): m is ClientAuthMethod {
  return typeof m === 'string' && (CLIENT_AUTH_METHODS as readonly string[]).includes(m);
}

/**
 * The grants a FAPI 2.0 client may use (FAPI2-SP §5.3.2.1-2 forbids the implicit and password
 * grants; §5.3.1.1-1 requires the code flow).
 */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** RFC 8705 §2.1.2: exactly one of these identifies a tls_client_auth client's certificate. */
export const TLS_SUBJECT_FIELDS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const;
export type TlsSubjectField = (typeof TLS_SUBJECT_FIELDS)[number];

/**
 * The redirect URI a command-line client registers: a loopback IP literal, any port at run time
 * (RFC 8252 §7.3; `localhost` is not used, §8.3).
 */
export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1/callback';
