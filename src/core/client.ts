/**
 * The client runtime every flow uses (FAPI2-SP §5.3.3): given the server's metadata, the profile's
 * client data and its loaded keys, it sends one request to an AS or RS endpoint with
 *  - client authentication: a fresh private_key_jwt assertion per request (aud = the issuer as a
 *    string, FAPI2-SP §5.3.3.1-5, CL-06) or mTLS (client_id + the client certificate, RFC 8705 §2,
 *    at the mtls_endpoint_aliases, RFC 8705 §5, CL-05/CL-07);
 *  - a fresh DPoP proof per request with the DPoP key, the server's nonce per origin learned from
 *    any response, and one retry with a new jti on `use_dpop_nonce` (RFC 9449 §8, §9, CL-15/CL-17);
 *  - clock-skew correction from the server's `Date` header (FAPI2-SP §5.3.3.1 Note 1, CL-23,
 *    ./server-clock.ts).
 * Sending is split from validation: `send*` return the exchange (every attempt, the decoded
 * assertion and proof) so the CLI can narrate it; the protocol modules (./par.ts, ./token.ts, ...)
 * validate, and turn error answers into FapiErrors with `responseError` (./oauth-error.ts).
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import type { FapiError } from '../errors.js';
import { conformanceError, serverError, stateError } from '../errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../http/client.js';
import { formBody } from './form.js';
import { clientAssertionParams, createClientAssertion } from './client-auth.js';
import { createRequestObject, requestObjectForm } from './request-object.js';
import { createDpopProof, type DpopKey } from './dpop.js';
import { jwkThumbprint } from './jwk.js';
import { decodeJws } from './jws.js';
import { type AuthorizationServerMetadata, type EndpointName, endpoint } from './discovery.js';
import { FAPI_ALGS, type ClientAuthMethod, type FapiAlg, type SenderConstraint } from './fapi.js';
import { type HintContext, hintFor, oauthErrorOf } from './oauth-error.js';
import { ServerClock } from './server-clock.js';
import { findChallenge, parseWwwAuthenticate } from './www-authenticate.js';

/** The server metadata (RFC 8414) as discovered by ./discovery.ts. */
export type AsMetadata = AuthorizationServerMetadata;

/** The back-channel endpoints the runtime sends to (each may have an mTLS alias, RFC 8705 §5). */
export type AsEndpointName = Extract<
  EndpointName,
  | 'pushed_authorization_request_endpoint'
  | 'token_endpoint'
  | 'introspection_endpoint'
  | 'revocation_endpoint'
  | 'userinfo_endpoint'
>;

export type { ClientAuthMethod, SenderConstraint };

export interface SigningKey {
  privateKey: KeyObject;
  alg: FapiAlg;
  kid?: string;
}

