/**
 * Test PKI: a throw-away CA, a TLS server certificate for 127.0.0.1, and client certificates for
 * mTLS (RFC 8705), all EC P-256, made in-process with fapi's own src/keys (node:crypto).
 * Used by the test servers (test/helpers/oidc-provider.ts) and the tests that talk to them.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { generateSigningKey, type GeneratedKey } from '../../src/keys/generate.js';
import { createCertificate, type San } from '../../src/keys/x509.js';

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

const keyPem = (k: GeneratedKey) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

function finish(certPem: string, key: GeneratedKey, x5tS256: string): IssuedCert {
  return { certPem, keyPem: keyPem(key), subject: new NodeX509(certPem).subject, x5tS256 };
}

/** A new CA (valid one day, plenty for a test run). */
export async function createTestCa(name = 'CN=fapi test CA, O=fapi tests'): Promise<TestCa> {
  const caKey = await generateSigningKey('ES256');
  const ca = await createCertificate({
    key: caKey,
    subject: name.replace(/,\s+/g, ','),
    days: 1,
    profile: 'ca',
  });
  const issue = async (subject: string, profile: 'client' | 'server', sans: San[]): Promise<IssuedCert> => {
    const key = await generateSigningKey('ES256');
    const cert = await createCertificate({
      key,
      subject: subject.replace(/,\s+/g, ','),
      sans,
      days: 1,
      profile,
      issuer: { certPem: ca.pem, privateKey: caKey.privateKey },
    });
    return finish(cert.pem, key, cert.x5tS256);
  };
  return {
    ...finish(ca.pem, caKey, ca.x5tS256),
    issueServer(names = {}) {
      const ips = names.ips ?? ['127.0.0.1'];
      const dns = names.dns ?? ['localhost'];
      return issue(`CN=${ips[0] ?? dns[0] ?? 'server'}`, 'server', [
        ...ips.map((value) => ({ type: 'ip' as const, value })),
        ...dns.map((value) => ({ type: 'dns' as const, value })),
      ]);
    },
    issueClient(subject, san = {}) {
      return issue(subject, 'client', [
        ...(san.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(san.uri ?? []).map((value) => ({ type: 'uri' as const, value })),
        ...(san.email ?? []).map((value) => ({ type: 'email' as const, value })),
      ]);
    },
  };
}
