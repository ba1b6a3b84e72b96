/**
 * The loopback redirect listener (RFC 8252 §7.3, §8.3; FAPI2-SP §5.3.3.1-4; CL-10): HTTP on a
 * loopback IP literal only, on the port the registered redirect URI names or else an ephemeral
 * one (the AS must allow any port for loopback URIs). It accepts exactly one authorization
 * response, shows a small "you can close this tab" page, refuses every later hit, and never
 * redirects anywhere (no open redirector).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FapiError, networkError, stateError, usageError } from '../errors.js';

export interface CallbackOptions {
  /** The registered redirect URI, e.g. `http://127.0.0.1/callback` or `http://127.0.0.1:8765/cb`. */
  redirectUri: string;
  /** How long to wait for the browser, in milliseconds. */
  timeoutMs: number;
  /** Aborts the wait (e.g. Ctrl-C). */
  signal?: AbortSignal;
}

export interface CallbackListener {
  /** The redirect URI to send in PAR: the registered one with the port actually listened on. */
  redirectUri: string;
  /** Notes for the user (e.g. a `localhost` redirect URI). */
  warnings: string[];
  /** Resolves with the query of the one authorization response. */
  response: Promise<URLSearchParams>;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS: Record<string, string> = {
  '127.0.0.1': '127.0.0.1',
  '[::1]': '::1',
  localhost: '127.0.0.1',
};

/** Checks a redirect URI can be served by the loopback listener; returns the bind address. */
export function loopbackTarget(redirectUri: string): { host: string; port: number; url: URL } {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    throw usageError(
      'E_REDIRECT_URI',
      `The redirect URI ${JSON.stringify(redirectUri)} is not a URL.`,
      'Use a loopback URI such as http://127.0.0.1/callback.',
    );
  }
  const host = LOOPBACK_HOSTS[url.hostname];
  if (url.protocol !== 'http:' || !host || url.hash) {
    throw usageError(
      'E_REDIRECT_URI_NOT_LOOPBACK',
      `The redirect URI ${redirectUri} is not a loopback URI; fapi receives the authorization response on a listener at http://127.0.0.1 (RFC 8252 §7.3).`,
      'Register a loopback redirect URI such as http://127.0.0.1/callback (`fapi register --redirect-uri`), or pass --redirect-uri.',
    );
  }
  return { host, port: url.port ? Number(url.port) : 0, url };
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
  '<style>body{font-family:system-ui,sans-serif;margin:4rem auto;max-width:32rem;color:#222}' +
  'h1{font-size:1.3rem}</style></head>' +
  `<body><h1>${title}</h1><p>${text}</p></body></html>`;

const SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The callback URL holds the code: never leak it through a Referer (RFC 9700 §4.2.4).
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
};

/** Starts the listener; resolves once it is listening. */
export async function startCallbackListener(o: CallbackOptions): Promise<CallbackListener> {
  const { host, port, url } = loopbackTarget(o.redirectUri);
  const warnings: string[] = [];
  if (url.hostname === 'localhost')
    warnings.push(
      'the redirect URI uses "localhost"; RFC 8252 §8.3 recommends the IP literal 127.0.0.1 (fapi listens on 127.0.0.1)',
    );
  let settled = false;
  let resolveResponse!: (p: URLSearchParams) => void;
  let rejectResponse!: (e: unknown) => void;
  const response = new Promise<URLSearchParams>((res, rej) => {
    resolveResponse = res;
    rejectResponse = rej;
  });
  response.catch(() => undefined); // the caller may never await it (e.g. PAR failed)

  const server = http.createServer((req, res) => {
    const reqUrl = new URL(req.url ?? '/', 'http://placeholder');
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    const actualPort = (server.address() as AddressInfo).port;
    // DNS-rebinding guard: only requests addressed to the loopback host and port.
    if (hostHeader !== `${url.hostname}:${actualPort}`) {
      res
        .writeHead(421, SECURITY_HEADERS)
        .end(PAGE('Wrong host', 'This listener only answers its loopback address.'));
      return;
    }
    if (req.method !== 'GET' || reqUrl.pathname !== url.pathname) {
      res.writeHead(404, SECURITY_HEADERS).end(PAGE('Not found', 'This is fapi’s login listener.'));
      return;
    }
    const params = reqUrl.searchParams;
    if (settled) {
      // CL-10: exactly one response; a replayed or second redirect is refused.
      res
        .writeHead(400, SECURITY_HEADERS)
        .end(
          PAGE('Already received', 'fapi already received an authorization response; this one is ignored.'),
        );
      return;
    }
    // A plain response has a code or an error; a JARM one (JARM §2.3.1) only `response`.
    if (!params.has('code') && !params.has('error') && !params.has('response')) {
      res
        .writeHead(400, SECURITY_HEADERS)
        .end(
          PAGE(
            'Not an authorization response',
            'The request carries neither a code, an error nor a JARM response.',
          ),
        );
      return;
    }
    settled = true;
    const failed = params.has('error');
    res
      .writeHead(200, SECURITY_HEADERS)
      .end(
        PAGE(
          failed
            ? 'fapi: the authorization server returned an error'
            : 'fapi: authorization response received',
          'You can close this tab and return to the terminal.',
        ),
      );
    resolveResponse(new URLSearchParams(params));
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? stateError(
              'E_CALLBACK_PORT_IN_USE',
              `Cannot listen on ${host}:${port} for the redirect URI ${o.redirectUri}: the port is in use.`,
              'Stop whatever uses that port, or register a redirect URI without a port (http://127.0.0.1/callback) so fapi picks a free one.',
              { cause: err },
            )
          : networkError(
              'E_CALLBACK_LISTEN',
              `Cannot listen on ${host}:${port}: ${err.message}.`,
              'Check the redirect URI.',
              err,
            ),
      );
    });
    server.listen(port, host, () => resolve());
  });

  const actual = (server.address() as AddressInfo).port;
  const redirect = new URL(url.toString());
  redirect.port = String(actual);

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Let the page just written reach the browser; then drop whatever is left.
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 500).unref();
    });
  };
  const fail = (e: FapiError) => {
    if (settled) return;
    settled = true;
    rejectResponse(e);
    void close();
  };
  const timer = setTimeout(
    () =>
      fail(
        networkError(
          'E_CALLBACK_TIMEOUT',
          `No authorization response arrived at ${redirect.toString()} within ${Math.round(o.timeoutMs / 1000)} s.`,
          'Finish the login in the browser, or wait longer with --timeout. If the browser shows an error page, the server refused the request there.',
        ),
      ),
    o.timeoutMs,
  );
  timer.unref();
  const onAbort = () =>
    fail(
      new FapiError('E_INTERRUPTED', 'Interrupted while waiting for the browser.', { kind: 'interrupted' }),
    );
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });

  return { redirectUri: redirect.toString(), warnings, response, close };
}
