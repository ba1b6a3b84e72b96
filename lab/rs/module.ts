/**
 * The resource server and userinfo as lab modules (lab/module.ts): each API of ./api.ts is a route
 * on the RS listener behind the check pipeline (./pipeline.ts). What the pipeline needs from the
 * lab (keys, clock, revocation, nonces, replay) is adapted once per lab, never per request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LabContext } from '../context.js';
import { dateHeader, type LabNonces } from '../faults.js';
import type { LabModule, LabRoute } from '../module.js';
import { RS_APIS, type RsApi } from './api.js';
import { Bank } from './bank.js';
import type { RsCheck, RsState } from './check.js';
import type { AccessTokenClaims, RsContext } from './context.js';
import { RsError } from './errors.js';
import { interactionId, sendRsError, toRsRequest } from './http.js';
import { RS_CHECKS, verifyResourceRequest } from './pipeline.js';
import { atSignature } from './checks/rs-03-at-signature.js';
import { VerifiedTokens } from './verified-tokens.js';

interface RsRuntime {
  rs: RsContext;
  userinfo: RsContext;
  bank: Bank;
}

const runtimes = new WeakMap<LabContext, RsRuntime>();

/** Where the access token's signature is checked: a client is named only by a verified token. */
const SIGNATURE_CHECK = RS_CHECKS.indexOf(atSignature);

/** The check IDs a request passed, for the dashboard (one shared list: nothing allocated). */
const PASSED = ['RS-02', 'RS-01', 'RS-04', 'RS-03', 'DP-21', 'RS-06', 'RS-05'];

export function rsRuntime(ctx: LabContext): RsRuntime {
  let r = runtimes.get(ctx);
  if (r) return r;
  // The lab's keys are imported once at start (lab/keys.ts); the RS only keeps the public objects.
  const keys = ctx.keys.all.map((k) => ({ kid: k.kid, alg: k.alg, key: k.publicKey }));
  // One cache for the RS and userinfo: both accept the same lab-signed tokens.
  const verifiedTokens = new VerifiedTokens();
  // DP-12 (off only under the dpop-replay relaxation).
  const replay = (key: string, exp: number) => ctx.relaxed('dpop-replay') || ctx.dpopJtis.once(key, exp);
  const dpopIatWindow = { past: ctx.config.dpopIatPast, future: ctx.config.dpopIatFuture };
  // The switches are read on every request (getters, nothing allocated): they change at run time.
  const make = (audiences: () => string[], nonces: LabNonces): RsContext => ({
    // URLs are known once the listeners listen: read them live.
    get issuer() {
      return ctx.urls.issuer;
    },
    get audiences() {
      return audiences();
    },
    accessTokenKeys: () => keys,
    verifiedTokens,
    now: () => ctx.now(),
    // RS-03 / RV-03: the lab knows every token it issued; unknown, revoked, or from a revoked grant → refused.
    isRevoked: (c: AccessTokenClaims) => typeof c.jti !== 'string' || !ctx.grants.activeAccessToken(c.jti),
    replay,
    dpopIatWindow,
    get allowUnboundTokens() {
      return ctx.relaxed('bearer-tokens');
    },
    get allowTokenInQuery() {
      return ctx.relaxed('token-in-query');
    },
    get lowerCaseDpopScheme() {
      return ctx.fault('rs-scheme-case');
    },
    get nonces() {
      return ctx.relaxed('no-dpop-nonce') ? undefined : nonces;
    },
  });
  r = {
    rs: make(() => [ctx.urls.rs], ctx.nonces.rs),
    // Userinfo is a protected resource of the AS (OIDC Core §5.3): lab access tokens name the RS
    // as their audience; the issuer is accepted too.
    userinfo: make(() => [ctx.urls.rs, ctx.urls.issuer], ctx.nonces.as),
    bank: new Bank(() => ctx.now()),
  };
  runtimes.set(ctx, r);
  return r;
}

