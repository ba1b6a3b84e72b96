/**
 * The lab's page at the issuer root: what runs where (endpoints, mTLS aliases, the RS), the
 * registered clients, and the last requests with the check that decided each, so a developer sees
 * why their client was refused. `/lab/status` serves the same as JSON (used by `fapi lab status`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LabContext } from './context.js';
import { requestDetail } from './control.js';
import { LabError } from './errors.js';
import { escapeHtml, htmlHeaders, page, queryOf, sendError, sendJson } from './http.js';
import type { LabModule } from './module.js';
import { publicRequest, type RequestFilter, type RequestRecord } from './requests.js';

/** The filter of `GET /lab/requests`, or what is wrong with it. */
function requestFilter(req: FastifyRequest): RequestFilter | string {
  const q = queryOf(req);
  const repeated = q.repeated();
  if (repeated.length) return `the parameter ${repeated.join(', ')} is repeated`;
  const f: RequestFilter = {};
  const clientId = q.get('client_id');
  if (clientId !== undefined) f.clientId = clientId;
  const path = q.get('path');
  if (path !== undefined) f.path = path;
  const since = q.get('since');
  if (since !== undefined) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) return `since must be an ISO 8601 time, not ${JSON.stringify(since)}`;
    f.since = t;
  }
  const after = q.get('after');
  if (after !== undefined) {
    if (!/^\d{1,15}$/.test(after))
      return `after must be a request id (a whole number), not ${JSON.stringify(after)}`;
    f.afterId = Number(after);
  }
  return f;
}

export function labStatus(ctx: LabContext, recent = 50) {
  return {
    issuer: ctx.urls.issuer,
    mtls: ctx.urls.mtls,
    rs: ctx.urls.rs,
    ca: ctx.paths.caCert,
    started_at: new Date(ctx.startedAt * 1000).toISOString(),
    strict: ctx.warningHeader === undefined,
    relaxations: [...ctx.switches.relax],
    faults: [...ctx.switches.faults],
    /** failNext / delayNext still to come. */
    pending: ctx.overrides.list(),
    auto_approve: ctx.config.autoApprove,
    /** With auto-approve: who is logged in. */
    login: ctx.users.autoApproved()?.sub,
    endpoints: ctx.routes.map((r) => ({
      methods: r.methods,
      url: (r.listener === 'rs' ? ctx.urls.rs : ctx.urls.issuer) + r.path,
      ...(r.mtlsAlias ? { mtls_alias: ctx.urls.mtls + r.path } : {}),
      description: r.description,
    })),
    clients: ctx.clients.list().map((c) => ({
      client_id: c.client_id,
      client_name: c.metadata.client_name,
      token_endpoint_auth_method: c.metadata.token_endpoint_auth_method,
      grant_types: c.metadata.grant_types,
      redirect_uris: c.metadata.redirect_uris,
      issued_at: new Date(c.client_id_issued_at * 1000).toISOString(),
    })),
    requests_total: ctx.requests.count,
    requests: ctx.requests.recent(recent),
  };
}

const time = (at: number) => new Date(at * 1000).toISOString().slice(11, 19);

function requestRow(r: RequestRecord): string {
  const outcome =
    r.outcome === 'accepted'
      ? `<span class="ok">accepted</span>`
      : `<span class="bad">${escapeHtml(r.error ?? 'refused')}</span>${r.check ? ` <code>${escapeHtml(r.check)}</code>` : ''}${r.description ? `<br><span class="muted">${escapeHtml(r.description)}</span>` : ''}`;
  return `<tr><td class="mono">${time(r.at)}</td><td class="mono">${escapeHtml(r.method)} ${escapeHtml(r.path)}${r.listener === 'as' ? '' : ` <span class="muted">[${r.listener}]</span>`}</td><td>${r.status}</td><td class="mono">${escapeHtml(r.clientId ?? '')}</td><td>${outcome}</td><td class="muted mono" title="checks passed">${escapeHtml(r.passed.join(' '))}</td></tr>`;
}

