/**
 * `verifyResourceRequest`: the lab resource server's own checks (lab/rs/pipeline.ts, one file per
 * rule under lab/rs/checks; the access token through src/core/access-token.ts, the DPoP proof
 * through src/core/dpop.ts) for a request your own resource server received, in an Express,
 * fastify, Koa or node:http handler. The same code as the lab RS, not a copy: only the request
 * view (plain data instead of fastify's) and the context (your issuer's keys instead of the lab's)
 * are built here.
 *
 * Behind a proxy, the URL a DPoP proof signs (`htu`, RFC 9449 §4.3 step 9) is the externally visible
 * one, and the client certificate of a certificate-bound token (RFC 8705 §3) reaches the server as
 * the RFC 9440 `Client-Cert` header. Both are honoured only when the caller says the proxy is
 * trusted (`trustProxy`): anyone can send those headers to a server reachable without it.
 *
 * The trust anchor is the issuer (its keys fetched from its metadata, or given as `jwks`), or a
 * JWKS alone. RFC 9068 §4 has the resource server check that `iss` is its issuer: pass `issuer`
 * for that. With `jwks` alone there is no issuer to compare, so any `iss` signed by those keys is
 * accepted (it must still be there, RFC 9068 §2.2) and is in the result's claims.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { discoverMetadata } from '../core/discovery.js';
import { htuMismatch } from '../core/dpop.js';
import { FAPI_ALGS } from '../core/fapi.js';
import { fapiAlgForJwk, hasPrivateMembers, importPublicJwk, type Jwk } from '../core/jwk.js';
import { createNonceSource, type NonceSource } from '../core/nonce.js';
import { usageError } from '../errors.js';
import { createHttpClient, type HttpClient } from '../http/client.js';
import type { RsRequest, RsState } from '../../lab/rs/check.js';
import type { AccessTokenClaims, AccessTokenKey, RsContext } from '../../lab/rs/context.js';
import { RsError, rsRefusal } from '../../lab/rs/errors.js';
import { verifyResourceRequest as runRsChecks } from '../../lab/rs/pipeline.js';
import { VerifiedTokens } from '../../lab/rs/verified-tokens.js';
import { ExpiringMap } from '../../lab/store.js';

/** The request as your server received it. */
export interface ResourceRequest {
  method: string;
  /**
   * The URL as your server sees it: absolute (`http://app:8080/accounts?x=1`), or the path and
   * query as node:http gives it (`req.url`; the origin is then `http://` and the Host header).
   */
  url: string;
  /** The request headers (node:http's `req.headers`, or a fetch `Headers`). */
  headers: IncomingHttpHeaders | Headers | Record<string, string | string[] | undefined>;
  /**
   * The TLS client certificate of the connection, when your server terminates TLS itself: PEM,
   * DER (node's `socket.getPeerCertificate().raw`) or an X509Certificate.
   */
  clientCertificate?: string | Uint8Array | X509Certificate;
  /** The parsed body, to refuse an access token sent in a form body (RFC 6750 §2.2). */
  body?: unknown;
}

/** The trust anchor of a verifier: the issuer (RFC 9068 §4), its keys, or both. */
export type ResourceVerifierTrust =
  | {
      /**
       * The authorization server's https issuer identifier: tokens must carry exactly it as `iss`
       * (RFC 9068 §4, what a resource server is asked to check). Without `jwks`, its JWKS is
       * fetched from its metadata (RFC 8414 `jwks_uri`) on first use, and again for a new `kid`.
       */
      issuer: string;
      /** Its public keys: used as given, no metadata fetched. */
      jwks?: { keys: Jwk[] };
    }
  | {
      /**
       * No issuer: the keys alone are the trust anchor, and any `iss` signed by them is accepted.
       * The token must still carry an `iss` (RFC 9068 §2.2); it is in the result's `claims` for
       * you to judge.
       */
      issuer?: undefined;
      /** The authorization server's public signing keys (RFC 7517 JWKS): no metadata is fetched. */
      jwks: { keys: Jwk[] };
    };

/**
 * The options of a verifier: `{ issuer }`, `{ jwks }` or `{ issuer, jwks }` (at least one), and
 * the rest. Passing `issuer` is what RFC 9068 §4 asks for; with `jwks` alone, any `iss` signed by
 * those keys is accepted.
 */
