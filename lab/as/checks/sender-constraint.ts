import { x5tS256 } from '../../../src/keys/x509.js';
import { badRequest, invalidClient } from '../../errors.js';
import { clientOf, defineCheck } from '../check.js';
import type { TokenExchange } from '../token.js';

/**
 * Access tokens are sender-constrained (FAPI2-SP §5.3.2.1-4, -5): by the DPoP proof's key
 * (RFC 9449 §5, DP-17) or by the TLS client certificate (RFC 8705 §3, MT-05). A token request
 * that offers neither is refused (TK-08, TK-13), and a client registered with
 * `dpop_bound_access_tokens` must always send a proof (DP-19, RFC 9449 §5.2).
 */
export const senderConstraint = defineCheck<TokenExchange>({
  id: 'TK-08',
  name: 'token-sender-constrained',
  spec: 'FAPI2-SP §5.3.2.1-4; RFC 9449 §5, §5.2; RFC 8705 §3',
  run(s) {
    const { client, cert, method } = clientOf(s);
    const m = client.metadata;
    if (s.dpop) {
      s.binding = { jkt: s.dpop.jkt };
      s.tokenType = 'DPoP';
      return;
    }
    if (m.dpop_bound_access_tokens)
      throw badRequest(
        'invalid_dpop_proof',
        `client ${client.client_id} is registered with dpop_bound_access_tokens: every token request needs a DPoP proof (RFC 9449 §5.2)`,
        'DP-19',
      );
    const certBinding = m.tls_client_certificate_bound_access_tokens || method !== 'private_key_jwt';
    if (cert && certBinding) {
      s.binding = { 'x5t#S256': x5tS256(cert.der) };
      s.tokenType = 'Bearer';
      return;
    }
    if (s.ctx.relaxed('bearer-tokens')) {
      s.binding = {};
      s.tokenType = 'Bearer';
      return;
    }
    if (m.tls_client_certificate_bound_access_tokens || method !== 'private_key_jwt')
      throw invalidClient(
        `a TLS client certificate is required to bind the access token (RFC 8705 §3); send the request to the mTLS endpoint alias under ${s.ctx.urls.mtls}`,
        'MT-06',
      );
    throw badRequest(
      'invalid_dpop_proof',
      'DPoP proof missing: FAPI 2.0 issues only sender-constrained access tokens; send a DPoP header (RFC 9449) or use mTLS (FAPI2-SP §5.3.2.1-4)',
    );
  },
});
