/**
 * What a check works with: the server's metadata, its variant's test clients, and the requests
 * of the baseline flow (PAR, authorization, token request, resource call) built from src/core (PAR with PKCE S256,
 * client assertions, DPoP proofs, the token request, resource calls), each with the alterations a
 * negative check needs: another assertion audience, no client authentication, another DPoP key, a
 * proof signed with RS256, no certificate. Every request learns the server's DPoP nonce and clock
 * (RFC 9449 §8, §9; FAPI2-SP §5.3.3.1 Note 1) and is retried once on `use_dpop_nonce`.
 */
import { randomUUID } from 'node:crypto';
import { createClientAssertion, JWT_BEARER } from '../core/client-auth.js';
import { isNonceDemand, type SigningKey } from '../core/client.js';
import type { ServerClock } from '../core/server-clock.js';
import {
  endpoint,
  type AuthorizationServerMetadata,
  type DiscoveryResult,
  type EndpointName,
} from '../core/discovery.js';
import { createDpopProof, type DpopKey } from '../core/dpop.js';
import { formBody } from '../core/form.js';
import { jwkThumbprint } from '../core/jwk.js';
import {
  authorizationUrl,
  createAuthorizationSession,
  parParameters,
  type AuthorizationSession,
} from '../core/par.js';
import { createRequestObject, requestObjectForm } from '../core/request-object.js';
import { processTokenResponse, type TokenSet } from '../core/token.js';
import { FapiError, isFapiError } from '../errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../http/client.js';
import { describe, errorOf, type Answer } from './expect.js';
import { followAuthorization, type AuthorizationEnd, type Authorizer } from './follow.js';
import type { PaymentSpec } from './payment.js';
import {
  registerTestClient,
  type ClientRegistry,
  type HttpFactory,
  type KeyCache,
  type Provisioning,
  type RegisterTestClientOptions,
  type TestClient,
} from './parties.js';
import { Skip, type Check, type Variant } from './types.js';

type Form = Record<string, string | undefined>;

/** A request sent and its answer. */
export interface Sent extends Answer {
  url: string;
  request: HttpRequest;
  /** A `use_dpop_nonce` demand was answered by a retry. */
  retried: boolean;
}

/** Alterations of the client assertion (private_key_jwt), made with src/core/client-auth.ts. */
export interface AssertionTweak {
  audience?: string | string[];
  /** Claims added or replaced; `undefined` removes one (e.g. `{ sub: undefined }`). */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Seconds added to the server's time for iat (and exp). */
  iatOffset?: number;
  lifetime?: number;
  /** Sign with another key (another client's). */
  key?: SigningKey;
  /** Alters the signed assertion (RS256, unsigned, …). */
  tamper?: (jwt: string) => string;
  /** This exact assertion (a replay). */
  fixed?: string;
  /** Another client_assertion_type. */
  type?: string;
  /** Another client_id form parameter (undefined: the client's). */
  clientId?: string;
}

/** Alterations of the DPoP proof, made with src/core/dpop.ts. */
export interface DpopTweak {
  key?: DpopKey;
  htm?: string;
  htu?: string;
  /** Seconds added to the server's time for iat. */
  iatOffset?: number;
  /** Extra or replaced claims; `undefined` removes one. */
  claims?: Record<string, unknown>;
  /** null: send no nonce and do not retry; a string: that nonce. */
  nonce?: string | null;
  /** Alters the signed proof; an array sends several DPoP headers. */
  tamper?: (jwt: string) => string | string[];
  /** This exact header value (a replay). */
  fixed?: string;
}

/**
 * A signed request object instead of the form (JAR at PAR, RFC 9101; FAPI2-MS §5.3.2), made with
 * src/core/request-object.ts for each attempt, and the alterations a negative check needs.
 */
