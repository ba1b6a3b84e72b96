/**
 * The conformance run: discovery (its failure is the only thing that stops a run), the variants
 * the metadata offers (client authentication × sender constraint, run as separate passes), the
 * test clients of each pass, then every selected check, concurrently and independently: a check
 * that fails, throws or hangs fails alone. Clients the run registered are deleted at the end
 * (RFC 7592 §2.3), also when it is interrupted, unless `keep`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ServerClock } from '../core/server-clock.js';
import { discoverMetadata, type DiscoveryResult } from '../core/discovery.js';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod, type SenderConstraint } from '../core/fapi.js';
import { conformanceError, FapiError, isFapiError, networkError, usageError } from '../errors.js';
import type { HttpRequest } from '../http/client.js';
import { CheckContext, LoginFailed, type Pass, type RunEnv } from './context.js';
import { followAuthorizer, type Authorizer } from './follow.js';
import {
  ClientRegistry,
  KeyCache,
  providedTestClient,
  registerTestClient,
  type ClientCa,
  type HttpFactory,
  type ProvidedClient,
  type Provisioning,
  type TestClient,
} from './parties.js';
import { defaultPayment, paymentLabel, type PaymentSpec } from './payment.js';
import { selects } from './select.js';
import {
  Skip,
  summarize,
  type Check,
  type CheckResult,
  type Outcome,
  type Summary,
  type Variant,
} from './types.js';

export interface ConformOptions {
  issuer: string;
  http: HttpFactory;
  /** How logins happen; `follow` (default) follows the redirects itself. */
  authorizer?: Authorizer;
  /** The loopback redirect URI the test clients register (http://127.0.0.1:<port>/…). */
  redirectUri: string;
  rs?: string[];
  scope?: string;
  /** The scope the `rs` resources require (RS-05). */
  rsScope?: string;
  /**
   * The payment of the RAR checks (default: 1.00 EUR to Bob Example, ./payment.ts) and, in `url`,
   * the resource that executes it (`--rs-payment`): without it the RS RAR checks skip.
   */
  payment?: PaymentSpec;
  auth?: readonly ClientAuthMethod[];
  sender?: readonly SenderConstraint[];
  /** Clients given as profiles; without them, clients come from dynamic registration. */
  clients?: readonly ProvidedClient[];
  clientCa?: ClientCa;
  initialAccessToken?: string;
  /** The selected checks (every check of src/conform/checks by default). */
  checks: readonly Check[];
  /** Every check, for baselines the selection left out. */
  allChecks?: readonly Check[];
  /** Entries of --expected-failures. */
  expectedFailures?: readonly string[];
  /** A SHOULD is held as a MUST: its failure is `failed`, not a warning (--strict). */
  strict?: boolean;
  slow?: boolean;
  /** Timeout of one request (ms); a check gets a few times that. */
  timeoutMs: number;
  concurrency?: number;
  signal?: AbortSignal;
  /** Waiting for expiry (tests move a lab clock instead). */
  wait?: (seconds: number) => Promise<void>;
  /** How many of the checks that wait run at once (1 when `wait` moves a clock they share). */
  slowConcurrency?: number;
  keep?: boolean;
  onEvent?: (e: RunEvent) => void;
  /** Local clock, epoch ms. */
  now?: () => number;
}

export type RunEvent =
  | {
      type: 'plan';
      variants: Variant[];
      skippedVariants: SkippedVariant[];
      checks: number;
      logins: number;
      /** Of those logins, the ones the person is to cancel (user-rejects-authentication). */
      denials: number;
      interactive: boolean;
      /**
       * The payment requests the run sends to `--rs-payment`, and how many of them a server that
       * follows the rules executes (they are real payments: said before the run starts).
       */
      payments?: { url: string; sent: number; executed: number; each: string };
    }
  | { type: 'pass'; variant?: Variant }
  | { type: 'result'; result: CheckResult }
  | { type: 'cleanup'; deleted: number; left: { clientId: string; reason: string }[]; kept: number };

