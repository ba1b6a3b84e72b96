/**
 * Authorization server metadata discovery: RFC 8414 (`/.well-known/oauth-authorization-server`,
 * with the path-insertion rule of §3.1) and OpenID Connect Discovery 1.0
 * (`/.well-known/openid-configuration`). The `issuer` in the document must equal the issuer the
 * client was configured with, byte for byte (RFC 8414 §3.3, OIDD §4.3, FAPI2-SP §5.3.3.1-10; CL-03,
 * META-02): a mismatch aborts before anything else is sent.
 *
 * The document is returned as the server wrote it (one source, nothing merged). Field types are
 * not enforced here: the FAPI lint (./lint.ts) reports them, and `endpoint()` refuses to hand out a
 * missing or non-https endpoint.
 */
import { conformanceError, FapiError, serverError, usageError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http/client.js';

/** RFC 8414 §2, OIDD §3, RFC 9126 §5 (PAR), RFC 9449 §5.1 (DPoP), RFC 8705 §3.3/§5 (mTLS), RFC 9207 §3. */
export interface AuthorizationServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  jwks_uri?: string;
  registration_endpoint?: string;
  scopes_supported?: string[];
  response_types_supported?: string[];
  response_modes_supported?: string[];
  grant_types_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  service_documentation?: string;
  ui_locales_supported?: string[];
  op_policy_uri?: string;
  op_tos_uri?: string;
  revocation_endpoint?: string;
  revocation_endpoint_auth_methods_supported?: string[];
  revocation_endpoint_auth_signing_alg_values_supported?: string[];
  introspection_endpoint?: string;
  introspection_endpoint_auth_methods_supported?: string[];
  introspection_endpoint_auth_signing_alg_values_supported?: string[];
  code_challenge_methods_supported?: string[];
  signed_metadata?: string;
  /** RFC 9207 §3. */
  authorization_response_iss_parameter_supported?: boolean;
  /** RFC 9126 §5. */
  pushed_authorization_request_endpoint?: string;
  require_pushed_authorization_requests?: boolean;
  /** RFC 9449 §5.1. */
  dpop_signing_alg_values_supported?: string[];
  /** RFC 8705 §3.3 and §5. */
  tls_client_certificate_bound_access_tokens?: boolean;
  mtls_endpoint_aliases?: Partial<Record<string, string>>;
  /** OpenID Connect Discovery 1.0 §3. */
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
  acr_values_supported?: string[];
  subject_types_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
  id_token_encryption_alg_values_supported?: string[];
  userinfo_signing_alg_values_supported?: string[];
  request_object_signing_alg_values_supported?: string[];
  claims_supported?: string[];
  claim_types_supported?: string[];
  claims_parameter_supported?: boolean;
  request_parameter_supported?: boolean;
  request_uri_parameter_supported?: boolean;
  require_request_uri_registration?: boolean;
  /** RFC 9101 §10.5 and JARM §4. */
  require_signed_request_object?: boolean;
  authorization_signing_alg_values_supported?: string[];
  /** Anything else the server publishes, kept verbatim. */
  [field: string]: unknown;
}

export type MetadataSource = 'oauth-authorization-server' | 'openid-configuration';

export interface DiscoveryAttempt {
  source: MetadataSource;
  url: string;
  /** HTTP status, when the server answered. */
  status?: number;
  /** Why this document was not used. */
  problem?: string;
}

export interface DiscoveryResult {
  metadata: AuthorizationServerMetadata;
  source: MetadataSource;
  /** The URL the metadata came from. */
  url: string;
  /** Epoch seconds from the response's `Date` header, for clock-skew correction (CL-23). */
  serverDate?: number;
  /** Local epoch seconds when the response arrived (compare with serverDate). */
  fetchedAt: number;
  /** Every URL tried, in order (the last one is `url`). */
  attempts: DiscoveryAttempt[];
}

export interface DiscoveryOptions {
  /** Local clock, epoch milliseconds (tests freeze it). */
  now?: () => number;
}