export interface RequestObjectTweak {
  /** Claims added or replaced; `undefined` removes one (e.g. `{ nbf: undefined }`). */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Sign with another key (another client's). */
  key?: SigningKey;
  /** Seconds added to the server's time for iat, nbf (and exp). */
  iatOffset?: number;
  lifetime?: number;
  /** Alters the signed request object (RS256, unsigned, a flipped signature, …). */
  tamper?: (jws: string) => string;
  /** Form parameters sent beside the request object. */
  beside?: Form;
  /** No client_id parameter beside it (the request object still names the client). */
  withoutClientId?: boolean;
}

export interface AsOptions {
  method?: 'POST' | 'GET';
  /** Send the form as a signed request object (`client_id` and `request`). */
  requestObject?: RequestObjectTweak;
  url?: string;
  /** 'none': no client authentication; params: these instead (client_secret, …). */
  auth?: 'none' | AssertionTweak | { params: Record<string, string> };
  /** false: no DPoP header; a tweak: an altered proof. Default: the client's, for DPoP clients. */
  dpop?: false | DpopTweak;
  /** false: no client certificate; a client: present its certificate instead. */
  cert?: false | TestClient;
  headers?: Record<string, string | string[]>;
}

export interface LoginOptions {
  scope?: string;
  /** PAR form parameters added or replaced; `undefined` removes one. */
  par?: Form;
  /** The DPoP key of the flow (PAR proof, dpop_jkt, token request). Default: the client's. */
  dpopKey?: DpopKey;
  /** Send dpop_jkt (default: for DPoP clients). */
  dpopJkt?: boolean;
  /** The PAR proof (false: none). */
  parDpop?: false | DpopTweak;
  /** Extra parameters on the authorization URL (front channel). */
  front?: Record<string, string>;
  redirectUri?: string;
  /** Ask for a JARM response (response_mode=jwt). */
  jarm?: boolean;
  /**
   * The pushed request as a signed request object (MS-07), altered or not; false: plain form
   * parameters. Default: a request object when the client or the server requires one.
   */
  requestObject?: false | RequestObjectTweak;
  /** The person is to cancel this login (user-rejects-authentication). */
  deny?: boolean;
}

export interface Login {
  session: AuthorizationSession;
  requestUri: string;
  expiresIn: unknown;
  /** The authorization URL the browser was sent to. */
  url: string;
  end: AuthorizationEnd;
  par: Sent;
  dpopKey?: DpopKey;
}

export interface Tokens {
  login: Login;
  answer: Sent;
  set: TokenSet;
  body: Record<string, unknown>;
}

/** A login that did not end with a code (the check fails with the reason). */
export class LoginFailed extends Error {
  override name = 'LoginFailed';
}

export interface RunEnv {
  issuer: string;
  metadata: AuthorizationServerMetadata;
  discovery: DiscoveryResult;
  http: HttpFactory;
  /** The plain HTTPS client (no certificate). */
  plain: HttpClient;
  clock: ServerClock;
  /** DPoP nonces per origin, from any response (RFC 9449 §8.2, §9). */
  nonces: Map<string, string>;
  /** Origins whose nonce changes with every request: their DPoP requests go one at a time. */
  serialNonces: Set<string>;
  locks: Map<string, Promise<void>>;
  authorizer: Authorizer;
  /** The issuer's origins: the only ones a browser is followed to. */
  origins: string[];
  redirectUris: string[];
  scope: string;
  /** Timeout of one request (ms). */
  timeoutMs: number;
  resources: string[];
  /** The scope the resources require (`--rs-scope`, RS-05). */
  rsScope?: string;
  /** The payment of the RAR checks, and the resource that executes it (`--rs-payment`). */
  payment: PaymentSpec;
  signal?: AbortSignal;
  wait(seconds: number): Promise<void>;
  initialAccessToken?: string;
  provisioning: Provisioning;
  /** The variant server-wide checks register their own clients with. */
  defaultVariant?: Variant;
  keys: KeyCache;
  registry: ClientRegistry;
  /** Counts logins and serializes them when a person is involved. */
  logins: { done: number; total: number; gate: <T>(fn: () => Promise<T>) => Promise<T> };
}

/** One variant's pass: its two clients, made once and shared by its checks. */
export interface Pass {
  variant?: Variant;
  client(n: 1 | 2): Promise<TestClient>;
}

const origin = (url: string) => new URL(url).origin;

export class CheckContext {
  constructor(
    readonly env: RunEnv,
    readonly pass: Pass,
    readonly check: Check,
  ) {}

  get issuer(): string {
    return this.env.issuer;
  }
  get metadata(): AuthorizationServerMetadata {
    return this.env.metadata;
  }
  get variant(): Variant {
    if (!this.pass.variant) throw new Error(`internal: ${this.check.id} runs once per server`);
    return this.pass.variant;
  }
  get scope(): string {
    return this.env.scope;
  }
  get resources(): string[] {
    return this.env.resources;
  }
  get plain(): HttpClient {
    return this.env.plain;
  }

