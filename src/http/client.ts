/**
 * The one HTTP seam: every request fapi and the lab make goes through an HttpClient. TLS 1.2+ with
 * the BCP195 cipher suites and certificate verification always on (FAPI2-SP §5.2.1, §5.2.2; CL-01,
 * CL-02), extra trust anchors only from an explicit CA file (and NODE_EXTRA_CA_CERTS), the client
 * certificate for mTLS (RFC 8705), redirects never followed, bounded waits (idle timeout, body
 * deadline) and bounded response bodies, and a trace hook for `--verbose` (the CLI redacts the
 * secrets, ./redact.ts). Unit tests pass a fake HttpClient instead.
 */
import type HttpNs from 'node:http';
import type HttpsNs from 'node:https';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type TlsNs from 'node:tls';
import { conformanceError, FapiError, isFapiError, networkError } from '../errors.js';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array;
  /** Use the client certificate for this request (mTLS). Default: when the client has one. */
  clientCert?: boolean;
  /** The largest response body read for this request, in bytes (default: the client's). */
  maxResponseBytes?: number;
  /**
   * What the exchange belongs to, for the --verbose trace (e.g. the conformance check and variant
   * of `fapi conform server`); never sent.
   */
  label?: string;
}

export interface HttpResponse {
  status: number;
  /** Lower-cased names; repeated headers are arrays. */
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
  url: string;
  text(): string;
  /** Parses the body as JSON; throws a FapiError naming the URL when it is not JSON. */
  json(): unknown;
  header(name: string): string | undefined;
}

export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>;

export interface TraceEvent {
  phase: 'request' | 'response' | 'error';
  request: HttpRequest;
  response?: HttpResponse;
  error?: unknown;
  ms?: number;
}

export interface HttpClientOptions {
  /** Extra PEM trust anchors, added to Node's root store. */
  ca?: string[];
  /** PEM client certificate (chain) and private key for mTLS. */
  cert?: string;
  key?: string;
  /**
   * Fails a request when the connection is idle this long (connecting, awaiting the headers or
   * mid-body), or when the body is not complete this long after its headers. Default 30 s.
   */
  timeoutMs?: number;
  /** The largest response body read, in bytes (default DEFAULT_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
  trace?: (event: TraceEvent) => void;
  /**
   * Permit plain http to loopback hosts: `fapi lab open` follows the lab's redirects to the
   * client's loopback redirect URI (RFC 8252 §7.3), which is plain http.
   */
  allowHttpLoopback?: boolean;
  userAgent?: string;
  /**
   * Only for the control channel of the local lab (`fapi lab fault|relax|fail-next|…`): trust
   * `ca` alone (not the system roots), and also accept what the lab's own TLS faults serve (a
   * certificate for `alsoHostnames`, the TLS 1.2 `alsoTls12Ciphers`), so a lab switched to
   * tls-wrong-host or tls12-dhe-only can be switched back. The chain is always verified against
   * that one CA, whose key only the lab holds.
   */
  labControl?: { ca: string; alsoHostnames: readonly string[]; alsoTls12Ciphers: readonly string[] };
}

/**
 * TLS 1.2 suites recommended by BCP195 (RFC 9325 §4.2), the only ones FAPI2-SP §5.2.2-1/2 lets
 * servers (shall) and clients (should) permit (CL-02). No DHE: RFC 9325 §4.1 says TLS 1.2
 * implementations SHOULD NOT negotiate TLS_DHE_* suites, so a server offering only those shares
 * nothing with fapi and the handshake fails (the lab's `tls12-dhe-only` fault).
 */
export const BCP195_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
];
export const TLS13_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
];
export const FAPI_CIPHERS = [...TLS13_CIPHERS, ...BCP195_TLS12_CIPHERS].join(':');