export interface ClientOptions {
  http: HttpClient;
  metadata: AsMetadata;
  clientId: string;
  authMethod: ClientAuthMethod;
  sender: SenderConstraint;
  /** The client-authentication key (private_key_jwt). */
  signingKey?: SigningKey;
  /** The DPoP key: separate from the authentication key, kept in the profile. */
  dpopKey?: DpopKey;
  /** Overrides the assertion audience (default: the issuer, FAPI2-SP §5.3.2.1-8). */
  assertionAudience?: string;
  /** Correct iat of assertions and proofs with the server's Date header (default true, CL-23). */
  syncClock?: boolean;
  /** Local clock in epoch milliseconds (tests freeze it). */
  now?: () => number;
  /**
   * Send an `x-fapi-interaction-id` (UUID v4) with every request to the AS too, not only to
   * resources (CL-26): ecosystems such as ConnectID require it at PAR and token (src/core/ecosystems.ts).
   */
  interactionIdAtAs?: boolean;
  /**
   * Present the client certificate on every request, AS and resources, whatever the
   * authentication and binding: ecosystems with mTLS on every endpoint (src/core/ecosystems.ts).
   */
  mtlsEverywhere?: boolean;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export type RetryReason = 'use_dpop_nonce' | 'clock_skew';

/** One HTTP round trip, with what was signed for it (for narration; signatures are not kept). */
export interface Attempt {
  request: HttpRequest;
  response: HttpResponse;
  assertion?: DecodedJwt;
  dpopProof?: DecodedJwt;
  /** The signed request object the form carried (JAR, MS-07). */
  requestObject?: DecodedJwt;
  /** Why this attempt was made, when it is a retry. */
  retry?: RetryReason;
}

export interface Exchange {
  /** What the request was for, e.g. "PAR", "token", "resource". */
  step: string;
  url: string;
  attempts: Attempt[];
  /** The last response. */
  response: HttpResponse;
}

export interface AsRequest {
  step: string;
  endpoint: AsEndpointName;
  form: Record<string, string | undefined>;
  /** Add client authentication (default true). */
  authenticate?: boolean;
  /** Add a DPoP proof (default: when the sender constraint is DPoP). */
  dpop?: boolean;
  /**
   * Send the form as one signed request object, `client_id` and `request` only (JAR at PAR,
   * RFC 9101; FAPI2-MS §5.3.2, MS-07): a fresh one per attempt, signed with the signing key.
   */
  requestObject?: boolean;
  /** The Accept header (default application/json). */
  accept?: string;
}

export interface ResourceRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  accessToken: string;
  /**
   * How the token is sent: `DPoP` with a proof (CL-16) or `Bearer` over the client certificate
   * (RFC 8705 §3); by default the stored token_type's scheme (./resource.ts `schemeFor`).
   */
  scheme: 'DPoP' | 'Bearer';
  /** The largest response body read (default: the HTTP client's, 1 MiB). */
  maxResponseBytes?: number;
}

function decodeForNarration(jwt: string): DecodedJwt {
  const d = decodeJws(jwt);
  return { header: d.header, claims: d.payload };
}

function origin(url: string): string {
  return new URL(url).origin;
}

/** A FapiError (kind 'server', exit 5) for an error answer, with the server's fields verbatim. */
export function responseError(exchange: Exchange, ctx: HintContext = {}): FapiError {
  const res = exchange.response;
  const o = oauthErrorOf(res);
  const body = res.text().slice(0, 160).replace(/\s+/g, ' ').trim();
  const retried = exchange.attempts.some((a) => a.retry === 'use_dpop_nonce');
  const hint =
    hintFor(exchange.step, o, ctx) ??
    (res.status >= 500
      ? 'The server failed; try again later.'
      : `The server answered HTTP ${res.status} without an OAuth error code.`);
  // The server's error and description are printed from `oauth` (verbatim); the message says where.
  const message = o.error
    ? `${exchange.step} at ${exchange.url} was refused (HTTP ${res.status} ${o.error})${retried && o.error === 'use_dpop_nonce' ? ', after retrying once with the server nonce' : ''}.`
    : `${exchange.step} at ${exchange.url} failed with HTTP ${res.status}${body ? `: ${body}` : ''}.`;
  return serverError(o.error ? `E_OAUTH_${o.error.toUpperCase()}` : `E_HTTP_${res.status}`, message, o, hint);
}

/** True when the response is a DPoP nonce demand: AS 400 JSON or RS 401 challenge (RFC 9449 §8, §9). */
export function isNonceDemand(res: HttpResponse): boolean {
  if (res.status === 400) return oauthErrorOf(res).error === 'use_dpop_nonce';
  if (res.status === 401) {
    const dpop = findChallenge(parseWwwAuthenticate(res.headers['www-authenticate']), 'DPoP');
    return dpop?.params.error === 'use_dpop_nonce';
  }
  return false;
}

const SKEW_ERRORS = new Set(['invalid_client', 'invalid_dpop_proof']);

/** The client runtime: one per command run. */
export class Client {
  readonly clock: ServerClock;
  private meta: AsMetadata;
  readonly clientId: string;
  readonly authMethod: ClientAuthMethod;
  readonly sender: SenderConstraint;
  /** DPoP nonces per server origin, learned from any response (CL-15). */
  readonly nonces = new Map<string, string>();
  private readonly http: HttpClient;
  private readonly signingKey: SigningKey | undefined;
  readonly dpopKey: DpopKey | undefined;
  private readonly assertionAudience: string | undefined;
  private readonly interactionIdAtAs: boolean;
  private readonly mtlsEverywhere: boolean;