  client(n: 1 | 2 = 1): Promise<TestClient> {
    return this.pass.client(n);
  }

  /** A client of the check's own (RFC 7591), deleted at the end of the run. */
  ownClient(o: Partial<RegisterTestClientOptions> = {}): Promise<TestClient> {
    const variant = this.pass.variant ?? this.env.defaultVariant;
    if (!variant) throw new Skip('no variant to register a client with');
    return registerTestClient(this.env.provisioning, variant, { name: `${this.check.id} client`, ...o });
  }

  /** Epoch seconds as the issuer's clock reads (its Date header, CL-23). */
  now(): number {
    return this.env.clock.now(origin(this.issuer));
  }

  /** True when requests from this client go over mTLS (authentication or binding, RFC 8705 §5). */
  usesMtls(c: TestClient): boolean {
    return c.auth !== 'private_key_jwt' || c.sender === 'mtls';
  }

  /** An endpoint URL from the metadata; its mTLS alias for mTLS clients. */
  url(name: EndpointName, c?: TestClient): string {
    return endpoint(this.metadata, name, { mtls: c ? this.usesMtls(c) : false });
  }

  private checkSignal(): void {
    if (this.env.signal?.aborted)
      throw new FapiError('E_INTERRUPTED', 'Interrupted.', { kind: 'interrupted' });
  }

  private learn(res: HttpResponse): void {
    const o = origin(res.url);
    const nonce = res.header('dpop-nonce');
    if (nonce) this.env.nonces.set(o, nonce);
    this.env.clock.learn(o, res.header('date'));
  }

  /** Sends one request, learning nonce and clock; a transport failure is returned, not thrown. */
  async raw(http: HttpClient, req: HttpRequest): Promise<Answer> {
    this.checkSignal();
    try {
      const response = await http(req);
      this.learn(response);
      return { response };
    } catch (e) {
      if (isFapiError(e) && (e.kind === 'network' || e.kind === 'nonConformant'))
        return { transport: e.message };
      throw e;
    }
  }

  /** The client assertion parameters (a fresh assertion per attempt, CL-06). */
  assertionParams(c: TestClient, url: string, t: AssertionTweak = {}): Record<string, string> {
    const now = this.env.clock.now(origin(url)) + (t.iatOffset ?? 0);
    const key = t.key ?? c.signingKey;
    let jwt =
      t.fixed ??
      createClientAssertion({
        clientId: c.clientId,
        audience: t.audience ?? this.issuer,
        privateKey: key.privateKey,
        alg: key.alg,
        ...(key.kid ? { kid: key.kid } : {}),
        now,
        ...(t.lifetime !== undefined ? { lifetime: t.lifetime } : {}),
        ...(t.header ? { header: t.header } : {}),
        ...(t.claims ? { claims: t.claims } : {}),
      });
    if (t.tamper && !t.fixed) jwt = t.tamper(jwt);
    const out: Record<string, string> = {
      client_assertion_type: t.type ?? JWT_BEARER,
      client_assertion: jwt,
    };
    const id = 'clientId' in t ? t.clientId : c.clientId;
    if (id !== undefined) out.client_id = id;
    return out;
  }

  /** `client_id` and `request` (a fresh request object, MS-07) for a form, and what goes beside it. */
  requestObjectParams(c: TestClient, url: string, form: Form, t: RequestObjectTweak): Form {
    const key = t.key ?? c.signingKey;
    const params: Form = {};
    for (const [k, v] of Object.entries(form)) if (v !== undefined) params[k] = v;
    let jws = createRequestObject({
      clientId: c.clientId,
      audience: this.issuer,
      params,
      privateKey: key.privateKey,
      alg: key.alg,
      ...(key.kid ? { kid: key.kid } : {}),
      now: this.env.clock.now(origin(url)) + (t.iatOffset ?? 0),
      ...(t.lifetime !== undefined ? { lifetime: t.lifetime } : {}),
      ...(t.header ? { header: t.header } : {}),
      ...(t.claims ? { claims: t.claims } : {}),
    });
    if (t.tamper) jws = t.tamper(jws);
    // A request_uri never goes inside (RFC 9126 §2.1): a check that sends one sends it beside.
    const outside: Form = form.request_uri !== undefined ? { request_uri: form.request_uri } : {};
    const out: Form = { ...requestObjectForm(c.clientId, jws), ...outside, ...t.beside };
    if (t.withoutClientId) delete out.client_id;
    return out;
  }