export interface SkippedVariant {
  variant: Variant;
  reason: string;
}

export interface ConformReport {
  issuer: string;
  variants: Variant[];
  skippedVariants: SkippedVariant[];
  results: CheckResult[];
  summary: Summary;
  duration_ms: number;
  notes: string[];
  clients: { deleted: number; left: { clientId: string; reason: string }[]; kept: TestClientInfo[] };
}

export interface TestClientInfo {
  clientId: string;
  registrationClientUri?: string;
  registrationAccessToken?: string;
  /** The client with its keys, when the run registered it with keys of its own. */
  client?: TestClient;
}

/**
 * What the exchanges in flight belong to: the check and variant (`CA-02 private_key_jwt+dpop`),
 * a pass's set-up, the clean-up. Every request the run sends carries it as its `label`, which the
 * `-v` trace prints before each arrow, so that the evidence of a failing check can be found in a
 * run where the checks go concurrently.
 */
const exchangeLabel = new AsyncLocalStorage<string>();

/** Runs `fn` with its requests labelled `label` (see exchangeLabel). */
export function labelled<T>(label: string, fn: () => T): T {
  return exchangeLabel.run(label, fn);
}

/** The HTTPS clients of a factory, each request labelled with what it belongs to (see exchangeLabel). */
export function labelling(http: HttpFactory): HttpFactory {
  return (cert) => {
    const h = http(cert);
    return (req) => {
      const label = req.label ?? exchangeLabel.getStore();
      return h(label === undefined ? req : { ...req, label });
    };
  };
}

/** The trace label of a check in a variant: `CA-02.token-url private_key_jwt+dpop`, `META-12`. */
export function checkLabel(id: string, variant: Variant | undefined): string {
  return variant ? `${id} ${variant.auth}+${variant.sender}` : id;
}

/** Discovery, with the reason a server cannot be tested at all as one line (exit 4 or 6). */
export async function discover(http: HttpFactory, issuer: string): Promise<DiscoveryResult> {
  try {
    return await labelled('discovery', () => discoverMetadata(labelling(http)(), issuer));
  } catch (e) {
    if (!isFapiError(e)) throw e;
    if (e.code === 'E_ISSUER_MISMATCH')
      throw conformanceError('E_CONFORM_NOT_OAUTH', `META-02 failed: ${e.message}`, e.hint, {
        failed: ['META-02'],
      });
    if (e.code === 'E_DISCOVERY_FAILED')
      throw conformanceError(
        'E_CONFORM_NOT_OAUTH',
        `META-01 failed: ${issuer} is not an OAuth authorization server: ${(
          (e.details?.attempts as { url: string; problem?: string }[] | undefined) ?? []
        )
          .map((a) => `${a.url} → ${a.problem ?? '?'}`)
          .join('; ')}.`,
        'Check the issuer URL: it is the exact issuer identifier, whose RFC 8414 or OpenID discovery document fapi fetches.',
        { failed: ['META-01'] },
      );
    if (e.code === 'E_TLS_CIPHER')
      throw conformanceError('E_CONFORM_TLS', `NET-04 failed: ${e.message}`, e.hint, { failed: ['NET-04'] });
    if (e.kind === 'network')
      throw networkError('E_CONFORM_UNREACHABLE', `Cannot reach ${issuer}: ${e.message}`, e.hint, e);
    throw e;
  }
}

/**
 * The scope the test clients ask for without --scope: every scope of `scopes_supported` (RFC 8414
 * §2), else `openid` (OIDC Core §3.1.2.1), so that a valid token is good for the --rs resource.
 */
export function defaultScope(metadata: DiscoveryResult['metadata']): string {
  const listed = Array.isArray(metadata.scopes_supported)
    ? metadata.scopes_supported.filter(
        (s): s is string => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s),
      )
    : [];
  return listed.length ? listed.join(' ') : 'openid';
}