  constructor(o: ClientOptions) {
    this.http = o.http;
    this.meta = o.metadata;
    this.clientId = o.clientId;
    this.authMethod = o.authMethod;
    this.sender = o.sender;
    this.signingKey = o.signingKey;
    this.dpopKey = o.dpopKey;
    this.assertionAudience = o.assertionAudience;
    this.interactionIdAtAs = o.interactionIdAtAs === true;
    this.mtlsEverywhere = o.mtlsEverywhere === true;
    this.clock = new ServerClock(o.now ?? Date.now, o.syncClock ?? true);
    if (this.authMethod === 'private_key_jwt' && !this.signingKey)
      throw stateError(
        'E_NO_SIGNING_KEY',
        'The profile uses private_key_jwt but has no signing key.',
        'Run `fapi keygen` to create one, then `fapi register`.',
      );
    if (this.sender === 'dpop' && !this.dpopKey)
      throw stateError(
        'E_NO_DPOP_KEY',
        'The profile uses DPoP but has no DPoP key.',
        'Run `fapi keygen --dpop` to create one.',
      );
    this.checkAlgs();
  }

  get metadata(): AsMetadata {
    return this.meta;
  }

  /** Sets the metadata later (`fapi call` discovers it only when it must refresh). */
  setMetadata(m: AsMetadata): void {
    this.meta = m;
    this.checkAlgs();
  }

  /** FAPI2-SP §5.4.1-1 and the server's advertised algorithms, before anything is sent (CL-14). */
  private checkAlgs(): void {
    const m = this.meta;
    if (this.dpopKey && this.sender === 'dpop') {
      const algs = m.dpop_signing_alg_values_supported;
      if (Array.isArray(algs) && !algs.includes(this.dpopKey.alg))
        throw stateError(
          'E_DPOP_ALG_UNSUPPORTED',
          `The DPoP key is ${this.dpopKey.alg}, but ${m.issuer} accepts DPoP proofs signed with ${algs.join(', ') || 'nothing'} (dpop_signing_alg_values_supported).`,
          `Create a DPoP key the server accepts: \`fapi keygen --dpop --force --alg ${algs.find((a) => FAPI_ALGS.includes(a as FapiAlg)) ?? 'ES256'}\`.`,
        );
    }
    if (this.signingKey && this.authMethod === 'private_key_jwt') {
      const algs = m.token_endpoint_auth_signing_alg_values_supported;
      if (Array.isArray(algs) && !algs.includes(this.signingKey.alg))
        throw stateError(
          'E_AUTH_ALG_UNSUPPORTED',
          `The signing key is ${this.signingKey.alg}, but ${m.issuer} accepts client assertions signed with ${algs.join(', ') || 'nothing'} (token_endpoint_auth_signing_alg_values_supported).`,
          'Create a key with an accepted algorithm (`fapi keygen --alg ...`) and register again.',
        );
    }
  }

  /** True when requests to the AS carry the client certificate (mTLS auth or binding, RFC 8705 §5). */
  get usesMtls(): boolean {
    return this.mtlsEverywhere || this.authMethod !== 'private_key_jwt' || this.sender === 'mtls';
  }

  /** The DPoP key's RFC 7638 thumbprint, for `dpop_jkt` and the cnf check. */
  get dpopJkt(): string | undefined {
    return this.dpopKey ? jwkThumbprint(this.dpopKey.publicJwk) : undefined;
  }

  /** The assertion audience: the issuer as a string unless the profile overrides it (CL-06). */
  get audience(): string {
    return this.assertionAudience ?? this.metadata.issuer;
  }

  /** The URL of an endpoint: from the metadata only (CL-04), its mTLS alias when using mTLS (CL-05). */
  endpoint(name: AsEndpointName): string {
    return endpoint(this.metadata, name, { mtls: this.usesMtls });
  }

  hintContext(extra: Partial<HintContext> = {}): HintContext {
    return {
      clientId: this.clientId,
      authMethod: this.authMethod,
      audience: this.audience,
      kid: this.signingKey?.kid,
      ...extra,
    };
  }