export type ResourceVerifierOptions = ResourceVerifierTrust & {
  /** Extra PEM trust anchors for fetching the metadata and JWKS (e.g. the lab's `caPem`). */
  ca?: string | string[];
  /** The `aud` this resource server accepts (RFC 9068 §4). Default: the origin of the request URL. */
  audience?: string | string[];
  /** The scope the request needs (RS-05, RFC 6750 §3.1); none checked when omitted. */
  scope?: string;
  /**
   * Trust the proxy in front of this server: `forwardedHeaders` takes the externally visible URL
   * from `Forwarded` (RFC 7239) or `X-Forwarded-Proto`/`-Host`/`-Prefix`; `clientCertHeader` takes
   * the client certificate from that header (RFC 9440 `Client-Cert`; `true` means `client-cert`).
   */
  trustProxy?: { forwardedHeaders?: boolean; clientCertHeader?: string | boolean };
  /**
   * DPoP server nonces (RFC 9449 §9): `true` for nonces of this verifier (rotating every 60 s), or
   * your own source. The refusal and the success then carry a `DPoP-Nonce` header to send.
   */
  nonce?: boolean | NonceSource;
  /** Whether a token (or its grant) was revoked: RS-03; the default knows of no revocation. */
  isRevoked?(claims: AccessTokenClaims): boolean;
};

/** How the token is sender-constrained (RFC 9449 §6.1, RFC 8705 §3.1). */
export type TokenBinding = { type: 'dpop'; jkt: string } | { type: 'mtls'; x5tS256: string };

export type ResourceVerification =
  | {
      ok: true;
      /** The access token's claims (RFC 9068 §2.2). */
      claims: AccessTokenClaims;
      binding: TokenBinding;
      /** Headers to add to your answer (`DPoP-Nonce`, RFC 9449 §8.2). */
      headers: Record<string, string>;
    }
  | {
      ok: false;
      /** The status to answer with (401, 400 or 403). */
      status: number;
      /** The `WWW-Authenticate` challenge(s) to answer with (RFC 6750 §3, RFC 9449 §7.1). */
      wwwAuthenticate: string | string[];
      /** The OAuth error code (none for a request without credentials, RFC 6750 §3.1). */
      error?: string;
      /** The catalogue ID of the check that refused it (e.g. `DP-09`, `RS-04`, `MT-07`). */
      check: string;
      /** Why, in words (for your logs; not meant for the client). */
      why: string;
      /** All headers to add to your answer (`WWW-Authenticate`, `DPoP-Nonce`). */
      headers: Record<string, string | string[]>;
      /** A JSON body to answer with. */
      body: Record<string, string>;
    };

/** `a, b` → the first element of a comma-separated header value (the proxy nearest the client). */
function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  const f = s?.split(',')[0]?.trim();
  return f ? f : undefined;
}

function headerRecord(h: ResourceRequest['headers']): IncomingHttpHeaders {
  if (typeof (h as Headers).forEach === 'function' && typeof (h as Headers).get === 'function') {
    const out: IncomingHttpHeaders = {};
    (h as Headers).forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return out;
  }
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = v as string | string[];
  return out;
}

/** The externally visible origin and path prefix from Forwarded (RFC 7239 §4) or X-Forwarded-*. */
function forwarded(h: IncomingHttpHeaders): { proto?: string; host?: string; prefix?: string } {
  const f = first(h.forwarded);
  if (f) {
    const out: { proto?: string; host?: string } = {};
    for (const pair of f.split(';')) {
      const [k, v] = pair.split('=', 2).map((x) => x?.trim());
      const value = v?.replace(/^"(.*)"$/, '$1');
      if (k?.toLowerCase() === 'proto' && value) out.proto = value;
      if (k?.toLowerCase() === 'host' && value) out.host = value;
    }
    if (out.proto || out.host) return { ...out, prefix: first(h['x-forwarded-prefix']) };
  }
  return {
    proto: first(h['x-forwarded-proto']),
    host: first(h['x-forwarded-host']),
    prefix: first(h['x-forwarded-prefix']),
  };
}