function dashboard(ctx: LabContext): string {
  const s = labStatus(ctx, 100);
  const warn = ctx.warningHeader
    ? `<div class="card warn"><h2>This lab is relaxed: not FAPI 2.0 conformant</h2><ul>${[
        ...s.relaxations.map((r) => `<li>relaxed <code>${escapeHtml(r)}</code></li>`),
        ...s.faults.map((f) => `<li>fault <code>${escapeHtml(f)}</code></li>`),
      ].join('')}</ul></div>`
    : '';
  const endpoints = s.endpoints
    .map(
      (e) =>
        `<tr><td class="mono">${e.methods.join(' ')}</td><td class="mono">${escapeHtml(e.url)}${e.mtls_alias ? `<br><span class="muted">mTLS ${escapeHtml(e.mtls_alias)}</span>` : ''}</td><td>${escapeHtml(e.description)}</td></tr>`,
    )
    .join('\n');
  const clients = s.clients.length
    ? s.clients
        .map(
          (c) =>
            `<tr><td class="mono">${escapeHtml(c.client_id)}</td><td>${escapeHtml(c.client_name ?? '')}</td><td>${escapeHtml(c.token_endpoint_auth_method)}</td><td>${escapeHtml(c.grant_types.join(', '))}</td><td class="mono">${c.redirect_uris.map(escapeHtml).join('<br>')}</td></tr>`,
        )
        .join('\n')
    : '<tr><td colspan="5" class="muted">No clients yet: <code>fapi init --lab</code> or POST to /register.</td></tr>';
  const requests = s.requests.length
    ? s.requests.map(requestRow).join('\n')
    : '<tr><td colspan="6" class="muted">No requests yet.</td></tr>';
  return page(
    'fapi lab',
    `<div class="card"><h1>fapi lab</h1>
<p>A local FAPI 2.0 authorization server and resource server (not for production). ${s.strict ? '<b class="ok">Strict FAPI 2.0 Security Profile (Final).</b>' : ''}</p>
<table>
<tr><th>issuer</th><td class="mono" id="issuer">${escapeHtml(s.issuer)}</td></tr>
<tr><th>mTLS aliases</th><td class="mono">${escapeHtml(s.mtls)}</td></tr>
<tr><th>resource server</th><td class="mono">${escapeHtml(s.rs)}</td></tr>
<tr><th>lab CA</th><td class="mono">${escapeHtml(s.ca)}</td></tr>
<tr><th>metadata</th><td class="mono"><a href="/.well-known/openid-configuration">/.well-known/openid-configuration</a></td></tr>
</table></div>
${warn}
<div class="card"><h2>Last requests <span class="muted">(${s.requests_total} in total; newest first; reload to update)</span></h2>
<table id="requests"><tr><th>time</th><th>request</th><th>status</th><th>client</th><th>decided by</th><th>checks passed</th></tr>
${requests}</table></div>
<div class="card"><h2>Registered clients</h2>
<table id="clients"><tr><th>client_id</th><th>name</th><th>authentication</th><th>grants</th><th>redirect URIs</th></tr>
${clients}</table></div>
<div class="card"><h2>Endpoints</h2><table id="endpoints">${endpoints}</table></div>`,
  ).replace('<main>', '<main style="max-width:1100px">');
}

export const dashboardModule: LabModule = {
  name: 'dashboard',
  routes: () => [
    {
      listener: 'as',
      methods: ['GET'],
      path: '/',
      browser: true,
      quiet: true,
      description:
        'this page: endpoints, registered clients, and the last requests with the check that decided each',
      handler: (_req: FastifyRequest, reply: FastifyReply, ctx: LabContext) =>
        htmlHeaders(reply).code(200).send(dashboard(ctx)),
    },
    {
      listener: 'as',
      methods: ['GET'],
      path: '/lab/status',
      quiet: true,
      description: 'the lab status as JSON (used by `fapi lab status`)',
      handler: (_req: FastifyRequest, reply: FastifyReply, ctx: LabContext) =>
        sendJson(reply, 200, labStatus(ctx)),
    },
    {
      listener: 'as',
      methods: ['GET'],
      path: '/lab/requests',
      quiet: true,
      description:
        'the request log as JSON, oldest first (?client_id=, ?path=, ?since= ISO time, ?after= request id); used by `fapi lab requests` and this page',
      handler: (req: FastifyRequest, reply: FastifyReply, ctx: LabContext) => {
        const filter = requestFilter(req);
        if (typeof filter === 'string')
          return sendError(req, reply, new LabError(400, 'invalid_request', filter, { check: 'HTTP' }));
        return sendJson(reply, 200, {
          requests_total: ctx.requests.count,
          requests: ctx.requests.select(filter).map(publicRequest),
        });
      },
    },
    {
      listener: 'as',
      methods: ['GET'],
      path: '/lab/requests/:id',
      quiet: true,
      description:
        "one request's detail: decoded assertion, DPoP proof and access token (values redacted), checks",
      handler: (req: FastifyRequest, reply: FastifyReply, ctx: LabContext) => {
        const detail = requestDetail(ctx, Number((req.params as { id: string }).id));
        if (!detail)
          return sendError(
            req,
            reply,
            new LabError(404, 'not_found', 'no such request in the log (it keeps the last 1000)', {
              check: 'HTTP',
            }),
          );
        return sendJson(reply, 200, detail);
      },
    },
  ],
};
