/**
 * A FAPI 2.0 authorization server nobody here wrote, for interop tests: panva's oidc-provider 9
 * (a certified FAPI 2.0 OP, dev dependency) in this process, over HTTPS on 127.0.0.1 with a
 * throw-away CA.
 *
 *   const op = await startOidcProvider();          // https://127.0.0.1:<port>, strict FAPI 2.0
 *   await fapi(['--ca', op.caFile, 'discover', op.issuer, '--strict']);
 *   ...
 *   await op.close();                              // also closes itself after maxLifetimeMs
 *
 * Configuration (FAPI2-SP Final):
 * - `features.fapi.profile = '2.0'`: assertion `aud` must be the issuer string, PKCE S256 always.
 * - PAR required (`require_pushed_authorization_requests: true`), response type `code` only.
 * - DPoP with server nonces (`requireNonce` on by default, rotating) and mTLS certificate-bound
 *   tokens; `mtls_endpoint_aliases` point to a second listener on its own port that asks for a
 *   client certificate (the main listener never does, as in real deployments).
 * - Client authentication: private_key_jwt, tls_client_auth (certificates from `op.ca` or
 *   `trustedClientCAs`), self_signed_tls_client_auth.
 * - Algorithms restricted to PS256, ES256, EdDSA everywhere; server keys of all three kinds.
 * - Dynamic registration (RFC 7591, optionally gated by `initialAccessToken`) and management
 *   (RFC 7592), introspection, revocation, client credentials, userinfo.
 * - A test user (`alice` by default); login and consent are completed automatically at
 *   `/interaction/:uid`, so following the redirects of an authorization URL (see
 *   `followAuthorization`) ends at the client's redirect_uri with `code`, `state` and `iss`.
 *   With `autoConsent: false` the interaction ends in `access_denied` instead.
 *
 * oidc-provider prints an "Unsupported runtime" notice on Node 20; it works regardless.
 */
import { generateKeyPairSync, randomBytes, type JsonWebKey, type X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Configuration, default as Provider } from 'oidc-provider';
import { createTestCa, type TestCa } from './tls.js';

export interface OidcProviderOptions {
  /** When set, registration requires `Authorization: Bearer <this>` (RFC 7591 §3). */
  initialAccessToken?: string;
  /** DPoP nonces demanded on every DPoP request (default true, as the OIDF suite does). */
  requireDpopNonce?: boolean;
  /** Rotate refresh tokens on use (default false, FAPI2-SP §5.3.2.1-9). */
  rotateRefreshToken?: boolean;
  /** Complete consent automatically (default true); false ends interactions in access_denied. */
  autoConsent?: boolean;
  /** The account that logs in (default "alice"). */
  accountId?: string;
  /** Supported scopes (default openid offline_access profile email). */
  scopes?: string[];
  /** Pre-registered clients (oidc-provider client metadata). */
  clients?: Record<string, unknown>[];
  /** Extra PEM CA certificates trusted for tls_client_auth (op.ca is always trusted). */
  trustedClientCAs?: string[];
  /** Close automatically after this long (default 10 minutes), so a forgotten server never lingers. */
  maxLifetimeMs?: number;
  /** Last word on the oidc-provider configuration (mutate it). */
  configure?: (config: Configuration) => void;
}

export interface RecordedRequest {
  listener: 'main' | 'mtls';
  method: string;
  /** Path and query, as received. */
  url: string;
  /** A client certificate was presented on the TLS connection. */
  clientCert: boolean;
  headers: Record<string, string | string[] | undefined>;
}

export interface OidcProviderHandle {
  /** https://127.0.0.1:<port> (no trailing slash). */
  issuer: string;
  /** https://127.0.0.1:<port> of the mTLS listener (the mtls_endpoint_aliases). */
  mtlsOrigin: string;
  /** PEM file of the test CA: pass it as `--ca`. */
  caFile: string;
  /** The test CA: `op.ca.issueClient('CN=c1')` makes a tls_client_auth certificate it trusts. */
  ca: TestCa;
  /** A temporary folder removed on close (for test files). */
  dir: string;
  /** The oidc-provider instance. */
  provider: Provider;
  /** Every HTTP request received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** RFC 4514-ish DN → sorted "type=value" pairs (order-insensitive: node prints ASN.1 order). */
function dnParts(dn: string): string[] {
  return dn
    .split(/(?<!\\)[,\n+]/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=');
      return `${p.slice(0, i).trim().toUpperCase()}=${p.slice(i + 1).trim()}`;
    })
    .sort();
}

