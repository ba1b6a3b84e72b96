/**
 * What every scenario shares: a run against one target (`Play`) that records each step, the
 * parties (an honest client registered at the lab, or the profile's client at an external server;
 * the attacker's own client and keys), and the honest flows built from the core modules (PAR,
 * PKCE, the authorization response checks, the token request, resource calls). Protocol code is
 * never re-implemented here: the attacker's hand-made requests use the same DPoP and
 * client-assertion functions as everything else.
 */
import { randomBytes } from 'node:crypto';
import type { HttpClient, HttpResponse } from '../http/client.js';
import { isFapiError } from '../errors.js';
import { privateKeyPem, generateSigningKey, type GeneratedKey } from '../keys/generate.js';
import { validateAuthorizationResponse } from '../core/authorization-response.js';
import { Client, type Exchange, type SigningKey, jsonObject } from '../core/client.js';
import { oauthErrorOf } from '../core/oauth-error.js';
import { createDpopProof, type DpopKey } from '../core/dpop.js';
import { endpoint } from '../core/discovery.js';
import {
  authorizationUrl,
  createAuthorizationSession,
  parParameters,
  processPushedAuthorizationResponse,
  type AuthorizationSession,
} from '../core/par.js';
import { callResource } from '../core/resource.js';
import { buildClientMetadata, registerClient } from '../core/registration.js';
import { processTokenResponse } from '../core/token.js';
import type { AuthorizationDetail } from '../core/authorization-details.js';
import type {
  AttackEnv,
  AttackTarget,
  IssuedCertificate,
  Mode,
  ModeResult,
  PartyName,
  ScenarioInfo,
  ScenarioResult,
  StepResult,
  Verdict,
} from './types.js';
import { loadClientMetadataTemplate } from '../store/templates.js';

/** A step the target cannot support (e.g. an external server has no auto-approve). */
export class Skip extends Error {
  override name = 'Skip';
}

/** An honest step failed: the run cannot show anything. */
export class SetupFailed extends Error {
  override name = 'SetupFailed';
}

/** The outcome of one attack attempt. */
export interface Attempt {
  succeeded: boolean;
  summary: string;
  status?: number;
  error?: string;
  description?: string;
  check?: string;
}

/** "401 invalid_token (DP-14)". */
export function refusalSummary(a: Pick<Attempt, 'status' | 'error' | 'check'>): string {
  return [a.status, a.error ?? (a.status ? undefined : 'refused'), a.check ? `(${a.check})` : undefined]
    .filter((x) => x !== undefined && x !== '')
    .join(' ');
}

/** The refusal carried by a response: OAuth error (body or challenge) and the lab's deciding check. */
export async function refusalOf(target: AttackTarget, res: HttpResponse): Promise<Attempt> {
  const o = oauthErrorOf(res);
  const d = await target.decision?.(res, o.error);
  const a: Attempt = { succeeded: false, status: res.status, summary: '' };
  const error = o.error ?? d?.error;
  if (error) a.error = error;
  const description = o.error_description ?? d?.description;
  if (description) a.description = description;
  if (d?.check) a.check = d.check;
  a.summary = refusalSummary(a);
  return a;
}

/**
 * The outcome of an attacker's request: success when `ok(res)` holds (default: a 2xx answer),
 * otherwise the refusal.
 */
export async function attemptOf(
  target: AttackTarget,
  res: HttpResponse,
  success: string,
  ok: (r: HttpResponse) => boolean = (r) => r.status >= 200 && r.status < 300,
): Promise<Attempt> {
  if (ok(res)) return { succeeded: true, status: res.status, summary: `${res.status} ${success}` };
  return refusalOf(target, res);
}

/** One run of a scenario against one target: records every step. */
export class Play {
  readonly steps: StepResult[] = [];
  constructor(
    readonly target: AttackTarget,
    private readonly report: (s: StepResult) => void = () => {},
  ) {}

