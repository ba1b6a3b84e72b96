/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592) with FAPI 2.0-valid client
 * metadata (catalogue REG-01..07, CL-25): confidential clients only, private_key_jwt or mTLS,
 * response type `code`, https or loopback-http redirect URIs, public keys of FAPI strength,
 * sender-constrained tokens (DPoP or certificate-bound).
 *
 * `buildClientMetadata` is pure; the rest sends one request each and turns the server's answer
 * into typed data or a FapiError carrying its OAuth `error` and a hint. A 401 on the registration
 * access token is fatal (CL-25): never retried, the caller stops.
 */
import type { FapiError } from '../errors.js';
import { conformanceError, serverError, stateError, usageError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http/client.js';
import { isStringArray, type AuthorizationServerMetadata } from './discovery.js';
import { checkJarmSupported } from './jarm.js';
import { checkRequestObjectsSupported } from './request-object.js';
import { JwkError, assertFapiKeyStrength, hasPrivateMembers, type Jwk } from './jwk.js';
import { REGISTRATION, hintFor, oauthErrorBody } from './oauth-error.js';
import {
  FAPI_ALGS,
  FAPI_JWS_ALGS,
  GRANT_TYPES,
  TLS_SUBJECT_FIELDS,
  isClientAuthMethod,
  type ClientAuthMethod,
  type FapiAlg,
  type SenderConstraint,
} from './fapi.js';

export type ClientMetadata = Record<string, unknown>;

/** Fields a client may not send in an RFC 7592 update (§2.2), and secrets never kept. */
const SERVER_MANAGED = [
  'registration_access_token',
  'registration_client_uri',
  'client_secret_expires_at',
  'client_id_issued_at',
  'client_secret',
];

const ALLOWED_GRANTS: ReadonlySet<string> = new Set(GRANT_TYPES);

// ── building and checking client metadata ────────────────────────────────────

export interface BuildClientMetadataInput {
  /** The template (templates/client-metadata.<sender>.json), or the server's current metadata on update. */
  template: ClientMetadata;
  authMethod: ClientAuthMethod;
  sender: SenderConstraint;
  redirectUris: string[];
  scope?: string;
  /** The client-authentication key (public JWK with kid). Needed for private_key_jwt and self_signed_tls_client_auth. */
  signingKey?: { publicJwk: Jwk; alg: FapiAlg; kid: string };
  /** The profile's client certificate: RFC 4514 subject and DER (base64). Needed for mTLS. */
  certificate?: { subject: string; derBase64: string };
  /** The server's metadata: what it supports decides algorithms and refuses what it lacks. */
  server?: AuthorizationServerMetadata;
  /** Register for JARM (`--jarm`): authorization_signed_response_alg, a FAPI algorithm (MS-09). */
  jarm?: boolean;
  /**
   * Register for signed request objects (`--jar`, MS-07): request_object_signing_alg (the signing
   * key's) and require_signed_request_object, and the signing key in jwks even for tls_client_auth.
   */
  jar?: boolean;
  /** Merged last (`--metadata FILE`), then checked like everything else. */
  overrides?: ClientMetadata;
}

function isLoopbackHttp(u: URL): boolean {
  // RFC 8252 §7.3 / §8.3: loopback IP literals, not "localhost".
  return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === '[::1]');
}

/** A list of strings only, else undefined (a malformed list is refused, not filtered). */
const strings = (v: unknown): string[] | undefined => (isStringArray(v) ? v : undefined);

const invalid = (field: string, why: string, hint: string, id: string) =>
  usageError('E_CLIENT_METADATA_INVALID', `Client metadata ${field}: ${why} (${id}).`, hint, { field });

/**
 * Checks client metadata against the FAPI 2.0 registration rules before it is sent (REG-01..07).
 * Throws a usage error naming the field.
 */
