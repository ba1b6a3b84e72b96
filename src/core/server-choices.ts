/**
 * What an authorization server's metadata (RFC 8414 §2) lets a FAPI 2.0 client choose, in fapi's
 * preference order, so that a guided set-up offers only what will work and its default comes
 * first: client authentication (`token_endpoint_auth_methods_supported`, FAPI2-SP §5.3.2.1-6),
 * sender constraint (`dpop_signing_alg_values_supported`, RFC 9449 §5.1;
 * `tls_client_certificate_bound_access_tokens`, RFC 8705 §3.3) and key algorithm
 * (`token_endpoint_auth_signing_alg_values_supported` when the key signs client assertions).
 * An absent list means "not restricted".
 */
import { metadataStrings, type AuthorizationServerMetadata } from './discovery.js';
import {
  CLIENT_AUTH_METHODS,
  SIGNING_ALGS,
  isFapiAlg,
  type ClientAuthMethod,
  type FapiAlg,
  type SenderConstraint,
} from './fapi.js';

/** For DPoP proofs: small and fast first; RSA last (proofs are signed per request). */
const DPOP_ALG_PREFERENCE: readonly FapiAlg[] = ['ES256', 'EdDSA', 'PS256'];

export interface ServerChoices {
  /** FAPI client authentication methods the server accepts. */
  auths: ClientAuthMethod[];
  /** Sender constraints the server offers: DPoP with a FAPI algorithm, mTLS-bound tokens. */
  senders: SenderConstraint[];
  /** Algorithms for the client's signing key. */
  algs: FapiAlg[];
  /** The preferred algorithm for a DPoP key that the server accepts, if any. */
  dpopAlg: FapiAlg | undefined;
}

/**
 * The choices `m` supports. With `auth` other than private_key_jwt the signing key signs no client
 * assertion, so the assertion algorithms do not constrain it.
 */
export function serverChoices(m: AuthorizationServerMetadata, auth?: ClientAuthMethod): ServerChoices {
  const methods = metadataStrings(m.token_endpoint_auth_methods_supported);
  const auths = CLIENT_AUTH_METHODS.filter((a) => !methods || methods.includes(a));
  const dpopAlgs = metadataStrings(m.dpop_signing_alg_values_supported) ?? [];
  const senders: SenderConstraint[] = [];
  if (dpopAlgs.some(isFapiAlg)) senders.push('dpop');
  if (m.tls_client_certificate_bound_access_tokens === true) senders.push('mtls');
  const assertionAlgs = metadataStrings(m.token_endpoint_auth_signing_alg_values_supported);
  const algs = SIGNING_ALGS.filter(
    (a) => (auth ?? 'private_key_jwt') !== 'private_key_jwt' || !assertionAlgs || assertionAlgs.includes(a),
  );
  const dpopAlg = DPOP_ALG_PREFERENCE.find((a) => dpopAlgs.includes(a));
  return { auths, senders, algs, dpopAlg };
}
