/**
 * Starts the lab: three HTTPS listeners on 127.0.0.1 (FAPI2-SP §5.2.1: TLS only, TLS 1.2+, BCP195
 * suites, TLS 1.3 preferred):
 * - the authorization server (the issuer), no client certificates requested;
 * - the mTLS endpoint aliases (RFC 8705 §5), `requestCert: true, rejectUnauthorized: false`, so a
 *   bad certificate gets an OAuth error instead of a TLS alert (catalogue MT-09);
 * - the resource server, also requesting certificates for certificate-bound tokens.
 * Routes come from the module table (lab/modules.ts). fastify is imported here, and this module is
 * imported lazily by the CLI.
 */
import type fastifyDefault from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecureContextOptions } from 'node:tls';
import { decodeJws } from '../src/core/jws.js';
import { FAPI_CIPHERS } from '../src/http/client.js';
import { stateError } from '../src/errors.js';
import { ensureDir } from '../src/store/atomic.js';
import { ensureLabCa } from './ca.js';
import { resolveLabConfig, type LabConfig } from './config.js';
import {
  createLabContext,
  silentLogger,
  type LabContext,
  type LabLogger,
  type ListenerName,
} from './context.js';
import { LabError } from './errors.js';
import { dateHeader, tlsFaultSettings, type TlsFaultSettings } from './faults.js';
import { labPaths } from './home.js';
import {
  Form,
  clientCertificatePresented,
  queryOf,
  sendError,
  sendErrorPage,
  type RequestState,
} from './http.js';
import { loadOrCreateLabKeys } from './keys.js';
import type { HttpMethod, LabModule, LabRoute } from './module.js';
import { LAB_MODULES } from './modules.js';
import type { InjectedFailure, LabEndpoint } from './overrides.js';
import { formatRequestLine, type RequestCredentials } from './requests.js';
import { challenge } from './rs/errors.js';
import { interactionId } from './rs/http.js';
import { TLS_FAULTS, type Fault } from './switches.js';
import { switchWarningHeader } from './switchboard.js';
import type { LabUser } from './users.js';
import { ecosystemConfig, ecosystemGate, ecosystemGated } from './ecosystem.js';

export interface StartLabOptions {
  /** The lab home folder (`<fapi home>/lab`, see lab/home.ts). */
  home: string;
  /** Options over the strict defaults (flags over the config file). */
  config?: Partial<LabConfig>;
  /** Milliseconds since the epoch; tests inject a clock they can advance. */
  clock?: () => number;
  logger?: LabLogger;
  /** The route modules (default: all of lab/modules.ts). */
  modules?: readonly LabModule[];
  /** The test users (default: alice and bob, lab/users.ts). */
  users?: readonly LabUser[];
  /** The secret of the control API (default: a new random one). */
  controlSecret?: string;
}

export interface RunningLab {
  /** The issuer identifier and AS base URL, e.g. https://127.0.0.1:8443. */
  issuer: string;
  /** The resource server's base URL. */
  rs: string;
  /** The base URL of the mTLS endpoint aliases. */
  mtls: string;
  /** The lab CA certificate (PEM file): trust it with --ca. */
  caFile: string;
  ports: { as: number; mtls: number; rs: number };
  /** Warnings for the relaxations and faults on now (empty when strict). */
  readonly warnings: string[];
  ctx: LabContext;
  /** Stops the listeners and saves grants and refresh tokens (unless `save: false`). */
  close(o?: { save?: boolean }): Promise<void>;
}

const ALL_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** Every route of the modules, with the listeners each is served on. */
export function labRoutes(ctx: LabContext, modules: readonly LabModule[] = LAB_MODULES): LabRoute[] {
  return modules.flatMap((m) => m.routes(ctx));
}

/**
 * fastify through require(): it is CommonJS, and require() skips the ESM translation layer, which
 * matters for time-to-ready (the lab should be up in about half a second).
 */
