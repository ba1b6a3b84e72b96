/**
 * The authorization endpoint (RFC 6749 §4.1; FAPI2-SP §5.3.2.2) and the lab's login-and-consent
 * page. Only pushed requests are accepted (AZ-01); errors that cannot be sent to a validated
 * redirect URI are pages (AZ-03); every redirect is a 303 (AZ-04) carrying `iss` (AZ-02).
 * The request_uri is consumed when the user decides, not when the page loads (PAR-07).
 */
import { randomToken } from '../../src/core/random.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LabContext } from '../context.js';
import { applyAuthorizationResponseFaults, signAuthorizationResponse } from '../faults.js';
import { LabError, invalidRequest } from '../errors.js';
import { cookie, escapeHtml, formOf, htmlHeaders, page, queryOf, sendErrorPage, type Form } from '../http.js';
import { SCOPES, type AuthorizationCode, type LabClient, type PushedRequest } from '../model.js';
import type { LabUser } from '../users.js';
import type { LabModule } from '../module.js';
import { runChecks, type Check } from './check.js';
import { authorizeClientId } from './checks/authorize-client-id.js';
import { authorizeParOnly } from './checks/authorize-par-only.js';
import { authorizeRequestUri } from './checks/authorize-request-uri.js';
import { clientMayUseGrant } from './checks/client-may-use-grant.js';
import { parDpopJkt } from './checks/par-dpop-jkt.js';
import { parPkce } from './checks/par-pkce.js';
import { parRedirectUri } from './checks/par-redirect-uri.js';
import { parResponseMode } from './checks/par-response-mode.js';
import { parResponseType } from './checks/par-response-type.js';
import { parClaims } from './checks/par-claims.js';
import { parScope } from './checks/par-scope.js';
import { rarJson } from './checks/rar-01-json.js';
import { rarTypes } from './checks/rar-02-types.js';
import { rarSchema } from './checks/rar-03-schema.js';
import { describeDetail, type AuthorizationDetail } from '../../src/core/authorization-details.js';
import { storePushedRequest, type ParExchange } from './par.js';

export interface AuthorizeExchange {
  ctx: LabContext;
  req: FastifyRequest;
  reply: FastifyReply;
  query: Form;
  labClient?: LabClient;
  pushed?: PushedRequest;
}

export const AUTHORIZE_CHECKS: readonly Check<AuthorizeExchange>[] = [
  authorizeClientId, // AZ-03
  authorizeParOnly, // AZ-01
  authorizeRequestUri, // PAR-04, PAR-05, PAR-06
];

/** How long a login page stays usable once shown (the user may take a while to decide). */
const INTERACTION_SECONDS = 600;
/** How long a redeemed or issued code is remembered, to detect reuse (TK-03). */
const CODE_MEMORY_SECONDS = 600;
const BROWSER_COOKIE = '__Host-fapi-lab-browser';

/** How long a JARM response is valid: short (JARM §2.1 recommends at most 10 minutes). */
export const JARM_LIFETIME_SECONDS = 300;

/**
 * The redirect back to the client: the registered URI's own query is kept (AZ-05), parameters
 * go in the query, never the fragment (AZ-10), and `iss` is always added (AZ-02, RFC 9207 §2).
 * With `response_mode=jwt` (MS-08) the parameters, `iss` included, travel only inside a JWT signed
 * by the lab key, as `?response=<JWT>` (JARM §2.1, §2.3.1) with `aud` (the client), `exp` and
 * `iat`: FAPI2-MS §5.4.1 Note: `iss` only inside the JWT, nothing else at the top level.
 */
