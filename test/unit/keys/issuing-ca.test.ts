/**
 * CL-24 / MT-05: the CA that issues tls_client_auth certificates (RFC 8705 §2.1). loadIssuingCa
 * refuses, as local-state errors naming the file, a certificate that is not PEM, a key that is not
 * the certificate's, and a certificate that may not issue (RFC 5280 §4.2.1.9 cA, §4.2.1.3
 * keyCertSign, validity); what it accepts issues certificates that verify.
 */
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FapiError } from '../../../src/errors.js';
import { generateSigningKey, privateKeyPem } from '../../../src/keys/generate.js';
import { loadIssuingCa } from '../../../src/keys/issuing-ca.js';
import { createCertificate } from '../../../src/keys/x509.js';
import { readText } from '../../../src/store/atomic.js';
import { expectFapiError } from '../../helpers/expect-error.js';

let dir: string;
const f = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-issuing-ca-'));
  const caKey = await generateSigningKey('ES256');
  const ca = await createCertificate({ key: caKey, subject: 'CN=Test CA', profile: 'ca' });
  const other = await generateSigningKey('ES256');
  const leaf = await createCertificate({ key: other, subject: 'CN=leaf', profile: 'client' });
  const old = await createCertificate({
    key: caKey,
    subject: 'CN=Old CA',
    profile: 'ca',
    notBefore: new Date(Date.now() - 10 * 86_400_000),
    days: 1,
  });
  writeFileSync(f('ca.pem'), ca.pem);
  writeFileSync(f('ca.key'), privateKeyPem(caKey.privateKey));
  writeFileSync(f('other.key'), privateKeyPem(other.privateKey));
  writeFileSync(f('leaf.pem'), leaf.pem);
  writeFileSync(f('old.pem'), old.pem);
  writeFileSync(f('junk.pem'), 'not a certificate\n');
  // A CA whose keyUsage lacks keyCertSign, made by OpenSSL.
  execFileSync(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      f('nosign.key'),
      '-out',
      f('nosign.pem'),
      '-subj',
      '/CN=No keyCertSign',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,digitalSignature',
    ],
    { stdio: 'pipe' },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refused(cert: string, key: string): Promise<FapiError> {
  return expectFapiError(loadIssuingCa(f(cert), f(key), readText), {
    exitCode: 3,
    label: `${cert} + ${key}`,
  });
}

describe('CL-24 loadIssuingCa', () => {
  it('loads a CA and its key; the certificates it issues verify against the CA', async () => {
    const ca = await loadIssuingCa(f('ca.pem'), f('ca.key'), readText);
    expect(ca).toMatchObject({ certFile: f('ca.pem'), keyFile: f('ca.key') });
    const key = await generateSigningKey('EdDSA');
    const cert = await ca.issue({ key, subject: 'CN=client', profile: 'client' });
    expect(cert.selfSigned).toBe(false);
    expect(cert.issuer).toBe('CN=Test CA');
    const x = new X509Certificate(cert.pem);
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });

  it('resolves relative paths from the working folder, so messages name absolute files', async () => {
    const rel = path.relative(process.cwd(), f('ca.pem'));
    const ca = await loadIssuingCa(rel, path.relative(process.cwd(), f('ca.key')), readText);
    expect(ca.certFile).toBe(f('ca.pem'));
  });

  it('a key that is not the certificate’s: E_CA_MISMATCH naming both files', async () => {
    const err = await refused('ca.pem', 'other.key');
    expect(err.code).toBe('E_CA_MISMATCH');
    expect(err.message).toBe(
      `The CA key ${f('other.key')} does not belong to the CA certificate ${f('ca.pem')}.`,
    );
    expect(err.hint).toContain('--ca-key');
  });

  for (const [name, cert, key, says] of [
    ['a certificate that is not a CA (RFC 5280 §4.2.1.9)', 'leaf.pem', 'other.key', 'is not a CA'],
    ['a CA without keyCertSign (RFC 5280 §4.2.1.3)', 'nosign.pem', 'nosign.key', 'keyCertSign'],
    ['an expired CA', 'old.pem', 'ca.key', 'expired on'],
  ] as const) {
    it(`${name}: E_CERT_INVALID naming the certificate`, async () => {
      const err = await refused(cert, key);
      expect(err.code).toBe('E_CERT_INVALID');
      expect(err.message).toMatch(
        new RegExp(`^${f(cert).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*${says}`),
      );
      expect(err.hint).toBe('Use a CA certificate that is valid and may sign certificates.');
      expect(err.details).toEqual({ file: f(cert) });
    });
  }

  it('a file that holds no certificate, and missing files: named in the error', async () => {
    const junk = await refused('junk.pem', 'ca.key');
    expect(junk.code).toBe('E_CERT_INVALID');
    expect(junk.hint).toContain('BEGIN CERTIFICATE');
    expect((await refused('nope.pem', 'ca.key')).message).toContain(f('nope.pem'));
    expect((await refused('ca.pem', 'nope.key')).message).toContain(f('nope.key'));
    expect((await refused('ca.pem', 'ca.pem')).message).toContain(f('ca.pem'));
  });
});