export function checkClientMetadata(md: ClientMetadata): void {
  const method = md.token_endpoint_auth_method;
  if (typeof method !== 'string' || !isClientAuthMethod(method))
    throw invalid(
      'token_endpoint_auth_method',
      `${JSON.stringify(method)} is not allowed; FAPI 2.0 clients are confidential and use private_key_jwt, tls_client_auth or self_signed_tls_client_auth (FAPI2-SP §5.3.2.1-3/6)`,
      'Use --auth private_key_jwt|tls_client_auth|self_signed_tls_client_auth.',
      method === 'none' ? 'REG-01' : 'REG-02',
    );
  const responseTypes = md.response_types === undefined ? ['code'] : strings(md.response_types);
  if (!responseTypes || responseTypes.some((t) => t !== 'code'))
    throw invalid(
      'response_types',
      `${JSON.stringify(md.response_types)} is not allowed; only "code" (FAPI2-SP §5.3.2.2-1)`,
      'Remove other response types from --metadata.',
      'REG-03',
    );
  const grants = md.grant_types === undefined ? ['authorization_code'] : strings(md.grant_types);
  const badGrants = grants ? grants.filter((g) => !ALLOWED_GRANTS.has(g)) : undefined;
  if (!grants || (badGrants && badGrants.length))
    throw invalid(
      'grant_types',
      `${JSON.stringify(md.grant_types)} is not allowed; only authorization_code, refresh_token and client_credentials (FAPI2-SP §5.3.2.1-2)`,
      'Remove the other grant types from --metadata.',
      'REG-03',
    );
  const redirects = md.redirect_uris === undefined ? [] : strings(md.redirect_uris);
  if (!redirects)
    throw invalid('redirect_uris', 'must be an array of strings', 'Pass --redirect-uri URI.', 'REG-04');
  if (grants.includes('authorization_code') && redirects.length === 0)
    throw invalid(
      'redirect_uris',
      'is empty, but the authorization_code grant needs one',
      'Pass --redirect-uri (default http://127.0.0.1/callback).',
      'REG-04',
    );
  for (const r of redirects) {
    let u: URL;
    try {
      u = new URL(r);
    } catch {
      throw invalid('redirect_uris', `"${r}" is not a URL`, 'Pass an absolute URI.', 'REG-04');
    }
    if (r.includes('#'))
      throw invalid(
        'redirect_uris',
        `"${r}" has a fragment (RFC 6749 §3.1.2)`,
        'Remove the #fragment.',
        'REG-04',
      );
    if (u.protocol !== 'https:' && !isLoopbackHttp(u))
      throw invalid(
        'redirect_uris',
        `"${r}" must be https, or http on a loopback IP literal (FAPI2-SP §5.3.2.2-8; RFC 8252 §7.3)`,
        u.protocol === 'http:' && u.hostname === 'localhost'
          ? 'Use http://127.0.0.1/... instead of localhost (RFC 8252 §8.3).'
          : 'For the CLI use http://127.0.0.1/callback (the default).',
        'REG-04',
      );
  }
  if (md.jwks !== undefined && md.jwks_uri !== undefined)
    throw invalid(
      'jwks',
      'jwks and jwks_uri must not both be present (RFC 7591 §2)',
      'Keep one of them.',
      'REG-05',
    );
  if (md.jwks !== undefined) {
    const keys = (md.jwks as { keys?: unknown })?.keys;
    if (!Array.isArray(keys) || keys.length === 0)
      throw invalid('jwks', 'must be {"keys": [...]} with at least one key', 'Fix the JWKS.', 'REG-05');
    for (const [i, k] of keys.entries()) {
      const jwk = k as Jwk;
      if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string')
        throw invalid(`jwks.keys[${i}]`, 'is not a JWK', 'Fix the JWKS.', 'REG-06');
      if (hasPrivateMembers(jwk))
        throw invalid(
          `jwks.keys[${i}]`,
          'contains private key members; only public keys are ever registered',
          'Remove "d", "p", "q", "dp", "dq", "qi" (or let fapi build the JWKS from the profile key).',
          'CL-24',
        );
      try {
        // FAPI2-SP §5.4.1-2/3: RSA ≥ 2048 bits, EC ≥ 224 bits.
        assertFapiKeyStrength(jwk);
      } catch (e) {
        if (e instanceof JwkError)
          throw invalid(`jwks.keys[${i}]`, e.message, 'Use a FAPI-strength key (`fapi keygen`).', 'REG-06');
        throw e;
      }
    }
  }
  if (typeof md.jwks_uri === 'string' && !md.jwks_uri.startsWith('https://'))
    throw invalid(
      'jwks_uri',
      'must be an https URL (FAPI2-SP §5.4.2-1)',
      'Serve the JWKS over TLS.',
      'REG-05',
    );
  if (method === 'private_key_jwt' && md.jwks === undefined && md.jwks_uri === undefined)
    throw invalid('jwks', 'private_key_jwt needs jwks or jwks_uri', 'Run `fapi keygen` first.', 'REG-06');
  if (method === 'tls_client_auth') {
    const present = TLS_SUBJECT_FIELDS.filter((f) => md[f] !== undefined);
    if (present.length !== 1)
      throw invalid(
        'tls_client_auth_subject_dn',
        `tls_client_auth needs exactly one of ${TLS_SUBJECT_FIELDS.join(', ')} (found ${present.length ? present.join(', ') : 'none'}; RFC 8705 §2.1.2)`,
        'Create a certificate with `fapi keygen --cert`; fapi registers its subject DN.',
        'REG-07',
      );
  }
  if (method === 'self_signed_tls_client_auth') {
    const keys = ((md.jwks as { keys?: Jwk[] } | undefined)?.keys ?? []) as Jwk[];
    if (md.jwks_uri === undefined && !keys.some((k) => Array.isArray(k.x5c) && k.x5c.length > 0))
      throw invalid(
        'jwks',
        'self_signed_tls_client_auth needs the certificate in jwks (x5c) or a jwks_uri (RFC 8705 §2.2.2)',
        'Create a certificate with `fapi keygen --cert`.',
        'REG-07',
      );
  }
  for (const [f, v] of Object.entries(md)) {
    if (!/_(signed_response|signing)_alg$/.test(f) || v === undefined) continue;
    if (typeof v !== 'string' || !FAPI_JWS_ALGS.has(v))
      throw invalid(
        f,
        `${JSON.stringify(v)} is not allowed; only PS256, ES256, EdDSA (FAPI2-SP §5.4.1-1)`,
        `Set ${f} to a FAPI algorithm or remove it.`,
        'CR-02',
      );
  }
}