export function authorizationResponseUrl(
  ctx: LabContext,
  request: Pick<PushedRequest, 'redirectUri' | 'state' | 'clientId' | 'responseMode'>,
  params: Record<string, string>,
): string {
  const jarm = request.responseMode === 'jwt';
  const all: Record<string, string> = { ...params };
  if (request.state !== undefined) all.state = request.state;
  // JARM §2.1: the JWT always names its issuer, whatever no-iss says of the plain parameter.
  if (jarm || !ctx.relaxed('no-iss')) all.iss = ctx.urls.issuer;
  // The iss-* and state-* fault switches, for testing clients' own checks; off by default.
  applyAuthorizationResponseFaults(ctx.fault, all);
  const u = new URL(request.redirectUri);
  if (jarm) {
    const now = Math.floor(ctx.now());
    const { iss, ...rest } = all;
    const claims = {
      ...(iss !== undefined ? { iss } : {}),
      aud: request.clientId,
      exp: now + JARM_LIFETIME_SECONDS,
      iat: now,
      ...rest,
    };
    // The jarm-* faults (off by default) are applied while signing.
    u.searchParams.append('response', signAuthorizationResponse(ctx.fault, claims, ctx.keys.signing, now));
    return u.href;
  }
  for (const [k, v] of Object.entries(all)) u.searchParams.append(k, v);
  return u.href;
}

/** 303 See Other (AZ-04: never 307 after a form post with credentials, FAPI2-SP §5.3.2.2-10). */
function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}

/** Issues a code for an approved request (AZ-10: 256 random bits). */
export function issueCode(ctx: LabContext, request: PushedRequest, user: LabUser): AuthorizationCode {
  const now = ctx.now();
  const code: AuthorizationCode = {
    code: randomToken(32),
    grantId: randomToken(16),
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    scope: request.scope,
    sub: user.sub,
    authTime: Math.floor(now),
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    dpopJkt: request.dpopJkt,
    // RAR-04: exactly the details the page showed and the user approved (RFC 9396 §3.1).
    ...(request.authorizationDetails ? { authorizationDetails: request.authorizationDetails } : {}),
    createdAt: now,
    // TK-02: at most 60 s (FAPI2-SP §5.3.2.1-11).
    expiresAt: now + ctx.config.codeLifetime,
  };
  ctx.codes.set(code.code, code, now + Math.max(CODE_MEMORY_SECONDS, ctx.config.codeLifetime));
  return code;
}

/**
 * Consumes the request_uri at the point of authorization (PAR-06, PAR-07); a request_uri already
 * used is refused as invalid_request_uri (one-time use).
 */
function consumeRequestUri(ctx: LabContext, request: PushedRequest): void {
  const now = ctx.now();
  if (
    !ctx.usedRequestUris.once(
      request.requestUri,
      now + INTERACTION_SECONDS + request.expiresAt - request.createdAt,
    )
  )
    throw new LabError(
      400,
      'invalid_request_uri',
      'this authorization request was already completed (one-time use)',
      {
        check: 'PAR-06',
      },
    );
  const live = ctx.requestUris.peek(request.requestUri);
  if (live) live.value.usedAt = now;
}

/** Approves or denies: the response to the client, as a 303 to its redirect URI. */
function decide(
  ctx: LabContext,
  req: FastifyRequest,
  reply: FastifyReply,
  request: PushedRequest,
  user: LabUser | undefined,
) {
  consumeRequestUri(ctx, request);
  req.lab.passed.push('PAR-06');
  if (!user) {
    // AZ-02: the user declined; access_denied goes back with state and iss.
    req.lab.refusal = { check: 'AZ-02', error: 'access_denied', description: 'the user denied the request' };
    return redirect(
      reply,
      authorizationResponseUrl(ctx, request, {
        error: 'access_denied',
        error_description: 'the user denied the request',
      }),
    );
  }
  const code = issueCode(ctx, request, user);
  req.lab.passed.push('AZ-02', 'AZ-10');
  if (request.authorizationDetails) req.lab.passed.push('RAR-04');
  if (request.responseMode === 'jwt') req.lab.passed.push('MS-08');
  return redirect(reply, authorizationResponseUrl(ctx, request, { code: code.code }));
}

/**
 * A failure injected by `failNext({ endpoint: 'authorize' })`, once the request is known to be
 * valid: the error goes back to the client's redirect URI (RFC 6749 §4.1.2.1), with state and iss,
 * and the request_uri is used up as by any decision.
 */
