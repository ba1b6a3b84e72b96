/**
 * Test PKI: a throw-away CA, a TLS server certificate for 127.0.0.1, and client certificates for
 * mTLS (RFC 8705), all EC P-256, made in-process with @peculiar/x509 on node:crypto's WebCrypto.
 * Used by the test servers (test/helpers/oidc-provider.ts) and the tests that talk to them.
 */
import 'reflect-metadata';
import { createHash, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface IssuedCert {
  /** PEM certificate. */
  certPem: string;
  /** PEM PKCS#8 private key. */
  keyPem: string;
  /** The subject as node:crypto prints it (one RDN per line). */
  subject: string;
  /** base64url SHA-256 of the DER certificate (RFC 8705 §3.1). */
  x5tS256: string;
}

export interface TestCa extends IssuedCert {
  /** Issues a certificate for a TLS server at these IPs / DNS names. */
  issueServer(names?: { ips?: string[]; dns?: string[] }): Promise<IssuedCert>;
  /** Issues a client certificate (extendedKeyUsage clientAuth) with this subject DN, e.g. "CN=c1, O=Test". */
  issueClient(
    subject: string,
    san?: { dns?: string[]; uri?: string[]; email?: string[] },
  ): Promise<IssuedCert>;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function finish(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<IssuedCert> {
  const certPem = cert.toString('pem') + '\n';
  const node = new NodeX509(certPem);
  return {
    certPem,
    keyPem: await pkcs8Pem(keys.privateKey),
    subject: node.subject,
    x5tS256: createHash('sha256').update(node.raw).digest('base64url'),
  };
}

const dates = (days: number) => {
  const notBefore = new Date(Date.now() - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * 86_400_000) };
};

/** A new CA (valid one day, plenty for a test run). */
export async function createTestCa(name = 'CN=fapi test CA, O=fapi tests'): Promise<TestCa> {
  const caKeys = await keyPair();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys: caKeys,
    signingAlgorithm: SIGN,
    ...dates(1),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const base = await finish(caCert, caKeys);

  const issue = async (subject: string, extensions: x509.Extension[]): Promise<IssuedCert> => {
    const keys = await keyPair();
    const cert = await x509.X509CertificateGenerator.create({
      subject,
      issuer: caCert.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGN,
      ...dates(1),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ...extensions,
      ],
    });
    return finish(cert, keys);
  };

  return {
    ...base,
    issueServer(names = {}) {
      const ips = names.ips ?? ['127.0.0.1'];
      const dns = names.dns ?? ['localhost'];
      return issue(`CN=${ips[0] ?? dns[0] ?? 'server'}`, [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...ips.map((value) => ({ type: 'ip' as const, value })),
          ...dns.map((value) => ({ type: 'dns' as const, value })),
        ]),
      ]);
    },
    issueClient(subject, san = {}) {
      const names = [
        ...(san.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(san.uri ?? []).map((value) => ({ type: 'url' as const, value })),
        ...(san.email ?? []).map((value) => ({ type: 'email' as const, value })),
      ];
      return issue(subject, [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      ]);
    },
  };
}
