/**
 * `verifyResourceRequest` in a small node:http resource server behind a test proxy that terminates
 * TLS, moves the API under a path prefix, rewrites the Host, and forwards the client certificate as
 * the RFC 9440 `Client-Cert` header. With `trustProxy` the server computes the externally visible
 * URL (DP-09) and takes the certificate from the header (MT-07); without it, both are refused, and
 * say why. And it is the lab RS's own pipeline: the same broken request is refused by the same check.
 */
import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestToken } from '../../lab/control.js';
import { createDpopProof } from '../../src/core/dpop.js';
import { createHttpClient, type HttpClient } from '../../src/http/client.js';
import { generateSigningKey, privateKeyPem, type GeneratedKey } from '../../src/keys/generate.js';
import {
  createDpopProof as publicDpopProof,
  createResourceVerifier,
  generateKey,
  verifyResourceRequest,
  type Jwk,
  type KeyPair,
  type ResourceVerifierOptions,
  type SigningAlg,
} from '../../src/public/index.js';
import { startLab, type Lab } from '../../src/public/lab.js';
import { expectFapiError } from '../helpers/expect-error.js';
import { decodeJwt } from '../helpers/jwt.js';
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

describe('the trust anchor: issuer, jwks, or both', () => {
  let lab: Lab;
  let labJwks: { keys: Jwk[] };
  let dpop: KeyPair;
  /** A key of the lab's algorithm that is not the lab's. */
  let stranger: KeyPair;
  beforeAll(async () => {
    lab = await startLab({ quiet: true });
    labJwks = (await (await lab.fetch(`${lab.issuer}/jwks`)).json()) as { keys: Jwk[] };
    const labAlg = decodeJwt(lab.issueToken({ scope: 'accounts' }).accessToken).header.alg as SigningAlg;
    [dpop, stranger] = await Promise.all([generateKey(), generateKey(labAlg)]);
  }, 60_000);
  afterAll(() => lab?.close());

  /** GET /accounts of the lab RS with a DPoP proof of `dpop` (no nonce: the verifiers ask for none). */
  const request = (token: string) => {
    const url = `${lab.rs}/accounts`;
    return {
      method: 'GET',
      url,
      headers: {
        authorization: `DPoP ${token}`,
        dpop: publicDpopProof(dpop, { htm: 'GET', htu: url, accessToken: token }),
      },
    };
  };
  const labToken = () => lab.issueToken({ scope: 'accounts', dpopJkt: dpop.thumbprint }).accessToken;
  /** An access token signed by `key` (by jose), with the header and claims given. */
  const sign = (key: KeyPair, header: jose.JWTHeaderParameters, claims: Record<string, unknown>) =>
    new jose.SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
  /** Claims like the lab's, for the lab RS, bound to `dpop`. */
  const claims = (extra: Record<string, unknown> = {}) => ({
    aud: lab.rs,
    exp: Math.floor(Date.now() / 1000) + 300,
    iat: Math.floor(Date.now() / 1000),
    jti: `j-${Math.random()}`,
    sub: 'alice',
    client_id: 'c1',
    scope: 'accounts',
    cnf: { jkt: dpop.thumbprint },
    ...extra,
  });
  const strangerHeader = () => ({ alg: stranger.alg, typ: 'at+jwt', kid: stranger.kid });

  it("jwks alone (the lab's JWKS): a lab token is accepted, nothing is fetched, and its iss is in the claims", async () => {
    const verify = createResourceVerifier({ jwks: labJwks });
    const token = labToken();
    lab.clearRequests();
    const r = await verify(request(token));
    expect(r.ok, r.ok ? '' : `${r.check}: ${r.why}`).toBe(true);
    expect(r).toMatchObject({
      claims: { iss: lab.issuer, aud: lab.rs, sub: 'alice', scope: 'accounts' },
      binding: { type: 'dpop', jkt: dpop.thumbprint },
    });
    // The keys were the trust anchor: no metadata, no JWKS asked of the lab.
    expect(lab.requests()).toEqual([]);
  });

  it('jwks alone: a token signed by another key is refused (RS-03), with the lab kid or its own', async () => {
    const verify = createResourceVerifier({ jwks: labJwks });
    const genuine = decodeJwt(labToken());
    const forgeries = [
      // The lab token's own header (its kid) and claims, signed by another key: the signature fails.
      await sign(stranger, genuine.header as jose.JWTHeaderParameters, genuine.payload),
      // Signed by another key under its own kid: no key of the JWKS has it.
      await sign(stranger, strangerHeader(), genuine.payload),
    ];
    for (const token of forgeries) {
      const r = await verify(request(token));
      expect(r).toMatchObject({ ok: false, status: 401, error: 'invalid_token', check: 'RS-03' });
    }
    // And a JWKS of another key refuses a genuine lab token.
    const other = await createResourceVerifier({ jwks: { keys: [stranger.publicJwk] } })(request(labToken()));
    expect(other).toMatchObject({ ok: false, status: 401, check: 'RS-03' });
  });

  it('jwks alone: a token without iss (or with a non-string one) is refused (RS-04, RFC 9068 §2.2); any iss string of those keys is accepted', async () => {
    const verify = createResourceVerifier({ jwks: { keys: [stranger.publicJwk] } });
    const noIss = await sign(stranger, strangerHeader(), claims());
    expect(decodeJwt(noIss).payload).not.toHaveProperty('iss');
    const r = await verify(request(noIss));
    expect(r).toMatchObject({ ok: false, status: 401, error: 'invalid_token', check: 'RS-04' });
    expect(r.ok ? '' : r.why).toMatch(/has no iss: RFC 9068 §2\.2/);
    const numeric = await verify(request(await sign(stranger, strangerHeader(), claims({ iss: 42 }))));
    expect(numeric).toMatchObject({ ok: false, check: 'RS-04' });

    const anyone = await verify(
      request(await sign(stranger, strangerHeader(), claims({ iss: 'https://anyone.example' }))),
    );
    expect(anyone).toMatchObject({ ok: true, claims: { iss: 'https://anyone.example' } });
  });

  it('issuer given, with or without jwks: iss must be exactly it (RS-04, RFC 9068 §4)', async () => {
    const wrongIssuer = await createResourceVerifier({ issuer: 'https://other.example', jwks: labJwks })(
      request(labToken()),
    );
    expect(wrongIssuer).toMatchObject({ ok: false, status: 401, error: 'invalid_token', check: 'RS-04' });
    expect(wrongIssuer.ok ? '' : wrongIssuer.why).toContain(
      `the access token iss ${JSON.stringify(lab.issuer)} is not the issuer "https://other.example"`,
    );
    // A key the verifier trusts does not make another issuer's token acceptable.
    const strangerIssuer = createResourceVerifier({
      issuer: lab.issuer,
      jwks: { keys: [stranger.publicJwk] },
    });
    const forged = await sign(stranger, strangerHeader(), claims({ iss: 'https://anyone.example' }));
    expect(await strangerIssuer(request(forged))).toMatchObject({ ok: false, check: 'RS-04' });
    const noIss = await strangerIssuer(request(await sign(stranger, strangerHeader(), claims())));
    expect(noIss).toMatchObject({ ok: false, check: 'RS-04' });
    // The lab's issuer and keys: accepted, as is the issuer alone (its JWKS from its metadata).
    expect(
      await createResourceVerifier({ issuer: lab.issuer, jwks: labJwks })(request(labToken())),
    ).toMatchObject({
      ok: true,
      claims: { iss: lab.issuer },
    });
    const fetched = createResourceVerifier({ issuer: lab.issuer, ca: lab.caPem });
    expect(await fetched(request(labToken()))).toMatchObject({ ok: true, claims: { iss: lab.issuer } });
  });

  it('neither issuer nor jwks, an issuer that is not https, a jwks without a usable key: E_RS_OPTIONS', async () => {
    // @ts-expect-error neither issuer nor jwks: the options type needs one of them
    expectFapiError(() => createResourceVerifier({}), {
      code: 'E_RS_OPTIONS',
      message: /needs issuer .*RFC 9068 §4.*, jwks .*, or both/,
    });
    // @ts-expect-error the other options alone are not enough either
    expectFapiError(() => createResourceVerifier({ audience: lab.rs, ca: lab.caPem }), {
      code: 'E_RS_OPTIONS',
    });
    const noOptions = {} as ResourceVerifierOptions;
    await expectFapiError(async () => verifyResourceRequest(request(labToken()), noOptions), {
      code: 'E_RS_OPTIONS',
    });
    for (const issuer of ['http://as.example', 'as.example', '', 'https://'])
      expectFapiError(() => createResourceVerifier({ issuer }), {
        code: 'E_RS_OPTIONS',
        message: 'is not an https issuer identifier',
        label: issuer,
      });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs256 = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'r1', alg: 'RS256' } as Jwk;
    const unusable: [string, { keys: Jwk[] }][] = [
      ['no keys', { keys: [] }],
      ['a private key', { keys: [stranger.privateJwk] }],
      ['RS256, not a FAPI algorithm', { keys: [rs256] }],
      ['an encryption key', { keys: [{ ...stranger.publicJwk, use: 'enc' }] }],
      ['no keys member', {} as { keys: Jwk[] }],
    ];
    for (const [label, jwks] of unusable) {
      expectFapiError(() => createResourceVerifier({ jwks }), {
        code: 'E_RS_OPTIONS',
        message: 'jwks has no key',
        label,
      });
      expectFapiError(() => createResourceVerifier({ issuer: lab.issuer, jwks }), {
        code: 'E_RS_OPTIONS',
        label: `${label}, with an issuer`,
      });
    }
    // A JWKS with one usable key among unusable ones is fine: the others are skipped.
    expect(() => createResourceVerifier({ jwks: { keys: [rs256, stranger.publicJwk] } })).not.toThrow();
  });
});
