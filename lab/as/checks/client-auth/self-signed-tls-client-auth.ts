/**
 * self_signed_tls_client_auth (RFC 8705 §2.2; MT-04): the presented certificate is one the client
 * registered, as the first `x5c` certificate of a key in its JWKS (by value or jwks_uri, NET-08).
 */
import { invalidClient } from '../../../errors.js';
import { defineCheck } from '../../check.js';
import { clientKeys, keysOrRefuse } from '../../client-keys.js';
import type { MtlsAuthentication } from './tls-client-auth.js';

export const selfSignedTlsClientAuth = defineCheck<MtlsAuthentication>({
  id: 'MT-04',
  name: 'self-signed-tls-client-auth',
  spec: 'RFC 8705 §2.2',
  async run({ ctx, client, cert }) {
    const keys = await keysOrRefuse(clientKeys(ctx, client), invalidClient);
    const known = keys.some(
      (k) =>
        Array.isArray(k.x5c) &&
        typeof k.x5c[0] === 'string' &&
        Buffer.from(k.x5c[0], 'base64').equals(cert.der),
    );
    if (!known)
      throw invalidClient(
        'the self-signed client certificate is not one registered in the client JWKS (x5c) (RFC 8705 §2.2)',
        'MT-04',
      );
  },
});
