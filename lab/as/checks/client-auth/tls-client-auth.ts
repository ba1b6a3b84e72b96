/**
 * tls_client_auth (RFC 8705 §2.1; MT-03): the client certificate chains to the lab CA and is valid
 * now, and its subject matches the registered subject field exactly (RFC 8705 §2.1.2: the subject
 * DN compared as RFC 4517 distinguishedNameMatch, or one SAN of the registered type).
 */
import { TLS_SUBJECT_FIELDS } from '../../../../src/core/fapi.js';
import { parseCertificateDer, parseDn } from '../../../../src/keys/x509.js';
import type { LabContext } from '../../../context.js';
import { invalidClient } from '../../../errors.js';
import type { PeerCertificate } from '../../../http.js';
import type { LabClient } from '../../../model.js';
import { defineCheck } from '../../check.js';

/** A client that names an mTLS method, and the certificate it presented (MT-01, MT-02 passed). */
export interface MtlsAuthentication {
  ctx: LabContext;
  client: LabClient;
  cert: PeerCertificate;
}

/** The registered tls_client_auth subject field, as [metadata name, value]. */
function registeredSubject(client: LabClient): [string, string] | undefined {
  const m = client.metadata;
  for (const k of TLS_SUBJECT_FIELDS) {
    const v = m[k];
    if (typeof v === 'string') return [k, v];
  }
  return undefined;
}

function dnKey(dn: string): string {
  return JSON.stringify(
    parseDn(dn).map((rdn) =>
      rdn
        .map((a) => `${a.oid}=${Buffer.isBuffer(a.value) ? a.value.toString('hex') : a.value}`)
        .sort()
        .join('+'),
    ),
  );
}

/** RFC 8705 §2.1.2: the certificate's subject DN or SAN matches the registered value exactly. */
export function certificateMatchesSubject(cert: PeerCertificate, field: string, expected: string): boolean {
  const info = parseCertificateDer(cert.der);
  if (field === 'tls_client_auth_subject_dn') {
    try {
      return dnKey(info.subject) === dnKey(expected);
    } catch {
      return false;
    }
  }
  const type = field.slice('tls_client_auth_san_'.length);
  return info.sans.some((s) => s.type === type && s.value === expected);
}

export const tlsClientAuth = defineCheck<MtlsAuthentication>({
  id: 'MT-03',
  name: 'tls-client-auth',
  spec: 'RFC 8705 §2.1, §2.1.2',
  run({ ctx, client, cert }) {
    if (!ctx.ca.issued(cert.der, ctx.now()))
      throw invalidClient(
        'the client certificate was not issued by the lab CA, or is not valid now (use `fapi lab cert`)',
        'MT-03',
      );
    const subject = registeredSubject(client);
    if (!subject || !certificateMatchesSubject(cert, subject[0], subject[1]))
      throw invalidClient(
        `the client certificate does not match the registered ${subject?.[0] ?? 'subject'} ${JSON.stringify(subject?.[1] ?? '')} (RFC 8705 §2.1.2)`,
        'MT-03',
      );
  },
});