/** Builds FAPI 2.0-valid client metadata from a template, the profile's key/certificate and the options. */
export function buildClientMetadata(input: BuildClientMetadataInput): ClientMetadata {
  const { authMethod, sender, server } = input;
  const md: ClientMetadata = { ...input.template };
  for (const f of SERVER_MANAGED) delete md[f];

  const serverMethods = strings(server?.token_endpoint_auth_methods_supported);
  if (serverMethods && !serverMethods.includes(authMethod))
    throw usageError(
      'E_AUTH_METHOD_UNSUPPORTED',
      `${server?.issuer} does not support ${authMethod} (token_endpoint_auth_methods_supported: ${serverMethods.join(', ') || 'none'}).`,
      `Choose one it supports with --auth (${serverMethods.filter(isClientAuthMethod).join(', ') || 'none of the FAPI methods'}).`,
    );
  if (sender === 'dpop' && server && !strings(server.dpop_signing_alg_values_supported)?.length)
    throw usageError(
      'E_SENDER_UNSUPPORTED',
      `${server.issuer} does not advertise DPoP (no dpop_signing_alg_values_supported).`,
      server.tls_client_certificate_bound_access_tokens === true
        ? 'Use --sender mtls (it offers certificate-bound tokens).'
        : 'The server offers no sender-constrained tokens; it is not FAPI 2.0 conformant.',
    );
  if (sender === 'mtls' && server && server.tls_client_certificate_bound_access_tokens !== true)
    throw usageError(
      'E_SENDER_UNSUPPORTED',
      `${server.issuer} does not advertise certificate-bound tokens (tls_client_certificate_bound_access_tokens).`,
      'Use --sender dpop.',
    );

  const needsCert = authMethod !== 'private_key_jwt' || sender === 'mtls';
  if (needsCert && !input.certificate)
    throw stateError(
      'E_CERT_MISSING',
      `${authMethod === 'private_key_jwt' ? 'mTLS-bound tokens need' : `${authMethod} needs`} a client certificate, and the profile has none.`,
      'Create one with `fapi keygen --cert` (add --ca-cert/--ca-key to have it issued by a CA the server trusts).',
    );
  const needsKey = authMethod !== 'tls_client_auth' || input.jar === true;
  if (needsKey && !input.signingKey)
    throw stateError(
      'E_KEY_MISSING',
      authMethod === 'tls_client_auth'
        ? "Signed request objects (--jar) need the profile's signing key."
        : `${authMethod} needs the profile's signing key.`,
      'Create one with `fapi keygen`.',
    );

  md.token_endpoint_auth_method = authMethod;
  for (const f of TLS_SUBJECT_FIELDS) delete md[f];
  delete md.token_endpoint_auth_signing_alg;
  if (input.signingKey && needsKey) {
    const jwk: Jwk = {
      ...input.signingKey.publicJwk,
      kid: input.signingKey.kid,
      alg: input.signingKey.alg,
      use: 'sig',
    };
    delete jwk.x5c;
    if (authMethod === 'self_signed_tls_client_auth' && input.certificate)
      jwk.x5c = [input.certificate.derBase64];
    md.jwks = { keys: [jwk] };
    delete md.jwks_uri;
  } else if (authMethod === 'tls_client_auth') {
    delete md.jwks;
  }
  if (authMethod === 'private_key_jwt' && input.signingKey) {
    const algs = strings(server?.token_endpoint_auth_signing_alg_values_supported);
    if (algs && !algs.includes(input.signingKey.alg))
      throw usageError(
        'E_ALG_UNSUPPORTED',
        `${server?.issuer} does not accept ${input.signingKey.alg} client assertions (token_endpoint_auth_signing_alg_values_supported: ${algs.join(', ')}).`,
        `Generate a key it accepts: \`fapi keygen --force --alg ${algs.find((a) => FAPI_ALGS.includes(a as FapiAlg)) ?? 'ES256'}\`.`,
      );
    md.token_endpoint_auth_signing_alg = input.signingKey.alg;
  }
  if (authMethod === 'tls_client_auth' && input.certificate)
    md.tls_client_auth_subject_dn = input.certificate.subject;

  // RFC 9449 §5.2 / RFC 8705 §3.4: ask for sender-constrained tokens.
  if (sender === 'dpop') {
    md.dpop_bound_access_tokens = true;
    delete md.tls_client_certificate_bound_access_tokens;
  } else {
    md.tls_client_certificate_bound_access_tokens = true;
    delete md.dpop_bound_access_tokens;
  }

  md.redirect_uris = [...input.redirectUris];
  if (input.scope !== undefined) md.scope = input.scope;

  if (md.id_token_signed_response_alg === undefined) {
    const idAlgs = strings(server?.id_token_signing_alg_values_supported);
    const pick = idAlgs?.find((a) => FAPI_JWS_ALGS.has(a));
    if (pick) md.id_token_signed_response_alg = pick;
  }
  if (md.introspection_signed_response_alg === undefined) {
    // RFC 9701 §6: without it a server that signs introspection responses defaults to RS256, which
    // FAPI 2.0 forbids (FAPI2-SP §5.4.1-1), and may refuse the registration: its first FAPI one.
    const inAlgs = strings(server?.introspection_signing_alg_values_supported);
    const pick = inAlgs?.find((a) => FAPI_JWS_ALGS.has(a));
    if (pick) md.introspection_signed_response_alg = pick;
  }
  if (input.jarm && md.authorization_signed_response_alg === undefined) {
    // JARM §3: without it the server signs with RS256, which FAPI 2.0 forbids (FAPI2-SP §5.4.1-1):
    // the server's first FAPI algorithm for JARM, else for ID tokens, else ES256.
    const { algs } = server ? checkJarmSupported(server) : {};
    const idAlgs = strings(server?.id_token_signing_alg_values_supported);
    md.authorization_signed_response_alg =
      (algs ?? idAlgs)?.find((a) => (FAPI_ALGS as readonly string[]).includes(a)) ?? 'ES256';
  }
  if (input.jar && input.signingKey) {
    // RFC 9101 §10.1: the algorithm of the client's request objects, and the server must refuse
    // this client's pushed requests without one (MS-01): a plain request is then no way around
    // the signature.
    if (server) checkRequestObjectsSupported(server, input.signingKey.alg);
    md.request_object_signing_alg = input.signingKey.alg;
    md.require_signed_request_object = true;
  }
  Object.assign(md, input.overrides ?? {});
  if (md.application_type === undefined) {
    // OIDC Registration §2: loopback redirects make a native app, which lets the server accept any
    // port on the loopback redirect (RFC 8252 §7.3).
    const uris = strings(md.redirect_uris) ?? [];
    const native = uris.length > 0 && uris.every((r) => URL.canParse(r) && isLoopbackHttp(new URL(r)));
    md.application_type = native ? 'native' : 'web';
  }
  checkClientMetadata(md);
  return md;
}