  get mode(): Mode {
    return this.target.mode;
  }

  private push(s: StepResult): void {
    this.steps.push(s);
    this.report(s);
  }

  /** An honest step. When it throws, the run ends as an error (it proves nothing). */
  async setup<T>(
    party: PartyName,
    action: string,
    fn: () => Promise<T>,
    summary: (v: T) => string,
  ): Promise<T> {
    let value: T;
    try {
      value = await fn();
    } catch (e) {
      if (e instanceof Skip) throw e;
      const msg = isFapiError(e)
        ? `${e.message}${e.oauth?.error_description ? ` (${e.oauth.error_description})` : ''}`
        : (e as Error).message;
      this.push({ mode: this.mode, party, action, kind: 'setup', succeeded: false, summary: msg });
      throw new SetupFailed(`${action}: ${msg}`);
    }
    this.push({ mode: this.mode, party, action, kind: 'setup', succeeded: true, summary: summary(value) });
    return value;
  }

  /**
   * An attack attempt. Under FAPI 2.0 it must be refused with one of `refusedWith` (the errors the
   * rule prescribes; any refusal when omitted); where the defence is relaxed it must succeed.
   */
  async attack(
    party: PartyName,
    action: string,
    o: { refusedWith?: readonly string[] },
    fn: () => Promise<Attempt>,
  ): Promise<Attempt> {
    const a = await fn();
    const expected =
      this.mode === 'relaxed'
        ? a.succeeded
        : !a.succeeded && (!o.refusedWith || (a.error !== undefined && o.refusedWith.includes(a.error)));
    const step: StepResult = {
      mode: this.mode,
      party,
      action,
      kind: 'attack',
      succeeded: a.succeeded,
      summary: a.summary,
      expected,
    };
    if (a.status !== undefined) step.status = a.status;
    if (a.error !== undefined) step.error = a.error;
    if (a.description !== undefined) step.description = a.description;
    if (a.check !== undefined) step.check = a.check;
    if (!expected && this.mode === 'fapi2' && !a.succeeded)
      step.summary += ` (expected ${o.refusedWith?.join(' or ') ?? 'a refusal'})`;
    this.push(step);
    return a;
  }

  /** A part of the scenario this target cannot run, and why. */
  skip(party: PartyName, action: string, reason: string): void {
    this.push({ mode: this.mode, party, action, kind: 'skipped', succeeded: false, summary: reason });
  }

  /** Runs `fn` only against an in-process lab; records a skipped step elsewhere. */
  async labOnly(party: PartyName, action: string, reason: string, fn: () => Promise<void>): Promise<void> {
    if (this.target.lab) return fn();
    this.skip(party, action, reason);
  }
}

function verdictOf(
  play: Play | undefined,
  error: unknown,
): { verdict: Verdict; summary: string; reason?: string } {
  if (error instanceof Skip) return { verdict: 'skipped', summary: 'skipped', reason: error.message };
  if (error) {
    const msg = isFapiError(error) || error instanceof SetupFailed ? error.message : String(error);
    return { verdict: 'error', summary: 'could not run', reason: msg };
  }
  const attacks = (play as Play).steps.filter((s) => s.kind === 'attack');
  const mode = (play as Play).mode;
  if (attacks.length === 0)
    return { verdict: 'skipped', summary: 'skipped', reason: 'no attack step could run against this server' };
  if (mode === 'relaxed') {
    const failed = attacks.find((s) => !s.succeeded);
    if (failed)
      return {
        verdict: 'attack-failed',
        summary: `attack failed: ${failed.summary}`,
        reason: `"${failed.action}" was refused even though the defence is relaxed, so the scenario proves nothing`,
      };
    return { verdict: 'attack-worked', summary: attacks.map((s) => s.summary).join('; ') };
  }
  const broken = attacks.find((s) => !s.expected);
  if (broken)
    return {
      verdict: 'defence-failed',
      summary: broken.succeeded ? `attack worked: ${broken.summary}` : `refused, but ${broken.summary}`,
      reason: broken.succeeded
        ? `"${broken.action}" succeeded: the server did not apply the rule`
        : `"${broken.action}" was refused for another reason than the rule`,
    };
  return { verdict: 'defence-held', summary: attacks.map((s) => s.summary).join('; ') };
}