/**
 * The most of a response body fapi reads by default: OAuth and FAPI answers (metadata, JWKS,
 * tokens, errors) are small JSON documents, and a server sending more, or without end, must not
 * make the client grow without bound.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

const DEFAULT_TIMEOUT_MS = 30_000;

export function makeResponse(
  url: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Uint8Array,
): HttpResponse {
  let text: string | undefined;
  return {
    status,
    headers,
    body,
    url,
    text() {
      text ??= Buffer.from(body).toString('utf8');
      return text;
    },
    json() {
      const t = this.text();
      try {
        return JSON.parse(t);
      } catch (cause) {
        throw networkError(
          'E_HTTP_NOT_JSON',
          `${url} answered HTTP ${status} with a body that is not JSON (${t.slice(0, 80).replace(/\s+/g, ' ')}${t.length > 80 ? '…' : ''}).`,
          'Check the URL points at an OAuth endpoint.',
          cause,
        );
      }
    },
    header(name: string) {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '[::1]' || host === 'localhost';
}

const TLS_ERROR_HINTS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'The server certificate is not trusted. For the fapi lab, pass --ca with the lab CA file (see `fapi lab status`).',
  SELF_SIGNED_CERT_IN_CHAIN:
    'The server certificate chain ends in a CA that is not trusted. Pass --ca FILE with that CA.',
  DEPTH_ZERO_SELF_SIGNED_CERT:
    'The server uses a self-signed certificate. Pass --ca FILE with it if you trust it.',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'The server certificate is not trusted. Pass --ca FILE with the issuing CA.',
  CERT_HAS_EXPIRED: 'The server certificate has expired.',
  ECONNREFUSED:
    'Nothing is listening there. Is the server (or `fapi lab up`) running, and is the port right?',
  ENOTFOUND: 'The host name does not resolve. Check the URL.',
  ETIMEDOUT: 'The server did not answer in time.',
  ECONNRESET:
    'The connection was reset, possibly during the TLS handshake (a client certificate may be required, or TLS settings do not match).',
  EPROTO:
    'The TLS handshake failed: the server may not offer TLS 1.2+ with BCP195 cipher suites (FAPI2-SP §5.2.1, §5.2.2).',
};

/**
 * A TLS context trusting Node's root store plus the extra CAs. Adding the extra CAs to the
 * default store costs about 2 ms; passing `ca: [...tls.rootCertificates, pem]` re-parses the 140-odd
 * roots (40-90 ms), a third of `fapi call`'s start-up budget. Falls back to that when the native
 * context does not offer addCACert.
 */
function secureContext(
  tls: typeof TlsNs,
  opts: TlsNs.SecureContextOptions,
  givenCa: string[] | undefined,
): TlsNs.SecureContext {
  if (!givenCa || givenCa.length === 0) return tls.createSecureContext(opts);
  // Node's own store has NODE_EXTRA_CA_CERTS, but a context given more CAs starts from the bundled
  // roots only: keep the user's extra CAs (a corporate proxy, say) next to --ca.
  const extraCa = [...givenCa, ...envExtraCas(tls)];
  const ctx = tls.createSecureContext(opts);
  const native = (ctx as unknown as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function')
    return tls.createSecureContext({ ...opts, ca: [...tls.rootCertificates, ...extraCa] });
  for (const pem of extraCa) native.addCACert(pem);
  return ctx;
}

/**
 * The certificates of the NODE_EXTRA_CA_CERTS bundle that Node's bundled roots do not already have,
 * if it is set and readable (Node warns otherwise). Often the variable names the whole system
 * bundle, mostly the same roots: adding those again would cost 20-30 ms per process for no trust.
 * Read once per file name.
 */
let envExtraCache: { file: string | undefined; pems: string[] } | undefined;
function envExtraCas(tls: typeof TlsNs): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (envExtraCache && envExtraCache.file === file) return envExtraCache.pems;
  let pems: string[] = [];
  if (file)
    try {
      pems =
        readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ??
        [];
    } catch {
      pems = [];
    }
  if (pems.length) {
    const bare = (pem: string) => pem.replace(/\s+/g, '');
    const bundled = new Set(tls.rootCertificates.map(bare));
    pems = pems.filter((p) => !bundled.has(bare(p)));
  }
  envExtraCache = { file, pems };
  return pems;
}

/**
 * Handshake failures where client and server found nothing in common (a suite, a group, a
 * signature algorithm): the server's handshake_failure (40) or insufficient_security (71) alert,
 * or the client's own refusal. OpenSSL's reason strings: node:https reports most of them as
 * EPROTO with the reason only in the message.
 */
const NOTHING_IN_COMMON = new Set([
  'sslv3 alert handshake failure',
  'tlsv1 alert insufficient security',
  'no shared cipher',
  'no ciphers available',
  'wrong cipher returned',
]);

/** OpenSSL's reason ("sslv3 alert handshake failure"), from the error or its message. */
function opensslReason(err: { reason?: string; message?: string }): string | undefined {
  return err.reason ?? /SSL routines:[^:]*:([^:]+):/.exec(err.message ?? '')?.[1];
}

/** The TLS 1.2 suite a server chose in a diagnostic handshake (tls.TLSSocket#getCipher()). */
interface ProbedSuite {
  name: string;
  standardName: string;
}

type TransportCause = Error & {
  code?: string;
  reason?: string;
  host?: string;
  cert?: { subjectaltname?: string; subject?: { CN?: string | string[] } };
};

