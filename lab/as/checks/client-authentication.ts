import { TLS_SUBJECT_FIELDS } from '../../../src/core/fapi.js';
import { decodeJws, type DecodedJws } from '../../../src/core/jws.js';
import { verifyClientAssertion } from '../../../src/core/client-auth.js';
import { parseCertificateDer, parseDn } from '../../../src/keys/x509.js';
import { invalidClient, invalidRequest } from '../../errors.js';
import type { LabContext } from '../../context.js';
import { peerCertificate, type PeerCertificate } from '../../http.js';
import type { LabClient } from '../../model.js';
import { defineCheck, type AsExchange } from '../check.js';
import { clientKeys, keysOrRefuse } from '../client-keys.js';

/** The registered tls_client_auth subject field, as [metadata name, value]. */
function registeredSubject(client: LabClient): [string, string] | undefined {
  const m = client.metadata;
  for (const k of TLS_SUBJECT_FIELDS) {
    const v = m[k];
    if (typeof v === 'string') return [k, v];
  }
  return undefined;
}

function dnKey(dn: string): string {
  return JSON.stringify(
    parseDn(dn).map((rdn) =>
      rdn
        .map((a) => `${a.oid}=${Buffer.isBuffer(a.value) ? a.value.toString('hex') : a.value}`)
        .sort()
        .join('+'),
    ),
  );
}

/** RFC 8705 §2.1.2: the certificate's subject DN or SAN matches the registered value exactly. */
export function certificateMatchesSubject(cert: PeerCertificate, field: string, expected: string): boolean {
  const info = parseCertificateDer(cert.der);
  if (field === 'tls_client_auth_subject_dn') {
    try {
      return dnKey(info.subject) === dnKey(expected);
    } catch {
      return false;
    }
  }
  const type = field.slice('tls_client_auth_san_'.length);
  return info.sans.some((s) => s.type === type && s.value === expected);
}

function aliasHint(ctx: LabContext, listener: string): string {
  return listener === 'mtls'
    ? ''
    : ` Send it to the mTLS endpoint alias under ${ctx.urls.mtls} (see mtls_endpoint_aliases in the metadata).`;
}

/** The client's registered keys, or invalid_client (NET-08) when its jwks_uri cannot be used. */
const keysOf = (ctx: LabContext, client: LabClient) => keysOrRefuse(clientKeys(ctx, client), invalidClient);

/**
 * Client authentication (FAPI2-SP §5.3.2.1-6): private_key_jwt (OIDC Core §9, RFC 7523; CA-01..13,
 * verified by src/core/client-auth.ts), tls_client_auth (RFC 8705 §2.1; MT-01..03) or
 * self_signed_tls_client_auth (RFC 8705 §2.2; MT-04). Never shared secrets.
 */
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
    const cert = req.lab.listener === 'mtls' ? peerCertificate(req) : undefined;
    const assertion = form.get('client_assertion');
    const assertionType = form.get('client_assertion_type');
    const clientIdParam = form.get('client_id');

    if (assertion !== undefined || assertionType !== undefined) {
      // private_key_jwt. Find the client named by the assertion (verified below).
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
      const keys = client ? await keysOf(ctx, client) : undefined;
      const alg = client?.metadata.token_endpoint_auth_signing_alg;
      verifyClientAssertion({
        assertion,
        ...(decoded ? { decoded } : {}),
        assertionType,
        clientIdParam,
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
      s.client = { client: client as LabClient, method: 'private_key_jwt', cert };
      req.lab.clientId = (client as LabClient).client_id;
      return;
    }

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
    if (method === 'tls_client_auth') {
      // MT-03: the chain validates to the lab CA, and the subject matches the registration.
      if (!ctx.ca.issued(cert.der, ctx.now()))
        throw invalidClient(
          'the client certificate was not issued by the lab CA, or is not valid now (use `fapi lab cert`)',
          'MT-03',
        );
      const subject = registeredSubject(client);
      if (!subject || !certificateMatchesSubject(cert, subject[0], subject[1]))
        throw invalidClient(
          `the client certificate does not match the registered ${subject?.[0] ?? 'subject'} ${JSON.stringify(subject?.[1] ?? '')} (RFC 8705 §2.1.2)`,
          'MT-03',
        );
    } else {
      // MT-04: the certificate is one registered in the client's JWKS (x5c).
      const keys = await keysOf(ctx, client);
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
    }
    s.client = { client, method, cert };
  },
});