// ── RFC 7591 / 7592 exchanges ────────────────────────────────────────────────

export interface RegisteredClient {
  client_id: string;
  registration_access_token?: string;
  registration_client_uri?: string;
  client_id_issued_at?: number;
  /** What the server returned, minus the registration access token and any client secret. */
  metadata: ClientMetadata;
}

/**
 * The client configuration endpoint to use: registration_client_uri only when it is https, as the
 * registration access token sent to it is a bearer credential (RFC 7592 §3, RFC 6750 §5.3).
 */
export function clientConfigurationUri(client: Pick<RegisteredClient, 'registration_client_uri'>) {
  const uri = client.registration_client_uri;
  return uri?.startsWith('https://') ? uri : undefined;
}

export interface RegistrationOutcome {
  client: RegisteredClient;
  /** Things the server changed or left out that the user should know about. */
  warnings: string[];
}

function exchangeError(
  res: HttpResponse,
  endpoint: string,
  what: string,
  opts: { rat?: boolean; initialAccessToken?: boolean } = {},
): FapiError {
  const o = oauthErrorBody(res);
  const oauth = {
    status: res.status,
    error: o.error,
    error_description: o.error_description,
    endpoint,
    www_authenticate: res.header('www-authenticate'),
  };
  if (opts.rat && res.status === 401) {
    // CL-25: a refused registration access token is fatal; never retried.
    return serverError(
      'E_RAT_REJECTED',
      `The server refused the registration access token at ${endpoint} (HTTP 401).`,
      oauth,
      'The client may have been deleted, or its registration access token rotated or revoked. Register again with `fapi register --force` (or ask the server operator).',
    );
  }
  if (opts.rat && res.status === 404)
    return serverError(
      'E_CLIENT_GONE',
      `The server has no client at ${endpoint} (HTTP 404).`,
      oauth,
      'The client was deleted; register again with `fapi register --force`.',
    );
  if (!opts.rat && (res.status === 401 || res.status === 403))
    return serverError(
      'E_REGISTRATION_UNAUTHORIZED',
      `The server refused the registration at ${endpoint} (HTTP ${res.status}).`,
      oauth,
      opts.initialAccessToken
        ? 'The initial access token was refused: check --initial-access-token (it may be expired or single-use).'
        : 'This server does not allow open registration: pass --initial-access-token TOKEN (and/or --software-statement FILE) from its operator, or import a client registered out of band with `fapi profile create`.',
    );
  return serverError(
    'E_REGISTRATION_FAILED',
    `${what} failed at ${endpoint}: HTTP ${res.status}${o.error ? ` ${o.error}` : ''}.`,
    oauth,
    hintFor(REGISTRATION, o) ?? "See the server's error above; --verbose shows the exchange.",
  );
}

