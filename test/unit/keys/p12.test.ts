/** PKCS#12 bundles for ES256, PS256 and EdDSA keys open with OpenSSL 3 (no -legacy). */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningKey, type KeyAlg } from '../../../src/keys/generate.js';
import { Pkcs12Error, exportPkcs12 } from '../../../src/keys/p12.js';
import { createCertificate, pemCertificates } from '../../../src/keys/x509.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-p12-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

describe('PKCS#12 export', () => {
  for (const alg of ['ES256', 'PS256', 'EdDSA'] as KeyAlg[]) {
    it(`${alg}: openssl pkcs12 opens the bundle with the password, giving back the key and certificate`, async () => {
      const key = await generateSigningKey(alg, alg === 'PS256' ? { bits: 2048 } : {});
      const cert = await createCertificate({ key, subject: `CN=p12-${alg}`, profile: 'client' });
      const password = 'pässwörd with spaces';
      const p12 = await exportPkcs12({
        privateKey: key.privateKey,
        certPem: cert.pem,
        password,
        friendlyName: 'my client',
      });
      const file = path.join(dir, `${alg}.p12`);
      writeFileSync(file, p12);

      const r = openssl(['pkcs12', '-in', file, '-passin', `pass:${password}`, '-nodes']);
      expect(r.err).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      expect(r.out).toContain('friendlyName: my client');
      const certs = pemCertificates(r.out);
      expect(certs).toHaveLength(1);
      expect(certs[0]?.equals(cert.der)).toBe(true);
      const keyPem = r.out.slice(r.out.indexOf('-----BEGIN PRIVATE KEY-----'));
      const back = createPrivateKey(keyPem).export({ format: 'jwk' });
      expect(back.d).toBe(key.privateJwk.d);

      const info = openssl(['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${password}`]);
      expect(info.code).toBe(0);
      expect(info.err).toContain('MAC: sha256');
      expect(info.err).toMatch(
        /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/,
      );

      const wrong = openssl(['pkcs12', '-in', file, '-passin', 'pass:wrong', '-nodes']);
      expect(wrong.code).not.toBe(0);
      expect(wrong.err).toMatch(/mac verify/i);
    });
  }

  it('includes CA certificates after the client certificate', async () => {
    const caKey = await generateSigningKey('ES256');
    const ca = await createCertificate({ key: caKey, subject: 'CN=CA', profile: 'ca' });
    const key = await generateSigningKey('EdDSA');
    const cert = await createCertificate({
      key,
      subject: 'CN=leaf',
      profile: 'client',
      issuer: { certPem: ca.pem, privateKey: caKey.privateKey },
    });
    const file = path.join(dir, 'chain.p12');
    writeFileSync(
      file,
      await exportPkcs12({ privateKey: key.privateKey, certPem: cert.pem + ca.pem, password: 'pw' }),
    );
    const out = execFileSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:pw', '-nokeys']).toString();
    expect(pemCertificates(out).map((d) => d.toString('base64'))).toEqual(
      [cert.der, ca.der].map((d) => d.toString('base64')),
    );
  });

  it('refuses an empty password and a missing certificate', async () => {
    const key = await generateSigningKey('ES256');
    const cert = await createCertificate({ key, subject: 'CN=x', profile: 'client' });
    await expect(
      exportPkcs12({ privateKey: key.privateKey, certPem: cert.pem, password: '' }),
    ).rejects.toBeInstanceOf(Pkcs12Error);
    await expect(exportPkcs12({ privateKey: key.privateKey, certPem: '', password: 'x' })).rejects.toThrow(
      /no certificate/,
    );
  });
});