/**
 * A transport failure as a FapiError that says what went wrong and what to do: the certificate
 * names another host (CL-01), the server accepts no suite fapi offers (CL-02; `probe` then asks
 * which suite the server does choose), an untrusted certificate, a refused connection.
 */
async function transportError(
  cause: unknown,
  req: Pick<HttpRequest, 'method'>,
  url: URL,
  probe?: () => Promise<ProbedSuite | undefined>,
): Promise<FapiError> {
  const err = cause as TransportCause;
  const code = err.code ?? '';
  const reason = opensslReason(err);
  const where = `${req.method} ${url.origin}${url.pathname}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // FAPI2-SP §5.2.1-5: a TLS server certificate check as per RFC 9525. Node checks the host name
    // after the handshake and before the request is written: nothing was sent.
    const host = err.host ?? url.hostname;
    const names = err.cert?.subjectaltname
      ? `it names only ${err.cert.subjectaltname}`
      : `it has no subject alternative names (subject CN ${String(err.cert?.subject?.CN ?? 'none')})`;
    return networkError(
      'E_TLS_HOSTNAME',
      `The TLS certificate of ${url.host} is not valid for the host ${host}: ${names} (RFC 9525). fapi stopped before sending ${where}.`,
      `Use a URL with a host name the certificate names, or have the server's certificate issued for ${host}. fapi never skips this check (FAPI2-SP §5.2.1).`,
      cause,
    );
  }
  if (reason && NOTHING_IN_COMMON.has(reason)) {
    const suite = await probe?.().catch(() => undefined);
    if (suite && !BCP195_TLS12_CIPHERS.includes(suite.name)) {
      return conformanceError(
        'E_TLS_CIPHER',
        `The TLS handshake with ${url.host} failed: no cipher suite in common (${reason}). The server offers only cipher suites FAPI 2.0 forbids: offered a wider TLS 1.2 list in a diagnostic handshake, it chose ${suite.standardName}. FAPI2-SP §5.2.2 permits TLS 1.3, or TLS 1.2 with only the suites BCP195 recommends (RFC 9325 §4.2: ECDHE with AES-GCM; §4.1: no TLS_DHE_* suites). Nothing was sent.`,
        'The server must enable TLS 1.3, or TLS 1.2 with ECDHE-ECDSA/ECDHE-RSA AES-GCM suites. fapi does not fall back to weaker suites.',
        { host: url.host, server_suite: suite.standardName, client_suites: FAPI_CIPHERS.split(':') },
      );
    }
    return networkError(
      'E_TLS_HANDSHAKE',
      `The TLS handshake with ${url.host} failed: the server accepted none of the TLS versions, cipher suites or key-exchange groups fapi offers (${reason}). Nothing was sent.`,
      "FAPI 2.0 needs TLS 1.3, or TLS 1.2 with the BCP195-recommended suites (FAPI2-SP §5.2.1, §5.2.2; RFC 9325 §4.2). Check the server's TLS settings.",
      cause,
    );
  }
  const hint =
    TLS_ERROR_HINTS[code] ??
    (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')
      ? TLS_ERROR_HINTS.EPROTO
      : 'Check the URL and your network.');
  // OpenSSL's messages carry a trace ("80EC...:error:0A000410:SSL routines:..."); its reason reads.
  const text = reason ? `TLS error: ${reason}` : err.message;
  return networkError(
    isTlsErrorCode(code) ? 'E_TLS' : 'E_NETWORK',
    `${where} failed: ${text}${code ? ` (${code})` : ''}.`,
    hint,
    cause,
  );
}

/**
 * The diagnosis behind E_TLS_CIPHER: one more handshake, TLS 1.2 only, offering Node's default
 * suites (which include DHE and CBC suites fapi itself never offers), to learn which suite the
 * server picks. The server certificate is still verified, and the connection is closed as soon as
 * the handshake is done: no request is ever sent over it.
 */
function probeTls12Suite(
  tls: typeof TlsNs,
  url: URL,
  extraCa: string[] | undefined,
  timeoutMs: number,
): Promise<ProbedSuite | undefined> {
  const opts = {
    minVersion: 'TLSv1.2' as const,
    maxVersion: 'TLSv1.2' as const,
    ciphers: tls.DEFAULT_CIPHERS,
  };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      secureContext: secureContext(tls, opts, extraCa),
      rejectUnauthorized: true,
    });
    const done = (v: ProbedSuite | undefined) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('secureConnect', () => {
      const c = socket.getCipher();
      done({ name: c.name, standardName: c.standardName });
    });
    socket.once('error', () => done(undefined));
  });
}