function peerCertificate(ctx: { socket: unknown }): X509Certificate | undefined {
  const socket = ctx.socket as TLSSocket;
  if (typeof socket.getPeerX509Certificate !== 'function') return undefined;
  return socket.getPeerX509Certificate() ?? undefined;
}

function signingKeys(): JsonWebKey[] {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return [
    { ...ec, kid: 'op-es256', alg: 'ES256', use: 'sig' },
    { ...rsa, kid: 'op-ps256', alg: 'PS256', use: 'sig' },
    { ...ed, kid: 'op-eddsa', alg: 'EdDSA', use: 'sig' },
  ];
}

const FAPI_ALGS = ['PS256', 'ES256', 'EdDSA'];

export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<OidcProviderHandle> {
  const { default: ProviderClass } = await import('oidc-provider');
  const ca = await createTestCa();
  const serverCert = await ca.issueServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-op-'));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  const requests: RecordedRequest[] = [];

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const record = (listener: 'main' | 'mtls') => (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    requests.push({
      listener,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      clientCert: Boolean(socket.getPeerX509Certificate?.()),
      headers: { ...req.headers },
    });
    handler(req, res);
  };
  const tlsBase = { key: serverCert.keyPem, cert: serverCert.certPem, minVersion: 'TLSv1.2' as const };
  const main = https.createServer(tlsBase, record('main'));
  const mtls = https.createServer(
    {
      ...tlsBase,
      // Ask for a certificate, verify it against the test CA, but let the AS decide (so a
      // self-signed certificate reaches self_signed_tls_client_auth and errors are OAuth errors).
      requestCert: true,
      rejectUnauthorized: false,
      ca: [ca.certPem, ...(options.trustedClientCAs ?? [])],
    },
    record('mtls'),
  );
  const listen = (s: https.Server) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
    });
  const issuer = `https://127.0.0.1:${await listen(main)}`;
  const mtlsOrigin = `https://127.0.0.1:${await listen(mtls)}`;

  const routes = {
    token: '/token',
    pushed_authorization_request: '/request',
    introspection: '/token/introspection',
    revocation: '/token/revocation',
    userinfo: '/me',
    registration: '/reg',
  };
  const accountId = options.accountId ?? 'alice';
  const config: Configuration = {
    routes,
    jwks: { keys: signingKeys() },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({
        sub: id,
        name: `${id[0]?.toUpperCase()}${id.slice(1)} Example`,
        email: `${id}@example.com`,
        email_verified: true,
      }),
    }),
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    scopes: options.scopes ?? ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: {
      clientAuthSigningAlgValues: FAPI_ALGS,
      idTokenSigningAlgValues: FAPI_ALGS,
      requestObjectSigningAlgValues: FAPI_ALGS,
      userinfoSigningAlgValues: FAPI_ALGS,
      introspectionSigningAlgValues: FAPI_ALGS,
      authorizationSigningAlgValues: FAPI_ALGS,
      dPoPSigningAlgValues: FAPI_ALGS,
    },
    discovery: {
      // RFC 8705 §5: the endpoints that need a client certificate, on the mTLS listener.
      mtls_endpoint_aliases: {
        token_endpoint: `${mtlsOrigin}${routes.token}`,
        pushed_authorization_request_endpoint: `${mtlsOrigin}${routes.pushed_authorization_request}`,
        introspection_endpoint: `${mtlsOrigin}${routes.introspection}`,
        revocation_endpoint: `${mtlsOrigin}${routes.revocation}`,
        userinfo_endpoint: `${mtlsOrigin}${routes.userinfo}`,
      },
    },
    features: {
      fapi: { enabled: true, profile: '2.0' },
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      dPoP: {
        enabled: true,
        nonceSecret: randomBytes(32),
        requireNonce: () => options.requireDpopNonce ?? true,
      },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx: { socket: unknown }) => peerCertificate(ctx),
        certificateAuthorized: (ctx: { socket: unknown }) => (ctx.socket as TLSSocket).authorized === true,
        certificateSubjectMatches: (ctx: { socket: unknown }, property: string, expected: string) => {
          const cert = peerCertificate(ctx);
          if (!cert) return false;
          const sans = (cert.subjectAltName ?? '').split(', ');
          switch (property) {
            case 'tls_client_auth_subject_dn':
              return dnParts(cert.subject).join(',') === dnParts(expected).join(',');
            case 'tls_client_auth_san_dns':
              return sans.includes(`DNS:${expected}`);
            case 'tls_client_auth_san_uri':
              return sans.includes(`URI:${expected}`);
            case 'tls_client_auth_san_email':
              return sans.includes(`email:${expected}`);
            case 'tls_client_auth_san_ip':
              return sans.includes(`IP Address:${expected}`);
            default:
              return false;
          }
        },
      },
      registration: {
        enabled: true,
        initialAccessToken: options.initialAccessToken ?? false,
        issueRegistrationAccessToken: true,
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
    },
    clients: options.clients ?? [],
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => options.rotateRefreshToken ?? false,
    clientBasedCORS: () => false,
    ttl: {
      AccessToken: 300,
      AuthorizationCode: 60,
      ClientCredentials: 300,
      IdToken: 300,
      RefreshToken: 86_400,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
  };
  options.configure?.(config);
  const provider = new ProviderClass(issuer, config);
  const callback = provider.callback();

  // Login and consent without a UI: the interaction is finished as soon as the browser lands on it.
  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    let result: Record<string, unknown>;
    if (options.autoConsent === false) {
      result = { error: 'access_denied', error_description: 'the test user denied the request' };
    } else if (details.prompt.name === 'login') {
      result = { login: { accountId } };
    } else {
      const clientId = String(details.params.client_id);
      const grant = details.grantId
        ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
        : new provider.Grant({ accountId: details.session?.accountId ?? accountId, clientId });
      const d = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
        /** RFC 9396 authorization details asked for (features.richAuthorizationRequests). */
        rar?: Record<string, unknown>[];
      };
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(d.missingResourceScopes ?? {}))
        grant.addResourceScope(resource, scopes.join(' '));
      // The test user approves every authorization detail asked for (RFC 9396 §3.1).
      for (const detail of d.rar ?? []) grant.addRar(detail);
      result = { consent: { grantId: await grant.save() } };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  };
  handler = (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((err: Error) => {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
        res.end(`interaction failed: ${err.message}`);
      });
      return;
    }
    callback(req, res);
  };

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    for (const s of [main, mtls]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const timer = setTimeout(() => void close(), options.maxLifetimeMs ?? 600_000);
  timer.unref();

  return { issuer, mtlsOrigin, caFile, ca, dir, provider, requests, close };
}

