/**
 * The lab CA: created on first start and kept in the lab home. It issues the lab's TLS server
 * certificate (SAN localhost, 127.0.0.1, ::1; RFC 9525) and mTLS client certificates for
 * `tls_client_auth` (RFC 8705 §2.1). EC P-256 keys only, so a first start stays fast. X.509 work
 * is src/keys/x509.ts's; this module only decides what to issue and when to reuse it.
 */
import { X509Certificate, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { exists, readText, writeFileAtomic, PUBLIC_FILE_MODE } from '../src/store/atomic.js';
import { generateSigningKey, privateKeyPem, readPemPrivateKey } from '../src/keys/generate.js';
import { stateError } from '../src/errors.js';
import {
  certIssuedBy,
  certMatchesKey,
  createCertificate,
  inspectIssuer,
  parseCertificate,
  x509StateError,
  type CertInfo,
  type San,
} from '../src/keys/x509.js';
import type { LabPaths } from './home.js';

export interface LabCa {
  /** The CA certificate (PEM). */
  certPem: string;
  info: CertInfo;
  privateKey: KeyObject;
  /** Issues a client certificate for a key pair (for `tls_client_auth`). */
  issueClientCertificate(o: {
    key: { privateKey: KeyObject; publicKey: KeyObject };
    subject: string;
    sans?: San[];
    days?: number;
  }): Promise<CertInfo>;
  /**
   * Issues a TLS server certificate (extended key usage serverAuth) for a key pair; the lab's own
   * is made by ensureLabCa, this serves the `tls-*` faults (lab/faults.ts).
   */
  issueServerCertificate(o: {
    key: { privateKey: KeyObject; publicKey: KeyObject };
    subject: string;
    sans: San[];
    days?: number;
  }): Promise<CertInfo>;
  /** True when the certificate (DER) was issued by this CA and is valid at `now` (epoch s). */
  issued(der: Buffer, now: number): boolean;
}

export interface LabTls {
  ca: LabCa;
  /** The TLS server certificate (PEM) and its key (PEM). */
  serverCertPem: string;
  serverKeyPem: string;
  /** What was created on this start (for the log). */
  created: ('ca' | 'server certificate')[];
}

const CA_DAYS = 3650;
const DAMAGED_CA_HINT =
  'The lab CA files were changed or damaged. `fapi lab reset` deletes the lab state; the next start makes a new CA (client certificates of the old one stop working).';
const SERVER_DAYS = 365;
/** Re-issue the server certificate when it expires within this many days. */
const RENEW_DAYS = 14;
export const SERVER_SANS: San[] = [
  { type: 'dns', value: 'localhost' },
  { type: 'ip', value: '127.0.0.1' },
  { type: 'ip', value: '::1' },
];

function makeCa(certPem: string, privateKey: KeyObject): LabCa {
  const info = parseCertificate(certPem);
  const x509 = new X509Certificate(certPem);
  return {
    certPem,
    info,
    privateKey,
    issueClientCertificate: (o) =>
      createCertificate({
        key: o.key,
        subject: o.subject,
        sans: o.sans,
        days: o.days ?? 365,
        issuer: { certPem, privateKey },
        profile: 'client',
      }),
    issueServerCertificate: (o) =>
      createCertificate({
        key: o.key,
        subject: o.subject,
        sans: o.sans,
        days: o.days ?? SERVER_DAYS,
        issuer: { certPem, privateKey },
        profile: 'server',
      }),
    issued(der, now) {
      try {
        const cert = new X509Certificate(der);
        if (!cert.checkIssued(x509) || !cert.verify(x509.publicKey)) return false;
        const t = now * 1000;
        return Date.parse(cert.validFrom) <= t && t <= Date.parse(cert.validTo);
      } catch {
        return false;
      }
    },
  };
}

function serverCertUsable(pem: string, caPem: string, now: Date): boolean {
  try {
    if (!certIssuedBy(pem, caPem)) return false;
    const info = parseCertificate(pem);
    if (info.notAfter.getTime() - now.getTime() < RENEW_DAYS * 86_400_000) return false;
    const have = new Set(info.sans.map((s) => `${s.type}:${s.value}`));
    return SERVER_SANS.every((s) => have.has(`${s.type}:${s.value}`));
  } catch {
    return false;
  }
}

/** Loads the lab CA and server certificate, creating or renewing what is missing or stale. */
export async function ensureLabCa(paths: LabPaths, now: () => Date): Promise<LabTls> {
  const created: LabTls['created'] = [];
  let caPem: string | undefined;
  let caKey: KeyObject | undefined;
  if ((await exists(paths.caCert)) && (await exists(paths.caKey))) {
    caPem = await readText(paths.caCert, 'lab CA certificate');
    caKey = readPemPrivateKey(await readText(paths.caKey, 'lab CA key'), paths.caKey, 'lab CA key');
    let info: CertInfo;
    try {
      info = parseCertificate(caPem);
    } catch (err) {
      throw x509StateError(err, paths.caCert, DAMAGED_CA_HINT);
    }
    if (info.notAfter.getTime() <= now().getTime()) {
      // An expired lab CA is replaced (certificates it issued expired with it).
      caPem = undefined;
      caKey = undefined;
    } else {
      // A damaged CA is refused, never silently replaced: certificates it issued would stop working.
      if (!certMatchesKey(caPem, caKey))
        throw stateError(
          'E_LAB_CA',
          `The lab CA key ${paths.caKey} does not belong to the lab CA certificate ${paths.caCert}.`,
          DAMAGED_CA_HINT,
          { details: { file: paths.caKey, ca_cert: paths.caCert } },
        );
      try {
        inspectIssuer(caPem, caKey, now());
      } catch (err) {
        throw x509StateError(err, paths.caCert, DAMAGED_CA_HINT);
      }
    }
  }
  if (!caPem || !caKey) {
    const key = await generateSigningKey('ES256');
    const cert = await createCertificate({
      key,
      subject: `CN=fapi lab CA ${randomBytes(3).toString('hex')},O=fapi lab (not for production)`,
      profile: 'ca',
      days: CA_DAYS,
    });
    await writeFileAtomic(paths.caKey, privateKeyPem(key.privateKey));
    await writeFileAtomic(paths.caCert, cert.pem, { mode: PUBLIC_FILE_MODE });
    caPem = cert.pem;
    caKey = key.privateKey;
    created.push('ca');
  }
  const ca = makeCa(caPem, caKey);

  let serverCertPem: string | undefined;
  let serverKeyPem: string | undefined;
  if (!created.includes('ca') && (await exists(paths.serverCert)) && (await exists(paths.serverKey))) {
    serverCertPem = await readText(paths.serverCert, 'lab server certificate');
    serverKeyPem = await readText(paths.serverKey, 'lab server key');
    try {
      const key = readPemPrivateKey(serverKeyPem, paths.serverKey);
      const pub = createPublicKey(key).export({ type: 'spki', format: 'der' });
      const certPub = new X509Certificate(serverCertPem).publicKey.export({ type: 'spki', format: 'der' });
      if (!pub.equals(certPub) || !serverCertUsable(serverCertPem, caPem, now())) serverCertPem = undefined;
    } catch {
      serverCertPem = undefined;
    }
  }
  if (!serverCertPem || !serverKeyPem) {
    const key = await generateSigningKey('ES256');
    const cert = await createCertificate({
      key,
      subject: 'CN=localhost,O=fapi lab',
      sans: SERVER_SANS,
      profile: 'server',
      days: SERVER_DAYS,
      issuer: { certPem: caPem, privateKey: caKey },
    });
    serverKeyPem = privateKeyPem(key.privateKey);
    serverCertPem = cert.pem;
    await writeFileAtomic(paths.serverKey, serverKeyPem);
    await writeFileAtomic(paths.serverCert, serverCertPem, { mode: PUBLIC_FILE_MODE });
    created.push('server certificate');
  }
  return { ca, serverCertPem, serverKeyPem, created };
}
