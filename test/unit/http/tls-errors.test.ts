/**
 * CL-01 and CL-02 at the HTTP seam: against real TLS servers on 127.0.0.1, a certificate for
 * another host and a server that offers only DHE suites are refused at the handshake, with
 * their own error code and exit code, and the server never receives a byte of the request.
 * The lab's `tls-wrong-host` / `tls12-dhe-only` faults are the same situations end to end
 * (test/e2e/tls-faults.test.ts).
 */
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BCP195_TLS12_CIPHERS, createHttpClient, FAPI_CIPHERS } from '../../../src/http/client.js';
import { generateSigningKey, privateKeyPem } from '../../../src/keys/generate.js';
import { createCertificate, type San } from '../../../src/keys/x509.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const DHE = 'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384';
const LOCAL: San[] = [{ type: 'ip', value: '127.0.0.1' }];

let ca: { pem: string; key: Awaited<ReturnType<typeof generateSigningKey>> };
beforeAll(async () => {
  const key = await generateSigningKey('ES256');
  ca = {
    key,
    pem: (await createCertificate({ key, subject: 'CN=tls-errors test CA', profile: 'ca', days: 1 })).pem,
  };
});

interface Server {
  url: string;
  /** Application bytes the server received (a request line, headers, a body). */
  received(): number;
  /** Server-side handshake errors (tlsClientError). */
  handshakeErrors: string[];
  close(): Promise<void>;
}
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A raw TLS server answering every request with a 200 (it reads whatever arrives). */
async function server(o: { sans: San[]; rsa?: boolean; options?: tls.TlsOptions }): Promise<Server> {
  const key = o.rsa ? await generateSigningKey('PS256', { bits: 2048 }) : await generateSigningKey('ES256');
  const cert = await createCertificate({
    key,
    subject: 'CN=test server',
    sans: o.sans,
    profile: 'server',
    days: 1,
    issuer: { certPem: ca.pem, privateKey: ca.key.privateKey },
  });
  let bytes = 0;
  const handshakeErrors: string[] = [];
  const srv = tls.createServer(
    { key: privateKeyPem(key.privateKey), cert: cert.pem, ...o.options },
    (socket) => {
      socket.on('data', (d: Buffer) => {
        bytes += d.length;
        if (d.includes('\r\n\r\n'))
          socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
      });
      socket.on('error', () => undefined);
    },
  );
  srv.on('tlsClientError', (e: Error & { reason?: string }) => handshakeErrors.push(e.reason ?? e.message));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const s: Server = {
    url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    received: () => bytes,
    handshakeErrors,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
  servers.push(s);
  return s;
}

const post = (url: string) =>
  createHttpClient({ ca: [ca.pem], timeoutMs: 5000 })({
    method: 'POST',
    url: `${url}/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=c1',
  });

describe('CL-01: the server certificate must name the host (FAPI2-SP §5.2.1-5, RFC 9525)', () => {
  it('CL-01: a certificate for 127.0.0.1 from the trusted CA: the request goes through', async () => {
    const s = await server({ sans: LOCAL });
    const res = await post(s.url);
    expect(res.status).toBe(200);
    expect(s.received()).toBeGreaterThan(0);
  });

  it('CL-01: a trusted certificate for another host: exit 4 (E_TLS_HOSTNAME), nothing sent', async () => {
    const s = await server({ sans: [{ type: 'dns', value: 'wrong-host.example' }] });
    const e = await expectFapiError(post(s.url));
    expect(e.code).toBe('E_TLS_HOSTNAME');
    expect(e.kind).toBe('network');
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('is not valid for the host 127.0.0.1');
    expect(e.message).toContain('DNS:wrong-host.example');
    expect(e.message).toContain('stopped before sending POST');
    expect(e.hint).toMatch(/host name the certificate names/);
    // The host name is checked before the request is written: not a byte of it reached the server.
    await new Promise((r) => setTimeout(r, 100));
    expect(s.received()).toBe(0);
  });
});

describe('CL-02: TLS 1.2 only with the BCP195 suites (FAPI2-SP §5.2.2-2, RFC 9325 §4.1/§4.2)', () => {
  const dheOnly = { maxVersion: 'TLSv1.2' as const, ciphers: DHE, dhparam: 'auto' as const };

  it('CL-02: fapi offers TLS 1.3 and the four ECDHE AES-GCM suites, never DHE', () => {
    expect(BCP195_TLS12_CIPHERS).toEqual([
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
      'ECDHE-RSA-AES256-GCM-SHA384',
    ]);
    expect(FAPI_CIPHERS.split(':').filter((c) => c.startsWith('DHE'))).toEqual([]);
  });

  it('CL-02: a TLS 1.2 server that also offers ECDHE-RSA-AES128-GCM: fapi connects with it', async () => {
    const s = await server({
      sans: LOCAL,
      rsa: true,
      options: { ...dheOnly, ciphers: `${DHE}:ECDHE-RSA-AES128-GCM-SHA256` },
    });
    expect((await post(s.url)).status).toBe(200);
  });

  it('CL-02: a TLS 1.2 server offering only DHE: the handshake fails, exit 6 (E_TLS_CIPHER), nothing sent', async () => {
    const s = await server({ sans: LOCAL, rsa: true, options: dheOnly });
    // The server really serves DHE: a client offering it connects (so the failure below is the suites).
    const suite = await new Promise<string>((resolve, reject) => {
      const c = tls.connect(
        {
          host: '127.0.0.1',
          port: Number(new URL(s.url).port),
          ca: [ca.pem],
          ciphers: DHE,
          maxVersion: 'TLSv1.2',
        },
        () => {
          resolve(`${c.getProtocol()} ${c.getCipher().name}`);
          c.destroy();
        },
      );
      c.on('error', reject);
    });
    expect(suite).toBe('TLSv1.2 DHE-RSA-AES128-GCM-SHA256');
    const e = await expectFapiError(post(s.url));
    expect(e.code).toBe('E_TLS_CIPHER');
    expect(e.kind).toBe('nonConformant');
    expect(e.exitCode).toBe(6);
    expect(e.message).toContain('no cipher suite in common');
    expect(e.message).toContain('offers only cipher suites FAPI 2.0 forbids');
    expect(e.message).toContain('TLS_DHE_RSA_WITH_AES_128_GCM_SHA256');
    expect(e.message).toContain('FAPI2-SP §5.2.2');
    expect(e.details).toMatchObject({ server_suite: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256' });
    expect(s.handshakeErrors).toContain('no shared cipher');
    expect(s.received()).toBe(0);
  });

  it('CL-02: when the diagnosis cannot tell (the certificate names another host too): exit 4 (E_TLS_HANDSHAKE)', async () => {
    const s = await server({
      sans: [{ type: 'dns', value: 'wrong-host.example' }],
      rsa: true,
      options: dheOnly,
    });
    const e = await expectFapiError(post(s.url));
    expect(e.code).toBe('E_TLS_HANDSHAKE');
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('accepted none of the TLS versions, cipher suites or key-exchange groups');
    expect(e.message).not.toMatch(/SSL routines|deps\/openssl/);
    expect(s.received()).toBe(0);
  });
});