/**
 * Runs a scenario: once against a lab with its defence relaxed, once against the FAPI 2.0 target.
 * Nothing thrown escapes: failures become verdicts.
 */
export async function playScenario(
  info: ScenarioInfo,
  env: AttackEnv,
  relaxed: (p: Play) => Promise<void>,
  fapi2: (p: Play) => Promise<void>,
): Promise<ScenarioResult> {
  const started = Date.now();
  const results: Partial<Record<Mode, ModeResult>> = {};
  const steps: StepResult[] = [];
  for (const [mode, fn] of [
    ['relaxed', relaxed],
    ['fapi2', fapi2],
  ] as const) {
    let target: AttackTarget | undefined;
    let play: Play | undefined;
    let error: unknown;
    try {
      target = mode === 'relaxed' ? await env.relaxed(info.relax) : await env.fapi2();
      if (!target.lab && !info.external)
        throw new Skip(
          'needs the lab: it registers clients and approves authorizations itself (run it without --issuer)',
        );
      play = new Play(target, (s) => env.onStep?.(info.id, s));
      await fn(play);
    } catch (e) {
      error = e ?? new Error('unknown failure');
    }
    if (play) steps.push(...play.steps);
    const v = verdictOf(play, error);
    results[mode] = { mode, target: target?.label ?? mode, ...v };
  }
  const r = results as Record<Mode, ModeResult>;
  const stoppedBy = [
    ...new Set(
      steps
        .filter((s) => s.mode === 'fapi2' && s.kind === 'attack' && !s.succeeded)
        .map((s) => s.check ?? s.error ?? '')
        .filter(Boolean),
    ),
  ];
  return {
    ...describeScenario(info),
    relaxed: r.relaxed,
    fapi2: r.fapi2,
    stoppedBy,
    steps,
    ok: r.relaxed.verdict === 'attack-worked' && r.fapi2.verdict === 'defence-held',
    ms: Date.now() - started,
  };
}

/** What a result says about its scenario, whatever happened in the run. */
function describeScenario(
  info: ScenarioInfo,
): Pick<ScenarioResult, 'id' | 'title' | 'attacker' | 'tried' | 'defence' | 'rules' | 'relaxations'> {
  const { id, title, attacker, tried, defence, rules } = info;
  return { id, title, attacker, tried, defence, rules, relaxations: info.relax };
}

/** The result of a scenario that did not run, with the reason in both modes. */
export function skippedResult(info: ScenarioInfo, reason: string): ScenarioResult {
  const skipped = (mode: Mode): ModeResult => ({
    mode,
    target: '',
    verdict: 'skipped',
    summary: 'skipped',
    reason,
  });
  return {
    ...describeScenario(info),
    relaxed: skipped('relaxed'),
    fapi2: skipped('fapi2'),
    stoppedBy: [],
    steps: [],
    ok: false,
    ms: 0,
  };
}

// ── parties ──────────────────────────────────────────────────────────────────

/** How a party's tokens are bound: DPoP, its TLS client certificate, or not at all (plain OAuth). */
export type Binding = 'dpop' | 'mtls' | 'bearer';

export interface Party {
  name: PartyName;
  /** The client runtime of src/core/client.ts. */
  client: Client;
  http: HttpClient;
  clientId: string;
  redirectUri: string;
  binding: Binding;
  /** The client-authentication key (private_key_jwt), for assertions made by hand. */
  signingKey?: SigningKey;
  /** The key of an mTLS client's request objects, at an external server that requires them. */
  requestObjectKey?: SigningKey;
  certificate?: IssuedCertificate;
}