/** The sample bank of a running lab (tests and the dashboard). */
export function labBank(ctx: LabContext): Bank {
  return rsRuntime(ctx).bank;
}

/**
 * Runs the pipeline for a protected request. On refusal, answers with the RFC 6750 §3 / RFC 9449
 * §7.1 challenge and returns undefined; on success returns the state (and sends the next DPoP nonce).
 */
export function guard(
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: LabContext,
  rs: RsContext,
  scope: string,
): RsState | undefined {
  interactionId(req, reply);
  reply.header('cache-control', 'no-store');
  const date = dateHeader(ctx.now());
  if (date) reply.header('date', date);
  const st: RsState = { passed: 0 };
  try {
    verifyResourceRequest(toRsRequest(req, req.lab.base, scope), rs, st);
  } catch (e) {
    if (!(e instanceof RsError)) throw e;
    req.lab.refusal = { check: e.check, error: e.error ?? 'no_token', description: e.message };
    // For the request log: the checks that passed, and the client once the token is the lab's own.
    const passed = st.passed ?? 0;
    for (let i = 0; i < passed; i++) req.lab.passed.push((RS_CHECKS[i] as RsCheck).id);
    const clientId = st.claims?.client_id;
    if (passed > SIGNATURE_CHECK && typeof clientId === 'string') req.lab.clientId = clientId;
    sendRsError(reply, e, rs);
    return undefined;
  }
  const clientId = st.claims?.client_id;
  if (typeof clientId === 'string') req.lab.clientId = clientId;
  req.lab.passed.push(...PASSED);
  if (st.binding === 'dpop') req.lab.passed.push('DP-01..16');
  else if (st.binding === 'mtls') req.lab.passed.push('MT-07');
  if (rs.nonces) {
    // DP-20: a nonce may come with any response; under dpop-nonce-rotate it moves on after a success.
    if (st.binding === 'dpop') rs.nonces.afterSuccess?.();
    reply.header('dpop-nonce', rs.nonces.current());
  }
  return st;
}

function apiRoute(api: RsApi): LabRoute {
  return {
    listener: 'rs',
    methods: [api.method],
    path: api.path,
    endpoint: 'rs',
    description: `${api.description} (scope ${api.scope})`,
    handler(req, reply, ctx) {
      const r = rsRuntime(ctx);
      const st = guard(req, reply, ctx, r.rs, api.scope);
      if (!st) return reply;
      const out = api.handle({
        params: req.params as Record<string, string>,
        body: req.body,
        headers: req.headers,
        st,
        bank: r.bank,
        rsUrl: ctx.urls.rs,
        relaxed: (name) => ctx.relaxed(name),
      });
      if (out.passed) req.lab.passed.push(...out.passed);
      if (out.refusal) req.lab.refusal = out.refusal;
      if (out.headers) for (const [k, v] of Object.entries(out.headers)) reply.header(k, v);
      return reply.code(out.status).type('application/json').send(JSON.stringify(out.body));
    },
  };
}

export const resourceServerModule: LabModule = {
  name: 'resource-server',
  routes: () => [
    {
      listener: 'rs',
      methods: ['GET'],
      path: '/',
      description: 'the list of sample APIs (no token needed)',
      handler(req, reply, ctx) {
        interactionId(req, reply);
        const apis = RS_APIS.map((a) => ({
          method: a.method,
          path: a.path.replace(/:(\w+)/g, '{$1}'),
          scope: a.scope,
          description: a.description,
        }));
        return reply.type('application/json').send(
          JSON.stringify({
            resource_server: ctx.urls.rs,
            issuer: ctx.urls.issuer,
            apis,
            authorization:
              'Authorization: DPoP <access token> + a DPoP proof with ath, or Bearer <token> over mTLS',
          }),
        );
      },
    },
    ...RS_APIS.map(apiRoute),
  ],
};
