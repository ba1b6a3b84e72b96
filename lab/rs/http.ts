/**
 * Fastify glue shared by the RS APIs and userinfo: the request view the checks read, the
 * challenge responses (RFC 6750 §3, RFC 9449 §7.1), `x-fapi-interaction-id`, `DPoP-Nonce`, and
 * the audit record.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RsRequest } from './check.js';
import type { RsContext } from './context.js';
import type { RsError } from './errors.js';
import { rsRefusal } from './errors.js';

const certThumbprints = new WeakMap<object, string | null>();

/** base64url(SHA-256(DER)) of the connection's client certificate (RFC 8705 §3.1), once per socket. */
export function clientCertThumbprint(req: FastifyRequest): string | undefined {
  const socket = req.raw.socket as TLSSocket;
  let tp = certThumbprints.get(socket);
  if (tp === undefined) {
    const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
    tp = cert && cert.raw ? createHash('sha256').update(cert.raw).digest('base64url') : null;
    certThumbprints.set(socket, tp);
  }
  return tp ?? undefined;
}

/** The request view of the checks; `origin` is the externally visible base URL of the listener (DP-09). */
export function toRsRequest(req: FastifyRequest, origin: string, requiredScope: string): RsRequest {
  const url = req.url;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return {
    method: req.method,
    path,
    query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
    headers: req.headers,
    rawHeaders: req.raw.rawHeaders,
    body: req.body,
    htu: origin + path,
    clientCertThumbprint: () => clientCertThumbprint(req),
    requiredScope,
  };
}

// RFC 9110 token characters, bounded: anything else gets a fresh UUIDv4.
const INTERACTION_ID = /^[\x21-\x7e]{1,128}$/;

/** RS-08: echo `x-fapi-interaction-id`, or generate a UUIDv4 (FAPI 2.0 Implementation Advice §2.1.1). */
export function interactionId(req: FastifyRequest, reply: FastifyReply): void {
  const given = req.headers['x-fapi-interaction-id'];
  reply.header(
    'x-fapi-interaction-id',
    typeof given === 'string' && INTERACTION_ID.test(given) ? given : randomUUID(),
  );
}

/**
 * Sends an RsError as RFC 6750 §3 / RFC 9449 §7.1 prescribe: status, WWW-Authenticate
 * challenge(s), JSON body.
 */
export function sendRsError(reply: FastifyReply, e: RsError, ctx: RsContext): FastifyReply {
  const r = rsRefusal(e, ctx.lowerCaseDpopScheme);
  reply.code(r.status).header('www-authenticate', r.wwwAuthenticate);
  if (ctx.nonces) reply.header('dpop-nonce', ctx.nonces.current());
  return reply.type('application/json').send(JSON.stringify(r.body));
}