/** The honest client's redirect URI in the lab (never followed: the harness reads the Location). */
export const HONEST_REDIRECT_URI = 'https://client.fapi-lab.example/callback';
/** Where an attacker wants codes to go. */
export const ATTACKER_REDIRECT_URI = 'https://attacker.fapi-lab.example/callback';

export interface RegisterOptions {
  binding: Binding;
  redirectUri?: string;
  /** Register with require_pushed_authorization_requests false (front-channel requests, no-par lab). */
  frontChannel?: boolean;
  /** Register for signed request objects, required for this client (JAR; MS-01, MS-07). */
  jar?: boolean;
  clientName?: string;
}

/** Registers a fresh client at a lab (RFC 7591, through src/core/registration.ts). */
export async function registerParty(
  target: AttackTarget,
  name: PartyName,
  o: RegisterOptions,
): Promise<Party> {
  if (!target.lab) throw new Skip('registering clients needs the lab (open dynamic registration)');
  const mtls = o.binding === 'mtls';
  const key = await generateSigningKey('ES256');
  const redirectUri = o.redirectUri ?? (name === 'attacker' ? ATTACKER_REDIRECT_URI : HONEST_REDIRECT_URI);
  let certificate: IssuedCertificate | undefined;
  if (mtls) {
    if (!target.issueCertificate) throw new Skip('certificates need the lab CA');
    certificate = await target.issueCertificate(
      key,
      `CN=${name}-${randomBytes(4).toString('hex')},O=fapi lab attack`,
    );
  }
  const md = buildClientMetadata({
    template: loadClientMetadataTemplate(mtls ? 'mtls' : 'dpop'),
    authMethod: mtls ? 'tls_client_auth' : 'private_key_jwt',
    sender: mtls ? 'mtls' : 'dpop',
    redirectUris: [redirectUri],
    signingKey: { publicJwk: key.publicJwk, alg: key.alg, kid: key.kid },
    ...(certificate
      ? { certificate: { subject: certificate.subject, derBase64: certificate.derBase64 } }
      : {}),
    server: target.metadata,
    ...(o.jar ? { jar: true } : {}),
    overrides: { client_name: o.clientName ?? (name === 'attacker' ? 'the attacker' : 'honest client') },
  });
  // A plain OAuth client (bearer tokens) and a front-channel one: only meaningful in relaxed labs.
  if (o.binding === 'bearer') delete md.dpop_bound_access_tokens;
  if (o.frontChannel) md.require_pushed_authorization_requests = false;
  const http = target.http(
    name,
    certificate ? { cert: certificate.pem, key: privateKeyPem(key.privateKey) } : undefined,
  );
  const registrationEndpoint = endpoint(target.metadata, 'registration_endpoint', { mtls: false });
  const { client: registered } = await registerClient(http, registrationEndpoint, md);
  // A bearer party still gets a DPoP key so the runtime can be built; it never sends a proof.
  const dpop = mtls ? undefined : await generateSigningKey('ES256');
  const client = new Client({
    http,
    metadata: target.metadata,
    clientId: registered.client_id,
    authMethod: mtls ? 'tls_client_auth' : 'private_key_jwt',
    sender: mtls ? 'mtls' : 'dpop',
    signingKey: mtls ? undefined : { privateKey: key.privateKey, alg: key.alg, kid: key.kid },
    dpopKey: dpop ? { privateKey: dpop.privateKey, publicJwk: dpop.publicJwk, alg: dpop.alg } : undefined,
  });
  const party: Party = {
    name,
    client,
    http,
    clientId: registered.client_id,
    redirectUri,
    binding: o.binding,
  };
  if (!mtls) party.signingKey = { privateKey: key.privateKey, alg: key.alg, kid: key.kid };
  if (certificate) party.certificate = certificate;
  return party;
}

