/**
 * Client authentication (FAPI2-SP §5.3.2.1-6): with a key, never a shared secret (CA-01). What the
 * request carries picks the method, as oidc-provider's client_auth dispatches, and each method is
 * its own check under ./client-auth/: a client assertion → private_key_jwt (CA-02..13, reported as
 * CA-08); otherwise the registered mTLS method of the client_id, over the mTLS listener with a
 * client certificate (MT-01, MT-02, CA-11) → tls_client_auth (MT-03) or
 * self_signed_tls_client_auth (MT-04). The method check that passed is logged before this one.
 */
import { invalidClient, invalidRequest } from '../../errors.js';
import type { LabContext } from '../../context.js';
import { peerCertificate } from '../../http.js';
import { defineCheck, type AsExchange } from '../check.js';
import { privateKeyJwt } from './client-auth/private-key-jwt.js';
import { selfSignedTlsClientAuth } from './client-auth/self-signed-tls-client-auth.js';
import { tlsClientAuth } from './client-auth/tls-client-auth.js';

function aliasHint(ctx: LabContext, listener: string): string {
  return listener === 'mtls'
    ? ''
    : ` Send it to the mTLS endpoint alias under ${ctx.urls.mtls} (see mtls_endpoint_aliases in the metadata).`;
}

export const clientAuthentication = defineCheck<AsExchange>({
  id: 'CA-01',
  name: 'client-authenticates-with-a-key',
  spec: 'FAPI2-SP §5.3.2.1-6; OIDC Core §9; RFC 8705 §2',
  async run(s) {
    const { ctx, req, form } = s;
    const authorization = req.headers.authorization;
    // CA-01: no client_secret_basic / client_secret_post.
    if (authorization && /^basic\s/i.test(authorization))
      throw invalidClient(
        'client_secret_basic is not allowed by FAPI 2.0: authenticate with private_key_jwt or mTLS (FAPI2-SP §5.3.2.1-6)',
        'CA-01',
        true,
      );
    if (form.has('client_secret'))
      throw invalidClient(
        'client_secret_post is not allowed by FAPI 2.0: authenticate with private_key_jwt or mTLS (FAPI2-SP §5.3.2.1-6)',
        'CA-01',
      );
    if (form.get('client_assertion') !== undefined || form.get('client_assertion_type') !== undefined) {
      await privateKeyJwt.run(s);
      req.lab.passed.push(privateKeyJwt.id);
      return;
    }

    const cert = req.lab.listener === 'mtls' ? peerCertificate(req) : undefined;
    const clientIdParam = form.get('client_id');
    if (!clientIdParam) {
      // MT-01: mTLS authentication names the client with client_id (RFC 8705 §2).
      if (cert)
        throw invalidRequest(
          'with mTLS client authentication, send the client_id parameter (RFC 8705 §2)',
          'MT-01',
        );
      throw invalidClient(
        'client authentication is required: send client_assertion (private_key_jwt) or use mTLS with client_id',
        'CA-11',
      );
    }
    const client = ctx.clients.get(clientIdParam);
    if (!client) throw invalidClient(`unknown client ${JSON.stringify(clientIdParam)}`, 'CA-11');
    req.lab.clientId = client.client_id;
    const method = client.metadata.token_endpoint_auth_method;
    // Relaxation refresh-without-client-auth (for `fapi lab attack`): a refresh token alone is enough.
    if (ctx.relaxed('refresh-without-client-auth') && form.get('grant_type') === 'refresh_token' && !cert) {
      s.client = { client, method };
      return;
    }
    if (method === 'private_key_jwt')
      throw invalidClient(
        `client ${client.client_id} authenticates with private_key_jwt: send client_assertion_type and client_assertion`,
        'CA-11',
      );
    if (!cert)
      throw invalidClient(
        `client ${client.client_id} authenticates with ${method}, but no TLS client certificate was presented.${aliasHint(ctx, req.lab.listener)}`,
        'MT-02',
      );
    const check = method === 'tls_client_auth' ? tlsClientAuth : selfSignedTlsClientAuth;
    await check.run({ ctx, client, cert });
    req.lab.passed.push(check.id);
    s.client = { client, method, cert };
  },
});
