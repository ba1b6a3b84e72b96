/** Keys and the client certificate in a profile folder: modes, round trips, and tamper detection. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../../src/keys/generate.js';
import {
  KEY_FILES,
  ensureDpopKey,
  loadProfileCertificate,
  loadProfileKey,
  saveProfileCertificate,
  saveProfileKey,
} from '../../../src/store/profile-keys.js';
import { createCertificate } from '../../../src/keys/x509.js';
import { ProfileStore } from '../../../src/store/profile.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const home = mkdtempSync(path.join(os.tmpdir(), 'fapi-pk-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const store = new ProfileStore(home);

async function expectState(p: Promise<unknown>, code: string, mentions: string): Promise<void> {
  await expectFapiError(p, { code, exitCode: 3, message: mentions });
}

describe('CL-24 profile keys', () => {
  it('saves the private JWK 0600 and loads the same key back', async () => {
    const profile = await store.loadOrNew('alice');
    const key = await generateSigningKey('ES256');
    const ref = await saveProfileKey(store, profile, 'signing', key);
    await store.save(profile);
    expect(ref).toEqual({ file: KEY_FILES.signing, kid: key.kid, alg: 'ES256', thumbprint: key.thumbprint });
    const file = store.resolve('alice', KEY_FILES.signing);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const loaded = await loadProfileKey(store, await store.load('alice'), 'signing');
    expect(loaded).toMatchObject({ role: 'signing', alg: 'ES256', kid: key.kid, thumbprint: key.thumbprint });
    expect(loaded.publicJwk).not.toHaveProperty('d');
    expect(loaded.privateJwk.d).toBe(key.privateJwk.d);
  });

  it('fails with exit 3 naming the file when the key is missing, corrupt or swapped', async () => {
    const profile = await store.loadOrNew('bob');
    await expectState(loadProfileKey(store, profile, 'signing'), 'E_KEY_MISSING', 'has no signing key');
    await saveProfileKey(store, profile, 'signing', await generateSigningKey('EdDSA'));
    await store.save(profile);
    const file = store.resolve('bob', KEY_FILES.signing);
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, '{ nope');
    await expectState(loadProfileKey(store, profile, 'signing'), 'E_FILE_CORRUPT', file);
    writeFileSync(file, JSON.stringify((await generateSigningKey('EdDSA')).privateJwk));
    await expectState(loadProfileKey(store, profile, 'signing'), 'E_KEY_MISMATCH', file);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(good), d: undefined }));
    await expectState(loadProfileKey(store, profile, 'signing'), 'E_KEY_INVALID', file);
    rmSync(file);
    await expectState(loadProfileKey(store, profile, 'signing'), 'E_FILE_MISSING', file);
  });

  it('ensureDpopKey creates a separate DPoP key once, saves the profile, and reuses it', async () => {
    const profile = await store.loadOrNew('carol');
    const signing = await generateSigningKey('ES256');
    await saveProfileKey(store, profile, 'signing', signing);
    await store.save(profile);
    const dpop = await ensureDpopKey(store, profile);
    expect(dpop.role).toBe('dpop');
    expect(dpop.alg).toBe('ES256');
    expect(dpop.thumbprint).not.toBe(signing.thumbprint);
    expect(statSync(store.resolve('carol', KEY_FILES.dpop)).mode & 0o777).toBe(0o600);
    const reloaded = await store.load('carol');
    expect(reloaded.keys?.dpop?.thumbprint).toBe(dpop.thumbprint);
    const again = await ensureDpopKey(store, reloaded, 'EdDSA');
    expect(again.thumbprint).toBe(dpop.thumbprint);
    const other = await ensureDpopKey(store, await store.loadOrNew('dave'), 'EdDSA');
    expect(other.alg).toBe('EdDSA');
  });

  it('loadProfileCertificate gives the certificate and the PKCS#8 key, and detects a swapped certificate', async () => {
    const profile = await store.loadOrNew('erin');
    expect(await loadProfileCertificate(store, profile)).toBeUndefined();
    const key = await generateSigningKey('PS256', { bits: 2048 });
    await saveProfileKey(store, profile, 'signing', key);
    const cert = await createCertificate({ key, subject: 'CN=erin', profile: 'client' });
    await saveProfileCertificate(store, profile, cert);
    await store.save(profile);
    const certFile = store.resolve('erin', 'client.cert.pem');
    expect(statSync(certFile).mode & 0o777).toBe(0o644);
    const loaded = await loadProfileCertificate(store, await store.load('erin'));
    expect(loaded?.certPem).toBe(cert.pem);
    expect(loaded?.keyPem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(loaded?.info.x5tS256).toBe(cert.x5tS256);
    expect((await store.load('erin')).certificate).toMatchObject({
      subject: 'CN=erin',
      x5t_s256: cert.x5tS256,
      self_signed: true,
      key: 'signing',
    });
    const other = await createCertificate({ key, subject: 'CN=other', profile: 'client' });
    writeFileSync(certFile, other.pem);
    await expectState(loadProfileCertificate(store, profile), 'E_CERT_MISMATCH', certFile);
    writeFileSync(certFile, 'garbage');
    await expectState(loadProfileCertificate(store, profile), 'E_CERT_INVALID', certFile);
  });
});