/** Checks that an issuer identifier is usable: https, no query, no fragment (RFC 8414 §2, META-03). */
export function assertIssuerIdentifier(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw usageError(
      'E_ISSUER_INVALID',
      `The issuer "${issuer}" is not a URL.`,
      'Pass the issuer identifier exactly as the server publishes it, e.g. https://as.example.com.',
    );
  }
  const why =
    url.protocol !== 'https:'
      ? 'it must use https'
      : url.search || issuer.includes('?')
        ? 'it must not have a query'
        : url.hash || issuer.includes('#')
          ? 'it must not have a fragment'
          : url.username || url.password
            ? 'it must not carry credentials'
            : undefined;
  if (why) {
    throw usageError(
      'E_ISSUER_INVALID',
      `The issuer "${issuer}" is not a valid issuer identifier: ${why} (RFC 8414 §2; FAPI2-SP §5.2.1-1).`,
      'Pass the https issuer identifier without query or fragment, exactly as the server publishes it.',
    );
  }
  return url;
}

/**
 * The two well-known URLs for an issuer, RFC 8414 first.
 * RFC 8414 §3.1 inserts the well-known segment between host and path (a terminating "/" removed);
 * OIDD §4 appends it to the issuer.
 */
export function wellKnownUrls(issuer: string): { source: MetadataSource; url: string }[] {
  const u = assertIssuerIdentifier(issuer);
  const path = u.pathname.replace(/\/+$/, '');
  return [
    {
      source: 'oauth-authorization-server',
      url: `${u.origin}/.well-known/oauth-authorization-server${path}`,
    },
    { source: 'openid-configuration', url: `${u.origin}${path}/.well-known/openid-configuration` },
  ];
}