  /** True when the client's pushed requests must be request objects (RFC 9101 §10.1, §10.5). */
  requiresRequestObject(c: TestClient): boolean {
    return (
      this.metadata.require_signed_request_object === true ||
      c.registered?.require_signed_request_object === true
    );
  }

  /** A DPoP proof header value (or several) for a request. */
  proof(key: DpopKey, htm: string, htu: string, t: DpopTweak = {}, accessToken?: string): string | string[] {
    if (t.fixed) return t.fixed;
    const nonce = t.nonce === null ? undefined : (t.nonce ?? this.env.nonces.get(origin(htu)));
    const jwt = createDpopProof(t.key ?? key, {
      htm: t.htm ?? htm,
      htu: t.htu ?? htu,
      ...(nonce !== undefined ? { nonce } : {}),
      ...(accessToken !== undefined ? { accessToken } : {}),
      now: this.env.clock.now(origin(htu)) + (t.iatOffset ?? 0),
      ...(t.claims ? { extraClaims: t.claims } : {}),
    });
    return t.tamper ? t.tamper(jwt) : jwt;
  }

  private httpFor(c: TestClient, cert: false | TestClient | undefined): { http: HttpClient; cert: boolean } {
    if (cert === false) return { http: this.plain, cert: false };
    if (cert) return { http: cert.http, cert: Boolean(cert.certificate) };
    if (this.usesMtls(c) && c.certificate) return { http: c.http, cert: true };
    return { http: this.plain, cert: false };
  }

  /**
   * A request to an AS endpoint as client `c`: its authentication and DPoP proof unless altered,
   * retried once with a fresh assertion and proof when the server demands a DPoP nonce.
   */
  async as(c: TestClient, name: EndpointName, form: Form, o: AsOptions = {}): Promise<Sent> {
    const url = o.url ?? this.url(name, c);
    const method = o.method ?? 'POST';
    const { http, cert } = this.httpFor(c, o.cert);
    const useDpop = o.dpop !== false && (o.dpop !== undefined || (c.sender === 'dpop' && c.dpopKey));
    const tweak = o.dpop === false ? undefined : o.dpop;
    return this.exchange(url, {
      http,
      dpop: Boolean(useDpop),
      tweak,
      fixedAuth: typeof o.auth === 'object' && 'fixed' in o.auth,
      request: () => {
        let f: Form = { ...form };
        if (o.requestObject) f = this.requestObjectParams(c, url, form, o.requestObject);
        if (o.auth === undefined || (typeof o.auth === 'object' && !('params' in o.auth))) {
          if (c.auth === 'private_key_jwt') Object.assign(f, this.assertionParams(c, url, o.auth ?? {}));
          else if (f.client_id === undefined && !('client_id' in form)) f.client_id = c.clientId;
        } else if (o.auth !== 'none') Object.assign(f, o.auth.params);
        if (!o.requestObject) for (const [k, v] of Object.entries(form)) if (v === undefined) delete f[k];
        const headers: Record<string, string | string[]> = { accept: 'application/json', ...o.headers };
        if (method === 'POST') headers['content-type'] ??= 'application/x-www-form-urlencoded';
        if (useDpop) headers.dpop = this.proof((tweak?.key ?? c.dpopKey) as DpopKey, method, url, tweak);
        return {
          method,
          url: method === 'GET' ? withQuery(url, f) : url,
          headers,
          ...(method === 'POST' ? { body: formBody(f) } : {}),
          clientCert: cert,
        };
      },
    });
  }

