/**
 * CL-24 / MT-05: X.509 client, server and CA certificates for EC P-256, RSA and Ed25519 keys,
 * self-signed or CA-issued, checked with node's X509Certificate (OpenSSL) and a real mutual-TLS
 * handshake; x5t#S256 is base64url SHA-256 of the DER (RFC 8705 §3.1).
 */
import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  generateSigningKey,
  privateKeyPem,
  type GeneratedKey,
  type KeyAlg,
} from '../../../src/keys/generate.js';
import {
  X509Error,
  certIssuedBy,
  certMatchesKey,
  createCertificate,
  parseCertificate,
  parseDn,
  parseSanSpec,
  x5tS256,
  type CertInfo,
} from '../../../src/keys/x509.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const ALGS: KeyAlg[] = ['ES256', 'PS256', 'EdDSA'];
const keys = new Map<KeyAlg, GeneratedKey>();
async function key(alg: KeyAlg): Promise<GeneratedKey> {
  let k = keys.get(alg);
  if (!k) {
    k = await generateSigningKey(alg, alg === 'PS256' ? { bits: 2048 } : {});
    keys.set(alg, k);
  }
  return k;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

describe('CL-24 client certificates', () => {
  for (const alg of ALGS) {
    it(`${alg}: self-signed v3 client certificate with clientAuth, SANs, random serial and x5t#S256`, async () => {
      const k = await key(alg);
      const before = Date.now();
      const cert = await createCertificate({
        key: k,
        subject: 'CN=my-client,O=Example Ltd,C=GB',
        sans: [
          { type: 'dns', value: 'client.example.com' },
          { type: 'uri', value: 'https://client.example.com/id' },
          { type: 'email', value: 'ops@example.com' },
        ],
        days: 30,
        profile: 'client',
      });
      const x = new X509Certificate(cert.pem);
      expect(x.keyUsage).toEqual([CLIENT_AUTH]);
      expect(x.ca).toBe(false);
      expect(x.checkPrivateKey(k.privateKey)).toBe(true);
      expect(x.verify(x.publicKey)).toBe(true);
      expect(x.subject.split('\n')).toEqual(['C=GB', 'O=Example Ltd', 'CN=my-client']);
      expect(x.subjectAltName).toBe(
        'DNS:client.example.com, URI:https://client.example.com/id, email:ops@example.com',
      );
      expect(cert.subject).toBe('CN=my-client,O=Example Ltd,C=GB');
      expect(cert.issuer).toBe(cert.subject);
      expect(cert.selfSigned).toBe(true);
      expect(cert.ca).toBe(false);
      expect(cert.serial).toBe(x.serialNumber.replace(/^0+/, ''));
      expect(cert.serial).toMatch(/^[4-7][0-9A-F]{31}$/);
      expect(cert.der.equals(x.raw)).toBe(true);
      expect(cert.x5tS256).toBe(createHash('sha256').update(x.raw).digest('base64url'));
      expect(cert.x5tS256).toBe(Buffer.from(x.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url'));
      expect(x5tS256(cert.der)).toBe(cert.x5tS256);
      expect(cert.notBefore.getTime()).toBeLessThanOrEqual(before);
      expect(cert.notBefore.getTime()).toBeGreaterThan(before - 120_000);
      expect(cert.notAfter.getTime() - before).toBeGreaterThan(30 * 86_400_000 - 2000);
      expect(cert.notAfter.getTime() - before).toBeLessThanOrEqual(30 * 86_400_000);
      expect(new Date(x.validTo).getTime()).toBe(cert.notAfter.getTime());
      expect(certMatchesKey(cert.pem, k)).toBe(true);
      expect(certMatchesKey(cert.pem, k.privateKey)).toBe(true);
      expect(certMatchesKey(cert.pem, (await key(alg === 'ES256' ? 'EdDSA' : 'ES256')).publicKey)).toBe(
        false,
      );
    });
  }

  it('parses back what it made, and serials differ', async () => {
    const k = await key('ES256');
    const a = await createCertificate({ key: k, subject: 'CN=a', profile: 'client' });
    const b = await createCertificate({ key: k, subject: 'CN=a', profile: 'client' });
    expect(a.serial).not.toBe(b.serial);
    const parsed = parseCertificate(a.pem);
    expect({ ...parsed, der: undefined }).toEqual({ ...a, der: undefined });
    const fixed = await createCertificate({ key: k, subject: 'CN=a', profile: 'client', serial: '01:02' });
    expect(fixed.serial).toBe('0102');
  });
});

describe('CL-24 CA-issued certificates (tls_client_auth)', () => {
  for (const caAlg of ALGS) {
    it(`a ${caAlg} CA issues client certificates for ES256, PS256 and EdDSA keys`, async () => {
      const caKey = await key(caAlg);
      const ca = await createCertificate({
        key: caKey,
        subject: 'CN=Test CA,O=fapi',
        profile: 'ca',
        days: 10,
      });
      const cx = new X509Certificate(ca.pem);
      expect(cx.ca).toBe(true);
      expect(ca.ca).toBe(true);
      for (const alg of ALGS) {
        const leaf = await createCertificate({
          key: await key(alg),
          subject: `CN=client-${alg}`,
          profile: 'client',
          issuer: { certPem: ca.pem, privateKey: caKey.privateKey },
        });
        expect(leaf.issuer).toBe('CN=Test CA,O=fapi');
        expect(leaf.selfSigned).toBe(false);
        expect(certIssuedBy(leaf.pem, ca.pem)).toBe(true);
        const lx = new X509Certificate(leaf.pem);
        expect(lx.verify(cx.publicKey)).toBe(true);
        expect(lx.keyUsage).toEqual([CLIENT_AUTH]);
      }
    });
  }

  it('refuses a CA key that does not match, a certificate that is not a CA, and an expired CA', async () => {
    const caKey = await key('ES256');
    const ca = await createCertificate({ key: caKey, subject: 'CN=CA', profile: 'ca' });
    const other = await key('EdDSA');
    await expect(
      createCertificate({
        key: other,
        subject: 'CN=x',
        profile: 'client',
        issuer: { certPem: ca.pem, privateKey: other.privateKey },
      }),
    ).rejects.toThrow(/does not match the CA certificate/);
    const notCa = await createCertificate({ key: other, subject: 'CN=leaf', profile: 'client' });
    await expect(
      createCertificate({
        key: caKey,
        subject: 'CN=x',
        profile: 'client',
        issuer: { certPem: notCa.pem, privateKey: other.privateKey },
      }),
    ).rejects.toThrow(/is not a CA/);
    const old = await createCertificate({
      key: caKey,
      subject: 'CN=Old CA',
      profile: 'ca',
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      days: 1,
    });
    await expect(
      createCertificate({
        key: other,
        subject: 'CN=x',
        profile: 'client',
        issuer: { certPem: old.pem, privateKey: caKey.privateKey },
      }),
    ).rejects.toBeInstanceOf(X509Error);
    await expect(
      createCertificate({
        key: other,
        subject: 'CN=x',
        profile: 'client',
        issuer: { certPem: 'nope', privateKey: caKey.privateKey },
      }),
    ).rejects.toThrow(/not a PEM certificate/);
  });
});

describe('server certificates and mutual TLS', () => {
  for (const alg of ALGS) {
    it(`${alg}: a CA-issued server certificate and client certificate complete a mutual-TLS handshake`, async () => {
      const caKey = await generateSigningKey('ES256');
      const ca = await createCertificate({ key: caKey, subject: 'CN=Lab CA', profile: 'ca' });
      const issuer = { certPem: ca.pem, privateKey: caKey.privateKey };
      const serverKey = await key(alg);
      const server = await createCertificate({
        key: serverKey,
        subject: 'CN=localhost',
        sans: [
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
        ],
        profile: 'server',
        issuer,
      });
      const sx = new X509Certificate(server.pem);
      expect(sx.keyUsage).toEqual([SERVER_AUTH]);
      expect(sx.checkHost('localhost')).toBe('localhost');
      expect(sx.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(sx.checkIP('::1')).toBe('::1');
      expect(server.sans).toEqual([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]);
      const clientKey = await generateSigningKey(alg, alg === 'PS256' ? { bits: 2048 } : {});
      const client = await createCertificate({
        key: clientKey,
        subject: 'CN=client',
        profile: 'client',
        issuer,
      });

      const srv = tls.createServer({
        key: privateKeyPem(serverKey.privateKey),
        cert: server.pem,
        ca: [ca.pem],
        requestCert: true,
        rejectUnauthorized: true,
      });
      const seen = new Promise<string>((resolve) =>
        srv.on('secureConnection', (s) => {
          resolve(createHash('sha256').update(s.getPeerCertificate().raw).digest('base64url'));
          s.end();
        }),
      );
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as { port: number }).port;
      try {
        const authorized = await new Promise<boolean>((resolve, reject) => {
          const c = tls.connect({
            host: '127.0.0.1',
            port,
            servername: 'localhost',
            ca: [ca.pem],
            cert: client.pem,
            key: privateKeyPem(clientKey.privateKey),
          });
          c.on('secureConnect', () => {
            resolve(c.authorized);
            c.end();
          });
          c.on('error', reject);
        });
        expect(authorized).toBe(true);
        // MT-05: what the server sees hashes to the certificate's x5t#S256.
        expect(await seen).toBe(client.x5tS256);
      } finally {
        srv.close();
      }
    });
  }

  it('RSA server certificates also allow keyEncipherment', async () => {
    const k = await key('PS256');
    const cert = await createCertificate({ key: k, subject: 'CN=s', profile: 'server' });
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: cert.pem }).toString();
    expect(text).toMatch(/Digital Signature, Key Encipherment/);
    expect(text).toContain('sha256WithRSAEncryption');
  });
});

describe('distinguished names (RFC 4514)', () => {
  it('round-trips escapes, multi-valued RDNs and OpenSSL-style input', async () => {
    const k = await key('ES256');
    const make = async (subject: string): Promise<CertInfo> =>
      createCertificate({ key: k, subject, profile: 'client' });
    expect((await make('CN=Doe\\, John,O=Ex\\+Co,C=gb')).subject).toBe('CN=Doe\\, John,O=Ex\\+Co,C=GB');
    expect((await make('/C=GB/O=Example/CN=client one')).subject).toBe('CN=client one,O=Example,C=GB');
    expect((await make('CN=ünïcødé, OU=a+OU=b')).subject).toBe('CN=ünïcødé,OU=a+OU=b');
    expect((await make('CN=x,emailAddress=a@b.example')).subject).toBe(
      'CN=x,1.2.840.113549.1.9.1=#160B6140622E6578616D706C65',
    );
    expect((await make('CN=\\#hash \\ ')).subject).toBe('CN=\\#hash \\ ');
  });

  it('matches OpenSSL RFC 2253 output for an OpenSSL-made certificate', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-x509-'));
    try {
      const keyFile = path.join(dir, 'k.pem');
      writeFileSync(
        keyFile,
        privateKeyPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey),
      );
      const pem = execFileSync('openssl', [
        'req',
        '-x509',
        '-new',
        '-key',
        keyFile,
        '-days',
        '1',
        '-subj',
        '/C=DE/O=Bank, Inc./CN=api.bank.example',
      ]).toString();
      const rfc2253 = execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], {
        input: pem,
      })
        .toString()
        .replace(/^subject=/, '')
        .trim();
      const info = parseCertificate(pem);
      expect(info.subject).toBe(rfc2253);
      expect(info.subject).toBe('CN=api.bank.example,O=Bank\\, Inc.,C=DE');
      expect(info.selfSigned).toBe(true);
      expect(info.ca).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed subjects with usage errors naming --subject', () => {
    for (const bad of ['', 'nonsense', 'XX=1', 'C=GBR', 'CN=', 'CN=a,,O=b', 'CN=a\\']) {
      const err = expectFapiError(() => parseDn(bad), { exitCode: 2, label: bad });
      expect(err.details).toMatchObject({ flag: '--subject' });
    }
  });
});

