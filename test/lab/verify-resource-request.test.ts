/**
 * `verifyResourceRequest` in a small node:http resource server behind a test proxy that terminates
 * TLS, moves the API under a path prefix, rewrites the Host, and forwards the client certificate as
 * the RFC 9440 `Client-Cert` header. With `trustProxy` the server computes the externally visible
 * URL (DP-09) and takes the certificate from the header (MT-07); without it, both are refused, and
 * say why. And it is the lab RS's own pipeline: the same broken request is refused by the same check.
 */
import { X509Certificate, createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestToken } from '../../lab/control.js';
import { createDpopProof } from '../../src/core/dpop.js';
import { createHttpClient, type HttpClient } from '../../src/http/client.js';
import { generateSigningKey, privateKeyPem, type GeneratedKey } from '../../src/keys/generate.js';
import {
  createResourceVerifier,
  verifyResourceRequest,
  type ResourceVerifierOptions,
} from '../../src/public/index.js';
import { startTestLab, type TestLab } from './helpers.js';

let t: TestLab;
const servers: { close(cb: () => void): unknown }[] = [];
let trusting: number;
let distrusting: number;
let proxyTo: (appPort: number) => number;
let proxies: Map<number, number>;
let client: HttpClient;
let mtlsClient: HttpClient;
let dpopKey: GeneratedKey;
let certKey: GeneratedKey;
let certDer: Buffer;

const listen = (s: http.Server | https.Server) =>
  new Promise<number>((resolve) => {
    servers.push(s);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
  });

/** A resource server in node:http: GET /accounts, with the given verifier options. */
async function app(options: Omit<ResourceVerifierOptions, 'issuer' | 'ca'>): Promise<number> {
  const verify = createResourceVerifier({ issuer: t.lab.issuer, ca: t.ca, nonce: true, ...options });
  return listen(
    http.createServer((req, res) => {
      void verify({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }).then((r) => {
        if (!r.ok) {
          res.writeHead(r.status, { ...r.headers, 'content-type': 'application/json', 'x-check': r.check });
          res.end(JSON.stringify({ ...r.body, why: r.why }));
          return;
        }
        res.writeHead(200, { ...r.headers, 'content-type': 'application/json' });
        res.end(JSON.stringify({ sub: r.claims.sub, binding: r.binding, path: req.url }));
      });
    }),
  );
}

beforeAll(async () => {
  t = await startTestLab();
  [dpopKey, certKey] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')]);
  const cert = await t.lab.ctx.ca.issueClientCertificate({ key: certKey, subject: 'CN=rs-client' });
  certDer = new X509Certificate(cert.pem).raw;
  const serverKey = await generateSigningKey('ES256');
  const serverCert = await t.lab.ctx.ca.issueServerCertificate({
    key: serverKey,
    subject: 'CN=proxy',
    sans: [{ type: 'ip', value: '127.0.0.1' }],
  });
  client = createHttpClient({ ca: [t.ca] });
  mtlsClient = createHttpClient({ ca: [t.ca], cert: cert.pem, key: privateKeyPem(certKey.privateKey) });

  // The proxy: TLS on the outside, the API under /api, plain http to the app with a new Host, and
  // the client certificate in Client-Cert (RFC 9440 §2), any Client-Cert of the client's dropped.
  proxies = new Map();
  const proxy = (appPort: number) =>
    listen(
      https.createServer(
        {
          key: privateKeyPem(serverKey.privateKey),
          cert: serverCert.pem,
          requestCert: true,
          rejectUnauthorized: false,
          ca: [t.ca],
        },
        (req, res) => {
          const external = req.headers.host as string;
          const headers: http.OutgoingHttpHeaders = { ...req.headers, host: `app.internal:${appPort}` };
          delete headers['client-cert'];
          headers['x-forwarded-proto'] = 'https';
          headers['x-forwarded-host'] = external;
          headers['x-forwarded-prefix'] = '/api';
          const peer = (req.socket as TLSSocket).getPeerCertificate();
          if (peer?.raw) headers['client-cert'] = `:${peer.raw.toString('base64')}:`;
          const up = http.request(
            {
              host: '127.0.0.1',
              port: appPort,
              method: req.method,
              path: (req.url ?? '/').replace(/^\/api/, ''),
              headers,
            },
            (r) => {
              res.writeHead(r.statusCode ?? 502, r.headers);
              r.pipe(res);
            },
          );
          req.pipe(up);
        },
      ),
    );
  trusting = await app({ trustProxy: { forwardedHeaders: true, clientCertHeader: true } });
  distrusting = await app({});
  proxies.set(trusting, await proxy(trusting));
  proxies.set(distrusting, await proxy(distrusting));
  proxyTo = (p) => proxies.get(p) as number;
}, 60_000);

afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await t?.close();
});

const origin = (appPort: number) => `https://127.0.0.1:${proxyTo(appPort)}`;
const dpopToken = (audience: string) =>
  issueTestToken(t.lab.ctx, { scope: 'accounts', dpopJkt: dpopKey.thumbprint, audience }).accessToken;
/** RFC 8705 §3.1 x5t#S256: base64url(SHA-256(DER)). */
const sha256 = (der: Buffer) => createHash('sha256').update(der).digest('base64url');
const mtlsToken = (audience: string) =>
  issueTestToken(t.lab.ctx, { scope: 'accounts', x5tS256: sha256(certDer), audience }).accessToken;

/** A DPoP call through the proxy, answering the app's nonce once. */
async function dpopCall(appPort: number, token: string, o: { url?: string; htu?: string } = {}) {
  const url = o.url ?? `${origin(appPort)}/api/accounts`;
  let nonce: string | undefined;
  for (let i = 0; ; i++) {
    const res = await client({
      method: 'GET',
      url,
      headers: {
        authorization: `DPoP ${token}`,
        dpop: createDpopProof(dpopKey, { htm: 'GET', htu: o.htu ?? url, accessToken: token, nonce }),
      },
    });
    if (i > 0 || res.status !== 401 || !/use_dpop_nonce/.test(res.header('www-authenticate') ?? ''))
      return res;
    nonce = res.header('dpop-nonce');
  }
}