/** Certificate verification and handshake failures (OpenSSL's X509 codes name no "TLS"). */
function isTlsErrorCode(code: string): boolean {
  return (
    /TLS|SSL|CERT/.test(code) ||
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'EPROTO'].includes(code)
  );
}

/** A byte count as people read it: "1 MiB", "64 KiB", else "1001 bytes". */
function sizeText(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** A response body over the cap: from its Content-Length (`declared`) or while it streamed in. */
function tooLargeError(
  req: Pick<HttpRequest, 'method'>,
  url: URL,
  status: number,
  maxBytes: number,
  declared?: number,
): FapiError {
  const where = `${req.method} ${url.origin}${url.pathname}`;
  return new FapiError(
    'E_RESPONSE_TOO_LARGE',
    declared === undefined
      ? `${where} answered HTTP ${status} with a body larger than ${sizeText(maxBytes)}, the most fapi reads of a response: it stopped reading and closed the connection.`
      : `${where} answered HTTP ${status} with a ${sizeText(declared)} body (Content-Length: ${declared}), more than the ${sizeText(maxBytes)} fapi reads of a response: it closed the connection without reading it.`,
    {
      kind: 'network',
      hint: 'OAuth and FAPI endpoints answer with small JSON documents: check that the URL points at the endpoint you meant. A server that sends this much is misbehaving.',
      details: {
        max_response_bytes: maxBytes,
        ...(declared === undefined ? {} : { content_length: declared }),
      },
    },
  );
}

/** The headers arrived but the body did not: it stalled, or trickled past the deadline. */
function bodyTimeoutError(
  req: Pick<HttpRequest, 'method'>,
  url: URL,
  status: number,
  received: number,
  timeoutMs: number,
  stalled: boolean,
): FapiError {
  const where = `${req.method} ${url.origin}${url.pathname}`;
  const secs = `${Math.round(timeoutMs / 100) / 10} s`;
  return networkError(
    'E_RESPONSE_TIMEOUT',
    stalled
      ? `${where} timed out: the server sent the headers (HTTP ${status}) and ${received} bytes of the body, then nothing for ${secs}.`
      : `${where} timed out: the server sent the headers (HTTP ${status}) but not the whole body within ${secs} (${received} bytes so far).`,
    'The server stalled, or sends its answer too slowly. Try again; if it persists, the server (or a proxy on the way) is misbehaving.',
  );
}

/**
 * Reads a response body, bounded: more than `maxBytes` (announced by Content-Length, or counted
 * as it streams in) or a body not complete `timeoutMs` after the headers fails at once, and
 * `abort` closes the connection so nothing more is read. `stalled` is for the socket's idle
 * timeout firing mid-body.
 */
function readBody(
  incoming: HttpNs.IncomingMessage,
  req: Pick<HttpRequest, 'method'>,
  url: URL,
  o: { maxBytes: number; timeoutMs: number; abort: () => void },
): { body: Promise<Buffer>; stalled: () => void } {
  const status = incoming.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let received = 0;
  let settle!: { resolve: (b: Buffer) => void; reject: (e: unknown) => void };
  const body = new Promise<Buffer>((resolve, reject) => (settle = { resolve, reject }));
  let done = false;
  /** Settles once; true when this call did. */
  const finish = (err?: unknown): boolean => {
    if (done) return false;
    done = true;
    clearTimeout(deadline);
    if (err === undefined) return true;
    chunks.length = 0;
    settle.reject(err);
    // Destroying the request closes the socket, which also leaves the keep-alive pool.
    o.abort();
    return true;
  };
  const timedOut = (stalled: boolean) =>
    finish(bodyTimeoutError(req, url, status, received, o.timeoutMs, stalled));
  const deadline = setTimeout(() => timedOut(false), o.timeoutMs);
  // HEAD, 204 and 304 answers carry no body whatever Content-Length says (RFC 9110 §8.6).
  const declared = Number(incoming.headers['content-length']);
  if (req.method !== 'HEAD' && status !== 204 && status !== 304 && declared > o.maxBytes)
    finish(tooLargeError(req, url, status, o.maxBytes, declared));
  incoming.on('data', (c: Buffer) => {
    if (done) return;
    received += c.length;
    if (received > o.maxBytes) finish(tooLargeError(req, url, status, o.maxBytes));
    else chunks.push(c);
  });
  incoming.on('end', () => {
    if (finish()) settle.resolve(Buffer.concat(chunks));
  });
  incoming.on('error', (e) => {
    if (finish()) settle.reject(e);
  });
  incoming.on('close', () => {
    // Closed before 'end' without an error: the connection dropped mid-body.
    if (finish()) settle.reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  });
  return { body, stalled: () => timedOut(true) };
}

/** Creates the node:https-based client. */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  let agents:
    | {
        http: typeof HttpNs;
        https: typeof HttpsNs;
        tls: typeof TlsNs;
        agent: HttpsNs.Agent;
        certAgent?: HttpsNs.Agent;
      }
    | undefined;
  const load = () => {
    if (agents) return agents;
    // node:https and node:tls cost 15-20 ms to load: only when a request is made.
    const require = createRequire(import.meta.url);
    const https = require('node:https') as typeof HttpsNs;
    const http = require('node:http') as typeof HttpNs;
    const tls = require('node:tls') as typeof TlsNs;
    const pinned = options.labControl;
    if (pinned) {
      const tlsOptions = {
        minVersion: 'TLSv1.2' as const,
        ciphers: [FAPI_CIPHERS, ...pinned.alsoTls12Ciphers].join(':'),
      };
      const checkServerIdentity = (host: string, cert: TlsNs.PeerCertificate) => {
        const err = tls.checkServerIdentity(host, cert);
        return err && pinned.alsoHostnames.some((h) => tls.checkServerIdentity(h, cert) === undefined)
          ? undefined
          : err;
      };
      agents = {
        http,
        https,
        tls,
        agent: new https.Agent({
          keepAlive: true,
          rejectUnauthorized: true,
          ...tlsOptions,
          checkServerIdentity,
          secureContext: tls.createSecureContext({ ...tlsOptions, ca: [pinned.ca] }),
        }),
      };
      return agents;
    }
    const tlsOptions = { minVersion: 'TLSv1.2' as const, ciphers: FAPI_CIPHERS };
    const base = { keepAlive: true, rejectUnauthorized: true, ...tlsOptions };
    agents = {
      http,
      https,
      tls,
      agent: new https.Agent({ ...base, secureContext: secureContext(tls, tlsOptions, options.ca) }),
      certAgent:
        options.cert && options.key
          ? new https.Agent({
              ...base,
              secureContext: secureContext(
                tls,
                { ...tlsOptions, cert: options.cert, key: options.key },
                options.ca,
              ),
            })
          : undefined,
    };
    return agents;
  };

  return async function request(req: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const url = new URL(req.url);
    if (
      url.protocol !== 'https:' &&
      !(options.allowHttpLoopback && url.protocol === 'http:' && isLoopbackHost(url.hostname))
    ) {
      throw networkError(
        'E_HTTP_NOT_TLS',
        `Refusing to call ${req.url}: FAPI 2.0 requires TLS (FAPI2-SP §5.2.1-1).`,
        'Use an https:// URL.',
      );
    }
    options.trace?.({ phase: 'request', request: req });
    const { http, https, agent, certAgent } = load();
    const useCert = req.clientCert ?? Boolean(certAgent);
    const headers: Record<string, string | string[]> = {
      'user-agent': options.userAgent ?? 'fapi',
      ...(req.headers ?? {}),
    };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = req.maxResponseBytes ?? options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    try {
      const res = await new Promise<HttpResponse>((resolve, reject) => {
        const mod = url.protocol === 'https:' ? https : http;
        /** Set once the headers are in: the idle timeout then ends the body phase. */
        let bodyStalled: (() => void) | undefined;
        const r = mod.request(
          url,
          {
            method: req.method,
            headers,
            agent: url.protocol === 'https:' ? (useCert && certAgent ? certAgent : agent) : undefined,
            timeout: timeoutMs,
          },
          (incoming) => {
            const reading = readBody(incoming, req, url, { maxBytes, timeoutMs, abort: () => r.destroy() });
            bodyStalled = reading.stalled;
            reading.body.then((body) => {
              const h: Record<string, string | string[] | undefined> = {};
              for (const [k, v] of Object.entries(incoming.headers)) h[k.toLowerCase()] = v;
              resolve(makeResponse(req.url, incoming.statusCode ?? 0, h, body));
            }, reject);
          },
        );
        r.on('timeout', () => {
          if (bodyStalled) bodyStalled();
          else r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
        });
        r.on('error', reject);
        if (req.body !== undefined) r.write(req.body);
        r.end();
      });
      options.trace?.({ phase: 'response', request: req, response: res, ms: Date.now() - started });
      return res;
    } catch (cause) {
      options.trace?.({ phase: 'error', request: req, error: cause, ms: Date.now() - started });
      if (isFapiError(cause)) throw cause;
      throw await transportError(cause, req, url, () =>
        probeTls12Suite(load().tls, url, options.ca, Math.min(timeoutMs, 5000)),
      );
    }
  };
}