function parseDate(res: HttpResponse): number | undefined {
  const d = res.header('date');
  if (!d) return undefined;
  const ms = Date.parse(d);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

function asMetadataObject(res: HttpResponse): { doc?: Record<string, unknown>; problem?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text());
  } catch {
    const ct = res.header('content-type') ?? 'no content type';
    return { problem: `HTTP 200 but the body is not JSON (${ct})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { problem: 'HTTP 200 but the body is not a JSON object' };
  }
  return { doc: parsed as Record<string, unknown> };
}

/**
 * Fetches the issuer's metadata: RFC 8414 first, then OpenID Connect Discovery when the first does
 * not answer with a JSON object. Network and TLS failures are not retried on the other URL (same
 * host). Throws E_ISSUER_MISMATCH (nonConformant) when the document names another issuer.
 */
export async function discoverMetadata(
  http: HttpClient,
  issuer: string,
  options: DiscoveryOptions = {},
): Promise<DiscoveryResult> {
  const now = options.now ?? Date.now;
  const attempts: DiscoveryAttempt[] = [];
  for (const { source, url } of wellKnownUrls(issuer)) {
    const res = await http({ method: 'GET', url, headers: { accept: 'application/json' } });
    const attempt: DiscoveryAttempt = { source, url, status: res.status };
    attempts.push(attempt);
    if (res.status !== 200) {
      const location = res.header('location');
      attempt.problem =
        res.status >= 300 && res.status < 400
          ? `HTTP ${res.status} redirect${location ? ` to ${location}` : ''} (not followed)`
          : `HTTP ${res.status}`;
      continue;
    }
    const { doc, problem } = asMetadataObject(res);
    if (!doc) {
      attempt.problem = problem;
      continue;
    }
    // CL-03 / META-02: exact byte comparison, no normalisation of case or trailing slash.
    if (doc.issuer !== issuer) {
      const got = typeof doc.issuer === 'string' ? `"${doc.issuer}"` : `no string issuer`;
      throw conformanceError(
        'E_ISSUER_MISMATCH',
        `The metadata at ${url} has issuer ${got}, not "${issuer}" (it must be identical: RFC 8414 §3.3, OIDD §4.3, FAPI2-SP §5.3.3.1-10).`,
        typeof doc.issuer === 'string'
          ? `If you trust this server and its issuer really is ${doc.issuer}, pass that exact string (including any trailing slash). Otherwise do not use this server: a metadata issuer that differs from the URL can be a mix-up attack.`
          : 'The server publishes no valid issuer; it cannot be used.',
        { expected: issuer, received: doc.issuer ?? null, url },
      );
    }
    const serverDate = parseDate(res);
    return {
      metadata: doc as AuthorizationServerMetadata,
      source,
      url,
      ...(serverDate !== undefined ? { serverDate } : {}),
      fetchedAt: Math.floor(now() / 1000),
      attempts,
    };
  }
  const last = attempts[attempts.length - 1];
  throw serverError(
    'E_DISCOVERY_FAILED',
    `No authorization server metadata for ${issuer}: ${attempts.map((a) => `${a.url} → ${a.problem}`).join('; ')}.`,
    { status: last?.status, endpoint: last?.url },
    'Check the issuer URL (it is the exact issuer identifier, not the authorization or token endpoint). A FAPI 2.0 server publishes RFC 8414 or OpenID discovery metadata (FAPI2-SP §5.3.2.1-1).',
    { attempts },
  );
}

/** Endpoints a client calls. Back-channel ones may have mTLS aliases (RFC 8705 §5). */
export type EndpointName =
  | 'authorization_endpoint'
  | 'token_endpoint'
  | 'pushed_authorization_request_endpoint'
  | 'introspection_endpoint'
  | 'revocation_endpoint'
  | 'userinfo_endpoint'
  | 'registration_endpoint'
  | 'jwks_uri';

const ALIASABLE = new Set<EndpointName>([
  'token_endpoint',
  'pushed_authorization_request_endpoint',
  'introspection_endpoint',
  'revocation_endpoint',
  'userinfo_endpoint',
  'registration_endpoint',
]);

const MISSING_HINTS: Partial<Record<EndpointName, string>> = {
  registration_endpoint:
    'This server offers no dynamic client registration (RFC 7591). Register the client where the server operator says, then import it with `fapi profile create --issuer … --client-id … --key …`.',
  introspection_endpoint: 'This server does not advertise token introspection (RFC 7662).',
  revocation_endpoint: 'This server does not advertise token revocation (RFC 7009).',
  userinfo_endpoint: 'This server is not an OpenID provider with a userinfo endpoint.',
};

/** Endpoints FAPI 2.0 requires; their absence makes the server non-conformant. */
const REQUIRED = new Set<EndpointName>([
  'authorization_endpoint',
  'token_endpoint',
  'pushed_authorization_request_endpoint',
]);

/** True when `v` is an array of strings only (a well-formed metadata list, RFC 8414 §2). */
export function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/**
 * The strings of a metadata list (`*_supported`, RFC 8414 §2), non-strings dropped; undefined when
 * the member is absent or not a list (which means something else than an empty list).
 */
export function metadataStrings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

/**
 * The URL to call for an endpoint. With `mtls` (mTLS client authentication or certificate-bound
 * tokens) the `mtls_endpoint_aliases` entry wins when there is one (RFC 8705 §5, FAPI2-SP
 * §5.3.3.1-7; CL-05). Refuses a missing or non-https URL, naming the metadata field.
 */
export function endpoint(
  metadata: AuthorizationServerMetadata,
  name: EndpointName,
  opts: { mtls: boolean },
): string {
  let field: string = name;
  let value: unknown = metadata[name];
  const aliases = metadata.mtls_endpoint_aliases;
  if (opts.mtls && ALIASABLE.has(name) && typeof aliases === 'object' && aliases !== null) {
    const alias = (aliases as Record<string, unknown>)[name];
    if (alias !== undefined) {
      field = `mtls_endpoint_aliases.${name}`;
      value = alias;
    }
  }
  if (value === undefined || value === null || value === '') {
    const msg = `The server metadata of ${metadata.issuer} has no ${field}.`;
    if (REQUIRED.has(name)) {
      throw conformanceError(
        'E_METADATA_MISSING_ENDPOINT',
        `${msg} FAPI 2.0 requires it (FAPI2-SP §5.3.2.1, §5.3.2.2).`,
        'This server is not FAPI 2.0 conformant; `fapi discover ISSUER` lists what is missing.',
        { field },
      );
    }
    throw new FapiError('E_METADATA_MISSING_ENDPOINT', msg, {
      kind: 'server',
      hint: MISSING_HINTS[name] ?? 'The server does not offer this endpoint.',
      details: { field },
    });
  }
  let url: URL | undefined;
  if (typeof value === 'string') {
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
  }
  if (!url) {
    throw conformanceError(
      'E_METADATA_INVALID',
      `The server metadata field ${field} of ${metadata.issuer} is not a URL (${JSON.stringify(value)}).`,
      'The server publishes broken metadata; report it to its operator.',
      { field },
    );
  }
  if (url.protocol !== 'https:') {
    throw conformanceError(
      'E_METADATA_NOT_TLS',
      `The server metadata field ${field} is ${String(value)}: FAPI 2.0 endpoints must use https (FAPI2-SP §5.2.1-1).`,
      'fapi only talks TLS. The server is misconfigured (a proxy that rewrites the scheme is a common cause).',
      { field },
    );
  }
  return value as string;
}
