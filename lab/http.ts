/**
 * HTTP helpers shared by the lab's route modules: form parameters, the per-request record of
 * which checks ran, the TLS client certificate, and the response conventions (JSON errors,
 * `Cache-Control: no-store`, HTML escaping).
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LabError, invalidRequest } from './errors.js';
import type { LabContext, ListenerName } from './context.js';
import { clientCertThumbprint } from './rs/http.js';

/** What the lab records about one request while it runs (see RequestLog). */
export interface RequestState {
  listener: ListenerName;
  /** The externally visible base URL of the listener that received it. */
  base: string;
  clientId?: string;
  /** Catalogue IDs of the checks that passed, in order. */
  passed: string[];
  refusal?: { check?: string; error: string; description: string };
  startedAt: number;
  /** The grant type of a token request, once TK-01 accepted it. */
  grantType?: string;
  /** Set once the request is in the request log. */
  recorded?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    lab: RequestState;
  }
}

/** Marks a check as passed for the dashboard. */
export function passed(req: FastifyRequest, check: string): void {
  req.lab.passed.push(check);
}

/** `application/x-www-form-urlencoded` parameters; a repeated parameter is an error (RFC 6749 §3.1). */
export class Form {
  private readonly values = new Map<string, string[]>();
  constructor(body: string) {
    for (const [k, v] of new URLSearchParams(body)) {
      const list = this.values.get(k);
      if (list) list.push(v);
      else this.values.set(k, [v]);
    }
  }

  /** The value of a parameter; an empty value counts as absent (RFC 6749 §3.1). */
  get(name: string): string | undefined {
    const v = this.values.get(name);
    if (!v) return undefined;
    if (v.length > 1)
      throw invalidRequest(`the parameter ${name} is repeated; OAuth parameters must not be (RFC 6749 §3.1)`);
    return v[0] === '' ? undefined : v[0];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The first value of a parameter, repeated or not (for the request log; checks use get()). */
  first(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  /** Names of the parameters sent more than once. */
  repeated(): string[] {
    return [...this.values].filter(([, v]) => v.length > 1).map(([k]) => k);
  }

  names(): string[] {
    return [...this.values.keys()];
  }

  entries(): [string, string][] {
    return [...this.values].map(([k, v]) => [k, v[0] as string]);
  }
}

/** The form body of a POST (empty when the body is not a form: the FORM check refuses it). */
export function formOf(req: FastifyRequest): Form {
  const body = req.body;
  return body instanceof Form ? body : new Form('');
}

/** A cookie value from the Cookie header. */
export function cookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The query string of a GET as a Form (same duplicate rule). */
export function queryOf(req: FastifyRequest): Form {
  const i = req.url.indexOf('?');
  return new Form(i >= 0 ? req.url.slice(i + 1) : '');
}

/** The externally visible URL of the request, without query (for DPoP htu, RFC 9449 §4.3 #9). */
export function externalUrl(req: FastifyRequest): string {
  const i = req.url.indexOf('?');
  return req.lab.base + (i >= 0 ? req.url.slice(0, i) : req.url);
}

export interface PeerCertificate {
  der: Buffer;
  x509: X509Certificate;
  /** True when the chain validated against the lab CA during the handshake. */
  chainTrusted: boolean;
}

/** The TLS client certificate, when the client presented one (mTLS listener only). */
export function peerCertificate(req: FastifyRequest): PeerCertificate | undefined {
  const socket = req.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate(false);
  if (!cert || !cert.raw || cert.raw.length === 0) return undefined;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert.raw);
  } catch {
    return undefined;
  }
  return { der: cert.raw, x509, chainTrusted: socket.authorized === true };
}

/** Whether the connection presented a TLS client certificate (read once per connection). */
export function clientCertificatePresented(req: FastifyRequest): boolean {
  return clientCertThumbprint(req) !== undefined;
}

/** The single value of a request header, or undefined; repeated headers are returned as an array. */
export function headerValues(req: FastifyRequest, name: string): string[] {
  const out: string[] = [];
  const raw = req.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2)
    if ((raw[i] as string).toLowerCase() === name) out.push(raw[i + 1] as string);
  return out;
}

/** Sends a JSON success body with `Cache-Control: no-store` (RFC 6749 §5.1). */
export function sendJson(reply: FastifyReply, status: number, body: unknown, noStore = true): FastifyReply {
  if (noStore) reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

/** Sends an OAuth JSON error (RFC 6749 §5.2) and records the refusal. */
export function sendError(req: FastifyRequest, reply: FastifyReply, e: LabError): FastifyReply {
  req.lab.refusal = { check: e.check, error: e.error, description: e.description };
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return sendJson(reply, e.status, e.body());
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** Headers for the lab's HTML pages: no framing, no inline scripts, no referrer leaks. */
export function htmlHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    )
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

/** A minimal page shell in the lab's style. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f5f6f8;color:#1d2430}
main{max-width:760px;margin:32px auto;padding:0 16px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:10px;padding:20px 24px;margin-bottom:16px}
h1{font-size:20px;margin:0 0 12px}h2{font-size:16px;margin:0 0 8px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
.ok{color:#0a7a3b}.bad{color:#b42318}.muted{color:#667085}.warn{background:#fff4e5;border-color:#f5c26b}
button{font:inherit;padding:8px 18px;border-radius:8px;border:1px solid #98a2b3;background:#fff;cursor:pointer}
button.primary{background:#1d4ed8;border-color:#1d4ed8;color:#fff}
label.user{display:block;padding:6px 0}
</style></head><body><main>${body}</main></body></html>`;
}

/** Renders an error for a browser: an HTML page, or JSON when the client asks for JSON. */
export function sendErrorPage(
  req: FastifyRequest,
  reply: FastifyReply,
  e: LabError,
  ctx: LabContext,
): FastifyReply {
  req.lab.refusal = { check: e.check, error: e.error, description: e.description };
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  const accept = String(req.headers.accept ?? '');
  if (accept.includes('application/json') && !accept.includes('text/html'))
    return sendJson(reply, e.status, e.body());
  const html = page(
    `${e.error} — fapi lab`,
    `<div class="card"><h1 class="bad">The request was refused: <code id="error">${escapeHtml(e.error)}</code></h1>
<p id="error_description">${escapeHtml(e.description)}</p>
${e.check ? `<p class="muted">Decided by check <code id="check">${escapeHtml(e.check)}</code> of the FAPI 2.0 lab. Nothing was sent back to the client: the lab never redirects to a URI it has not validated (FAPI2-SP §5.3.2.1-7).</p>` : ''}
<p class="muted"><a href="${escapeHtml(ctx.urls.issuer)}/">lab dashboard</a></p></div>`,
  );
  return htmlHeaders(reply).code(e.status).send(html);
}

export { LabError };