describe('verifyResourceRequest behind a proxy', () => {
  it('trustProxy on: the externally visible URL (scheme, host, prefix) is the htu: 200, DPoP-bound', async () => {
    const res = await dpopCall(trusting, dpopToken(origin(trusting)));
    expect(res.status, res.text()).toBe(200);
    expect(res.json()).toMatchObject({
      sub: 'alice',
      binding: { type: 'dpop', jkt: dpopKey.thumbprint },
      path: '/accounts',
    });
    expect(res.header('dpop-nonce')).toBeTruthy();
  });

  it('trustProxy off: DP-09, and why says a proxy rewrote the URL', async () => {
    // This server names itself by the Host it sees (the proxy's app.internal), as its default aud.
    const res = await dpopCall(distrusting, dpopToken(`http://app.internal:${distrusting}`));
    expect(res.status).toBe(401);
    expect(res.header('x-check')).toBe('DP-09');
    expect(res.header('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
    const why = (res.json() as { why: string }).why;
    expect(why).toContain(
      `htu is ${origin(distrusting)}/api/accounts, the request URL is http://app.internal:${distrusting}/accounts`,
    );
    expect(why).toMatch(/the scheme, the host, the port, the path differ; a proxy or load balancer/);
    expect(why).toMatch(/trustProxy.forwardedHeaders is off/);
  });

  it('trustProxy on: the Client-Cert of the proxy binds a certificate-bound token (MT-07)', async () => {
    const token = mtlsToken(origin(trusting));
    const res = await mtlsClient({
      method: 'GET',
      url: `${origin(trusting)}/api/accounts`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status, res.text()).toBe(200);
    expect(res.json()).toMatchObject({ binding: { type: 'mtls', x5tS256: sha256(certDer) } });
    // Without the certificate, the proxy sends no Client-Cert: refused.
    const none = await client({
      method: 'GET',
      url: `${origin(trusting)}/api/accounts`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(none.status).toBe(401);
    expect(none.header('x-check')).toBe('MT-07');
  });

  it('trustProxy off: the Client-Cert header is not taken (MT-07), and why says so', async () => {
    const token = mtlsToken(`http://app.internal:${distrusting}`);
    const res = await mtlsClient({
      method: 'GET',
      url: `${origin(distrusting)}/api/accounts`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
    expect(res.header('x-check')).toBe('MT-07');
    expect((res.json() as { why: string }).why).toMatch(
      /Client-Cert header \(RFC 9440\) was sent, but the proxy is not trusted/,
    );
  });

  it('a forged Client-Cert or X-Forwarded-Host sent straight to a server that does not trust them changes nothing', async () => {
    const token = mtlsToken(`http://127.0.0.1:${distrusting}`);
    const direct = await createHttpClient({ allowHttpLoopback: true })({
      method: 'GET',
      url: `http://127.0.0.1:${distrusting}/accounts`,
      headers: {
        authorization: `Bearer ${token}`,
        'client-cert': `:${certDer.toString('base64')}:`,
        'x-forwarded-host': 'evil.example',
      },
    });
    expect(direct.status).toBe(401);
    expect(direct.header('x-check')).toBe('MT-07');
  });
});

describe('the lab RS and verifyResourceRequest run the same checks', () => {
  it('the same broken requests are refused by the same check, with the same challenge', async () => {
    const token = issueTestToken(t.lab.ctx, { scope: 'openid', dpopJkt: dpopKey.thumbprint }).accessToken;
    const url = `${t.lab.rs}/accounts`;
    const proof = (o: Parameters<typeof createDpopProof>[1]) => createDpopProof(dpopKey, o);
    const cases: [string, Record<string, string>][] = [
      ['no credentials', {}],
      ['token as Bearer', { authorization: `Bearer ${token}` }],
      ['no proof', { authorization: `DPoP ${token}` }],
      [
        'wrong ath',
        {
          authorization: `DPoP ${token}`,
          dpop: proof({ htm: 'GET', htu: url, accessToken: 'other', nonce: t.lab.ctx.nonces.rs.current() }),
        },
      ],
      [
        'wrong htm',
        {
          authorization: `DPoP ${token}`,
          dpop: proof({ htm: 'POST', htu: url, accessToken: token, nonce: t.lab.ctx.nonces.rs.current() }),
        },
      ],
      [
        'insufficient scope',
        {
          authorization: `DPoP ${token}`,
          dpop: proof({ htm: 'GET', htu: url, accessToken: token, nonce: t.lab.ctx.nonces.rs.current() }),
        },
      ],
    ];
    // The lab's own keys, issuer and audience; the lab RS's nonce source, so both see one nonce.
    const options: ResourceVerifierOptions = {
      issuer: t.lab.issuer,
      jwks: t.lab.ctx.keys.jwks(),
      audience: t.lab.rs,
      scope: 'accounts',
      nonce: t.lab.ctx.nonces.rs,
    };
    for (const [what, headers] of cases) {
      const lab = await client({ method: 'GET', url, headers });
      const mine = await verifyResourceRequest({ method: 'GET', url, headers }, options);
      expect(mine.ok, what).toBe(false);
      if (mine.ok) continue;
      expect(mine.status, what).toBe(lab.status);
      // node:http joins repeated challenges with ", ".
      expect([mine.wwwAuthenticate].flat().join(', '), what).toBe(lab.headers['www-authenticate']);
      expect(t.lab.ctx.requests.recent(1)[0]?.check, what).toBe(mine.check);
    }
  });
});