function parseClient(res: HttpResponse, endpoint: string, what: string): RegisteredClient {
  let body: unknown;
  try {
    body = JSON.parse(res.text());
  } catch {
    body = undefined;
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    typeof (body as ClientMetadata).client_id !== 'string'
  )
    throw conformanceError(
      'E_REGISTRATION_RESPONSE',
      `The ${what} response from ${endpoint} (HTTP ${res.status}) is not client information with a client_id (RFC 7591 §3.2.1).`,
      'The server answered outside RFC 7591/7592; --verbose shows the exchange.',
    );
  const b = body as ClientMetadata;
  const metadata: ClientMetadata = { ...b };
  for (const f of SERVER_MANAGED) delete metadata[f];
  const client: RegisteredClient = { client_id: b.client_id as string, metadata };
  if (typeof b.registration_access_token === 'string')
    client.registration_access_token = b.registration_access_token;
  if (typeof b.registration_client_uri === 'string')
    client.registration_client_uri = b.registration_client_uri;
  if (typeof b.client_id_issued_at === 'number') client.client_id_issued_at = b.client_id_issued_at;
  return client;
}

/** What the server changed from what was asked (RFC 7591 §3.2.1 lets it), as warnings. */
export function compareRegistered(sent: ClientMetadata, got: RegisteredClient): string[] {
  const warnings: string[] = [];
  const m = got.metadata;
  for (const f of [
    'token_endpoint_auth_method',
    'token_endpoint_auth_signing_alg',
    'dpop_bound_access_tokens',
    'tls_client_certificate_bound_access_tokens',
    'tls_client_auth_subject_dn',
  ]) {
    if (sent[f] !== undefined && m[f] !== undefined && JSON.stringify(m[f]) !== JSON.stringify(sent[f]))
      warnings.push(
        `the server registered ${f} = ${JSON.stringify(m[f])} instead of ${JSON.stringify(sent[f])}`,
      );
  }
  const sentUris = strings(sent.redirect_uris) ?? [];
  const gotUris = strings(m.redirect_uris);
  if (gotUris && sentUris.some((u) => !gotUris.includes(u)))
    warnings.push(
      `the server registered redirect_uris ${JSON.stringify(gotUris)} instead of ${JSON.stringify(sentUris)}`,
    );
  if (got.client_id && got.registration_client_uri === undefined)
    warnings.push(
      'the server returned no registration_client_uri: `fapi client show|update|delete` are unavailable (RFC 7592)',
    );
  else if (got.registration_client_uri && !clientConfigurationUri(got))
    warnings.push(
      `registration_client_uri ${got.registration_client_uri} is not https; fapi will not use it`,
    );
  if (got.registration_client_uri && got.registration_access_token === undefined)
    warnings.push('the server returned no registration_access_token: client management is unavailable');
  return warnings;
}

