import { FAPI_ALGS } from '../../../src/core/fapi.js';
import { defineCheck } from '../check.js';
import { INTROSPECTION_SIGNING_ALGS } from '../introspection-jwt.js';
import { invalidMetadata, type RegistrationExchange } from '../registration.js';

const isFapiAlg = (v: unknown): v is string =>
  typeof v === 'string' && (FAPI_ALGS as readonly string[]).includes(v);

/**
 * REG-12 for FAPI 2.0 Message Signing: `request_object_signing_alg` is a FAPI algorithm (RFC 9101
 * §10.1; FAPI2-SP §5.4.1-1: never none, RS256 or HS*) and then the only one accepted for the
 * client's request objects; `require_signed_request_object` is a boolean the PAR endpoint honours
 * (MS-01); `introspection_signed_response_alg` is the lab's signing algorithm (RFC 9701 §6: its
 * default RS256 is not a FAPI algorithm; MS-10).
 */
export const regMessageSigning = defineCheck<RegistrationExchange>({
  id: 'REG-12',
  name: 'registration-message-signing-metadata',
  spec: 'RFC 9101 §10.1; RFC 9701 §6; FAPI2-SP §5.4.1-1; FAPI2-MS §5.3, §5.5',
  run(s) {
    const b = s.body;
    const roAlg = b.request_object_signing_alg;
    if (roAlg !== undefined) {
      if (!isFapiAlg(roAlg))
        throw invalidMetadata(
          `request_object_signing_alg ${JSON.stringify(roAlg)} is not allowed: FAPI 2.0 permits only ${FAPI_ALGS.join(', ')} (FAPI2-SP §5.4.1-1)`,
        );
      s.metadata.request_object_signing_alg = roAlg;
    }
    const required = b.require_signed_request_object;
    if (required !== undefined) {
      if (typeof required !== 'boolean')
        throw invalidMetadata('require_signed_request_object must be true or false');
      s.metadata.require_signed_request_object = required;
    }
    const inAlg = b.introspection_signed_response_alg;
    if (inAlg !== undefined) {
      if (!isFapiAlg(inAlg))
        throw invalidMetadata(
          `introspection_signed_response_alg ${JSON.stringify(inAlg)} is not allowed: FAPI 2.0 permits only ${FAPI_ALGS.join(', ')} (FAPI2-SP §5.4.1-1)`,
        );
      if (!(INTROSPECTION_SIGNING_ALGS as readonly string[]).includes(inAlg))
        throw invalidMetadata(
          `introspection_signed_response_alg ${JSON.stringify(inAlg)} is not offered: this lab signs introspection responses with ${INTROSPECTION_SIGNING_ALGS.join(', ')}`,
        );
      s.metadata.introspection_signed_response_alg = inAlg;
    }
  },
});