  /** Learns the nonce and the server's clock from any response (200s too, CL-15, CL-23). */
  private learn(res: HttpResponse): { skewChanged: boolean } {
    const o = origin(res.url);
    const nonce = res.header('dpop-nonce');
    if (nonce) this.nonces.set(o, nonce);
    const before = this.clock.applied(o);
    this.clock.learn(o, res.header('date'));
    return { skewChanged: this.clock.applied(o) !== before };
  }

  /** A client assertion for one request (fresh jti and iat, CL-06). */
  private assertion(url: string): { params: Record<string, string>; decoded: DecodedJwt } {
    const key = this.signingKey as SigningKey;
    const jwt = createClientAssertion({
      clientId: this.clientId,
      audience: this.audience,
      privateKey: key.privateKey,
      alg: key.alg,
      kid: key.kid,
      now: this.clock.now(origin(url)),
    });
    return { params: clientAssertionParams(this.clientId, jwt), decoded: decodeForNarration(jwt) };
  }

  /**
   * A request object for one attempt (MS-07): the form's parameters, aud = the issuer as a string,
   * a fresh jti and times on the server's clock (CL-23).
   */
  private requestObject(url: string, form: Record<string, string | undefined>) {
    const key = this.signingKey;
    if (!key)
      throw stateError(
        'E_KEY_MISSING',
        'Signed request objects (JAR) need the client signing key, and the profile has none.',
        'Create one with `fapi keygen`, register it with the client (`fapi client update`), then run the command again.',
      );
    const jwt = createRequestObject({
      clientId: this.clientId,
      audience: this.metadata.issuer,
      params: form,
      privateKey: key.privateKey,
      alg: key.alg,
      kid: key.kid,
      now: this.clock.now(origin(url)),
    });
    return { form: requestObjectForm(this.clientId, jwt), decoded: decodeForNarration(jwt) };
  }

  private proof(htm: string, htu: string, accessToken?: string): { jwt: string; decoded: DecodedJwt } {
    const jwt = createDpopProof(this.dpopKey as DpopKey, {
      htm,
      htu,
      nonce: this.nonces.get(origin(htu)),
      accessToken,
      now: this.clock.now(origin(htu)),
    });
    return { jwt, decoded: decodeForNarration(jwt) };
  }