/** The URL of the request as the client addressed it (DP-09), without query. */
function externalUrl(
  req: ResourceRequest,
  h: IncomingHttpHeaders,
  trust: boolean,
): { url: URL; internal: URL } {
  let internal: URL;
  try {
    internal = /^https?:\/\//i.test(req.url)
      ? new URL(req.url)
      : new URL(req.url, `http://${first(h.host) ?? 'localhost'}`);
  } catch {
    throw usageError('E_RS_REQUEST', `The request URL ${JSON.stringify(req.url)} is not a URL.`);
  }
  if (!trust) return { url: internal, internal };
  const f = forwarded(h);
  const url = new URL(internal.href);
  if (f.proto && /^https?$/i.test(f.proto)) url.protocol = `${f.proto.toLowerCase()}:`;
  if (f.host) {
    try {
      const parsed = new URL(`${url.protocol}//${f.host}`);
      url.host = parsed.host;
      if (!parsed.port) url.port = '';
    } catch {
      // An unusable forwarded host is ignored: the check then fails on the internal URL.
    }
  }
  if (f.prefix && f.prefix.startsWith('/')) url.pathname = f.prefix.replace(/\/+$/, '') + url.pathname;
  return { url, internal };
}

/** The DER of the client certificate: the connection's, or the trusted proxy's RFC 9440 header. */
function certificateDer(
  req: ResourceRequest,
  h: IncomingHttpHeaders,
  header: string | undefined,
): Buffer | undefined {
  if (header) {
    // RFC 9440 §2.2: a structured-field byte sequence, ":" base64 of the DER ":".
    const v = first(h[header]);
    const m = v ? /^:([A-Za-z0-9+/=]+):$/.exec(v) : null;
    return m ? Buffer.from(m[1] as string, 'base64') : undefined;
  }
  const c = req.clientCertificate;
  if (c === undefined) return undefined;
  if (c instanceof X509Certificate) return c.raw;
  if (typeof c === 'string') {
    try {
      return new X509Certificate(c).raw;
    } catch {
      return undefined;
    }
  }
  return Buffer.from(c);
}

interface VerifierState {
  keys: readonly AccessTokenKey[];
  fetchedAt: number;
  loading?: Promise<void>;
}

/** The FAPI-usable public keys of a JWKS (RFC 7517 §5), imported once. */
function importKeys(jwks: { keys?: unknown }): AccessTokenKey[] {
  const out: AccessTokenKey[] = [];
  for (const k of Array.isArray(jwks.keys) ? (jwks.keys as Jwk[]) : []) {
    if (!k || typeof k !== 'object' || hasPrivateMembers(k) || (k.use !== undefined && k.use !== 'sig'))
      continue;
    try {
      const alg = typeof k.alg === 'string' ? k.alg : fapiAlgForJwk(k);
      if (!(FAPI_ALGS as readonly string[]).includes(alg)) continue;
      out.push({ kid: typeof k.kid === 'string' ? k.kid : '', alg, key: importPublicJwk(k) });
    } catch {
      // A key fapi cannot use (another kty, a weak key) is skipped, as a client skips it.
    }
  }
  return out;
}

/**
 * The issuer and keys of the options, checked: an https issuer (RFC 9068 §4), a JWKS with a key
 * fapi can use, or both. `keys` undefined: fetched from the issuer's metadata. E_RS_OPTIONS else.
 */
function trustOf(options: ResourceVerifierOptions): { issuer?: string; keys?: AccessTokenKey[] } {
  const o = (options ?? {}) as { issuer?: unknown; jwks?: unknown };
  if (o.issuer === undefined && o.jwks === undefined)
    throw usageError(
      'E_RS_OPTIONS',
      'verifyResourceRequest needs issuer (the https issuer identifier of the authorization server: the RS checks iss, RFC 9068 §4), jwks (its public keys), or both.',
      "Pass { issuer: 'https://as.example' }: its keys then come from its metadata.",
    );
  if (o.issuer !== undefined && (typeof o.issuer !== 'string' || !/^https:\/\/./.test(o.issuer)))
    throw usageError(
      'E_RS_OPTIONS',
      `verifyResourceRequest: the issuer ${JSON.stringify(o.issuer)} is not an https issuer identifier (RFC 8414 §2).`,
    );
  const issuer = o.issuer as string | undefined;
  if (o.jwks === undefined) return { issuer };
  const keys = o.jwks !== null && typeof o.jwks === 'object' ? importKeys(o.jwks) : [];
  if (keys.length === 0)
    throw usageError(
      'E_RS_OPTIONS',
      'verifyResourceRequest: jwks has no key to verify access tokens with.',
      `Pass { keys: [...] } with the public signing keys of the authorization server (${FAPI_ALGS.join(', ')}; no private members; use "sig" when given).`,
    );
  return { issuer, keys };
}

