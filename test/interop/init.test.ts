/**
 * `fapi init` without a TTY (every choice a flag, or --yes for the defaults) against oidc-provider,
 * and `fapi init --lab` reading the run file of a real `fapi lab up`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, privateKeyPem } from '../../src/keys/generate.js';
import { createCertificate } from '../../src/keys/x509.js';
import { fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { fapiPty, HAS_PTY, KEY } from '../helpers/pty.js';
import { startOidcProvider, type OidcProviderHandle } from '../helpers/oidc-provider.js';

let op: OidcProviderHandle;
const home = tempHome();
const IAT = 'init-iat';

beforeAll(async () => {
  op = await startOidcProvider({ initialAccessToken: IAT });
});
afterAll(async () => {
  await op?.close();
  home.cleanup();
});

const run = (args: string[], h = home.dir) => fapi(['--home', h, '--ca', op.caFile, ...args]);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of arbitrary profile JSON
type Loose = Record<string, any>;
const profile = (name: string, h = home.dir) =>
  JSON.parse(readFileSync(path.join(h, 'profiles', name, 'profile.json'), 'utf8')) as Loose;
const ok = (r: RunResult) => expect(r.code, r.stderr).toBe(0);

describe('fapi init (non-interactive)', () => {
  it('sets up keys, a DPoP key and a registered client from flags alone, and says what to run next', async () => {
    const r = await run([
      '-p',
      'a',
      'init',
      '--issuer',
      op.issuer,
      '--alg',
      'ES256',
      '--auth',
      'private_key_jwt',
      '--sender',
      'dpop',
      '--initial-access-token',
      IAT,
      '--yes',
    ]);
    ok(r);
    expect(r.stderr).toContain('✔ discovery');
    expect(r.stderr).toContain('FAPI 2.0 metadata: ok');
    expect(r.stderr).toMatch(/✔ keys\s+generated ES256 signing key/);
    expect(r.stdout).toContain('registered client');
    expect(r.stdout).toContain('next:  fapi login --profile a');
    const p = profile('a');
    expect(p.keys.signing.alg).toBe('ES256');
    expect(p.keys.dpop.alg).toBe('ES256');
    expect(p.keys.dpop.thumbprint).not.toBe(p.keys.signing.thumbprint);
    expect(p).toMatchObject({
      issuer: op.issuer,
      auth_method: 'private_key_jwt',
      sender: 'dpop',
      ca_file: op.caFile,
    });
    expect(p.client_id).toEqual(expect.any(String));
  });

  it('--jarm against a server without JARM stops before registering (exit 2)', async () => {
    const r = await run([
      '-p',
      'j',
      'init',
      '--issuer',
      op.issuer,
      '--initial-access-token',
      IAT,
      '--yes',
      '--jarm',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('response_modes_supported');
    expect(
      existsSync(path.join(home.dir, 'profiles', 'j', 'profile.json')) ? profile('j').client_id : undefined,
    ).toBeUndefined();
  });

  it('without a TTY, a missing choice is a usage error naming its flag (unless --yes)', async () => {
    const r = await run(['-p', 'b', 'init', '--issuer', op.issuer, '--initial-access-token', IAT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--auth');
    const none = await run(['-p', 'b', 'init']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--lab, or --issuer');
  });

  it('--yes takes the defaults; --json prints the result; a second init needs --force', async () => {
    const r = await run([
      '-p',
      'c',
      '--json',
      'init',
      '--issuer',
      op.issuer,
      '--initial-access-token',
      IAT,
      '--yes',
    ]);
    ok(r);
    const out = JSON.parse(r.stdout) as {
      auth_method: string;
      sender: string;
      next: string[];
      registration_access_token: string;
    };
    expect(out).toMatchObject({
      auth_method: 'private_key_jwt',
      sender: 'dpop',
      next: ['fapi login --profile c'],
    });
    expect(out.registration_access_token).toMatch(/^«redacted/);
    const again = await run(['-p', 'c', 'init', '--issuer', op.issuer, '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });

  it('self_signed_tls_client_auth + mTLS creates a self-signed certificate and registers it', async () => {
    const r = await run([
      '-p',
      'm',
      '--json',
      'init',
      '--issuer',
      op.issuer,
      '--auth',
      'self_signed_tls_client_auth',
      '--sender',
      'mtls',
      '--alg',
      'EdDSA',
      '--initial-access-token',
      IAT,
    ]);
    ok(r);
    const p = profile('m');
    expect(p.certificate.self_signed).toBe(true);
    expect(p.keys.dpop).toBeUndefined();
    expect(p.registration.metadata.tls_client_certificate_bound_access_tokens).toBe(true);
  });

  it('tls_client_auth needs a CA: refused without one, issued by --ca-cert/--ca-key', async () => {
    const no = await run([
      '-p',
      't',
      'init',
      '--issuer',
      op.issuer,
      '--auth',
      'tls_client_auth',
      '--yes',
      '--initial-access-token',
      IAT,
    ]);
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('--ca-cert');
    const caKey = path.join(op.dir, 'init-ca.key.pem');
    writeFileSync(caKey, op.ca.keyPem, { mode: 0o600 });
    const r = await run([
      '-p',
      't',
      'init',
      '--issuer',
      op.issuer,
      '--auth',
      'tls_client_auth',
      '--sender',
      'mtls',
      '--ca-cert',
      op.caFile,
      '--ca-key',
      caKey,
      '--yes',
      '--initial-access-token',
      IAT,
    ]);
    ok(r);
    const p = profile('t');
    expect(p.certificate.self_signed).toBe(false);
    expect(p.registration.metadata.tls_client_auth_subject_dn).toBe(p.certificate.subject);
  });

  describe('a bad --ca-cert/--ca-key pair: exit 3 with the same error as `fapi keygen` (CL-24)', () => {
    let caDir: string;
    beforeAll(async () => {
      caDir = path.join(home.dir, 'bad-ca');
      mkdirSync(caDir);
      const other = await generateSigningKey('ES256');
      const leaf = await createCertificate({ key: other, subject: 'CN=leaf', profile: 'client' });
      const oldKey = await generateSigningKey('ES256');
      const old = await createCertificate({
        key: oldKey,
        subject: 'CN=old CA',
        profile: 'ca',
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        days: 2,
      });
      writeFileSync(path.join(caDir, 'other.key'), privateKeyPem(other.privateKey));
      writeFileSync(path.join(caDir, 'leaf.pem'), leaf.pem);
      writeFileSync(path.join(caDir, 'old.pem'), old.pem);
      writeFileSync(path.join(caDir, 'old.key'), privateKeyPem(oldKey.privateKey));
      writeFileSync(path.join(caDir, 'not-a-cert.pem'), 'not a certificate\n');
    });
    const cases: { name: string; cert: () => string; key: () => string; says: string }[] = [
      {
        name: 'a CA certificate and a key that do not match',
        cert: () => op.caFile,
        key: () => path.join(caDir, 'other.key'),
        says: 'does not belong to the CA certificate',
      },
      {
        name: 'a certificate that is not a CA',
        cert: () => path.join(caDir, 'leaf.pem'),
        key: () => path.join(caDir, 'other.key'),
        says: 'is not a CA',
      },
      {
        name: 'an expired CA',
        cert: () => path.join(caDir, 'old.pem'),
        key: () => path.join(caDir, 'old.key'),
        says: 'expired',
      },
      {
        name: 'a CA file that holds no certificate',
        cert: () => path.join(caDir, 'not-a-cert.pem'),
        key: () => path.join(caDir, 'other.key'),
        says: 'BEGIN CERTIFICATE',
      },
    ];
    for (const [i, c] of cases.entries()) {
      it(c.name, async () => {
        const ca = ['--ca-cert', c.cert(), '--ca-key', c.key()];
        const keygen = await run(['-p', `kbad${i}`, '--json', 'keygen', '--cert', ...ca]);
        expect(keygen.code, keygen.stderr).toBe(3);
        const r = await run([
          '-p',
          `ibad${i}`,
          '--json',
          'init',
          '--issuer',
          op.issuer,
          '--auth',
          'tls_client_auth',
          '--sender',
          'mtls',
          ...ca,
          '--yes',
          '--initial-access-token',
          IAT,
        ]);
        expect(r.code, r.stderr).toBe(3);
        const error = (JSON.parse(r.stderr) as { error: { message: string } }).error;
        expect(error.message).toContain(c.says);
        expect(error).toEqual((JSON.parse(keygen.stderr) as { error: unknown }).error);
        expect(existsSync(path.join(home.dir, 'profiles', `ibad${i}`, 'profile.json'))).toBe(false);
        // Without --json, the same words, and no "internal error".
        const human = await run([
          '-p',
          `ibad${i}`,
          'init',
          '--issuer',
          op.issuer,
          '--auth',
          'tls_client_auth',
          '--sender',
          'mtls',
          ...ca,
          '--yes',
          '--initial-access-token',
          IAT,
        ]);
        expect(human.code).toBe(3);
        expect(human.stderr).toContain(error.message);
        expect(human.stderr).not.toContain('internal error');
      });
    }
  });

  it('imports a pre-registered client with --client-id and --key', async () => {
    const key = path.join(home.dir, 'profiles', 'a', profile('a').keys.signing.file);
    const r = await run([
      '-p',
      'imp',
      'init',
      '--issuer',
      op.issuer,
      '--client-id',
      'pre-1',
      '--key',
      key,
      '--yes',
    ]);
    ok(r);
    expect(profile('imp')).toMatchObject({
      client_id: 'pre-1',
      auth_method: 'private_key_jwt',
      sender: 'dpop',
    });
  });
});

describe('fapi init (interactive, on a terminal)', () => {
  it.runIf(HAS_PTY)('offers only what the server supports and registers with the choices made', async () => {
    const r = await fapiPty(
      [
        '--home',
        home.dir,
        '--ca',
        op.caFile,
        '-p',
        'tty',
        'init',
        '--issuer',
        op.issuer,
        '--initial-access-token',
        IAT,
      ],
      [
        { waitFor: 'Client authentication', send: KEY.down + KEY.down },
        { waitFor: 'self_signed_tls_client_auth', send: KEY.enter },
        { waitFor: 'Sender-constrained tokens', send: KEY.enter },
        { waitFor: 'Key algorithm', send: KEY.down + KEY.down + KEY.enter },
      ],
    );
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('registered client');
    const p = profile('tty');
    expect(p).toMatchObject({ auth_method: 'self_signed_tls_client_auth', sender: 'dpop' });
    expect(p.keys.signing.alg).toBe('EdDSA');
    expect(p.certificate.self_signed).toBe(true);
  });
});

describe('fapi init --lab', () => {
  it('exit 3 with a hint when no lab runs', async () => {
    const other = tempHome();
    try {
      const r = await run(['init', '--lab', '--yes'], other.dir);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('fapi lab up');
    } finally {
      other.cleanup();
    }
  });

  it('reads the issuer, CA and registration token of the running lab from its run file; records lab and ca_file', async () => {
    const labHome = tempHome();
    try {
      // A real lab that gates registration (REG-13): its run file is written by `fapi lab up`.
      const up = await fapi([
        '--home',
        labHome.dir,
        '--json',
        'lab',
        'up',
        '--port',
        '0',
        '--detach',
        '--registration-token',
        IAT,
      ]);
      ok(up);
      const lab = JSON.parse(up.stdout) as { issuer: string };
      const labDir = path.join(labHome.dir, 'lab');
      // No --ca and no --initial-access-token: the lab's CA and token come from the run file.
      const r = await fapi(['--home', labHome.dir, 'init', '--lab', '--yes']);
      ok(r);
      expect(r.stdout).toContain('fapi lab attack evil-twin');
      const p = profile('default', labHome.dir);
      expect(p).toMatchObject({ lab: true, ca_file: path.join(labDir, 'ca.pem'), issuer: lab.issuer });
      expect(existsSync(path.join(labHome.dir, 'profiles', 'default', 'dpop.key.jwk.json'))).toBe(true);
    } finally {
      await fapi(['--home', labHome.dir, 'lab', 'down']);
      labHome.cleanup();
    }
  });
});