function injectedFailure(ctx: LabContext, req: FastifyRequest, reply: FastifyReply, request: PushedRequest) {
  const o = ctx.overrides.size === 0 ? undefined : ctx.overrides.take('authorize', request.clientId, 'fail');
  if (!o?.failure) return undefined;
  consumeRequestUri(ctx, request);
  const { error, description } = o.failure;
  req.lab.refusal = { check: 'FAIL-NEXT', error, description };
  return redirect(reply, authorizationResponseUrl(ctx, request, { error, error_description: description }));
}

/** With the no-par relaxation: a front-channel request validated like a pushed one. */
async function frontChannelRequest(s: AuthorizeExchange): Promise<PushedRequest> {
  const p: ParExchange = {
    ctx: s.ctx,
    req: s.req,
    reply: s.reply,
    form: s.query,
    client: { client: s.labClient!, method: s.labClient!.metadata.token_endpoint_auth_method },
  };
  await runChecks(p, [
    clientMayUseGrant(() => 'authorization_code'),
    parResponseType,
    parResponseMode,
    parRedirectUri,
    parPkce,
    parScope,
    parClaims,
    rarJson,
    rarTypes,
    rarSchema,
    parDpopJkt,
  ]);
  return storePushedRequest(s.ctx, p);
}

function scopeRows(scope: string[]): string {
  if (scope.length === 0) return '<li class="muted">no scopes: basic access only</li>';
  return scope
    .map((sc) => `<li><code>${escapeHtml(sc)}</code> — ${escapeHtml(SCOPES[sc] ?? 'no description')}</li>`)
    .join('\n');
}

/**
 * RAR-04: each authorization detail in words (RFC 9396 §3.1: the user sees the merged set of what
 * is asked), every character escaped: the details are the client's data, so possibly an attacker's
 * (RFC 9396 §12).
 */
function detailRows(details: readonly AuthorizationDetail[] | undefined): string {
  if (!details?.length) return '';
  const rows = details
    .map(
      (d) =>
        `<li class="detail" data-type="${escapeHtml(d.type)}"><b>${escapeHtml(d.type)}</b> — ${escapeHtml(describeDetail(d))}</li>`,
    )
    .join('\n');
  return `<h2>It asks you to authorize</h2>\n<ul id="authorization-details">${rows}</ul>`;
}

function consentPage(
  ctx: LabContext,
  client: LabClient,
  request: PushedRequest,
  interaction: string,
): string {
  const name = client.metadata.client_name ?? client.client_id;
  const list = ctx.users.list();
  const users = list
    .map((u, i) => {
      const about = [u.claims.name, u.claims.email].filter((v) => typeof v === 'string').join(', ');
      return `<label class="user"><input type="radio" name="user" value="${escapeHtml(u.sub)}"${i === 0 ? ' checked' : ''}> <b>${escapeHtml(u.sub)}</b> <span class="muted">${escapeHtml(about)}</span></label>`;
    })
    .join('\n');
  const password = list.some((u) => u.password !== undefined)
    ? '<p><label>Password (for users that have one): <input type="password" name="password" autocomplete="off"></label></p>'
    : '';
  const redirectHost = new URL(request.redirectUri).host;
  return page(
    `Sign in to the fapi lab — ${name}`,
    `<div class="card"><h1>Sign in to the fapi lab</h1>
<p><b id="client-name">${escapeHtml(name)}</b> <span class="muted">(client <code>${escapeHtml(client.client_id)}</code>)</span> asks for access to your data.</p>
<h2>It will be able to</h2>
<ul id="scopes">${scopeRows(request.scope)}</ul>
${detailRows(request.authorizationDetails)}
<p class="muted">After your decision you return to <code>${escapeHtml(redirectHost)}</code>. This request expires at ${new Date(request.expiresAt * 1000).toISOString().slice(11, 19)} UTC.</p>
</div>
<form class="card" method="post" action="/authorize/decision">
<h2>Who are you?</h2>
<p class="muted">Test users of the lab${password ? '' : ': no password'}.</p>
${users}
${password}
<input type="hidden" name="interaction" value="${escapeHtml(interaction)}">
<p><button class="primary" type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button></p>
</form>`,
  );
}

