/**
 * Exporting a client key for servers and tools that want it in another form (`fapi keygen --out`):
 * the private JWK (RFC 7517), the public JWK Set to register (RFC 7517 §5), PKCS#8 and SPKI PEMs,
 * the X.509 certificate and a PKCS#12 bundle (RFC 7292). Also the rule that puts a self-signed
 * certificate in the key's JWK (RFC 8705 §2.2). Builds bytes only; the caller writes the files,
 * secret ones with owner-only permissions.
 */
import { privateKeyPem, publicKeyPem, type GeneratedKey } from './generate.js';
import type { CertInfo } from './x509.js';

export type ExportKind = 'privateJwk' | 'publicJwks' | 'privatePem' | 'publicPem' | 'cert' | 'p12';

/** The file each kind is written to, and whether it holds a private key. */
export const EXPORT_FILES: Readonly<Record<ExportKind, { name: string; secret: boolean }>> = {
  privateJwk: { name: 'private.jwk.json', secret: true },
  publicJwks: { name: 'public.jwks.json', secret: false },
  privatePem: { name: 'private.pem', secret: true },
  publicPem: { name: 'public.pem', secret: false },
  cert: { name: 'cert.pem', secret: false },
  p12: { name: 'client.p12', secret: true },
};

export interface ExportFile {
  kind: ExportKind;
  /** File name inside the export folder. */
  name: string;
  /** Holds a private key: write it readable by the owner only. */
  secret: boolean;
  data: string | Buffer;
}

/**
 * The files an export writes, in order, known before the key exists (so that the folder can be
 * checked before anything is generated).
 */
export function exportFiles(parts: { cert: boolean; p12: boolean }): { kind: ExportKind; name: string }[] {
  const kinds: ExportKind[] = ['privateJwk', 'publicJwks', 'privatePem', 'publicPem'];
  if (parts.cert) kinds.push('cert');
  if (parts.p12) kinds.push('p12');
  return kinds.map((kind) => ({ kind, name: EXPORT_FILES[kind].name }));
}

/** The export of `key` (with its certificate and PKCS#12 bundle, when given): names, bytes, secrecy. */
export function planKeyExport(
  key: GeneratedKey,
  cert: CertInfo | undefined,
  opts: { p12?: Buffer } = {},
): ExportFile[] {
  const data: Record<ExportKind, string | Buffer | undefined> = {
    privateJwk: JSON.stringify(key.privateJwk, null, 2) + '\n',
    publicJwks: JSON.stringify({ keys: [key.publicJwk] }, null, 2) + '\n',
    privatePem: privateKeyPem(key.privateKey),
    publicPem: publicKeyPem(key.publicKey),
    cert: cert?.pem,
    p12: opts.p12,
  };
  const out: ExportFile[] = [];
  for (const { kind, name } of exportFiles({ cert: Boolean(cert), p12: Boolean(opts.p12) })) {
    const bytes = data[kind];
    if (bytes !== undefined) out.push({ kind, name, secret: EXPORT_FILES[kind].secret, data: bytes });
  }
  return out;
}

/**
 * The key with its certificate in x5c (RFC 7517 §4.7) when the certificate is self-signed: for
 * self_signed_tls_client_auth the AS matches the presented certificate against the registered
 * JWKS (RFC 8705 §2.2). A CA-issued certificate is identified by its subject instead (§2.1), and
 * the key is returned unchanged.
 */
export function withSelfSignedX5c(key: GeneratedKey, cert: CertInfo): GeneratedKey {
  if (!cert.selfSigned) return key;
  const x5c = [cert.der.toString('base64')];
  return {
    ...key,
    privateJwk: { ...key.privateJwk, x5c },
    publicJwk: { ...key.publicJwk, x5c },
  };
}
