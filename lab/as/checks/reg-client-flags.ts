import { SCOPES } from '../../model.js';
import { AUTHORIZATION_SIGNING_ALGS, ID_TOKEN_ALGS } from '../discovery.js';
import { defineCheck } from '../check.js';
import { invalidMetadata, type RegistrationExchange } from '../registration.js';
import { parseScope } from './par-scope.js';
import { FAPI_ALGS } from '../../../src/core/fapi.js';

const FLAGS = [
  'dpop_bound_access_tokens',
  'tls_client_certificate_bound_access_tokens',
  'require_pushed_authorization_requests',
  'use_mtls_endpoint_aliases',
] as const;
const STRINGS = ['client_name', 'client_uri', 'logo_uri', 'software_id', 'software_version'] as const;

/**
 * REG-12: the flags the lab honours are booleans (RFC 9449 §5.2, RFC 8705 §3.4, RFC 9126 §6,
 * FAPI2-SP §5.2.2.1), algorithms are FAPI ones (§5.4.1-1; also JARM's, JARM §3), and scopes are
 * known.
 */
export const regClientFlags = defineCheck<RegistrationExchange>({
  id: 'REG-12',
  name: 'registration-flags-and-algorithms',
  spec: 'RFC 9449 §5.2; RFC 8705 §3.4; RFC 9126 §6; FAPI2-SP §5.4.1-1; JARM §3',
  run(s) {
    const b = s.body;
    for (const f of FLAGS) {
      if (b[f] === undefined) continue;
      if (typeof b[f] !== 'boolean') throw invalidMetadata(`${f} must be true or false`);
      s.metadata[f] = b[f] as boolean;
    }
    for (const f of STRINGS) {
      if (b[f] === undefined) continue;
      if (typeof b[f] !== 'string') throw invalidMetadata(`${f} must be a string`);
      s.metadata[f] = b[f] as string;
    }
    if (b.contacts !== undefined) {
      if (!Array.isArray(b.contacts) || b.contacts.some((c) => typeof c !== 'string'))
        throw invalidMetadata('contacts must be an array of strings');
      s.metadata.contacts = b.contacts as string[];
    }
    const alg = b.token_endpoint_auth_signing_alg;
    if (alg !== undefined) {
      if (typeof alg !== 'string' || !(FAPI_ALGS as readonly string[]).includes(alg))
        throw invalidMetadata(
          `token_endpoint_auth_signing_alg ${JSON.stringify(alg)} is not allowed: use ${FAPI_ALGS.join(', ')}`,
        );
      s.metadata.token_endpoint_auth_signing_alg = alg;
    }
    const idAlg = b.id_token_signed_response_alg;
    if (idAlg !== undefined) {
      if (typeof idAlg !== 'string' || !(ID_TOKEN_ALGS as readonly string[]).includes(idAlg))
        throw invalidMetadata(
          `id_token_signed_response_alg ${JSON.stringify(idAlg)} is not offered: this lab signs ID tokens with ${ID_TOKEN_ALGS.join(', ')}`,
        );
      s.metadata.id_token_signed_response_alg = idAlg;
    }
    // JARM §3 (MS-08): the alg of signed authorization responses. JARM's default RS256 and "none"
    // are not FAPI algorithms (FAPI2-SP §5.4.1-1); the lab signs with its own key's algorithm.
    const jarmAlg = b.authorization_signed_response_alg;
    if (jarmAlg !== undefined) {
      if (typeof jarmAlg !== 'string' || !(FAPI_ALGS as readonly string[]).includes(jarmAlg))
        throw invalidMetadata(
          `authorization_signed_response_alg ${JSON.stringify(jarmAlg)} is not allowed: FAPI 2.0 permits only ${FAPI_ALGS.join(', ')} (FAPI2-SP §5.4.1-1)`,
        );
      if (!(AUTHORIZATION_SIGNING_ALGS as readonly string[]).includes(jarmAlg))
        throw invalidMetadata(
          `authorization_signed_response_alg ${JSON.stringify(jarmAlg)} is not offered: this lab signs authorization responses with ${AUTHORIZATION_SIGNING_ALGS.join(', ')}`,
        );
      s.metadata.authorization_signed_response_alg = jarmAlg;
    }
    if (b.scope !== undefined) {
      if (typeof b.scope !== 'string') throw invalidMetadata('scope must be a space-separated string');
      const unknown = parseScope(b.scope).filter((x) => !(x in SCOPES));
      if (unknown.length)
        throw invalidMetadata(
          `unknown scope ${unknown.join(' ')}; this lab offers ${Object.keys(SCOPES).join(' ')}`,
        );
      s.metadata.scope = parseScope(b.scope).join(' ');
    }
    if (s.metadata.dpop_bound_access_tokens && s.metadata.tls_client_certificate_bound_access_tokens)
      throw invalidMetadata(
        'choose one sender constraint: dpop_bound_access_tokens or tls_client_certificate_bound_access_tokens',
      );
  },
});