/** How often an unknown `kid` may make the verifier fetch the JWKS again (key rotation). */
const REFETCH_SECONDS = 30;

/**
 * A verifier for your resource server: it keeps the issuer's keys, the DPoP `jti`s it has seen
 * (DP-12, RFC 9449 §11.1) and the tokens whose signature it verified. Create one per server.
 * Throws a FapiError `E_RS_OPTIONS` when the options give neither `issuer` nor `jwks`, an issuer
 * that is not https, or a `jwks` without a key it can use.
 */
export function createResourceVerifier(
  options: ResourceVerifierOptions,
): (request: ResourceRequest) => Promise<ResourceVerification> {
  const { issuer, keys } = trustOf(options);
  const now = () => Date.now() / 1000;
  const state: VerifierState = { keys: keys ?? [], fetchedAt: keys ? Infinity : 0 };
  let http: HttpClient | undefined;
  const load = async () => {
    http ??= createHttpClient({
      ...(options.ca ? { ca: Array.isArray(options.ca) ? options.ca : [options.ca] } : {}),
      timeoutMs: 10_000,
    });
    // Only reached without jwks, so with an issuer (trustOf).
    const { metadata } = await discoverMetadata(http, issuer as string);
    if (typeof metadata.jwks_uri !== 'string')
      throw usageError('E_RS_JWKS', `The metadata of ${issuer} has no jwks_uri.`, 'Pass the keys as jwks.');
    const res = await http({
      method: 'GET',
      url: metadata.jwks_uri,
      headers: { accept: 'application/json' },
    });
    state.keys = importKeys(res.json() as { keys?: unknown });
    state.fetchedAt = now();
  };
  const refresh = () => {
    state.loading ??= load().finally(() => (state.loading = undefined));
    return state.loading;
  };

  const seen = new ExpiringMap<true>({ now, max: 100_000 });
  const nonces: NonceSource | undefined =
    options.nonce === true
      ? createNonceSource({ rotateSeconds: 60, now })
      : typeof options.nonce === 'object'
        ? options.nonce
        : undefined;
  const audienceOption =
    options.audience === undefined
      ? undefined
      : Array.isArray(options.audience)
        ? options.audience
        : [options.audience];
  let audiences: readonly string[] = [];
  const ctx: RsContext = {
    issuer,
    get audiences() {
      return audiences;
    },
    accessTokenKeys: () => state.keys,
    verifiedTokens: new VerifiedTokens(),
    now,
    isRevoked: options.isRevoked ?? (() => false),
    replay: (key, exp) => seen.once(key, exp),
    ...(nonces ? { nonces } : {}),
  };
  const clientCertHeader =
    options.trustProxy?.clientCertHeader === true
      ? 'client-cert'
      : typeof options.trustProxy?.clientCertHeader === 'string'
        ? options.trustProxy.clientCertHeader.toLowerCase()
        : undefined;

  return async function verify(request: ResourceRequest): Promise<ResourceVerification> {
    const headers = headerRecord(request.headers);
    const { url, internal } = externalUrl(request, headers, options.trustProxy?.forwardedHeaders === true);
    // The keys: fetched on first use, and again (at most every 30 s) for a kid not seen yet.
    if (state.fetchedAt === 0) await refresh();
    else if (state.fetchedAt !== Infinity && now() - state.fetchedAt > REFETCH_SECONDS) {
      const kid = kidOf(headers.authorization);
      if (kid !== undefined && !state.keys.some((k) => k.kid === kid)) await refresh();
    }
    audiences = audienceOption ?? [url.origin];
    let thumbprint: string | null | undefined;
    const rsRequest: RsRequest = {
      method: request.method.toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      headers,
      rawHeaders: rawHeaders(headers),
      body: request.body,
      htu: `${url.origin}${url.pathname}`,
      clientCertThumbprint() {
        if (thumbprint === undefined) {
          const der = certificateDer(request, headers, clientCertHeader);
          thumbprint = der ? createHash('sha256').update(der).digest('base64url') : null;
        }
        return thumbprint ?? undefined;
      },
      requiredScope: options.scope ?? '',
    };
    const st: RsState = { passed: 0 };
    try {
      runRsChecks(rsRequest, ctx, st);
    } catch (e) {
      if (!(e instanceof RsError)) throw e;
      const r = rsRefusal(e);
      const extra: Record<string, string | string[]> = { 'www-authenticate': r.wwwAuthenticate };
      if (nonces) extra['dpop-nonce'] = nonces.current();
      const why =
        e.check === 'DP-09'
          ? (htuMismatch(proofHtu(headers.dpop), `${url.origin}${url.pathname}`) ?? e.message) +
            (options.trustProxy?.forwardedHeaders ? '' : hintForProxy(headers, internal))
          : e.check === 'MT-07' && !clientCertHeader && headers['client-cert'] !== undefined
            ? `${e.message}; a Client-Cert header (RFC 9440) was sent, but the proxy is not trusted (trustProxy.clientCertHeader)`
            : e.message;
      return {
        ok: false,
        status: r.status,
        wwwAuthenticate: r.wwwAuthenticate,
        ...(e.error ? { error: e.error } : {}),
        check: e.check,
        why,
        headers: extra,
        body: r.body,
      };
    }
    const cnf = st.claims?.cnf ?? {};
    const binding: TokenBinding =
      st.binding === 'dpop'
        ? { type: 'dpop', jkt: cnf.jkt as string }
        : { type: 'mtls', x5tS256: cnf['x5t#S256'] as string };
    return {
      ok: true,
      claims: st.claims as AccessTokenClaims,
      binding,
      headers: nonces ? { 'dpop-nonce': nonces.current() } : {},
    };
  };
}

