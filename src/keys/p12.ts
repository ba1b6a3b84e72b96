/**
 * PKCS#12 bundles (RFC 7292) of a private key and its certificate, for browsers, Postman and
 * `curl --cert-type P12`. node-forge's own PKCS#12 writer only takes RSA keys and certificates it
 * can parse (no EC, no Ed25519), so the bags are assembled here from DER: the key as a
 * pkcs8ShroudedKeyBag encrypted with PBES2 (PBKDF2-HMAC-SHA256 + AES-256-CBC, RFC 8018 §6.2),
 * certificates in plain certBags, and an HMAC-SHA256 integrity MAC (RFC 7292 Appendix B), which
 * modern OpenSSL opens without `-legacy`. node-forge supplies PBES2 and the PKCS#12 MAC key
 * derivation, and is imported only when a bundle is made.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { bmp, ctx, nul, octets, oid, seq, setOf, uint } from './der.js';
import { pemCertificates } from './x509.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** Iterations for PBKDF2 and the MAC key derivation (OpenSSL 3 uses 2048). */
export const PKCS12_ITERATIONS = 10_000;

export interface Pkcs12Options {
  privateKey: KeyObject;
  /** The certificate of `privateKey` first, then any CA certificates to include (PEM). */
  certPem: string;
  password: string;
  /** Shown by key stores; default "fapi client". */
  friendlyName?: string;
  iterations?: number;
}

export class Pkcs12Error extends Error {
  override name = 'Pkcs12Error';
}

const dataContentInfo = (content: Buffer) => seq(oid(OID.data), ctx(0, octets(content)));

const attr = (type: string, value: Buffer) => seq(oid(type), setOf(value));

/** Builds a password-protected PKCS#12 (PFX) of the key and its certificate(s), as DER. */
export async function exportPkcs12(opts: Pkcs12Options): Promise<Buffer> {
  if (!opts.password) throw new Pkcs12Error('the PKCS#12 password must not be empty');
  const certs = pemCertificates(opts.certPem);
  const leaf = certs[0];
  if (!leaf) throw new Pkcs12Error('no certificate to bundle');
  const iterations = opts.iterations ?? PKCS12_ITERATIONS;
  const { default: forge } = await import('node-forge');
  const bin = (b: Buffer) => b.toString('binary');
  const buf = (s: string) => Buffer.from(s, 'binary');

  // The key: PKCS#8 → EncryptedPrivateKeyInfo with PBES2 (the password as UTF-8, as OpenSSL does).
  const pkcs8 = opts.privateKey.export({ type: 'pkcs8', format: 'der' });
  const encrypted = forge.pki.encryptPrivateKeyInfo(
    forge.asn1.fromDer(bin(pkcs8)),
    forge.util.encodeUtf8(opts.password),
    { algorithm: 'aes256', prfAlgorithm: 'sha256', count: iterations, saltSize: 16 },
  );
  const encryptedDer = buf(forge.asn1.toDer(encrypted).getBytes());

  // Key and certificate are paired by localKeyId = SHA-1 of the certificate, as OpenSSL does.
  const localKeyId = createHash('sha1').update(leaf).digest();
  const attrs = setOf(
    attr(OID.friendlyName, bmp(opts.friendlyName ?? 'fapi client')),
    attr(OID.localKeyId, octets(localKeyId)),
  );
  const keyBag = seq(oid(OID.pkcs8ShroudedKeyBag), ctx(0, encryptedDer), attrs);
  const certBags = certs.map((der, i) =>
    seq(
      oid(OID.certBag),
      ctx(0, seq(oid(OID.x509Certificate), ctx(0, octets(der)))),
      ...(i === 0 ? [attrs] : []),
    ),
  );
  const authSafe = seq(dataContentInfo(seq(...certBags)), dataContentInfo(seq(keyBag)));

  // RFC 7292 Appendix B: MAC key from the password (BMPString) with the PKCS#12 KDF, ID 3.
  const salt = forge.random.getBytesSync(16);
  const macKey = forge.pkcs12.generateKey(
    opts.password,
    forge.util.createBuffer(salt),
    3,
    iterations,
    32,
    forge.md.sha256.create(),
  );
  const hmac = forge.hmac.create();
  hmac.start(forge.md.sha256.create(), macKey);
  hmac.update(bin(authSafe));
  const mac = buf(hmac.digest().getBytes());

  return seq(
    uint(3),
    dataContentInfo(authSafe),
    seq(seq(seq(oid(OID.sha256), nul()), octets(mac)), octets(buf(salt)), uint(iterations)),
  );
}