/** The honest party of an external server: the profile's client. */
export function profileParty(target: AttackTarget): Party {
  const p = target.profile;
  if (!p) throw new Skip('no client profile for this server');
  return {
    name: 'client',
    client: p.client,
    http: p.http,
    clientId: p.client.clientId,
    redirectUri: p.redirectUri,
    binding: p.client.sender,
    ...(p.signingKey ? { signingKey: p.signingKey } : {}),
    ...(p.requestObjectKey ? { requestObjectKey: p.requestObjectKey } : {}),
  };
}

/** The honest client of a run: a fresh registration at a lab, the profile's client elsewhere. */
export async function honestParty(play: Play, o: RegisterOptions): Promise<Party> {
  if (!play.target.lab) return profileParty(play.target);
  return play.setup(
    'client',
    `honest client registers (${bindingLabel(o.binding)}${o.jar ? ', signed request objects required' : ''})`,
    () => registerParty(play.target, 'client', o),
    (p) => `client_id ${short(p.clientId)}`,
  );
}

export function bindingLabel(b: Binding): string {
  return b === 'dpop'
    ? 'DPoP-bound tokens'
    : b === 'mtls'
      ? 'tls_client_auth, certificate-bound tokens'
      : 'plain bearer tokens';
}

export function short(s: string, n = 8): string {
  return s.length <= n + 1 ? s : `${s.slice(0, n)}…`;
}

/** A key of the attacker's own (ES256: fast to make). */
export function attackerKey(): Promise<GeneratedKey> {
  return generateSigningKey('ES256');
}

/** A DPoP key of the attacker's own. */
export async function ownDpopKey(): Promise<DpopKey> {
  const k = await attackerKey();
  return { privateKey: k.privateKey, publicJwk: k.publicJwk, alg: k.alg };
}

// ── honest flows ─────────────────────────────────────────────────────────────

export interface Tokens {
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  scope?: string;
}

export interface PushOptions {
  scope?: string;
  /** RFC 9396 authorization details to push. */
  authorizationDetails?: readonly AuthorizationDetail[];
  /** false: no PKCE at all (only a no-pkce lab accepts it). */
  pkce?: boolean;
  redirectUri?: string;
  /** A signed request object (JAR); default: when the server requires one (MS-01). */
  requestObject?: boolean;
}

/** PAR (RFC 9126) with the core's session: PKCE S256, state, nonce, dpop_jkt; returns the request_uri. */
export async function push(
  party: Party,
  o: PushOptions = {},
): Promise<{ session: AuthorizationSession; requestUri: string; exchange: Exchange }> {
  const session = createAuthorizationSession({
    redirectUri: o.redirectUri ?? party.redirectUri,
    scope: o.scope ?? 'openid accounts',
    ...(party.binding === 'dpop' ? { dpopJkt: party.client.dpopJkt as string } : {}),
    ...(o.authorizationDetails ? { authorizationDetails: o.authorizationDetails } : {}),
  });
  const form = parParameters(party.clientId, session);
  if (o.pkce === false) {
    delete form.code_challenge;
    delete form.code_challenge_method;
    session.code_verifier = '';
  }
  const exchange = await party.client.sendToAs({
    step: 'PAR',
    endpoint: 'pushed_authorization_request_endpoint',
    form,
    dpop: party.binding === 'dpop',
    ...((o.requestObject ?? party.client.metadata.require_signed_request_object === true)
      ? { requestObject: true }
      : {}),
  });
  const { request_uri } = processPushedAuthorizationResponse(exchange, party.client.hintContext());
  return { session, requestUri: request_uri, exchange };
}

/** The user's browser follows an authorization URL; the lab auto-approves and answers 303. */
export async function follow(
  target: AttackTarget,
  url: string,
): Promise<{ res: HttpResponse; location?: URL; params: URLSearchParams }> {
  const res = await target.http('browser')({ method: 'GET', url, headers: { accept: 'text/html' } });
  const loc = res.header('location');
  const location = loc ? new URL(loc) : undefined;
  return { res, ...(location ? { location } : {}), params: location?.searchParams ?? new URLSearchParams() };
}