export interface RegisterOptions {
  /** RFC 7591 §3: sent as a Bearer token. */
  initialAccessToken?: string;
  /** RFC 7591 §2.3: a signed JWT, sent as `software_statement`. */
  softwareStatement?: string;
}

/** RFC 7591 §3.1: POST the metadata; 201 with the client information. */
export async function registerClient(
  http: HttpClient,
  endpoint: string,
  metadata: ClientMetadata,
  options: RegisterOptions = {},
): Promise<RegistrationOutcome> {
  const body: ClientMetadata = { ...metadata };
  if (options.softwareStatement) body.software_statement = options.softwareStatement;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.initialAccessToken) headers.authorization = `Bearer ${options.initialAccessToken}`;
  const res = await http({ method: 'POST', url: endpoint, headers, body: JSON.stringify(body) });
  if (res.status !== 201 && res.status !== 200)
    throw exchangeError(res, endpoint, 'Client registration', {
      initialAccessToken: Boolean(options.initialAccessToken),
    });
  const client = parseClient(res, endpoint, 'registration');
  const warnings = compareRegistered(metadata, client);
  if (res.status === 200)
    warnings.unshift('the server answered 200 instead of 201 Created (RFC 7591 §3.2.1)');
  return { client, warnings };
}

function assertManagementUri(uri: string): void {
  if (!uri.startsWith('https://'))
    throw stateError(
      'E_CLIENT_URI_INVALID',
      `The registration client URI ${uri} is not https.`,
      'fapi only talks TLS; register the client again.',
    );
}

