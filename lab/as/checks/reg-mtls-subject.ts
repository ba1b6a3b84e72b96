import { TLS_SUBJECT_FIELDS } from '../../../src/core/fapi.js';
import { parseDn } from '../../../src/keys/x509.js';
import { defineCheck } from '../check.js';
import { invalidMetadata, type RegistrationExchange } from '../registration.js';

/**
 * REG-07: tls_client_auth names exactly one expected subject field (RFC 8705 §2.1.2);
 * self_signed_tls_client_auth registers its certificates as x5c in its JWKS (RFC 8705 §2.2).
 */
export const regMtlsSubject = defineCheck<RegistrationExchange>({
  id: 'REG-07',
  name: 'registration-mtls-subject',
  spec: 'RFC 8705 §2.1.2, §2.2',
  run(s) {
    const method = s.metadata.token_endpoint_auth_method;
    const given = TLS_SUBJECT_FIELDS.filter((f) => s.body[f] !== undefined);
    if (method === 'tls_client_auth') {
      if (given.length !== 1)
        throw invalidMetadata(
          `tls_client_auth needs exactly one of ${TLS_SUBJECT_FIELDS.join(', ')}; ${given.length ? `got ${given.join(', ')}` : 'none was given'} (RFC 8705 §2.1.2)`,
        );
      const field = given[0]!;
      const value = s.body[field];
      if (typeof value !== 'string' || !value) throw invalidMetadata(`${field} must be a non-empty string`);
      if (field === 'tls_client_auth_subject_dn') {
        try {
          parseDn(value);
        } catch (e) {
          throw invalidMetadata(`tls_client_auth_subject_dn is not an RFC 4514 DN: ${(e as Error).message}`);
        }
      }
      s.metadata[field] = value;
      return;
    }
    if (given.length)
      throw invalidMetadata(`${given.join(', ')} only applies to tls_client_auth, not ${method}`);
    if (method === 'self_signed_tls_client_auth') {
      const keys = s.metadata.jwks?.keys ?? s.fetchedKeys ?? [];
      if (!keys.some((k) => Array.isArray(k.x5c) && typeof k.x5c[0] === 'string'))
        throw invalidMetadata(
          'self_signed_tls_client_auth needs the certificate in the JWKS as x5c (RFC 8705 §2.2)',
        );
    }
  },
});