describe('--san values', () => {
  it('parses typed and bare values', () => {
    expect(parseSanSpec('dns:client.example.com')).toEqual({ type: 'dns', value: 'client.example.com' });
    expect(parseSanSpec('DNS:*.example.com')).toEqual({ type: 'dns', value: '*.example.com' });
    expect(parseSanSpec('ip:2001:db8::1')).toEqual({ type: 'ip', value: '2001:db8::1' });
    expect(parseSanSpec('127.0.0.1')).toEqual({ type: 'ip', value: '127.0.0.1' });
    expect(parseSanSpec('localhost')).toEqual({ type: 'dns', value: 'localhost' });
    expect(parseSanSpec('uri:spiffe://example.org/client')).toEqual({
      type: 'uri',
      value: 'spiffe://example.org/client',
    });
    expect(parseSanSpec('email:ops@example.com')).toEqual({ type: 'email', value: 'ops@example.com' });
  });

  it('encodes IPv6 addresses correctly', async () => {
    const k = await key('ES256');
    const cert = await createCertificate({
      key: k,
      subject: 'CN=v6',
      sans: ['2001:db8::1', '::ffff:192.0.2.1', 'fe80::1:0:0:2', '1:2:3:4:5:6:7:8'].map((value) => ({
        type: 'ip' as const,
        value,
      })),
      profile: 'server',
    });
    const x = new X509Certificate(cert.pem);
    expect(x.checkIP('2001:db8::1')).toBe('2001:db8::1');
    expect(x.checkIP('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(cert.sans.map((s) => s.value)).toEqual([
      '2001:db8::1',
      '::ffff:c000:201',
      'fe80::1:0:0:2',
      '1:2:3:4:5:6:7:8',
    ]);
  });

  it('rejects bad values with usage errors naming --san', () => {
    for (const bad of ['dns:-bad-', 'ip:300.1.1.1', 'uri:not a uri', 'email:nobody', 'dns:a b']) {
      const err = expectFapiError(() => parseSanSpec(bad), { label: bad });
      expect(err.details).toMatchObject({ flag: '--san' });
    }
  });
});