async function handleAuthorize(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  const s: AuthorizeExchange = { ctx, req, reply, query: queryOf(req) };
  try {
    const repeated = s.query.repeated();
    if (repeated.length)
      throw invalidRequest(`the parameter ${repeated.join(', ')} must not be repeated (RFC 6749 §3.1)`);
    await runChecks(s, AUTHORIZE_CHECKS);
    // AZ-06: only the pushed parameters count; anything else in the query is ignored.
    const request = s.pushed ?? (await frontChannelRequest(s));
    const failed = injectedFailure(ctx, req, reply, request);
    if (failed) return failed;
    if (ctx.config.autoApprove) {
      const user = ctx.users.autoApproved();
      if (!user)
        throw new LabError(400, 'access_denied', 'the lab has no test user to approve as (users.add)', {
          page: true,
        });
      return decide(ctx, req, reply, request, user);
    }
    let browser = cookie(req, BROWSER_COOKIE);
    if (!browser || !/^[A-Za-z0-9_-]{22,64}$/.test(browser)) {
      browser = randomToken(18);
      reply.header('set-cookie', `${BROWSER_COOKIE}=${browser}; Path=/; Secure; HttpOnly; SameSite=Lax`);
    }
    const id = randomToken(24);
    ctx.interactions.set(
      id,
      { id, request, browser, expiresAt: ctx.now() + INTERACTION_SECONDS },
      ctx.now() + INTERACTION_SECONDS,
    );
    req.lab.passed.push('AZ-11');
    return htmlHeaders(reply)
      .code(200)
      .send(consentPage(ctx, s.labClient!, request, id));
  } catch (e) {
    if (e instanceof LabError) return sendErrorPage(req, reply, e, ctx);
    throw e;
  }
}

async function handleDecision(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  try {
    const form = formOf(req);
    const id = form.get('interaction');
    const interaction = id ? ctx.interactions.get(id) : undefined;
    if (!interaction)
      throw invalidRequest(
        'this login page has expired or is unknown: start the authorization again from the client',
        'AZ-03',
      );
    // CSRF: the decision must come from the browser that was shown the page.
    if (cookie(req, BROWSER_COOKIE) !== interaction.browser)
      throw invalidRequest('the decision did not come from the browser that loaded the login page', 'AZ-03');
    req.lab.clientId = interaction.request.clientId;
    const failed = injectedFailure(ctx, req, reply, interaction.request);
    if (failed) {
      ctx.interactions.delete(interaction.id);
      return failed;
    }
    const decision = form.get('decision');
    if (decision !== 'approve' && decision !== 'deny')
      throw invalidRequest('decision must be approve or deny');
    let user: LabUser | undefined;
    if (decision === 'approve') {
      const sub = form.get('user');
      user = sub === undefined ? undefined : ctx.users.get(sub);
      if (!user)
        throw invalidRequest(
          `pick one of the test users: ${ctx.users
            .list()
            .map((u) => u.sub)
            .join(', ')}`,
        );
      if (!ctx.users.passwordMatches(user, form.get('password')))
        throw invalidRequest(`wrong password for ${user.sub}: go back and try again`);
    }
    ctx.interactions.delete(interaction.id);
    return decide(ctx, req, reply, interaction.request, user);
  } catch (e) {
    if (e instanceof LabError) return sendErrorPage(req, reply, e, ctx);
    throw e;
  }
}

export const authorizeModule: LabModule = {
  name: 'authorize',
  routes: () => [
    {
      listener: 'as',
      methods: ['GET'],
      path: '/authorize',
      endpoint: 'authorize',
      failsItself: true,
      metadataName: 'authorization_endpoint',
      browser: true,
      description: 'authorization endpoint: client_id + request_uri only; shows the login and consent page',
      handler: handleAuthorize,
    },
    {
      listener: 'as',
      methods: ['POST'],
      path: '/authorize/decision',
      endpoint: 'authorize',
      failsItself: true,
      browser: true,
      description: 'the login page posts the user and the decision here; answers 303 to the client',
      handler: handleDecision,
    },
  ],
};
