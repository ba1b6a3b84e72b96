/**
 * A damaged lab CA (a corrupt certificate, a key that is not the certificate's, a certificate that
 * is not a CA) stops the lab with a local-state error (exit 3) naming the file and `fapi lab reset`,
 * never an internal error, and is never silently replaced. An expired lab CA is replaced.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../lab/server.js';
import { generateSigningKey, privateKeyPem } from '../../src/keys/generate.js';
import { createCertificate } from '../../src/keys/x509.js';
import { fapi } from '../helpers/cli.js';
import { expectFapiError } from '../helpers/expect-error.js';

let root = '';
let labHome = '';
let caPem = '';
let caKey = '';
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'fapi-lab-ca-'));
  labHome = path.join(root, 'lab');
  const lab = await startLab({ home: labHome, config: { port: 0 } });
  await lab.close();
  caPem = readFileSync(path.join(labHome, 'ca.pem'), 'utf8');
  caKey = readFileSync(path.join(labHome, 'ca-key.pem'), 'utf8');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function restore(): void {
  writeFileSync(path.join(labHome, 'ca.pem'), caPem);
  writeFileSync(path.join(labHome, 'ca-key.pem'), caKey, { mode: 0o600 });
}

describe('a damaged lab CA', () => {
  it('a corrupt CA certificate: exit 3 naming ca.pem, the file left as it was', async () => {
    const broken = caPem.replace(/[A-Za-z0-9+/]{40}/, 'A'.repeat(40));
    writeFileSync(path.join(labHome, 'ca.pem'), broken);
    try {
      const e = await expectFapiError(startLab({ home: labHome, config: { port: 0 } }), { exitCode: 3 });
      expect(e.message).toContain(path.join(labHome, 'ca.pem'));
      expect(e.hint).toContain('fapi lab reset');
      expect(readFileSync(path.join(labHome, 'ca.pem'), 'utf8')).toBe(broken);
    } finally {
      restore();
    }
  });

  it('a CA key that is not the certificate’s: E_LAB_CA, exit 3', async () => {
    const other = await generateSigningKey('ES256');
    writeFileSync(path.join(labHome, 'ca-key.pem'), privateKeyPem(other.privateKey), { mode: 0o600 });
    try {
      const e = await expectFapiError(startLab({ home: labHome, config: { port: 0 } }), {
        code: 'E_LAB_CA',
        exitCode: 3,
      });
      expect(e.message).toContain('ca-key.pem');
    } finally {
      restore();
    }
  });

  it('a certificate that is not a CA in place of the lab CA: exit 3', async () => {
    const key = await generateSigningKey('ES256');
    const leaf = await createCertificate({ key, subject: 'CN=not a ca', profile: 'client', days: 30 });
    writeFileSync(path.join(labHome, 'ca.pem'), leaf.pem);
    writeFileSync(path.join(labHome, 'ca-key.pem'), privateKeyPem(key.privateKey), { mode: 0o600 });
    try {
      const e = await expectFapiError(startLab({ home: labHome, config: { port: 0 } }), {
        code: 'E_CERT_INVALID',
        exitCode: 3,
      });
      expect(e.message).toContain('not a CA');
    } finally {
      restore();
    }
  });

  it('`fapi lab up` with a damaged CA: exit 3 with the message, no internal error', async () => {
    writeFileSync(path.join(labHome, 'ca.pem'), caPem.replace(/[A-Za-z0-9+/]{40}/, 'A'.repeat(40)));
    try {
      const r = await fapi(['--home', root, 'lab', 'up', '--port', '0']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('ca.pem');
      expect(r.stderr).not.toContain('internal error');
    } finally {
      restore();
    }
  }, 30_000);

  it('the intact CA still starts (the checks pass a good CA)', async () => {
    const lab = await startLab({ home: labHome, config: { port: 0 } });
    await lab.close();
    expect(readFileSync(path.join(labHome, 'ca.pem'), 'utf8')).toBe(caPem);
  });
});