const bearer = (rat: string) => ({ authorization: `Bearer ${rat}`, accept: 'application/json' });

/** RFC 7592 §2.1: GET the client configuration. The result may carry a rotated registration access token. */
export async function readClient(
  http: HttpClient,
  registrationClientUri: string,
  rat: string,
): Promise<RegisteredClient> {
  assertManagementUri(registrationClientUri);
  const res = await http({ method: 'GET', url: registrationClientUri, headers: bearer(rat) });
  if (res.status !== 200)
    throw exchangeError(res, registrationClientUri, 'Reading the client', { rat: true });
  return parseClient(res, registrationClientUri, 'client read');
}

/**
 * RFC 7592 §2.2: PUT the complete new configuration (it replaces the old one), with the same
 * client_id and without the server-managed fields.
 */
export async function updateClient(
  http: HttpClient,
  registrationClientUri: string,
  rat: string,
  clientId: string,
  metadata: ClientMetadata,
): Promise<RegistrationOutcome> {
  assertManagementUri(registrationClientUri);
  const body: ClientMetadata = { ...metadata, client_id: clientId };
  for (const f of SERVER_MANAGED) delete body[f];
  const res = await http({
    method: 'PUT',
    url: registrationClientUri,
    headers: { ...bearer(rat), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200)
    throw exchangeError(res, registrationClientUri, 'Updating the client', { rat: true });
  const client = parseClient(res, registrationClientUri, 'client update');
  if (client.client_id !== clientId)
    throw conformanceError(
      'E_REGISTRATION_RESPONSE',
      `The update response names client ${client.client_id}, not ${clientId} (RFC 7592 §2.2).`,
      "The server answered for another client; check the profile's registration_client_uri.",
    );
  return { client, warnings: compareRegistered(body, client).filter((w) => !w.includes('registration_')) };
}

/** RFC 7592 §2.3: DELETE the client; 204 No Content. */
export async function deleteClient(
  http: HttpClient,
  registrationClientUri: string,
  rat: string,
): Promise<void> {
  assertManagementUri(registrationClientUri);
  const res = await http({ method: 'DELETE', url: registrationClientUri, headers: bearer(rat) });
  if (res.status !== 204 && res.status !== 200)
    throw exchangeError(res, registrationClientUri, 'Deleting the client', { rat: true });
}

/** Strips what an RFC 7592 update must not send, from a client configuration read from the server. */
export function updatableMetadata(current: ClientMetadata): ClientMetadata {
  const md: ClientMetadata = { ...current };
  for (const f of SERVER_MANAGED) delete md[f];
  delete md.client_id;
  return md;
}