/**
 * The origins a run may talk to: the issuer's, those of the endpoints its metadata names (every
 * `*_endpoint`, `jwks_uri`, the RFC 8705 §5 `mtls_endpoint_aliases`; a real server may host them
 * elsewhere) and the --rs and --rs-payment URLs'. Nothing else, whatever an answer says: a redirect (the HTTP
 * client follows none; ./follow.ts stops at another origin) or a URL in a body (an RFC 7592
 * `registration_client_uri`) pointing at a third party is never contacted.
 */
export function serverOrigins(
  issuer: string,
  metadata: DiscoveryResult['metadata'],
  rs: readonly string[] = [],
): string[] {
  const m = metadata as Record<string, unknown>;
  const aliases =
    typeof m.mtls_endpoint_aliases === 'object' && m.mtls_endpoint_aliases !== null
      ? Object.values(m.mtls_endpoint_aliases)
      : [];
  const named = Object.entries(m)
    .filter(([k]) => k.endsWith('_endpoint') || k === 'jwks_uri')
    .map(([, v]) => v);
  const out = new Set<string>();
  for (const u of [issuer, ...named, ...aliases, ...rs]) {
    if (typeof u !== 'string') continue;
    try {
      out.add(new URL(u).origin);
    } catch {
      // a malformed URL: the lint reports it (META-*), and nothing can be sent to it
    }
  }
  return [...out];
}

/** Refuses, before anything is sent, a request to an origin the run may not talk to (serverOrigins). */
function refuseOtherOrigin(req: HttpRequest, reachable: ReadonlySet<string>): void {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return; // the HTTP client reports a malformed URL itself
  }
  // The query is left out of the message: it may carry what the run sends.
  if (!reachable.has(url.origin))
    throw conformanceError(
      'E_CONFORM_OTHER_ORIGIN',
      `${req.method} ${url.origin}${url.pathname} not sent: ${url.origin} is neither the issuer's, nor an endpoint's of its metadata, nor an --rs URL's (fapi conform server talks to those only)`,
    );
}

/** The variants to run: those asked for, or every combination the metadata offers. */
export function planVariants(
  d: DiscoveryResult,
  o: Pick<ConformOptions, 'auth' | 'sender' | 'clients' | 'clientCa'>,
): { variants: Variant[]; skipped: SkippedVariant[] } {
  const m = d.metadata;
  const skipped: SkippedVariant[] = [];
  if (o.clients?.length) {
    const seen = new Map<string, Variant>();
    for (const c of o.clients) {
      if (o.auth?.length && !o.auth.includes(c.auth)) continue;
      if (o.sender?.length && !o.sender.includes(c.sender)) continue;
      seen.set(`${c.auth}+${c.sender}`, { auth: c.auth, sender: c.sender });
    }
    return { variants: [...seen.values()], skipped };
  }
  const offeredAuth = (
    Array.isArray(m.token_endpoint_auth_methods_supported) ? m.token_endpoint_auth_methods_supported : []
  ).filter((a): a is ClientAuthMethod => (CLIENT_AUTH_METHODS as readonly string[]).includes(a));
  const offeredSender: SenderConstraint[] = [];
  if (Array.isArray(m.dpop_signing_alg_values_supported) && m.dpop_signing_alg_values_supported.length)
    offeredSender.push('dpop');
  if (m.tls_client_certificate_bound_access_tokens === true) offeredSender.push('mtls');
  const auths = o.auth?.length ? [...o.auth] : CLIENT_AUTH_METHODS.filter((a) => offeredAuth.includes(a));
  const senders = o.sender?.length ? [...o.sender] : offeredSender;
  const variants: Variant[] = [];
  for (const auth of auths)
    for (const sender of senders) {
      const v = { auth, sender };
      if (!offeredAuth.includes(auth))
        skipped.push({ variant: v, reason: `the metadata does not offer ${auth}` });
      else if (!offeredSender.includes(sender))
        skipped.push({
          variant: v,
          reason:
            sender === 'dpop'
              ? 'the metadata does not offer DPoP (dpop_signing_alg_values_supported)'
              : 'the metadata does not offer certificate-bound tokens (tls_client_certificate_bound_access_tokens)',
        });
      else if (auth === 'tls_client_auth' && !o.clientCa)
        skipped.push({
          variant: v,
          reason:
            'tls_client_auth needs a certificate from a CA the server trusts: pass --client-ca-cert and --client-ca-key',
        });
      else variants.push(v);
    }
  return { variants, skipped };
}