  /**
   * Sends a request (rebuilt for each attempt: fresh assertion, fresh proof with the newest nonce),
   * retried once on a DPoP nonce demand (RFC 9449 §8, §9) or a refusal that revealed clock skew
   * (FAPI2-SP §5.3.3.1 Note 1). A server whose nonce has changed again by the retry rotates it on
   * every request (RFC 9449 §8 allows it): from then on, DPoP requests to it go one at a time.
   */
  private async exchange(
    url: string,
    o: {
      http: HttpClient;
      dpop: boolean;
      tweak?: DpopTweak;
      fixedAuth?: boolean;
      request: () => HttpRequest;
    },
  ): Promise<Sent> {
    const o2 = origin(url);
    const canRetryNonce = o.dpop && o.tweak?.nonce === undefined && !o.tweak?.fixed;
    const run = async (attempts: number): Promise<Sent & { race: boolean }> => {
      let retried = false;
      for (let attempt = 0; ; attempt++) {
        const request = o.request();
        const before = this.env.clock.applied(o2);
        const a = await this.raw(o.http, request);
        const nonceDemand = canRetryNonce && a.response !== undefined && isNonceDemand(a.response);
        const skew =
          attempt === 0 &&
          this.env.clock.applied(o2) !== before &&
          !o.fixedAuth &&
          !o.tweak?.fixed &&
          ['invalid_client', 'invalid_dpop_proof'].includes(errorOf(a) ?? '');
        if (attempt + 1 >= attempts || !(nonceDemand || skew))
          return { ...a, url, request, retried, race: Boolean(nonceDemand && attempt > 0) };
        retried = true;
      }
    };
    if (this.env.serialNonces.has(o2)) return this.locked(o2, () => run(3));
    const sent = await run(2);
    if (!sent.race) return sent;
    this.env.serialNonces.add(o2);
    return this.locked(o2, () => run(3));
  }

  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.env.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn);
    this.env.locks.set(
      key,
      next.then(
        () => undefined,
        () => undefined,
      ),
    );
    return next;
  }

  /**
   * A resource request with an access token: `DPoP <token>` with a proof carrying ath (RFC 9449
   * §7.1), or `Bearer <token>` over the client certificate (RFC 8705 §3), unless altered.
   */
  async rs(
    c: TestClient,
    token: { accessToken: string; tokenType: string } | undefined,
    o: {
      url?: string;
      method?: string;
      scheme?: string;
      dpop?: false | DpopTweak;
      /** The access token whose hash goes into ath (null: no ath). */
      ath?: string | null;
      cert?: false | TestClient;
      headers?: Record<string, string | string[]>;
      authorization?: string | null;
      body?: string;
    } = {},
  ): Promise<Sent> {
    const url = o.url ?? (this.resources[0] as string);
    if (!url) throw new Skip('needs a protected resource: pass --rs URL');
    const method = o.method ?? 'GET';
    const dpopToken = token !== undefined && token.tokenType.toLowerCase() === 'dpop';
    const useDpop = o.dpop !== false && (o.dpop !== undefined || (dpopToken && c.dpopKey));
    const tweak = o.dpop === false ? undefined : o.dpop;
    const cert = o.cert ?? (c.sender === 'mtls' && c.certificate ? c : false);
    return this.exchange(url, {
      http: cert ? cert.http : this.plain,
      dpop: Boolean(useDpop),
      tweak,
      request: () => {
        const headers: Record<string, string | string[]> = { ...o.headers };
        const scheme = o.scheme ?? (dpopToken ? 'DPoP' : 'Bearer');
        if (o.authorization !== null && token)
          headers.authorization = o.authorization ?? `${scheme} ${token.accessToken}`;
        if (useDpop) {
          const ath = o.ath === null ? undefined : (o.ath ?? token?.accessToken);
          headers.dpop = this.proof((tweak?.key ?? c.dpopKey) as DpopKey, method, url, tweak, ath);
        }
        return {
          method,
          url,
          headers,
          ...(o.body !== undefined ? { body: o.body } : {}),
          clientCert: Boolean(cert),
        };
      },
    });
  }

  /**
   * A payment at the `--rs-payment` resource with an access token: POST of the payment's JSON
   * body, with an idempotency key of its own (a repeated payment is a new request, not a retry).
   */
  pay(c: TestClient, token: { accessToken: string; tokenType: string }): Promise<Sent> {
    const url = this.env.payment.url;
    if (!url) throw new Skip('needs a resource that executes payments: pass --rs-payment URL');
    return this.rs(c, token, {
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-idempotency-key': randomUUID() },
      body: JSON.stringify(this.env.payment.body),
    });
  }

  /** The authorization step through the run's browser (`follow` or a real one). */
  async authorize(url: string, redirectUri: string, o: { deny?: boolean } = {}): Promise<AuthorizationEnd> {
    this.checkSignal();
    const { logins } = this.env;
    return logins.gate(() => {
      const n = ++logins.done;
      return this.env.authorizer.authorize({
        url,
        redirectUri,
        n,
        ...(o.deny ? { deny: true } : {}),
        ...(this.env.signal ? { signal: this.env.signal } : {}),
      });
    });
  }

  /**
   * A request the server must refuse at the authorization endpoint. With `follow` it is followed
   * like a login; with a real browser only fapi's own first request is made (a person would have
   * to log in to see more), and a login page makes the check skip.
   */
  async probe(url: string, redirectUri: string): Promise<AuthorizationEnd> {
    this.checkSignal();
    if (!this.env.authorizer.interactive) return this.authorize(url, redirectUri);
    const end = await followAuthorization(this.plain, url, redirectUri, {
      origins: this.env.origins,
      firstOnly: true,
    });
    if (end.kind === 'page' && end.status >= 200 && end.status < 400)
      throw new Skip(
        `the server shows a login page before deciding (${end.status}${end.location ? ` → ${end.location}` : ''}); run with --browser follow against a server that approves without a person`,
      );
    return end;
  }

  /** PAR (RFC 9126) with PKCE S256, state, nonce and dpop_jkt, then the authorization step. */
  async login(c: TestClient, o: LoginOptions = {}): Promise<Login> {
    const par = await this.push(c, o);
    const url = new URL(authorizationUrl(this.metadata, c.clientId, par.requestUri));
    for (const [k, v] of Object.entries(o.front ?? {})) url.searchParams.set(k, v);
    const end = await this.authorize(url.href, par.session.redirect_uri, { deny: Boolean(o.deny) });
    return { ...par, url: url.href, end };
  }

  /** A new authorization session (PKCE S256, state, nonce; dpop_jkt when asked) and its PAR form. */
  session(
    c: TestClient,
    o: LoginOptions = {},
  ): { session: AuthorizationSession; form: Form; dpopKey?: DpopKey } {
    const dpopKey = c.sender === 'dpop' ? (o.dpopKey ?? c.dpopKey) : o.dpopKey;
    const session = createAuthorizationSession({
      redirectUri: o.redirectUri ?? c.redirectUri,
      scope: o.scope ?? this.scope,
      ...(dpopKey && o.dpopJkt !== false ? { dpopJkt: jwkThumbprint(dpopKey.publicJwk) } : {}),
      ...(o.jarm ? { jarm: true } : {}),
    });
    const form: Form = { ...parParameters(c.clientId, session), ...o.par };
    // The session remembers what was pushed, so the response and token request are judged by it.
    const s = session as unknown as Record<string, string | undefined>;
    for (const k of ['state', 'nonce', 'redirect_uri', 'code_challenge'] as const)
      if (o.par && k in o.par) s[k] = o.par[k] ?? '';
    for (const [k, v] of Object.entries(form)) if (v === undefined) delete form[k];
    return { session, form, ...(dpopKey ? { dpopKey } : {}) };
  }

  /**
   * A pushed authorization request (RFC 9126 §2.1) as client `c`, with a fresh session and no
   * dpop_jkt unless asked; the answer is returned as it is.
   */
  par(
    c: TestClient,
    o: LoginOptions & Omit<AsOptions, 'dpop'> = {},
  ): Promise<Sent & { session: AuthorizationSession }> {
    const { session, form, dpopKey } = this.session(c, { dpopJkt: false, ...o });
    let dpop: false | DpopTweak = false;
    if (o.parDpop !== false && (dpopKey || o.parDpop))
      dpop = { ...(dpopKey ? { key: dpopKey } : {}), ...o.parDpop };
    const { requestObject: ro, ...rest } = o;
    let requestObject = ro === false ? undefined : (ro ?? (this.requiresRequestObject(c) ? {} : undefined));
    // A check that removes the client_id parameter (MT-01) removes it beside the request object.
    if (requestObject && o.par && 'client_id' in o.par && o.par.client_id === undefined)
      requestObject = { ...requestObject, withoutClientId: true };
    return this.as(c, 'pushed_authorization_request_endpoint', form, {
      ...rest,
      dpop,
      ...(requestObject ? { requestObject } : {}),
    }).then((s) => ({
      ...s,
      session,
    }));
  }

  /** The PAR step of a login; fails the check (LoginFailed) when the server refuses it. */
  async push(c: TestClient, o: LoginOptions = {}): Promise<Omit<Login, 'url' | 'end'>> {
    const dpopKey = c.sender === 'dpop' ? (o.dpopKey ?? c.dpopKey) : o.dpopKey;
    const par = await this.par(c, { dpopJkt: true, ...o });
    let body: Record<string, unknown> | undefined;
    try {
      body = par.response?.json() as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const status = par.response?.status;
    if ((status !== 201 && status !== 200) || typeof body?.request_uri !== 'string')
      throw new LoginFailed(`PAR → ${describe(par)}`);
    return {
      session: par.session,
      requestUri: body.request_uri,
      expiresIn: body.expires_in,
      par,
      ...(dpopKey ? { dpopKey } : {}),
    };
  }

  /** The code of a login, or LoginFailed saying where the authorization ended. */
  codeOf(l: Login): string {
    if (l.end.kind === 'redirect') {
      const code = l.end.params.get('code');
      if (code) return code;
      throw new LoginFailed(
        `the authorization ended at the redirect URI without a code (${l.end.params.get('error') ?? 'no error'}${l.end.params.get('error_description') ? `: ${l.end.params.get('error_description')}` : ''})`,
      );
    }
    throw new LoginFailed(
      `the authorization ended at HTTP ${l.end.status}${l.end.location ? ` → ${l.end.location}` : ''}${l.end.snippet ? ` (${l.end.snippet})` : ''}, not at the redirect URI`,
    );
  }

  /** The token request for a login's code (RFC 6749 §4.1.3), unless altered. */
  redeem(c: TestClient, l: Login, o: AsOptions & { form?: Form; code?: string } = {}): Promise<Sent> {
    const form: Form = {
      grant_type: 'authorization_code',
      code: o.code ?? this.codeOf(l),
      redirect_uri: l.session.redirect_uri,
      code_verifier: l.session.code_verifier,
      ...o.form,
    };
    const dpop = o.dpop ?? (l.dpopKey && c.sender === 'dpop' ? { key: l.dpopKey } : undefined);
    return this.as(c, 'token_endpoint', form, { ...o, ...(dpop !== undefined ? { dpop } : {}) });
  }

  /** A whole login to tokens, validated by src/core/token.ts (fails the check otherwise). */
  async tokens(c: TestClient, o: LoginOptions = {}): Promise<Tokens> {
    const login = await this.login(c, o);
    const answer = await this.redeem(c, login);
    return this.tokensOf(c, login, answer);
  }

  tokensOf(c: TestClient, login: Login, answer: Sent): Tokens {
    if (!answer.response) throw new LoginFailed(`token request → ${describe(answer)}`);
    if (answer.response.status !== 200) throw new LoginFailed(`token request → ${describe(answer)}`);
    let set: TokenSet;
    try {
      set = processTokenResponse(
        { step: 'token', url: answer.url, attempts: [], response: answer.response },
        { client: c.core, ...(c.certificate ? { certificateThumbprint: c.certificate.x5t } : {}) },
      );
    } catch (e) {
      throw new LoginFailed(`token response: ${isFapiError(e) ? e.message : String(e)}`);
    }
    return { login, answer, set, body: answer.response.json() as Record<string, unknown> };
  }

  /** A refresh request (RFC 6749 §6), unless altered. */
  refresh(c: TestClient, refreshToken: string, o: AsOptions & { form?: Form } = {}): Promise<Sent> {
    return this.as(
      c,
      'token_endpoint',
      { grant_type: 'refresh_token', refresh_token: refreshToken, ...o.form },
      o,
    );
  }

  /** Tokens with a refresh token, or Skip when the server issues none for this scope. */
  async tokensWithRefresh(c: TestClient): Promise<Tokens & { refreshToken: string }> {
    const t = await this.tokens(c);
    if (!t.set.refresh_token)
      throw new Skip(
        `the server issued no refresh token for scope "${this.scope}" (add offline_access with --scope, if it needs it)`,
      );
    return { ...t, refreshToken: t.set.refresh_token };
  }

  /** The access token in the form rs() takes. */
  token(t: Tokens): { accessToken: string; tokenType: string } {
    return { accessToken: t.set.access_token, tokenType: t.set.token_type };
  }

  wait(seconds: number): Promise<void> {
    return this.env.wait(seconds);
  }
}

function withQuery(url: string, form: Form): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(form)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}