/** The `kid` of the access token in an Authorization header, unverified (to notice key rotation). */
function kidOf(authorization: string | undefined): string | undefined {
  const token = authorization?.slice(authorization.indexOf(' ') + 1).trim();
  const h = token?.split('.')[0];
  if (!h) return undefined;
  try {
    const kid = (JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { kid?: unknown }).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

function proofHtu(dpop: string | string[] | undefined): unknown {
  const p = (Array.isArray(dpop) ? dpop[0] : dpop)?.split('.')[1];
  if (!p) return undefined;
  try {
    return (JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { htu?: unknown }).htu;
  } catch {
    return undefined;
  }
}

function hintForProxy(h: IncomingHttpHeaders, internal: URL): string {
  const f = forwarded(h);
  return f.proto || f.host || f.prefix
    ? `; the request carries forwarded headers (${[f.proto && `proto ${f.proto}`, f.host && `host ${f.host}`, f.prefix && `prefix ${f.prefix}`].filter(Boolean).join(', ')}), but trustProxy.forwardedHeaders is off, so ${internal.origin} was used`
    : '';
}

function rawHeaders(h: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push(k, one);
  }
  return out;
}

const verifiers = new WeakMap<ResourceVerifierOptions, ReturnType<typeof createResourceVerifier>>();

/**
 * Verifies a request to a protected resource as the fapi lab's resource server does (FAPI2-SP
 * §5.3.4; RFC 9068 §4; RFC 9449 §4.3, §7.1; RFC 8705 §3; RFC 6750): the access token in the
 * Authorization header only, a JWT access token of the issuer (typ, alg, kid, signature, iss, aud,
 * exp; with `jwks` and no `issuer`, `iss` need only be present), its scheme matching its binding, the DPoP proof (DP-01..16) or the client certificate
 * (MT-07), the scope. Returns the claims and binding, or the refusal to answer with and the check
 * that made it. State (keys, replayed `jti`s, nonces) is kept per `options` object: pass the same
 * one every time, or use {@link createResourceVerifier}.
 */
export function verifyResourceRequest(
  request: ResourceRequest,
  options: ResourceVerifierOptions,
): Promise<ResourceVerification> {
  let v = verifiers.get(options);
  if (!v) {
    v = createResourceVerifier(options);
    verifiers.set(options, v);
  }
  return v(request);
}
