/**
 * The CA that issues a client certificate for tls_client_auth (RFC 8705 §2.1): a PEM certificate
 * and its PEM private key, checked before anything is built or written, so every CA input of the
 * CLI (`fapi keygen --ca-cert/--ca-key`, `fapi init`) fails the same way, as a local-state error
 * that names the file: the certificate parses, the key is that certificate's, and the certificate
 * may issue (RFC 5280 §4.2.1.9 cA, §4.2.1.3 keyCertSign, validity).
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { stateError } from '../errors.js';
import { readPemPrivateKey } from './generate.js';
import {
  certMatchesKey,
  createCertificate,
  inspectIssuer,
  parseCertificate,
  x509StateError,
  type CertInfo,
  type CreateCertificateOptions,
} from './x509.js';

export interface IssuingCa {
  certPem: string;
  privateKey: KeyObject;
  /** Absolute paths, for messages. */
  certFile: string;
  keyFile: string;
  /**
   * Issues a certificate from this CA. A certificate error is the same local-state error as
   * loadIssuingCa's: the CA was checked when loaded, so this matters only at the edge of its
   * validity.
   */
  issue(opts: Omit<CreateCertificateOptions, 'issuer'>): Promise<CertInfo>;
}

/**
 * Reads a text file, throwing a FapiError that names it and says what it is (`what`). The caller
 * passes the store's reader: src/keys does no file I/O of its own.
 */
export type ReadText = (file: string, what: string) => Promise<string>;

/** What to do when the certificate is not one that can issue. */
const HINT_INVALID_CA = 'Use a CA certificate that is valid and may sign certificates.';

/** Reads and checks a CA certificate and its key (relative paths resolve from the working folder). */
export async function loadIssuingCa(certFile: string, keyFile: string, read: ReadText): Promise<IssuingCa> {
  const certPath = path.resolve(certFile);
  const keyPath = path.resolve(keyFile);
  const certPem = await read(certPath, 'CA certificate');
  try {
    parseCertificate(certPem);
  } catch (err) {
    throw x509StateError(err, certPath, 'Pass the CA certificate as PEM ("BEGIN CERTIFICATE").');
  }
  const privateKey = readPemPrivateKey(await read(keyPath, 'CA key'), keyPath, 'CA key');
  if (!certMatchesKey(certPem, privateKey))
    throw stateError(
      'E_CA_MISMATCH',
      `The CA key ${keyPath} does not belong to the CA certificate ${certPath}.`,
      'Pass the private key of that certificate with --ca-key.',
      { details: { file: keyPath, ca_cert: certPath } },
    );
  try {
    inspectIssuer(certPem, privateKey);
  } catch (err) {
    throw x509StateError(err, certPath, HINT_INVALID_CA);
  }
  return {
    certPem,
    privateKey,
    certFile: certPath,
    keyFile: keyPath,
    async issue(opts) {
      try {
        return await createCertificate({ ...opts, issuer: { certPem, privateKey } });
      } catch (err) {
        throw x509StateError(err, certPath, HINT_INVALID_CA);
      }
    },
  };
}