/** Why a check cannot run in this pass (undefined: it can). */
function notApplicable(c: Check, variant: Variant | undefined): string | undefined {
  const n = c.needs;
  if ((n.scope ?? 'variant') === 'server') return variant ? 'runs once per server' : undefined;
  if (!variant) return 'runs per variant';
  if (n.sender && n.sender !== variant.sender) return `needs --sender ${n.sender}`;
  if (n.auth && !n.auth.includes(variant.auth)) return `needs --auth ${n.auth.join(' or ')}`;
  return undefined;
}

/** Whether the server advertises an authorization_details type (RFC 9396 §10). */
function advertisesType(metadata: DiscoveryResult['metadata'], type: string): boolean {
  const types = metadata.authorization_details_types_supported;
  return Array.isArray(types) && types.includes(type);
}

/** Why the RAR checks cannot run here (RFC 9396 §10: the server advertises the detail's type). */
function rarUnmet(c: Check, env: RunEnv): string | undefined {
  const n = c.needs;
  const type = env.payment.detail.type;
  const types = env.metadata.authorization_details_types_supported;
  if (n.rar && !advertisesType(env.metadata, type))
    return `the server does not advertise ${type} in authorization_details_types_supported (RFC 9396 §10)${Array.isArray(types) ? `: it lists ${types.map(String).join(', ') || 'none'}` : ''}`;
  if (n.payments && !env.payment.url)
    return 'needs a resource that executes payments: pass --rs-payment URL (the checks make real payments: use a sandbox)';
  return undefined;
}

function unmet(c: Check, env: RunEnv, o: ConformOptions, clients: number): string | undefined {
  const n = c.needs;
  const rar = rarUnmet(c, env);
  if (rar) return rar;
  if (n.slow && !o.slow) return 'waits for something to expire (about a minute): run with --slow';
  if (n.deny && !env.authorizer.interactive)
    return 'needs a person to press Cancel or Deny at the login page: run with a browser (--browser CMD, $BROWSER or the system browser), not --browser follow';
  if (n.rs && env.resources.length === 0) return 'needs a protected resource: pass --rs URL';
  if (n.rsScope && !env.rsScope)
    return 'needs the scope the --rs resource requires, to ask for a token without it: pass --rs-scope SCOPE';
  if (n.dcr && !env.metadata.registration_endpoint)
    return 'the server offers no dynamic registration (RFC 7591)';
  for (const e of n.endpoints ?? []) if (!env.metadata[e]) return `the server does not advertise ${e}`;
  if (n.openid && !env.scope.split(' ').includes('openid'))
    return 'needs the openid scope (an ID token): add openid with --scope';
  if (n.clients === 2 && clients < 2)
    return 'needs a second client of this variant (dynamic registration, or --client twice)';
  return undefined;
}

const HOLDS = new Set(['passed', 'warning', 'expected-failure']);