/**
 * Follows an authorization URL the way a browser would (cookies kept, redirects followed) through
 * the automatic login and consent, and returns the final redirect to the client (its redirect_uri
 * with `code`, `state`, `iss`, or an `error`). It does not call the redirect_uri itself.
 */
export async function followAuthorization(
  url: string,
  options: { caPem: string; maxHops?: number },
): Promise<string> {
  const start = new URL(url);
  const jar = new Map<string, string>();
  let current = start;
  for (let hop = 0; hop < (options.maxHops ?? 10); hop++) {
    const res = await new Promise<IncomingMessage & { body: string }>((resolve, reject) => {
      const req = https.request(
        current,
        {
          method: 'GET',
          ca: options.caPem,
          headers: {
            cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
            accept: 'text/html',
          },
        },
        (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve(Object.assign(r, { body })));
        },
      );
      req.on('error', reject);
      req.end();
    });
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      const i = pair?.indexOf('=') ?? -1;
      if (pair && i > 0) jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = res.headers.location;
    if (!location || !res.statusCode || res.statusCode < 300 || res.statusCode >= 400) {
      throw new Error(
        `authorization stopped at ${current.href} with HTTP ${res.statusCode}: ${res.body.slice(0, 300)}`,
      );
    }
    const next = new URL(location, current);
    if (next.origin !== start.origin) return next.href;
    current = next;
  }
  throw new Error(`authorization did not reach the client after ${options.maxHops ?? 10} redirects`);
}