/** PAR, then the authorization: the code from the redirect, after the client's iss and state checks. */
export async function authorize(
  target: AttackTarget,
  party: Party,
  o: PushOptions & { tamper?: (u: URL) => void } = {},
): Promise<{ session: AuthorizationSession; code: string }> {
  if (!target.lab) throw new Skip('the authorization step needs the lab (auto-approve)');
  const { session, requestUri } = await push(party, o);
  const url = new URL(authorizationUrl(target.metadata, party.clientId, requestUri));
  o.tamper?.(url);
  const { res, params } = await follow(target, url.href);
  if (res.status !== 303 && res.status !== 302)
    throw new SetupFailed(`the authorization endpoint answered ${res.status} instead of redirecting`);
  const { code } = validateAuthorizationResponse(params, {
    issuer: target.issuer,
    issParameterSupported: target.metadata.authorization_response_iss_parameter_supported === true,
    state: session.state,
  });
  return { session, code };
}

/** The token request for a code (client authentication, DPoP or certificate), then its checks. */
export async function redeem(party: Party, code: string, session: AuthorizationSession): Promise<Exchange> {
  const form: Record<string, string | undefined> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: session.redirect_uri,
    code_verifier: session.code_verifier || undefined,
  };
  return party.client.sendToAs({
    step: 'token',
    endpoint: 'token_endpoint',
    form,
    dpop: party.binding === 'dpop',
  });
}

/** Validates a token response; for a plain bearer party only its shape (it asked for no binding). */
export function tokensOf(party: Party, exchange: Exchange): Tokens {
  if (party.binding !== 'bearer') {
    const t = processTokenResponse(exchange, {
      client: party.client,
      ...(party.certificate ? { certificateThumbprint: party.certificate.x5t } : {}),
    });
    return {
      accessToken: t.access_token,
      tokenType: t.token_type,
      ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
      ...(t.scope !== undefined ? { scope: t.scope } : {}),
    };
  }
  if (exchange.response.status !== 200)
    throw new SetupFailed(
      `the token request answered ${refusalSummary({ status: exchange.response.status, ...oauthErrorOf(exchange.response) })}`,
    );
  const body = jsonObject(exchange);
  return {
    accessToken: String(body.access_token),
    tokenType: String(body.token_type),
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
  };
}

/** The whole login of an honest party at a lab: PAR, authorization, token request. */
export async function login(play: Play, party: Party, o: PushOptions = {}): Promise<Tokens> {
  return play.setup(
    'client',
    'honest client logs in (PAR, authorization, token request)',
    async () => {
      const { session, code } = await authorize(play.target, party, o);
      return tokensOf(party, await redeem(party, code, session));
    },
    (t) => `${t.tokenType} access token${t.scope ? `, scope ${t.scope}` : ''}`,
  );
}

/** The honest party's tokens: a lab login, or the profile's saved token at an external server. */
export async function honestTokens(play: Play, party: Party, o: PushOptions = {}): Promise<Tokens> {
  if (play.target.lab) return login(play, party, o);
  const saved = play.target.profile?.accessToken;
  if (!saved) throw new Skip('needs a saved access token in the profile: run `fapi login` first');
  return { accessToken: saved.value, tokenType: saved.tokenType };
}

/** The protected resource the scenarios call: {rs}/accounts at the lab, or --resource. */
export function resourceUrl(target: AttackTarget): string {
  if (target.rs) return `${target.rs}/accounts`;
  if (target.profile?.resource) return target.profile.resource;
  throw new Skip('needs a protected resource URL: pass --resource URL');
}

