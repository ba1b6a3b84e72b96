import type { Jwk } from '../../../src/core/jwk.js';
import { defineCheck } from '../check.js';
import { citing, labEcosystem } from '../../ecosystem.js';
import { invalidMetadata, type RegistrationExchange } from '../registration.js';

/** The key type each FAPI algorithm signs with (RFC 7518 §3.1; RFC 8037 §3.1). */
const KTY_OF_ALG: Readonly<Record<string, string>> = { PS256: 'RSA', ES256: 'EC', EdDSA: 'OKP' };

function keyAlg(k: Jwk): string | undefined {
  if (typeof k.alg === 'string') return k.alg;
  return Object.entries(KTY_OF_ALG).find(([, kty]) => kty === k.kty)?.[0];
}

/**
 * ECO-01: under an ecosystem preset, a client registers only what the ecosystem allows: its
 * client authentication methods, its one sender constraint (dpop_bound_access_tokens or
 * tls_client_certificate_bound_access_tokens), and keys and an assertion algorithm among its
 * algorithms (each refusal cites the preset's rule and source).
 */
export const regEcosystem = defineCheck<RegistrationExchange>({
  id: 'ECO-01',
  name: 'registration-within-ecosystem',
  spec: 'src/core/ecosystems.ts (the preset rules and their sources)',
  run(s) {
    const eco = labEcosystem(s.ctx.config);
    const set = eco.settings;
    if (eco.name === 'fapi2') return 'skip';
    const m = s.metadata;
    if (
      set.authMethods &&
      m.token_endpoint_auth_method &&
      !set.authMethods.includes(m.token_endpoint_auth_method)
    )
      throw invalidMetadata(
        `token_endpoint_auth_method ${m.token_endpoint_auth_method} is not used in ${eco.name}: use ${set.authMethods.join(', ')}${citing(eco, 'authMethods')}`,
        'ECO-01',
      );
    if (set.sender === 'mtls' && !m.tls_client_certificate_bound_access_tokens)
      throw invalidMetadata(
        `${eco.name} binds access tokens to the client certificate: register tls_client_certificate_bound_access_tokens: true${m.dpop_bound_access_tokens ? ', not dpop_bound_access_tokens' : ''}${citing(eco, 'sender')}`,
        'ECO-01',
      );
    if (set.sender === 'dpop' && !m.dpop_bound_access_tokens)
      throw invalidMetadata(
        `${eco.name} binds access tokens with DPoP: register dpop_bound_access_tokens: true${citing(eco, 'sender')}`,
        'ECO-01',
      );
    if (set.algs) {
      const algs = set.algs as readonly string[];
      const alg = m.token_endpoint_auth_signing_alg;
      if (alg && !algs.includes(alg))
        throw invalidMetadata(
          `token_endpoint_auth_signing_alg ${alg} is not used in ${eco.name}: use ${algs.join(', ')}${citing(eco, 'algs')}`,
          'ECO-01',
        );
      const bad = (m.jwks?.keys ?? s.fetchedKeys ?? []).find((k) => {
        const a = keyAlg(k);
        return a === undefined || !algs.includes(a);
      });
      if (bad)
        throw invalidMetadata(
          `the key ${bad.kid ?? bad.kty} (${keyAlg(bad) ?? bad.kty}) is not for ${algs.join(', ')}, which ${eco.name} requires${citing(eco, 'algs')}`,
          'ECO-01',
        );
    }
  },
});