export async function runConformance(
  o: ConformOptions,
  discovered?: DiscoveryResult,
): Promise<ConformReport> {
  const started = (o.now ?? Date.now)();
  const discovery = discovered ?? (await discover(o.http, o.issuer));
  const metadata = discovery.metadata;
  const { variants, skipped: skippedVariants } = planVariants(discovery, o);
  const keys = new KeyCache();
  const registry = new ClientRegistry();
  const clock = new ServerClock(o.now ?? Date.now);
  const resources = [...(o.rs ?? []), ...(o.payment?.url ? [o.payment.url] : [])];
  const reachable = new Set(serverOrigins(o.issuer, metadata, resources));
  // Only to the server's origins (see serverOrigins); every answer teaches the server's clock (its
  // Date header, FAPI2-SP §5.3.3.1 Note 1).
  const http: HttpFactory = (cert) => {
    const h = labelling(o.http)(cert);
    return async (req) => {
      refuseOtherOrigin(req, reachable);
      const res = await h(req);
      clock.learn(new URL(res.url).origin, res.header('date'));
      return res;
    };
  };
  const plain = http();
  if (discovery.serverDate !== undefined)
    clock.setOffset(new URL(o.issuer).origin, discovery.serverDate - discovery.fetchedAt);
  const origins = [
    ...new Set(
      [o.issuer, metadata.authorization_endpoint]
        .filter((u): u is string => typeof u === 'string')
        .map((u) => new URL(u).origin),
    ),
  ];
  const authorizer = o.authorizer ?? followAuthorizer(plain, origins);
  const redirectUris = [o.redirectUri, `${o.redirectUri}?dummy1=lorem&dummy2=ipsum`];
  const scope = o.scope ?? defaultScope(metadata);
  // RFC 9396 §10: the test clients register the RAR checks' type when the server advertises it.
  const payment = o.payment ?? defaultPayment();
  const rarType = advertisesType(metadata, payment.detail.type) ? payment.detail.type : undefined;
  const provisioning: Provisioning = {
    metadata,
    http,
    redirectUris,
    ...(o.initialAccessToken ? { initialAccessToken: o.initialAccessToken } : {}),
    ...(o.clientCa ? { clientCa: o.clientCa } : {}),
    keys,
    registry,
    ...(o.clients?.length ? { provided: true } : {}),
    ...(rarType ? { authorizationDetailsTypes: [rarType] } : {}),
  };
  let gate = Promise.resolve();
  const env: RunEnv = {
    issuer: o.issuer,
    metadata,
    discovery,
    http,
    plain,
    clock,
    nonces: new Map(),
    serialNonces: new Set(),
    locks: new Map(),
    authorizer,
    origins,
    redirectUris,
    scope,
    timeoutMs: o.timeoutMs,
    resources: [...(o.rs ?? [])],
    ...(o.rsScope ? { rsScope: o.rsScope } : {}),
    payment,
    ...(o.signal ? { signal: o.signal } : {}),
    wait: o.wait ?? ((s) => sleep(s * 1000, o.signal)),
    provisioning,
    keys,
    registry,
    logins: {
      done: 0,
      total: 0,
      gate: <T>(fn: () => Promise<T>): Promise<T> => {
        if (!authorizer.interactive) return fn();
        const run = gate.then(fn);
        gate = run.then(
          () => undefined,
          () => undefined,
        );
        return run;
      },
    },
  };
  if (variants[0]) env.defaultVariant = variants[0];

  const expected = o.expectedFailures ?? [];
  const all = o.allChecks ?? o.checks;
  const selected = new Set(o.checks.map((c) => c.id));
  const results: CheckResult[] = [];
  const notes: string[] = [];
  const emit = (r: CheckResult) => {
    results.push(r);
    o.onEvent?.({ type: 'result', result: r });
  };

  // The plan: which checks run in which pass, and the logins they take.
  const passes: (Variant | undefined)[] = [undefined, ...variants];
  const plan = passes.map((v) => {
    const run = o.checks.filter((c) => !notApplicable(c, v));
    const baselines = new Set(run.flatMap((c) => c.needs.after ?? []));
    const hidden = all.filter((c) => baselines.has(c.id) && !selected.has(c.id) && !notApplicable(c, v));
    return { variant: v, checks: [...hidden, ...run] };
  });
  // Logins the run will make: not those of checks that skip for want of --slow, of a person, of
  // RAR at the server or of --rs-payment.
  const runs = (c: Check) =>
    !(c.needs.slow && !o.slow) && !(c.needs.deny && !authorizer.interactive) && !rarUnmet(c, env);
  const count = (f: (c: Check) => number) =>
    plan.reduce((a, p) => a + p.checks.reduce((b, c) => b + (runs(c) ? f(c) : 0), 0), 0);
  const logins = count((c) => c.needs.logins ?? 0);
  const denials = count((c) => (c.needs.deny ? 1 : 0));
  env.logins.total = logins;
  const payments = env.payment.url
    ? {
        url: env.payment.url,
        sent: count((c) => c.needs.payments?.sent ?? 0),
        executed: count((c) => c.needs.payments?.executed ?? 0),
        each: paymentLabel(env.payment.detail),
      }
    : undefined;
  o.onEvent?.({
    type: 'plan',
    variants,
    skippedVariants,
    checks: plan.reduce((a, p) => a + p.checks.filter((c) => selected.has(c.id)).length, 0),
    logins,
    denials,
    interactive: authorizer.interactive,
    ...(payments?.sent ? { payments } : {}),
  });
  if (env.resources.length === 0 && o.checks.some((c) => c.needs.rs))
    notes.push(
      'the resource-server checks were skipped: pass --rs URL (a protected resource that answers 2xx to a valid token)',
    );

  let clientsReport: ConformReport['clients'] = { deleted: 0, left: [], kept: [] };
  try {
    for (const p of plan) {
      if (o.signal?.aborted) break;
      if (p.checks.length === 0) continue;
      o.onEvent?.({ type: 'pass', ...(p.variant ? { variant: p.variant } : {}) });
      await runPass(env, o, p.variant, p.checks, selected, emit, expected);
    }
    // Checks that applied to no pass at all: say why once.
    for (const c of o.checks) {
      if (results.some((r) => r.id === c.id)) continue;
      const why =
        (c.needs.scope ?? 'variant') === 'variant' && variants.length === 0
          ? 'no variant could run (see above)'
          : c.needs.sender
            ? `needs the ${c.needs.sender} sender constraint: no such variant ${o.sender?.length ? 'selected' : 'offered'}`
            : c.needs.auth
              ? `needs ${c.needs.auth.join(' or ')}: no such variant ${o.auth?.length ? 'selected' : 'offered'}`
              : 'not run';
      if (!o.signal?.aborted)
        emit(resultOf(c, undefined, { result: 'skipped', detail: why }, 0, expected, o.strict));
    }
  } finally {
    const kept: TestClientInfo[] = [];
    let cleanup: { deleted: number; left: { clientId: string; reason: string }[] } = { deleted: 0, left: [] };
    if (o.keep)
      for (const c of registry.created.splice(0))
        kept.push({
          clientId: c.clientId,
          ...(c.uri ? { registrationClientUri: c.uri } : {}),
          ...(c.rat ? { registrationAccessToken: c.rat } : {}),
          ...(c.client ? { client: c.client } : {}),
        });
    else cleanup = await labelled('cleanup', () => registry.deleteAll());
    o.onEvent?.({ type: 'cleanup', ...cleanup, kept: kept.length });
    clientsReport = { ...cleanup, kept };
  }
  const order = new Map(o.checks.map((c, i) => [c.id, i]));
  const passOrder = (v: Variant | null) =>
    v ? 1 + variants.findIndex((x) => x.auth === v.auth && x.sender === v.sender) : 0;
  results.sort(
    (a, b) => passOrder(a.variant) - passOrder(b.variant) || (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0),
  );
  return {
    issuer: o.issuer,
    variants,
    skippedVariants,
    results,
    summary: summarize(results),
    duration_ms: (o.now ?? Date.now)() - started,
    notes,
    clients: clientsReport,
  };
}

