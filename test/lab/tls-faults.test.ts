/**
 * The TLS fault switches (README "Lab fault switches"; CL-01, CL-02) on the lab's three listeners:
 * `tls-wrong-host` serves a lab-CA certificate for another host, `tls12-dhe-only` speaks only
 * TLS 1.2 with DHE suites. Both are loud, leave the lab's own certificate untouched on disk, and
 * fapi's HTTP client refuses them before any request reaches the lab.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../lab/config.js';
import { DHE_ONLY_CIPHERS, WRONG_TLS_HOST, tlsFaultSettings } from '../../lab/faults.js';
import { labPaths } from '../../lab/home.js';
import { startLab, type RunningLab } from '../../lab/server.js';
import { FAPI_CIPHERS, createHttpClient } from '../../src/http/client.js';
import { generateSigningKey, privateKeyPem } from '../../src/keys/generate.js';
import { expectFapiError } from '../helpers/expect-error.js';

const homes: string[] = [];
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** A lab in `home` (a new one by default) with the faults, and the lines it logged. */
async function lab(faults: Fault[], home = mkdtempSync(path.join(os.tmpdir(), 'fapi-lab-tls-'))) {
  homes.push(home);
  const lines: string[] = [];
  const log = (s: string) => lines.push(s);
  const running = await startLab({
    home,
    config: { port: 0, faults },
    logger: { info: log, warn: log, error: log },
  });
  return { running, home, lines, ca: readFileSync(running.caFile, 'utf8') };
}

/** Resolves once `ok()` holds (polled), or fails after two seconds. */
async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(ok()).toBe(true);
}

const listeners = (l: RunningLab) => [l.issuer, l.mtls, l.rs].map((u) => Number(new URL(u).port));

/** A raw TLS handshake with the lab CA trusted: the negotiated protocol and suite, and the certificate. */
function handshake(
  port: number,
  ca: string,
  o: tls.ConnectionOptions = {},
): Promise<{ protocol: string; suite: string; cert: tls.PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: [ca], ...o }, () => {
      resolve({
        protocol: s.getProtocol() ?? '',
        suite: s.getCipher().name,
        cert: s.getPeerCertificate(),
      });
      s.destroy();
    });
    s.on('error', reject);
  });
}

describe('tlsFaultSettings', () => {
  it('changes nothing when no TLS fault is on', async () => {
    const l = await lab([]);
    try {
      expect(await tlsFaultSettings(() => false, l.running.ctx.ca)).toBeUndefined();
    } finally {
      await l.running.close();
    }
  });
});

