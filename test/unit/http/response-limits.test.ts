/**
 * The HTTP seam reads bounded responses: a body over the size cap (1 MiB by default, or the
 * client's or request's `maxResponseBytes`) is refused while it streams in, from its
 * Content-Length when the server declares one, and the connection is closed; a server that sends
 * the headers and then stalls, or trickles the body without end, gets a timeout instead of a hang.
 * All against real HTTPS servers on 127.0.0.1.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FapiError } from '../../../src/errors.js';
import { createHttpClient, DEFAULT_MAX_RESPONSE_BYTES, type HttpClient } from '../../../src/http/client.js';
import { expectFapiError } from '../../helpers/expect-error.js';
import { startHttpsServer, type TestHttpsServer } from '../../helpers/https-server.js';

const MiB = 1024 * 1024;

/** What a raw route did: bytes written, and whether the client hung up before the end. */
interface Sent {
  bytes: number;
  cutOff: boolean;
  closed: Promise<void>;
}

let server: TestHttpsServer;
const sent = new Map<string, Sent>();

/** Streams `total` bytes (Infinity: without end) in 16 KiB chunks, honouring back-pressure. */
function stream(res: ServerResponse, s: Sent, total: number, headers: Record<string, string> = {}) {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  const chunk = Buffer.alloc(16 * 1024, 0x20);
  const pump = () => {
    while (s.bytes < total && !res.destroyed) {
      const n = Math.min(chunk.length, total - s.bytes);
      s.bytes += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/** Sends the headers and `first` bytes, then one byte every `everyMs` (0: never again). */
function trickle(res: ServerResponse, s: Sent, first: number, everyMs: number) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(Buffer.alloc(first, 0x20));
  s.bytes = first;
  if (everyMs === 0) return;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(' ');
    s.bytes++;
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

beforeAll(async () => {
  server = await startHttpsServer((req) => {
    const s: Sent = { bytes: 0, cutOff: false, closed: Promise.resolve() };
    sent.set(req.url, s);
    const raw = (fn: (res: ServerResponse) => void) => ({
      status: 200,
      raw: (res: ServerResponse) => {
        s.closed = new Promise((resolve) =>
          res.on('close', () => {
            s.cutOff = !res.writableFinished;
            resolve();
          }),
        );
        fn(res);
      },
    });
    const size = /^\/size\/(\d+)/.exec(req.url);
    if (size) return raw((res) => stream(res, s, Number(size[1])));
    if (req.url.startsWith('/declared'))
      // Declares 2 MiB, sends 64 KiB, then nothing: only the Content-Length can stop a client early.
      return raw((res) => {
        res.setHeader('content-length', String(2 * MiB));
        trickle(res, s, 64 * 1024, 0);
      });
    // 64 MiB at most, so that a client without a cap still ends (and fails the test) in bounded memory.
    if (req.url.startsWith('/endless')) return raw((res) => stream(res, s, 64 * MiB));
    if (req.url.startsWith('/stall')) return raw((res) => trickle(res, s, 10, 0));
    if (req.url.startsWith('/trickle')) return raw((res) => trickle(res, s, 10, 50));
    if (req.url.startsWith('/head')) return { status: 200, headers: { 'content-length': String(2 * MiB) } };
    return { status: 200, body: { ok: true } };
  });
});
afterAll(() => server.close());

function failure(http: HttpClient, path: string, method = 'GET'): Promise<FapiError> {
  return expectFapiError(http({ method, url: `${server.origin}${path}` }), { label: path });
}

describe('response size cap', () => {
  it('reads a body of exactly the default cap (1 MiB), and refuses one byte more', async () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(MiB);
    const http = createHttpClient({ ca: [server.caPem] });
    const ok = await http({ method: 'GET', url: `${server.origin}/size/${MiB}` });
    expect(ok.body.length).toBe(MiB);
    const err = await failure(http, `/size/${MiB + 1}`);
    expect(err.code).toBe('E_RESPONSE_TOO_LARGE');
    expect(err.kind).toBe('network');
    expect(err.exitCode).toBe(4);
    expect(err.message).toContain(`${server.origin}/size/${MiB + 1}`);
    expect(err.message).toContain('1 MiB');
    expect(err.hint).toBeTruthy();
    expect(err.details).toMatchObject({ max_response_bytes: MiB });
  });

  it('stops reading a body without Content-Length as soon as it passes the cap, and closes the connection', async () => {
    const http = createHttpClient({ ca: [server.caPem] });
    const err = await failure(http, '/endless/1');
    expect(err.code).toBe('E_RESPONSE_TOO_LARGE');
    const s = sent.get('/endless/1') as Sent;
    await s.closed;
    // The server was cut off mid-stream, long before its 64 MiB: the client did not read on.
    expect(s.cutOff).toBe(true);
    expect(s.bytes).toBeLessThan(16 * MiB);
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const http = createHttpClient({ ca: [server.caPem], timeoutMs: 20_000 });
    const started = Date.now();
    const err = await failure(http, '/declared');
    // The server sends 64 KiB of its 2 MiB and stalls: only the header lets the client stop now.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.code).toBe('E_RESPONSE_TOO_LARGE');
    expect(err.message).toContain('Content-Length');
    expect(err.message).toContain('2 MiB');
    await (sent.get('/declared') as Sent).closed;
  });

  it('takes the cap from the client, and a request may set its own', async () => {
    const small = createHttpClient({ ca: [server.caPem], maxResponseBytes: 1000 });
    expect((await small({ method: 'GET', url: `${server.origin}/size/1000` })).body.length).toBe(1000);
    const err = await failure(small, '/size/1001');
    expect(err.code).toBe('E_RESPONSE_TOO_LARGE');
    expect(err.message).toContain('1000 bytes');
    const res = await small({ method: 'GET', url: `${server.origin}/size/5000`, maxResponseBytes: 5000 });
    expect(res.body.length).toBe(5000);
    const big = createHttpClient({ ca: [server.caPem] });
    await expect(
      big({ method: 'GET', url: `${server.origin}/size/2000`, maxResponseBytes: 1999 }),
    ).rejects.toMatchObject({ code: 'E_RESPONSE_TOO_LARGE' });
  });

  it('does not apply the Content-Length of a HEAD answer, which has no body (RFC 9110 §9.3.2)', async () => {
    const http = createHttpClient({ ca: [server.caPem] });
    const res = await http({ method: 'HEAD', url: `${server.origin}/head` });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
  });

  it('keeps serving requests after a refused body (the closed connection left the pool)', async () => {
    const http = createHttpClient({ ca: [server.caPem], maxResponseBytes: 100 });
    for (let i = 0; i < 3; i++) {
      await expect(failure(http, `/endless/again-${i}`)).resolves.toMatchObject({
        code: 'E_RESPONSE_TOO_LARGE',
      });
      expect((await http({ method: 'GET', url: `${server.origin}/ok` })).json()).toEqual({ ok: true });
    }
  });
});

describe('response body timeout', () => {
  it('a server that sends the headers and then nothing times out, naming the body phase', async () => {
    const http = createHttpClient({ ca: [server.caPem], timeoutMs: 400 });
    const started = Date.now();
    const err = await failure(http, '/stall');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.code).toBe('E_RESPONSE_TIMEOUT');
    expect(err.kind).toBe('network');
    expect(err.message).toContain(`${server.origin}/stall`);
    expect(err.message).toMatch(/HTTP 200/);
    expect(err.hint).toBeTruthy();
    await (sent.get('/stall') as Sent).closed;
  });

  it('a server that trickles the body without end (never idle) times out too', async () => {
    // A byte every 50 ms: the socket is never idle for 400 ms, so only a deadline ends it.
    const http = createHttpClient({ ca: [server.caPem], timeoutMs: 400 });
    const started = Date.now();
    const err = await failure(http, '/trickle');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.code).toBe('E_RESPONSE_TIMEOUT');
    expect(err.message).toContain(`${server.origin}/trickle`);
    const s = sent.get('/trickle') as Sent;
    await s.closed;
    expect(s.cutOff).toBe(true);
  });
});
