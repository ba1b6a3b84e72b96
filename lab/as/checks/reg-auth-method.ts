import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from '../../../src/core/fapi.js';
import { defineCheck } from '../check.js';
import { invalidMetadata, type RegistrationExchange } from '../registration.js';

/**
 * REG-01 / REG-02: confidential clients only, authenticating with private_key_jwt,
 * tls_client_auth or self_signed_tls_client_auth (FAPI2-SP §5.3.2.1-3, -6). The RFC 7591 default
 * (client_secret_basic) is not allowed, so the method must be given.
 */
export const regAuthMethod = defineCheck<RegistrationExchange>({
  id: 'REG-02',
  name: 'registration-fapi-auth-method',
  spec: 'FAPI2-SP §5.3.2.1-3, -6; RFC 7591 §2',
  run(s) {
    const m = s.body.token_endpoint_auth_method;
    if (m === undefined)
      throw invalidMetadata(
        `token_endpoint_auth_method is required: one of ${CLIENT_AUTH_METHODS.join(', ')} (the RFC 7591 default, client_secret_basic, is not allowed by FAPI 2.0)`,
      );
    if (m === 'none')
      throw invalidMetadata(
        'token_endpoint_auth_method "none" (a public client) is not allowed: FAPI 2.0 requires confidential clients (FAPI2-SP §5.3.2.1-3)',
        'REG-01',
      );
    if (typeof m !== 'string' || !(CLIENT_AUTH_METHODS as readonly string[]).includes(m))
      throw invalidMetadata(
        `token_endpoint_auth_method ${JSON.stringify(m)} is not allowed: use ${CLIENT_AUTH_METHODS.join(', ')} (FAPI2-SP §5.3.2.1-6)`,
      );
    s.metadata.token_endpoint_auth_method = m as ClientAuthMethod;
  },
});