describe('tls-wrong-host (CL-01)', () => {
  it('serves, on all three listeners, a lab-CA certificate naming only the wrong host; fapi sends nothing', async () => {
    const l = await lab(['tls-wrong-host']);
    const onDisk = readFileSync(labPaths(l.home).serverCert, 'utf8');
    try {
      expect(l.running.warnings.join('\n')).toContain('fault tls-wrong-host');
      for (const port of listeners(l.running)) {
        // The chain verifies against the lab CA; only the host name is wrong.
        const { cert } = await handshake(port, l.ca, { checkServerIdentity: () => undefined });
        expect(cert.subjectaltname).toBe(`DNS:${WRONG_TLS_HOST}`);
        expect(new X509Certificate(cert.raw).checkIssued(new X509Certificate(l.ca))).toBe(true);
        await expect(handshake(port, l.ca)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      }
      const http = createHttpClient({ ca: [l.ca], timeoutMs: 5000 });
      await expectFapiError(
        http({ method: 'GET', url: `${l.running.issuer}/.well-known/openid-configuration` }),
        {
          code: 'E_TLS_HOSTNAME',
        },
      );
      expect(l.running.ctx.requests.recent()).toEqual([]);
      expect(l.lines.join('\n')).toMatch(/TLS handshake on the as listener failed/);
      // Counted too (fapi conform client judges CL-01 by it), with the listener; the server hears
      // of a refusal a moment after the client gave up.
      const failures = l.running.ctx.handshakeFailures;
      await waitFor(() => failures.count >= 4);
      expect(failures.since(0).map((f) => f.listener)).toContain('as');
      expect(failures.since(failures.count - 1)).toEqual([
        { at: expect.any(Number), listener: expect.any(String), reason: expect.any(String) },
      ]);
    } finally {
      await l.running.close();
    }
    // The lab's own certificate is untouched, and a lab without the fault serves it again.
    expect(readFileSync(labPaths(l.home).serverCert, 'utf8')).toBe(onDisk);
    const again = await lab([], l.home);
    try {
      const { cert } = await handshake(listeners(again.running)[0]!, again.ca);
      expect(cert.subjectaltname).toContain('IP Address:127.0.0.1');
      expect(new X509Certificate(cert.raw).toString()).toBe(new X509Certificate(onDisk).toString());
      const res = await createHttpClient({ ca: [again.ca] })({
        method: 'GET',
        url: `${again.running.issuer}/.well-known/openid-configuration`,
      });
      expect(res.status).toBe(200);
    } finally {
      await again.running.close();
    }
  });
});

describe('tls12-dhe-only (CL-02)', () => {
  it('speaks only TLS 1.2 with DHE-RSA suites on all three listeners, loudly; fapi cannot connect', async () => {
    const l = await lab(['tls12-dhe-only']);
    try {
      expect(l.running.warnings.join('\n')).toContain('fault tls12-dhe-only');
      for (const port of listeners(l.running)) {
        // A client that offers DHE gets it (RFC 9325 §4.1 says it should not be negotiated)...
        const dhe = await handshake(port, l.ca, { ciphers: DHE_ONLY_CIPHERS.join(':') });
        expect(`${dhe.protocol} ${dhe.suite}`).toBe('TLSv1.2 DHE-RSA-AES128-GCM-SHA256');
        expect(dhe.cert.subjectaltname).toContain('IP Address:127.0.0.1');
        // ...TLS 1.3 and the FAPI suites are refused.
        await expect(handshake(port, l.ca, { minVersion: 'TLSv1.3' })).rejects.toThrow();
        await expect(handshake(port, l.ca, { ciphers: FAPI_CIPHERS })).rejects.toThrow(/handshake failure/);
      }
      // Answers still carry the warning header (seen through a client that accepts DHE).
      const warning = await new Promise<string | undefined>((resolve, reject) => {
        https
          .get(
            `${l.running.issuer}/.well-known/openid-configuration`,
            { ca: [l.ca], ciphers: DHE_ONLY_CIPHERS.join(':'), maxVersion: 'TLSv1.2' },
            (res) => {
              res.resume();
              resolve(res.headers['x-fapi-lab-warning'] as string | undefined);
            },
          )
          .on('error', reject);
      });
      expect(warning).toContain('fault=tls12-dhe-only');
      const before = l.running.ctx.requests.recent().length;
      const failedBefore = l.running.ctx.handshakeFailures.count;
      await expectFapiError(
        createHttpClient({ ca: [l.ca], timeoutMs: 5000 })({
          method: 'POST',
          url: `${l.running.issuer}/token`,
          body: 'grant_type=client_credentials',
        }),
        { code: 'E_TLS_CIPHER' },
      );
      expect(l.running.ctx.requests.recent()).toHaveLength(before);
      // fapi's refused handshake is counted (fapi conform client judges CL-02 by it).
      await waitFor(() => l.running.ctx.handshakeFailures.count > failedBefore);
      expect(l.lines.join('\n')).toMatch(/TLS handshake on the as listener failed: no shared cipher/);
    } finally {
      await l.running.close();
    }
  });
});

describe('TLS faults switched while the lab runs (setFaults)', () => {
  it('tls-wrong-host and tls12-dhe-only reach new handshakes on all three listeners, and switch back', async () => {
    const l = await lab([]);
    const ca = l.ca;
    const ports = listeners(l.running);
    const any = { checkServerIdentity: () => undefined };
    try {
      for (const port of ports) expect((await handshake(port, ca)).protocol).toBe('TLSv1.3');

      await l.running.ctx.switches.setFaults(['tls-wrong-host']);
      for (const port of ports) {
        expect((await handshake(port, ca, any)).cert.subjectaltname).toBe(`DNS:${WRONG_TLS_HOST}`);
        await expect(handshake(port, ca)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      }
      await expectFapiError(
        createHttpClient({ ca: [ca], timeoutMs: 5000 })({ method: 'GET', url: `${l.running.issuer}/jwks` }),
        { code: 'E_TLS_HOSTNAME' },
      );

      await l.running.ctx.switches.setFaults(['tls12-dhe-only']);
      for (const port of ports) {
        const dhe = await handshake(port, ca, { ciphers: DHE_ONLY_CIPHERS.join(':') });
        expect(`${dhe.protocol} ${dhe.suite}`).toBe('TLSv1.2 DHE-RSA-AES128-GCM-SHA256');
        await expect(handshake(port, ca, { minVersion: 'TLSv1.3' })).rejects.toThrow();
      }

      await l.running.ctx.switches.setFaults([]);
      for (const port of ports) {
        const back = await handshake(port, ca);
        expect(back.protocol).toBe('TLSv1.3');
        expect(back.cert.subjectaltname).toContain('IP Address:127.0.0.1');
      }
      const ok = await createHttpClient({ ca: [ca] })({ method: 'GET', url: `${l.running.issuer}/jwks` });
      expect(ok.status).toBe(200);
      expect(ok.header('x-fapi-lab-warning')).toBeUndefined();
      // The RS (like the mTLS aliases) still asks for client certificates after the switches.
      const key = await generateSigningKey('ES256');
      const cert = await l.running.ctx.ca.issueClientCertificate({ key, subject: 'CN=switch-test' });
      const withCert = createHttpClient({ ca: [ca], cert: cert.pem, key: privateKeyPem(key.privateKey) });
      expect((await withCert({ method: 'GET', url: `${l.running.rs}/` })).status).toBe(200);
      expect(l.running.ctx.requests.recent(1)[0]?.clientCertificate).toBe(true);
    } finally {
      await l.running.close();
    }
  });
});
