import { assertFapiKeyStrength, hasPrivateMembers, type Jwk } from '../../../src/core/jwk.js';
import { isPlainObject } from '../../../src/store/validate.js';
import { defineCheck } from '../check.js';
import { fetchJwks, keysOrRefuse } from '../client-keys.js';
import { invalidMetadata, type RegistrationExchange } from '../registration.js';

/** REG-06: every key is public and strong enough (RSA ≥ 2048, EC ≥ 224; FAPI2-SP §5.4.1-2/3). */
export function jwksProblem(keys: unknown, where: string): string | undefined {
  if (!Array.isArray(keys) || keys.length === 0) return `${where} must hold a non-empty "keys" array`;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as Jwk;
    if (!isPlainObject(k) || typeof k.kty !== 'string') return `${where}.keys[${i}] is not a JWK`;
    if (hasPrivateMembers(k))
      return `${where}.keys[${i}] contains private key material: register public keys only`;
    if (k.use === 'enc') continue;
    try {
      assertFapiKeyStrength(k);
    } catch (e) {
      return `${where}.keys[${i}]: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/**
 * REG-05: `jwks` and `jwks_uri` are not both present (RFC 7591 §2). Key-based methods need one of
 * them; keys are checked (REG-06), and a jwks_uri is fetched over verified TLS now (NET-08).
 */
export const regJwks = defineCheck<RegistrationExchange>({
  id: 'REG-05',
  name: 'registration-jwks-xor-jwks-uri',
  spec: 'RFC 7591 §2; FAPI2-SP §5.4.1-2, -3; §5.2.1-5',
  async run(s) {
    const { jwks, jwks_uri } = s.body;
    if (jwks !== undefined && jwks_uri !== undefined)
      throw invalidMetadata('jwks and jwks_uri must not both be present (RFC 7591 §2)');
    const method = s.metadata.token_endpoint_auth_method;
    if (jwks === undefined && jwks_uri === undefined) {
      if (method === 'private_key_jwt' || method === 'self_signed_tls_client_auth')
        throw invalidMetadata(`${method} needs the client's public keys: register jwks or jwks_uri`);
      return;
    }
    if (jwks !== undefined) {
      if (!isPlainObject(jwks)) throw invalidMetadata('jwks must be a JWK Set object ({"keys": [...]})');
      const problem = jwksProblem(jwks.keys, 'jwks');
      if (problem) throw invalidMetadata(problem, 'REG-06');
      s.metadata.jwks = { keys: jwks.keys as Jwk[] };
      return;
    }
    if (typeof jwks_uri !== 'string' || !/^https:\/\//i.test(jwks_uri))
      throw invalidMetadata('jwks_uri must be an https URL (FAPI2-SP §5.4.2)');
    const keys = await keysOrRefuse(fetchJwks(s.ctx, jwks_uri), invalidMetadata);
    const problem = jwksProblem(keys, 'the document at jwks_uri');
    if (problem) throw invalidMetadata(problem, 'REG-06');
    s.metadata.jwks_uri = jwks_uri;
    s.fetchedKeys = keys;
  },
});
