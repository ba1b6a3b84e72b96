/**
 * A throw-away TLS identity for the peer server (oidc-provider): a self-signed ECDSA P-256
 * certificate for 127.0.0.1 and localhost, trusted explicitly by the load generator (`ca`).
 * Made with fapi's own src/keys (node:crypto).
 */
import { generateSigningKey } from '../src/keys/generate.js';
import { createCertificate } from '../src/keys/x509.js';

export interface TlsIdentity {
  cert: string;
  key: string;
}

export async function selfSignedIdentity(): Promise<TlsIdentity> {
  const key = await generateSigningKey('ES256');
  const cert = await createCertificate({
    key,
    subject: 'CN=fapi bench peer',
    sans: [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'dns', value: 'localhost' },
    ],
    days: 1,
    profile: 'server',
  });
  return { cert: cert.pem, key: key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}