/** The honest client calls the resource with its token, the way src/core/resource.ts always does. */
export async function honestCall(play: Play, party: Party, tokens: Tokens, url = resourceUrl(play.target)) {
  return play.setup(
    'client',
    `honest client calls ${new URL(url).pathname}`,
    async () => {
      const ex = await callResource(party.client, {
        method: 'GET',
        url,
        accessToken: tokens.accessToken,
        scheme: tokens.tokenType.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer',
      });
      if (ex.response.status !== 200)
        throw new SetupFailed(
          `${url} answered ${refusalSummary({ status: ex.response.status, ...oauthErrorOf(ex.response) })}`,
        );
      return ex;
    },
    (ex) => `${ex.response.status}`,
  );
}

// ── the attacker's tools ─────────────────────────────────────────────────────

export interface RsRequestOptions {
  method?: string;
  url: string;
  token?: string;
  scheme?: string;
  /** Sign a proof with this key (the attacker's own), retrying once with the server's nonce. */
  dpopKey?: DpopKey;
  /** Ready-made headers (a captured request), sent as they are. */
  headers?: Record<string, string>;
  body?: string;
}

/** A resource request made by hand, as an attacker would (its own proof, a nonce retry). */
export async function rsRequest(http: HttpClient, o: RsRequestOptions): Promise<HttpResponse> {
  const method = o.method ?? 'GET';
  let nonce: string | undefined;
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `${o.scheme ?? 'DPoP'} ${o.token}`;
    if (o.dpopKey)
      headers.dpop = createDpopProof(o.dpopKey, {
        htm: method,
        htu: o.url,
        ...(nonce ? { nonce } : {}),
        ...(o.token !== undefined ? { accessToken: o.token } : {}),
      });
    const res = await http({
      method,
      url: o.url,
      headers,
      ...(o.body !== undefined ? { body: o.body } : {}),
    });
    const fresh = res.header('dpop-nonce');
    const www = (res.header('www-authenticate') ?? '').toLowerCase();
    if (o.dpopKey && attempt === 0 && res.status === 401 && fresh && www.includes('use_dpop_nonce')) {
      nonce = fresh;
      continue;
    }
    return res;
  }
}

/** Parses an x-www-form-urlencoded request body the client sent (a captured request). */
export function capturedForm(body: string | Uint8Array | undefined): URLSearchParams {
  return new URLSearchParams(body === undefined ? '' : Buffer.from(body).toString('utf8'));
}

/**
 * An authorization request sent in the front channel, as plain OAuth does (RFC 6749 §4.1.1): every
 * parameter in the URL. FAPI 2.0 accepts only pushed requests (FAPI2-SP §5.3.2.2-3).
 */
export function frontChannelUrl(target: AttackTarget, params: Record<string, string | undefined>): URL {
  const u = new URL(endpoint(target.metadata, 'authorization_endpoint', { mtls: false }));
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u;
}

/**
 * The outcome of an authorization request an attacker crafted: success when the server redirects
 * with a code (where `codeGoesTo` says, if given); a redirect with an error, or an error page, is a
 * refusal.
 */
export async function authorizationAttempt(
  target: AttackTarget,
  r: { res: HttpResponse; location?: URL; params: URLSearchParams },
  success: (loc: URL) => string | undefined,
): Promise<Attempt> {
  const { res, location, params } = r;
  if (location && params.get('code')) {
    const ok = success(location);
    if (ok) return { succeeded: true, status: res.status, summary: `${res.status} ${ok}` };
  }
  if (location && params.get('error')) {
    const d = await target.decision?.(res, params.get('error') ?? undefined);
    const a: Attempt = {
      succeeded: false,
      status: res.status,
      error: params.get('error') as string,
      summary: '',
    };
    const desc = params.get('error_description');
    if (desc) a.description = desc;
    if (d?.check) a.check = d.check;
    a.summary = `${refusalSummary(a)}, redirected to the client`;
    return a;
  }
  if (res.status === 200)
    return {
      succeeded: true,
      status: 200,
      summary: '200: the server showed its authorization page for the request',
    };
  const a = await refusalOf(target, res);
  if (!location) a.summary += ', no redirect';
  return a;
}
