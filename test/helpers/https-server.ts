/**
 * A tiny HTTPS server on 127.0.0.1:0 with a test CA, answering from a route table: for metadata
 * fixtures (conformant or broken), scripted registration endpoints, and misbehaving servers (a
 * route may take over the raw response: stall after the headers, trickle, stream without end).
 * Closes itself after `maxLifetimeMs`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestCa } from './tls.js';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Writes the response itself (status and body are then ignored); closing the server ends it. */
  raw?: (res: ServerResponse) => void;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Answers a request; `origin` is the server's own https://127.0.0.1:port. */
export type Route = (req: ReceivedRequest, origin: string) => Reply | undefined;

export interface TestHttpsServer {
  origin: string;
  caFile: string;
  caPem: string;
  requests: ReceivedRequest[];
  /** Replaces the routing function. */
  route(fn: Route): void;
  close(): Promise<void>;
}

export async function startHttpsServer(initial: Route = () => undefined, maxLifetimeMs = 300_000) {
  const ca = await createTestCa();
  const cert = await ca.issueServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-https-'));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  let routeFn = initial;
  const requests: ReceivedRequest[] = [];
  let origin = '';
  const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r: ReceivedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body,
      };
      requests.push(r);
      const reply = routeFn(r, origin) ?? { status: 404, body: { error: 'not_found' } };
      if (reply.raw) {
        res.on('error', () => undefined); // the client may hang up mid-body
        reply.raw(res);
        return;
      }
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? '');
      res.writeHead(reply.status, {
        'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
        ...reply.headers,
      });
      res.end(reply.status === 204 ? undefined : text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  const timer = setTimeout(() => void close(), maxLifetimeMs);
  timer.unref();
  return {
    origin,
    caFile,
    caPem: ca.certPem,
    requests,
    route(fn: Route) {
      routeFn = fn;
    },
    close,
  } satisfies TestHttpsServer;
}