async function loadFastify(): Promise<typeof fastifyDefault> {
  const { createRequire } = await import('node:module');
  return createRequire(import.meta.url)('fastify') as typeof fastifyDefault;
}

export async function startLab(options: StartLabOptions): Promise<RunningLab> {
  // An ecosystem preset bounds some settings (the access token lifetime: lab/ecosystem.ts).
  const config = ecosystemConfig(resolveLabConfig(options.config));
  const paths = labPaths(options.home);
  const log = options.logger ?? silentLogger;
  const clock = options.clock ?? Date.now;
  const modules = options.modules ?? LAB_MODULES;
  await ensureDir(paths.home);

  // In parallel, but every step settles before startLab returns or throws: a failed key file must
  // not leave the CA being written in the background (a second start would race it).
  const steps = [
    ensureLabCa(paths, () => new Date(clock())),
    loadOrCreateLabKeys(paths.keys),
    loadFastify(),
  ] as const;
  await Promise.allSettled(steps);
  const [tls, keys, Fastify] = await Promise.all(steps);

  const ctx = createLabContext({
    config,
    paths,
    clock,
    log,
    keys,
    ca: tls.ca,
    users: options.users,
    controlSecret: options.controlSecret,
  });
  for (const s of await ctx.clients.load()) log.warn(`skipped ${s.file}: ${s.problem}`);
  const stateProblem = await ctx.grants.load(paths.state);
  if (stateProblem) log.warn(`could not restore grants: ${stateProblem}`);

  // tls-wrong-host / tls12-dhe-only (CL-01, CL-02): another certificate or TLS settings, in memory,
  // made once per combination and kept for the lab's life (switching back and forth costs nothing).
  const faultTlsCache = new Map<string, Promise<TlsFaultSettings | undefined>>();
  const faultTlsFor = (faults: readonly Fault[]) => {
    const key = TLS_FAULTS.filter((f) => faults.includes(f)).join(',');
    let settings = faultTlsCache.get(key);
    if (!settings) {
      settings = tlsFaultSettings((f) => faults.includes(f), tls.ca);
      faultTlsCache.set(key, settings);
      settings.catch(() => faultTlsCache.delete(key));
    }
    return settings;
  };
  const faultTls = await faultTlsFor(ctx.switches.faults);

  const routes = labRoutes(ctx, modules);
  ctx.modules.push(...modules);
  ctx.routes.push(...routes);

  /** The TLS settings of a listener: the lab's own, or a TLS fault's (node:tls SecureContextOptions). */
  const tlsOptions = (listener: ListenerName, fault: TlsFaultSettings | undefined): SecureContextOptions => ({
    key: tls.serverKeyPem,
    cert: tls.serverCertPem,
    // FAPI2-SP §5.2.1-2/3, §5.2.2-1: TLS 1.2+ with BCP195 suites only; TLS 1.3 preferred.
    minVersion: 'TLSv1.2',
    ciphers: FAPI_CIPHERS,
    honorCipherOrder: true,
    ...fault,
    ...(listener !== 'as' ? { ca: [tls.ca.certPem] } : {}),
  });

  const makeApp = (listener: ListenerName): FastifyInstance => {
    const mtls = listener !== 'as';
    const app = Fastify({
      https: {
        ...tlsOptions(listener, faultTls),
        ...(mtls ? { requestCert: true, rejectUnauthorized: false } : {}),
      },
      bodyLimit: config.bodyLimit,
      logger: false,
      exposeHeadRoutes: false,
      forceCloseConnections: true,
      return503OnClosing: true,
      onProtoPoisoning: 'error',
      onConstructorPoisoning: 'error',
      routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
    setUp(app, listener, ctx);
    return app;
  };

  const apps: Record<ListenerName, FastifyInstance> = {
    as: makeApp('as'),
    mtls: makeApp('mtls'),
    rs: makeApp('rs'),
  };
  const delays = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  for (const listener of ['as', 'mtls', 'rs'] as const) {
    const own = routes.filter((r) => (listener === 'mtls' ? r.mtlsAlias : r.listener === listener));
    registerRoutes(apps[listener], own, ctx, delays, listener);
  }

  // A TLS fault switched at run time: new handshakes get the new context (server.setSecureContext);
  // connections already open keep theirs. Changes apply one after another, each from the switches
  // as they are when it runs, so the last change wins.
  let tlsApplied: Promise<void> = Promise.resolve();
  const unsubscribe = ctx.switches.onChange((change) => {
    const changed = TLS_FAULTS.some((f) => change.faults.includes(f) !== change.previousFaults.includes(f));
    if (!changed) return;
    tlsApplied = tlsApplied.then(async () => {
      const fault = await faultTlsFor(ctx.switches.faults);
      for (const listener of ['as', 'mtls', 'rs'] as const)
        (
          apps[listener].server as unknown as { setSecureContext(o: SecureContextOptions): void }
        ).setSecureContext(tlsOptions(listener, fault));
    });
    return tlsApplied;
  });
  ctx.switches.onChange((change) => {
    log.warn(
      change.relax.length + change.faults.length === 0
        ? 'switches changed: the lab is strict FAPI 2.0 again'
        : `switches changed: ${switchWarningHeader(change)}`,
    );
  });

  const wanted = {
    as: config.port,
    mtls: config.mtlsPort ?? (config.port === 0 ? 0 : config.port + 1),
    rs: config.rsPort ?? (config.port === 0 ? 0 : config.port + 2),
  };
  const ports = { as: 0, mtls: 0, rs: 0 };
  const closeAll = async () => {
    unsubscribe();
    for (const d of delays) {
      clearTimeout(d.timer);
      d.done();
    }
    delays.clear();
    await Promise.all(Object.values(apps).map((a) => a.close().catch(() => undefined)));
  };
  try {
    for (const listener of ['as', 'mtls', 'rs'] as const) {
      await apps[listener].listen({ host: '127.0.0.1', port: wanted[listener] });
      const addr = apps[listener].server.address();
      ports[listener] = typeof addr === 'object' && addr ? addr.port : wanted[listener];
    }
  } catch (cause) {
    await closeAll();
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw stateError(
        'E_LAB_PORT',
        `The lab cannot listen on 127.0.0.1: ${(cause as Error).message}.`,
        code === 'EADDRINUSE'
          ? 'Another program (perhaps a running lab: `fapi lab status`) uses that port. Stop it, or pass --port N (the lab also uses N+1 and N+2), or --port 0 for free ports.'
          : 'Pick a port above 1024 with --port.',
        { cause },
      );
    }
    throw cause;
  }
  ctx.urls.issuer = `https://127.0.0.1:${ports.as}`;
  ctx.urls.mtls = `https://127.0.0.1:${ports.mtls}`;
  ctx.urls.rs = `https://127.0.0.1:${ports.rs}`;
  for (const w of ctx.switches.warnings) log.warn(w);

  let closed = false;
  return {
    issuer: ctx.urls.issuer,
    rs: ctx.urls.rs,
    mtls: ctx.urls.mtls,
    caFile: paths.caCert,
    ports,
    get warnings() {
      return ctx.switches.warnings;
    },
    ctx,
    async close(o: { save?: boolean } = {}) {
      if (closed) return;
      closed = true;
      await closeAll();
      if (o.save === false) return;
      try {
        await ctx.grants.save(paths.state);
      } catch (e) {
        log.warn(`could not save grants: ${(e as Error).message}`);
      }
    },
  };
}

/** A server-side TLS handshake error in a few words (OpenSSL's reason, not its whole trace). */
function tlsClientErrorText(err: Error & { code?: string; reason?: string }): string {
  if (err.code === 'ECONNRESET')
    return 'the client closed the connection during the handshake (it may have refused the certificate)';
  const reason = err.reason ?? err.message.split('\n')[0];
  return `${reason}${err.code ? ` (${err.code})` : ''}`;
}

/** Hooks and handlers common to every listener. */
function setUp(app: FastifyInstance, listener: ListenerName, ctx: LabContext): void {
  const base = () =>
    listener === 'as' ? ctx.urls.issuer : listener === 'mtls' ? ctx.urls.mtls : ctx.urls.rs;

  // A failed TLS handshake never becomes a request (no record, no request line): log it, so a client
  // refused at the TLS layer (it does not trust the lab CA; the tls-* faults) shows in lab.log too.
  app.server.on('tlsClientError', (err: Error & { code?: string; reason?: string }) => {
    const reason = tlsClientErrorText(err);
    ctx.handshakeFailures.add({ at: ctx.now(), listener, reason });
    ctx.log.warn(`TLS handshake on the ${listener} listener failed: ${reason}`);
  });

  app.decorateRequest('lab', null as unknown as RequestState);
  // Hooks are callback-style, not async: no promise per request per hook on the hot path (bench rows 5a, 5b).
  app.addHook('onRequest', (req, _reply, done) => {
    req.lab = { listener, base: base(), passed: [], startedAt: ctx.now() };
    done();
  });

  // Forms: parsed by the lab (no plugin), repeated parameters are detected by Form.get.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      done(null, new Form(typeof body === 'string' ? body : body.toString('utf8')));
    },
  );

  app.addHook('onSend', (req, reply, payload, done) => {
    // FAPI2-SP §5.2.3-1: browser-facing endpoints prevent TLS stripping. Sent on every response.
    reply.header('strict-transport-security', 'max-age=31536000');
    if (ctx.warningHeader) reply.header('x-fapi-lab-warning', ctx.warningHeader);
    // clock-skew fault: the Date header shows the lab's clock, so clients can correct theirs (CL-23).
    const date = dateHeader(ctx.now());
    if (date) reply.header('date', date);
    // Recorded before the answer is written, so a client that has its answer finds it in the log
    // (a test asserting on `requests()` right after its call).
    record(req, reply);
    done(null, payload);
  });

  const record = (req: FastifyRequest, reply: FastifyReply): void => {
    if (!req.lab || req.lab.recorded || (req.routeOptions.config as { quiet?: boolean } | undefined)?.quiet)
      return;
    req.lab.recorded = true;
    const path = req.url.split('?')[0] as string;
    const status = reply.statusCode;
    const refusal = req.lab.refusal;
    const dpop = req.headers.dpop;
    const rec = ctx.requests.add({
      at: req.lab.startedAt,
      listener,
      method: req.method,
      path,
      status,
      ms: Math.round((ctx.now() - req.lab.startedAt) * 1000),
      clientId: req.lab.clientId,
      outcome: status < 400 && !refusal ? ('accepted' as const) : ('refused' as const),
      check: refusal?.check,
      error: refusal?.error,
      description: refusal?.description,
      passed: req.lab.passed,
      grantType: req.lab.grantType,
      dpop: dpop !== undefined,
      clientCertificate: listener !== 'as' && clientCertificatePresented(req),
      credentials: credentialsOf(req, listener, dpop, ctx.config.bodyLimit),
    });
    ctx.log.info(formatRequestLine(rec));
  };

  // Bad input never yields a 500: fastify's own errors (bad JSON, too large, bad media type) keep
  // their 4xx status and become OAuth-style JSON errors.
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof LabError) {
      if (err.page) return sendErrorPage(req, reply, err, ctx);
      return sendError(req, reply, err);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      ctx.log.error(`internal error on ${req.method} ${req.url.split('?')[0]}: ${err.stack ?? err.message}`);
      return sendError(
        req,
        reply,
        new LabError(500, 'server_error', 'internal error in the lab (see its log)'),
      );
    }
    const description =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `the request body is larger than ${req.routeOptions.bodyLimit ?? ctx.config.bodyLimit} bytes`
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}`
          : err.message;
    return sendError(req, reply, new LabError(status, 'invalid_request', description, { check: 'HTTP' }));
  });

  app.setNotFoundHandler((req, reply) =>
    sendError(
      req,
      reply,
      new LabError(404, 'not_found', `no endpoint at ${req.url.split('?')[0]}`, { check: 'HTTP' }),
    ),
  );
}

/** The value, unless it is longer than `max` characters. */
function upTo(v: string | undefined, max: number): string | undefined {
  return v !== undefined && v.length <= max ? v : undefined;
}

/**
 * The credentials a request carried, by reference (nothing decoded here: the dashboard decodes a
 * request's detail when asked; fapi conform client reads a pushed request object and the Accept
 * header of an introspection request). Access tokens only where they are access tokens (the RS and
 * userinfo): other Authorization headers (a registration access token, the control secret) are
 * secrets the lab never keeps. A form value longer than the lab's bodyLimit (only the PAR endpoint
 * takes such bodies, and its checks refuse such a value: MS-05, CA-*) is not kept: the log holds up
 * to a thousand records, and its memory stays bounded by bodyLimit, not by the larger PAR limit.
 */
function credentialsOf(
  req: FastifyRequest,
  listener: ListenerName,
  dpop: string | string[] | undefined,
  keepUpTo: number,
): RequestCredentials | undefined {
  const body = req.body;
  const assertion = body instanceof Form ? upTo(body.first('client_assertion'), keepUpTo) : undefined;
  const request = body instanceof Form ? upTo(body.first('request'), keepUpTo) : undefined;
  const requestObject = request !== undefined ? { jws: request, params: (body as Form).names() } : undefined;
  let accessToken: string | undefined;
  if (listener === 'rs' || req.url.startsWith('/userinfo')) {
    const auth = req.headers.authorization;
    const sp = auth === undefined ? -1 : auth.indexOf(' ');
    if (sp > 0) accessToken = (auth as string).slice(sp + 1).trim();
  }
  const introspectionAccept = req.url.startsWith('/introspect') ? req.headers.accept : undefined;
  if (
    assertion === undefined &&
    dpop === undefined &&
    accessToken === undefined &&
    !requestObject &&
    introspectionAccept === undefined
  )
    return undefined;
  return {
    assertion,
    dpop: Array.isArray(dpop) ? dpop[0] : dpop,
    accessToken,
    requestObject,
    introspectionAccept,
  };
}

/** The `client_id` a request claims (unverified), only asked when a failNext/delayNext names a client. */
function claimedClientId(req: FastifyRequest, endpoint: LabEndpoint): string | undefined {
  const payloadOf = (jws: string | undefined) => {
    if (jws === undefined) return undefined;
    try {
      return decodeJws(jws).payload;
    } catch {
      return undefined;
    }
  };
  if (endpoint === 'rs' || endpoint === 'userinfo') {
    const auth = req.headers.authorization ?? '';
    const id = payloadOf(auth.slice(auth.indexOf(' ') + 1).trim())?.client_id;
    return typeof id === 'string' ? id : undefined;
  }
  if (endpoint === 'registration') return (req.params as { clientId?: string }).clientId;
  if (endpoint === 'authorize') {
    try {
      return queryOf(req).get('client_id');
    } catch {
      return undefined;
    }
  }
  const form = req.body instanceof Form ? req.body : undefined;
  const id = form?.first('client_id') ?? payloadOf(form?.first('client_assertion'))?.sub;
  return typeof id === 'string' ? id : undefined;
}

/** Answers with a failure injected by `failNext` (RFC 6749 §5.2; RFC 6750 §3 at the RS and userinfo). */
function sendInjectedFailure(
  req: FastifyRequest,
  reply: FastifyReply,
  endpoint: LabEndpoint,
  f: InjectedFailure,
): FastifyReply {
  if (endpoint === 'rs' || endpoint === 'userinfo') {
    interactionId(req, reply);
    if (f.status === 401 || f.status === 403) {
      const params = { error: f.error, description: f.description };
      reply.header('www-authenticate', [challenge('DPoP', params), challenge('Bearer', params)]);
    }
  }
  return sendError(req, reply, new LabError(f.status, f.error, f.description, { check: 'FAIL-NEXT' }));
}

type Delays = Set<{ timer: NodeJS.Timeout; done: () => void }>;

/** Waits `ms` (cut short when the lab closes). */
function delay(ms: number, delays: Delays): Promise<void> {
  return new Promise((resolve) => {
    const entry = {
      timer: setTimeout(() => {
        delays.delete(entry);
        resolve();
      }, ms),
      done: resolve,
    };
    delays.add(entry);
  });
}

/**
 * The handler of a route, with the endpoint's failNext / delayNext applied first. With nothing
 * pending (always, outside tests that ask for it) this is one integer comparison per request.
 */
function withOverrides(r: LabRoute, ctx: LabContext, delays: Delays) {
  const endpoint = r.endpoint;
  if (!endpoint) return (req: FastifyRequest, reply: FastifyReply) => r.handler(req, reply, ctx);
  const kinds = r.failsItself ? ('delay' as const) : ('all' as const);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (ctx.overrides.size === 0 || !ctx.overrides.has(endpoint)) return r.handler(req, reply, ctx);
    const clientId = ctx.overrides.needsClientId(endpoint) ? claimedClientId(req, endpoint) : undefined;
    const o = ctx.overrides.take(endpoint, clientId, kinds);
    if (o?.delayMs) await delay(o.delayMs, delays);
    if (o?.failure) {
      // No check ran: the log names the client the request claims to come from.
      req.lab.clientId = clientId ?? claimedClientId(req, endpoint);
      return sendInjectedFailure(req, reply, endpoint, o.failure);
    }
    return r.handler(req, reply, ctx);
  };
}

/** Registers routes, and a 405 with `Allow` for the other methods of each path (PAR-09). */
function registerRoutes(
  app: FastifyInstance,
  routes: LabRoute[],
  ctx: LabContext,
  delays: Delays,
  listener: ListenerName,
): void {
  const byPath = new Map<string, LabRoute[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const [path, list] of byPath) {
    const allowed = new Set<HttpMethod>();
    for (const r of list) {
      for (const m of r.methods) allowed.add(m);
      const handle = withOverrides(r, ctx, delays);
      app.route({
        method: r.methods,
        url: path,
        config: { quiet: r.quiet === true },
        // The lab's bodyLimit unless the route has its own (PAR: lab/config.ts parBodyLimit).
        ...(r.bodyLimit !== undefined ? { bodyLimit: r.bodyLimit } : {}),
        // An ecosystem preset's whole-endpoint rules (ECO-03, ECO-04) come first; without a preset
        // that has any, nothing is added to the request path.
        handler: ecosystemGated(ctx)
          ? (req: FastifyRequest, reply: FastifyReply) =>
              ecosystemGate(ctx, listener, r, req, reply) ?? handle(req, reply)
          : handle,
      });
    }
    const others = ALL_METHODS.filter((m) => !allowed.has(m));
    const allow = [...allowed].join(', ');
    app.route({
      method: [...others, 'OPTIONS'],
      url: path,
      handler: (req: FastifyRequest, reply: FastifyReply) => {
        reply.header('allow', allow);
        return sendError(
          req,
          reply,
          new LabError(405, 'invalid_request', `${req.method} is not allowed here; use ${allow}`, {
            check: 'HTTP',
          }),
        );
      },
    });
  }
}
