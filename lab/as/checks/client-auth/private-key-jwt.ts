/**
 * private_key_jwt (OIDC Core §9, RFC 7523 §3): the client assertion, verified by
 * src/core/client-auth.ts under the FAPI 2.0 rules (CA-02..13: audience, iss = sub, exp, lifetime,
 * one-time jti, alg, typ, signature by a registered key), with the client's keys from `jwks` or its
 * jwks_uri (NET-08). A client registered for another method may not use it (CA-01).
 */
import { verifyClientAssertion } from '../../../../src/core/client-auth.js';
import { decodeJws, type DecodedJws } from '../../../../src/core/jws.js';
import { invalidClient } from '../../../errors.js';
import { peerCertificate } from '../../../http.js';
import type { LabClient } from '../../../model.js';
import { defineCheck, type AsExchange } from '../../check.js';
import { clientKeys, keysOrRefuse } from '../../client-keys.js';

export const privateKeyJwt = defineCheck<AsExchange>({
  id: 'CA-08',
  name: 'private-key-jwt',
  spec: 'OIDC Core §9; RFC 7523 §3; FAPI2-SP §5.3.2.1-6, -8, -13',
  async run(s) {
    const { ctx, req, form } = s;
    const assertion = form.get('client_assertion');
    // Find the client named by the assertion (verified below).
    let decoded: DecodedJws | undefined;
    try {
      decoded = assertion ? decodeJws(assertion) : undefined;
    } catch {
      decoded = undefined;
    }
    const sub = decoded?.payload.sub;
    const client = typeof sub === 'string' ? ctx.clients.get(sub) : undefined;
    if (client && client.metadata.token_endpoint_auth_method !== 'private_key_jwt')
      throw invalidClient(
        `client ${client.client_id} is registered for ${client.metadata.token_endpoint_auth_method}, not private_key_jwt`,
        'CA-01',
      );
    const keys = client ? await keysOrRefuse(clientKeys(ctx, client), invalidClient) : undefined;
    const alg = client?.metadata.token_endpoint_auth_signing_alg;
    verifyClientAssertion({
      assertion,
      ...(decoded ? { decoded } : {}),
      assertionType: form.get('client_assertion_type'),
      clientIdParam: form.get('client_id'),
      issuer: ctx.urls.issuer,
      now: ctx.now(),
      getClientKeys: (id) => (client && id === client.client_id ? keys : undefined),
      // CA-06: one-time jti, remembered until the assertion expires (not under assertion-replay).
      replay: ctx.relaxed('assertion-replay') ? undefined : (key, exp) => ctx.assertionJtis.once(key, exp),
      // CA-02 (relaxation lax-assertion-aud): the pre-FAPI 2.0 audiences of RFC 9126 §2.
      ...(ctx.relaxed('lax-assertion-aud')
        ? { laxAudiences: [ctx.urls.issuer, ctx.urls.mtls].flatMap((b) => [`${b}/token`, `${b}/par`]) }
        : {}),
      maxLifetime: 300,
      futureSkew: 10,
      // REG-12: a registered token_endpoint_auth_signing_alg narrows the algorithms.
      ...(alg ? { allowedAlgs: [alg] } : {}),
    });
    const cert = req.lab.listener === 'mtls' ? peerCertificate(req) : undefined;
    s.client = { client: client as LabClient, method: 'private_key_jwt', cert };
    req.lab.clientId = (client as LabClient).client_id;
  },
});