/**
 * Maps an outcome to the reported result: SHOULD failures are warnings (unless `strict` holds a
 * SHOULD as a MUST, or the peer could not be judged at all), expected failures. One mapping for
 * server checks and client modules (./client/runner.ts).
 */
export function resultOf(
  c: Pick<Check, 'id' | 'title' | 'spec' | 'level'> & { group: string },
  variant: Variant | undefined,
  outcome: Outcome,
  ms: number,
  expected: readonly string[],
  strict = false,
): CheckResult {
  let result: CheckResult['result'] = outcome.result;
  let detail = outcome.detail;
  if (result === 'failed' && c.level === 'SHOULD' && !strict && !outcome.unjudged) result = 'warning';
  if (expected.some((e) => selects(e, c.id))) {
    if (result === 'failed' || result === 'warning') result = 'expected-failure';
    else if (result === 'passed') {
      result = 'warning';
      detail = `expected to fail, but passed: remove it from the file (${detail})`;
    }
  }
  return {
    id: c.id,
    title: c.title,
    variant: variant ?? null,
    result,
    spec: c.spec,
    detail,
    level: c.level,
    group: c.group,
    ms,
  };
}

async function runPass(
  env: RunEnv,
  o: ConformOptions,
  variant: Variant | undefined,
  checks: readonly Check[],
  selected: ReadonlySet<string>,
  emit: (r: CheckResult) => void,
  expected: readonly string[],
): Promise<void> {
  // The pass's clients: two per variant (the second for cross-client checks).
  let clients: Promise<TestClient[]>;
  let count = 0;
  if (!variant) {
    // The server-wide checks register clients of their own; with clients given as profiles they
    // may use the first one.
    clients = Promise.resolve(o.clients?.[0] ? [providedTestClient(env.provisioning, o.clients[0])] : []);
  } else if (o.clients?.length) {
    const mine = o.clients.filter((c) => c.auth === variant.auth && c.sender === variant.sender);
    const others = o.clients.filter((c) => !mine.includes(c));
    const list = [...mine, ...others].slice(0, 2).map((c) => providedTestClient(env.provisioning, c));
    count = list.length;
    clients = Promise.resolve(list);
  } else {
    count = 2;
    clients = labelled(`set-up ${variant.auth}+${variant.sender}`, () =>
      Promise.all([
        registerTestClient(env.provisioning, variant, { name: 'client 1' }),
        registerTestClient(env.provisioning, variant, {
          name: 'client 2',
          rsa: variant.auth === 'private_key_jwt',
        }),
      ]),
    );
  }
  let setupProblem: string | undefined;
  try {
    await clients;
  } catch (e) {
    // Registration needs credentials the run was not given: nothing could run, say what to pass.
    if (isFapiError(e) && e.code === 'E_REGISTRATION_UNAUTHORIZED')
      throw usageError(
        'E_REGISTRATION_UNAUTHORIZED',
        `${env.issuer} refused the registration of the test clients (HTTP ${e.oauth?.status ?? 401}): it is not open.`,
        'Pass --initial-access-token TOKEN (RFC 7591 §3), or clients registered beforehand with --client PROFILE.',
      );
    setupProblem =
      e instanceof Skip ? e.message : `the test clients could not be registered: ${messageOf(e)}`;
  }
  const pass: Pass = {
    ...(variant ? { variant } : {}),
    async client(n) {
      const list = await clients;
      const c = list[n - 1];
      if (!c) throw new Skip('needs a second client');
      return c;
    },
  };
  const done = new Map<string, CheckResult>();
  const record = (c: Check, outcome: Outcome, ms: number) => {
    const r = resultOf(c, variant, outcome, ms, expected, o.strict);
    done.set(c.id, r);
    if (selected.has(c.id)) emit(r);
  };
  if (setupProblem) {
    for (const c of checks) record(c, { result: variant ? 'skipped' : 'skipped', detail: setupProblem }, 0);
    if (variant && !(setupProblem.startsWith('tls_client_auth') || setupProblem.includes('no dynamic')))
      emit(
        resultOf(
          {
            id: 'REG-08',
            title: 'registration of a FAPI 2.0 client for this variant succeeds',
            spec: 'RFC 7591 §3.2.1',
            level: 'MUST',
            group: 'registration',
          },
          variant,
          { result: 'failed', detail: setupProblem },
          0,
          expected,
          o.strict,
        ),
      );
    return;
  }
  // Baselines first, then the rest; the checks that wait for expiry last, on their own, so their
  // waiting (or a test's moved clock) cannot touch another check's request in flight.
  const baselineIds = new Set(checks.flatMap((c) => c.needs.after ?? []));
  const slow = (c: Check) => Boolean(c.needs.slow && o.slow);
  const concurrency = o.concurrency ?? (env.authorizer.interactive ? 4 : 8);
  // The attack scenarios use the core client, which retries a nonce demand once (RFC 9449 §8):
  // against a server that rotates its nonce on every request they run one at a time.
  const attack = (c: Check) => c.group === 'attacks';
  const rest = checks.filter((c) => !baselineIds.has(c.id) && !slow(c));
  const phases: [readonly Check[], () => number][] = [
    [checks.filter((c) => baselineIds.has(c.id)), () => concurrency],
    [rest.filter((c) => !attack(c)), () => concurrency],
    [rest.filter(attack), () => (env.serialNonces.size ? 1 : concurrency)],
    [checks.filter((c) => !baselineIds.has(c.id) && slow(c)), () => o.slowConcurrency ?? concurrency],
  ];
  for (const [phase, n] of phases) {
    await pool(phase, n(), async (c) => {
      if (o.signal?.aborted) return;
      const why = unmet(c, env, o, count);
      if (why) return record(c, { result: 'skipped', detail: why }, 0);
      const blocked = (c.needs.after ?? []).map((id) => done.get(id)).find((r) => r && !HOLDS.has(r.result));
      if (blocked)
        return record(
          c,
          {
            result: 'skipped',
            detail: `needs ${blocked.id} to pass first (${blocked.result}: ${blocked.detail})`,
          },
          0,
        );
      const t0 = Date.now();
      const outcome = await runOne(c, new CheckContext(env, pass, c), o);
      if (o.signal?.aborted && outcome.result !== 'passed') return;
      record(c, outcome, Date.now() - t0);
    });
  }
}

/** Runs one check: whatever it throws, or a hang, becomes its own failure (or skip). */
async function runOne(c: Check, ctx: CheckContext, o: ConformOptions): Promise<Outcome> {
  const limit =
    o.timeoutMs * 6 + (c.needs.slow ? 180_000 : 0) + (ctx.env.authorizer.interactive ? 600_000 : 0);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      labelled(checkLabel(c.id, ctx.pass.variant), () => c.run(ctx)),
      new Promise<Outcome>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              result: 'failed',
              detail: `no result within ${Math.round(limit / 1000)} s: the server did not answer in time`,
            }),
          limit,
        );
        timer.unref?.();
      }),
    ]);
  } catch (e) {
    if (e instanceof Skip) return { result: 'skipped', detail: e.message };
    if (e instanceof LoginFailed) return { result: 'failed', detail: `login failed: ${e.message}` };
    if (isFapiError(e) && e.kind === 'interrupted') return { result: 'skipped', detail: 'interrupted' };
    return { result: 'failed', detail: messageOf(e) };
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(e: unknown): string {
  if (e instanceof FapiError)
    return `${e.message}${e.oauth?.error ? ` (${e.oauth.error}${e.oauth.error_description ? `: ${e.oauth.error_description}` : ''})` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