  /** A POST to an AS endpoint with client authentication and DPoP, retried as RFC 9449 §8 allows. */
  async sendToAs(r: AsRequest): Promise<Exchange> {
    const url = this.endpoint(r.endpoint);
    const useDpop = r.dpop ?? this.sender === 'dpop';
    const authenticate = r.authenticate ?? true;
    const attempts: Attempt[] = [];
    let retry: RetryReason | undefined;
    const used = new Set<RetryReason>();
    const interactionId = this.interactionIdAtAs ? randomUUID() : undefined; // kept on retries
    for (;;) {
      let form: Record<string, string | undefined> = { ...r.form };
      const attempt: Partial<Attempt> = {};
      if (r.requestObject) {
        const ro = this.requestObject(url, r.form);
        form = ro.form;
        attempt.requestObject = ro.decoded;
      }
      if (authenticate) {
        if (this.authMethod === 'private_key_jwt') {
          const a = this.assertion(url);
          Object.assign(form, a.params);
          attempt.assertion = a.decoded;
        } else {
          // RFC 8705 §2: the client certificate authenticates; client_id identifies (CL-07).
          form.client_id = this.clientId;
        }
      }
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: r.accept ?? 'application/json',
        ...(interactionId ? { 'x-fapi-interaction-id': interactionId } : {}),
      };
      if (useDpop) {
        const p = this.proof('POST', url);
        headers.dpop = p.jwt;
        attempt.dpopProof = p.decoded;
      }
      const request: HttpRequest = {
        method: 'POST',
        url,
        headers,
        body: formBody(form),
        clientCert: this.usesMtls,
      };
      const response = await this.http(request);
      const { skewChanged } = this.learn(response);
      attempts.push({ ...attempt, request, response, ...(retry ? { retry } : {}) });
      retry = this.retryReason(response, useDpop, skewChanged, used);
      if (!retry) return { step: r.step, url, attempts, response };
      used.add(retry);
    }
  }

  private retryReason(
    res: HttpResponse,
    usedDpop: boolean,
    skewChanged: boolean,
    used: Set<RetryReason>,
  ): RetryReason | undefined {
    if (res.status < 400) return undefined;
    // RFC 9449 §8.2 / §9: retry once with the nonce and a new jti.
    if (usedDpop && !used.has('use_dpop_nonce') && isNonceDemand(res) && this.nonces.has(origin(res.url)))
      return 'use_dpop_nonce';
    // CL-23: the first answer revealed a skew large enough to explain the refusal.
    if (skewChanged && !used.has('clock_skew') && SKEW_ERRORS.has(oauthErrorOf(res).error ?? ''))
      return 'clock_skew';
    return undefined;
  }

  /** A resource request with the token in the Authorization header only (CL-16). */
  async sendToResource(r: ResourceRequest): Promise<Exchange> {
    const attempts: Attempt[] = [];
    let retry: RetryReason | undefined;
    const used = new Set<RetryReason>();
    const useDpop = r.scheme === 'DPoP';
    if (useDpop && !this.dpopKey)
      throw stateError(
        'E_NO_DPOP_KEY',
        'The access token is DPoP-bound but the profile has no DPoP key.',
        'Run `fapi login` again.',
      );
    const interactionId = randomUUID(); // CL-26, one per logical request (kept on retries)
    for (;;) {
      const headers: Record<string, string> = {
        'x-fapi-interaction-id': interactionId,
        ...r.headers,
        authorization: `${r.scheme} ${r.accessToken}`,
      };
      const attempt: Partial<Attempt> = {};
      if (useDpop) {
        const p = this.proof(r.method, r.url, r.accessToken);
        headers.dpop = p.jwt;
        attempt.dpopProof = p.decoded;
      }
      const request: HttpRequest = {
        method: r.method.toUpperCase(),
        url: r.url,
        headers,
        body: r.body,
        // RFC 8705 §3: a certificate-bound token is presented over the same certificate.
        clientCert: !useDpop || this.mtlsEverywhere,
        ...(r.maxResponseBytes !== undefined ? { maxResponseBytes: r.maxResponseBytes } : {}),
      };
      const response = await this.http(request);
      const { skewChanged } = this.learn(response);
      attempts.push({ ...attempt, request, response, ...(retry ? { retry } : {}) });
      retry = useDpop ? this.rsRetryReason(response, skewChanged, used) : undefined;
      if (!retry) return { step: 'resource', url: r.url, attempts, response };
      used.add(retry);
    }
  }

  private rsRetryReason(
    res: HttpResponse,
    skewChanged: boolean,
    used: Set<RetryReason>,
  ): RetryReason | undefined {
    if (res.status !== 401) return undefined;
    if (!used.has('use_dpop_nonce') && isNonceDemand(res) && this.nonces.has(origin(res.url)))
      return 'use_dpop_nonce';
    const dpop = findChallenge(parseWwwAuthenticate(res.headers['www-authenticate']), 'DPoP');
    if (skewChanged && !used.has('clock_skew') && dpop?.params.error === 'invalid_dpop_proof')
      return 'clock_skew';
    return undefined;
  }

  /** A plain GET (metadata, JWKS) that still teaches the clock and nonces. */
  async get(url: string, step: string): Promise<Exchange> {
    const request: HttpRequest = { method: 'GET', url, headers: { accept: 'application/json' } };
    const response = await this.http(request);
    this.learn(response);
    return { step, url, attempts: [{ request, response }], response };
  }
}

/** Parses a JSON object body of a successful response, or fails naming the step. */
export function jsonObject(exchange: Exchange): Record<string, unknown> {
  let body: unknown;
  try {
    body = exchange.response.json();
  } catch (cause) {
    throw conformanceError(
      'E_RESPONSE_NOT_JSON',
      `${exchange.step} at ${exchange.url} answered HTTP ${exchange.response.status} with a body that is not JSON.`,
      'The server is not behaving as an OAuth endpoint; `fapi -v` shows the response.',
      { cause: String(cause) },
    );
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw conformanceError(
      'E_RESPONSE_NOT_OBJECT',
      `${exchange.step} at ${exchange.url} answered with JSON that is not an object.`,
      'The server is not behaving as an OAuth endpoint; `fapi -v` shows the response.',
    );
  return body as Record<string, unknown>;
}
