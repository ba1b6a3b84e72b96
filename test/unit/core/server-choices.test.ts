/** What the server's metadata supports, defaults first (`fapi init` offers only these). */
import { describe, expect, it } from 'vitest';
import type { AuthorizationServerMetadata } from '../../../src/core/discovery.js';
import { serverChoices } from '../../../src/core/server-choices.js';

const ISS = 'https://as.example.com';

describe('server choices from metadata', () => {
  it('offers everything a full FAPI 2.0 server supports, preferred first', () => {
    const c = serverChoices({
      issuer: ISS,
      token_endpoint_auth_methods_supported: [
        'self_signed_tls_client_auth',
        'private_key_jwt',
        'tls_client_auth',
      ],
      token_endpoint_auth_signing_alg_values_supported: ['PS256', 'ES256', 'EdDSA'],
      dpop_signing_alg_values_supported: ['PS256', 'EdDSA'],
      tls_client_certificate_bound_access_tokens: true,
    });
    expect(c.auths).toEqual(['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']);
    expect(c.senders).toEqual(['dpop', 'mtls']);
    expect(c.algs).toEqual(['ES256', 'PS256', 'EdDSA']);
    expect(c.dpopAlg).toBe('EdDSA');
  });

  it('drops what the server lacks: non-FAPI methods, DPoP with only RS256, assertion algorithms', () => {
    const m: AuthorizationServerMetadata = {
      issuer: ISS,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'tls_client_auth'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256'],
      dpop_signing_alg_values_supported: ['RS256'],
    };
    const c = serverChoices(m);
    expect(c.auths).toEqual(['tls_client_auth']);
    expect(c.senders).toEqual([]);
    expect(c.algs).toEqual(['PS256']);
    // With mTLS authentication the assertion algorithms do not constrain the key.
    expect(serverChoices(m, 'tls_client_auth').algs).toEqual(['ES256', 'PS256', 'EdDSA']);
  });

  it('treats an absent list as "anything FAPI"', () => {
    const c = serverChoices({ issuer: ISS, dpop_signing_alg_values_supported: ['ES256'] });
    expect(c.auths).toHaveLength(3);
    expect(c.senders).toEqual(['dpop']);
  });
});
