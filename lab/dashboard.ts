/**
 * The lab's page at the issuer root: what runs where (endpoints, mTLS aliases, the RS), the
 * registered clients, and the requests, live, with the check that decided each and, a click away,
 * a request's detail, so a developer sees why their client was refused; and the switches, changed
 * through the control API. `/lab/status` serves the state as JSON (used by `fapi lab status`),
 * `/lab/requests` the log.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LabContext } from './context.js';
import { requestDetail } from './control.js';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';
import { FAULTS, RELAXATIONS } from './switches.js';
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
import { ecosystemNotice, labEcosystem } from './ecosystem.js';

export function labStatus(ctx: LabContext, recent = 50) {
  return {
    issuer: ctx.urls.issuer,
    mtls: ctx.urls.mtls,
    rs: ctx.urls.rs,
    ca: ctx.paths.caCert,
    started_at: new Date(ctx.startedAt * 1000).toISOString(),
    strict: ctx.warningHeader === undefined,
    // The ecosystem preset the lab plays, and the rules of it the lab does not enforce.
    ecosystem: (() => {
      const eco = labEcosystem(ctx.config);
      const notice = ecosystemNotice(eco);
      return {
        name: eco.name,
        title: eco.title,
        enforced: notice.enforced,
        not_supported: notice.notSupported,
      };
    })(),
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

/** The dashboard's policy: the one same-origin script, fetches to the lab itself, nothing inline. */
const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function switchBoxes(
  name: 'fault' | 'relax',
  table: Readonly<Record<string, string>>,
  on: readonly string[],
): string {
  return Object.entries(table)
    .map(
      ([k, what]) =>
        `<label class="switch"><input type="checkbox" name="${name}" value="${escapeHtml(k)}"${on.includes(k) ? ' checked' : ''}> <code>${escapeHtml(k)}</code> <span class="muted">${escapeHtml(what)}</span></label>`,
    )
    .join('\n');
}

function requestRow(r: RequestRecord): string {
  const outcome =
    r.outcome === 'accepted'
      ? `<span class="ok">accepted</span>`
      : `<span class="bad">${escapeHtml(r.error ?? 'refused')}</span>${r.check ? ` <code>${escapeHtml(r.check)}</code>` : ''}${r.description ? `<br><span class="muted">${escapeHtml(r.description)}</span>` : ''}`;
  return `<tr class="request" data-id="${r.id}"><td class="mono">${time(r.at)}</td><td class="mono">${escapeHtml(r.method)} ${escapeHtml(r.path)}${r.listener === 'as' ? '' : ` <span class="muted">[${r.listener}]</span>`}</td><td>${r.status}</td><td class="mono">${escapeHtml(r.clientId ?? '')}</td><td>${outcome}</td><td class="muted mono" title="checks passed">${escapeHtml(r.passed.join(' '))}</td></tr>`;
}

function dashboard(ctx: LabContext): string {
  const s = labStatus(ctx, 100);
  const warn = ctx.warningHeader
    ? `<div class="card warn"><h2>This lab is relaxed: not FAPI 2.0 conformant</h2><ul>${[
        ...s.relaxations.map((r) => `<li>relaxed <code>${escapeHtml(r)}</code></li>`),
        ...s.faults.map((f) => `<li>fault <code>${escapeHtml(f)}</code></li>`),
      ].join('')}</ul></div>`
    : '';
  const eco = s.ecosystem;
  const ecosystemCard =
    eco.name === 'fapi2'
      ? ''
      : `<div class="card" id="ecosystem"><h2>Ecosystem preset: ${escapeHtml(eco.name)} — ${escapeHtml(eco.title)}</h2>
<p>Enforced by the lab (<code>fapi ecosystems ${escapeHtml(eco.name)}</code> shows the sources):</p><ul>${eco.enforced.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>
${eco.not_supported.length ? `<p class="bad"><b>Not supported by fapi: this lab does not claim ${escapeHtml(eco.name)} conformance for</b></p><ul id="not-supported">${eco.not_supported.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>` : ''}</div>`;
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
    : '<tr id="no-requests"><td colspan="6" class="muted">No requests yet.</td></tr>';
  const lastId = s.requests[0]?.id ?? 0;
  const pending = s.pending.length
    ? `<p>Pending: ${s.pending
        .map((p) =>
          escapeHtml(`${p.kind} ${p.endpoint}${p.clientId ? ` for ${p.clientId}` : ''} ×${p.remaining}`),
        )
        .join('; ')}</p>`
    : '';
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
${ecosystemCard}
<div class="card"><h2>Last requests <span class="muted">(<span id="requests-total">${s.requests_total}</span> in total; newest first; live; click one for its detail)</span></h2>
<table id="requests" data-last="${lastId}"><thead><tr><th>time</th><th>request</th><th>status</th><th>client</th><th>decided by</th><th>checks passed</th></tr></thead>
<tbody>${requests}</tbody></table></div>
<div class="card" id="detail" hidden></div>
<form class="card" id="switches"><h2>Switches</h2>
<p class="muted">Changed at once, for the next request (the control API of this lab run). Faults make the lab misbehave on purpose; relaxations weaken the profile.</p>
${pending}
<h3>Faults</h3>
${switchBoxes('fault', FAULTS, s.faults)}
<h3>Relaxations</h3>
${switchBoxes('relax', RELAXATIONS, s.relaxations)}
<p><label>Control secret (<code>fapi lab status --show-secrets</code>; kept in this tab only): <input type="password" id="control-secret" autocomplete="off"></label></p>
<p><button class="primary" type="submit" id="apply-switches">Apply</button> <span id="switches-message" class="muted"></span></p>
</form>
<div class="card"><h2>Registered clients</h2>
<table id="clients"><tr><th>client_id</th><th>name</th><th>authentication</th><th>grants</th><th>redirect URIs</th></tr>
${clients}</table></div>
<div class="card"><h2>Endpoints</h2><table id="endpoints">${endpoints}</table></div>
<script src="/lab/dashboard.js"></script>`,
  )
    .replace('<main>', '<main style="max-width:1100px">')
    .replace(
      '</style>',
      'tr.request{cursor:pointer}tr.request:hover{background:#f5f6f8}label.switch{display:block;padding:2px 0}pre{white-space:pre-wrap;word-break:break-all;background:#f5f6f8;padding:8px;border-radius:6px}</style>',
    );
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
        htmlHeaders(reply).header('content-security-policy', DASHBOARD_CSP).code(200).send(dashboard(ctx)),
    },
    {
      listener: 'as',
      methods: ['GET'],
      path: '/favicon.ico',
      quiet: true,
      description: 'no icon (browsers ask for one; answered without filling the request log)',
      handler: (_req: FastifyRequest, reply: FastifyReply) =>
        reply.code(204).header('cache-control', 'max-age=86400').send(),
    },
    {
      listener: 'as',
      methods: ['GET'],
      path: '/lab/dashboard.js',
      quiet: true,
      description: "this page's script (a same-origin file: the page allows no inline script)",
      handler: (_req: FastifyRequest, reply: FastifyReply) =>
        reply
          .type('text/javascript; charset=utf-8')
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .send(DASHBOARD_SCRIPT),
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
