/**
 * CL-24 end to end: the real `fapi keygen`, cross-checked with tools nobody here wrote (OpenSSL and
 * jose): certificates parse and carry clientAuth, CA-issued certificates verify, x5t#S256 equals
 * OpenSSL's SHA-256 fingerprint, thumbprints equal jose's, PKCS#12 bundles open, exported PEMs
 * load, private files are 0600, and bad input changes nothing on disk.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, privateKeyPem } from '../../src/keys/generate.js';
import { createCertificate } from '../../src/keys/x509.js';
import { fapi, tempHome } from '../helpers/cli.js';

const tmp = tempHome('fapi-keygen-');
afterAll(() => tmp.cleanup());

function openssl(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync('/usr/bin/openssl', args, { encoding: 'utf8', input });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** base64url of the hex fingerprint OpenSSL prints ("sha256 Fingerprint=AB:CD:..."). */
function opensslX5t(certFile: string): string {
  const r = openssl(['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256']);
  expect(r.code).toBe(0);
  const hex = (r.out.split('=')[1] as string).trim().replace(/:/g, '');
  return Buffer.from(hex, 'hex').toString('base64url');
}

const mode = (f: string) => statSync(f).mode & 0o777;

/** Every file and folder under `dir` with its mode and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      const st = statSync(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) {
        out[rel + '/'] = (st.mode & 0o777).toString(8);
        walk(p);
      } else {
        out[rel] =
          `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      }
    }
  };
  walk(dir);
  return out;
}

interface KeygenJson {
  profile: string;
  role: string;
  alg: string;
  kid: string;
  thumbprint: string;
  public_jwk: Record<string, unknown>;
  certificate: {
    subject: string;
    issuer: string;
    serial: string;
    not_before: string;
    not_after: string;
    'x5t#S256': string;
    self_signed: boolean;
    sans: string[];
  } | null;
  files: Record<string, string>;
  exported: Record<string, string> | null;
  warnings: string[];
}

async function keygen(args: string[], home: string): Promise<KeygenJson> {
  const r = await fapi(['--home', home, '--json', 'keygen', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as KeygenJson;
}

describe('CL-24 fapi keygen', () => {
  for (const alg of ['ES256', 'PS256', 'EdDSA']) {
    it(`${alg} --cert --p12 --out: OpenSSL and jose agree with what fapi prints`, async () => {
      const home = path.join(tmp.dir, `home-${alg}`);
      const out = path.join(tmp.dir, `out-${alg}`);
      const extra = alg === 'PS256' ? ['--bits', '2048'] : [];
      const j = await keygen(
        [
          '--alg',
          alg,
          ...extra,
          '--cert',
          '--subject',
          `CN=client-${alg},O=Example`,
          '--san',
          'dns:client.example.com',
          '--out',
          out,
          '--p12',
          '--p12-password',
          'correct horse',
        ],
        home,
      );
      expect(j.alg).toBe(alg);
      expect(j.role).toBe('signing');
      expect(j.kid).toBe(j.thumbprint);

      // Thumbprint: jose's RFC 7638 implementation, over the exported public JWKS.
      const jwks = JSON.parse(readFileSync(path.join(out, 'public.jwks.json'), 'utf8')) as {
        keys: Record<string, unknown>[];
      };
      expect(jwks.keys).toHaveLength(1);
      const pub = jwks.keys[0] as Record<string, unknown>;
      for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(pub).not.toHaveProperty(m);
      expect(pub).toMatchObject({ kid: j.kid, alg, use: 'sig' });
      expect(await calculateJwkThumbprint(pub as never, 'sha256')).toBe(j.thumbprint);

      // The certificate: OpenSSL parses it and shows the client-auth EKU.
      const certFile = path.join(out, 'cert.pem');
      const text = openssl(['x509', '-in', certFile, '-noout', '-text']);
      expect(text.code).toBe(0);
      expect(text.out).toContain('TLS Web Client Authentication');
      expect(text.out).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
      expect(text.out).toContain('Version: 3 (0x2)');
      expect(text.out).toContain('DNS:client.example.com');
      expect(text.out).toContain(
        { ES256: 'ecdsa-with-SHA256', PS256: 'sha256WithRSAEncryption', EdDSA: 'ED25519' }[alg],
      );
      expect(opensslX5t(certFile)).toBe(j.certificate?.['x5t#S256']);
      const subj = openssl(['x509', '-in', certFile, '-noout', '-subject', '-nameopt', 'RFC2253']);
      expect(subj.out.trim()).toBe(`subject=${j.certificate?.subject}`);
      expect(j.certificate).toMatchObject({ subject: `CN=client-${alg},O=Example`, self_signed: true });
      expect(openssl(['verify', '-CAfile', certFile, '-purpose', 'sslclient', certFile]).code).toBe(0);
      const serial = openssl(['x509', '-in', certFile, '-noout', '-serial']).out.trim();
      expect(serial).toBe(`serial=${j.certificate?.serial}`);
      const days =
        (Date.parse(j.certificate!.not_after) - Date.parse(j.certificate!.not_before)) / 86_400_000;
      expect(Math.round(days)).toBe(365);

      // Self-signed: the public JWK carries the certificate in x5c (self_signed_tls_client_auth).
      const der = Buffer.from(readFileSync(certFile, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
      expect(pub.x5c).toEqual([der.toString('base64')]);
      expect(j.public_jwk.x5c).toEqual(pub.x5c);

      // Exported PEMs load in OpenSSL, and the private key is the certificate's.
      expect(openssl(['pkey', '-in', path.join(out, 'private.pem'), '-noout']).code).toBe(0);
      expect(openssl(['pkey', '-pubin', '-in', path.join(out, 'public.pem'), '-noout']).code).toBe(0);
      const certPub = openssl(['x509', '-in', certFile, '-noout', '-pubkey']).out;
      expect(certPub).toBe(readFileSync(path.join(out, 'public.pem'), 'utf8'));
      const keyPub = openssl(['pkey', '-in', path.join(out, 'private.pem'), '-pubout']).out;
      expect(keyPub).toBe(certPub);

      // PKCS#12 opens with OpenSSL 3 (no -legacy) and holds the same certificate.
      const p12 = openssl([
        'pkcs12',
        '-in',
        path.join(out, 'client.p12'),
        '-passin',
        'pass:correct horse',
        '-nodes',
      ]);
      expect(p12.code).toBe(0);
      expect(p12.out).toContain('-----BEGIN PRIVATE KEY-----');
      expect(p12.out).toContain(readFileSync(certFile, 'utf8').trim());

      // Files and modes.
      for (const f of ['private.jwk.json', 'private.pem', 'client.p12'])
        expect(mode(path.join(out, f))).toBe(0o600);
      for (const f of ['public.jwks.json', 'public.pem', 'cert.pem'])
        expect(mode(path.join(out, f))).toBe(0o644);
      const profileDir = path.join(home, 'profiles', 'default');
      expect(mode(path.join(profileDir, 'signing.key.jwk.json'))).toBe(0o600);
      expect(mode(path.join(profileDir, 'profile.json'))).toBe(0o600);
      expect(mode(profileDir)).toBe(0o700);
      expect(readFileSync(path.join(profileDir, 'client.cert.pem'), 'utf8')).toBe(
        readFileSync(certFile, 'utf8'),
      );
      const priv = JSON.parse(readFileSync(path.join(out, 'private.jwk.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(priv).toEqual(JSON.parse(readFileSync(path.join(profileDir, 'signing.key.jwk.json'), 'utf8')));
      expect(priv.d).toEqual(expect.any(String));

      // The profile records the key and the certificate.
      const profile = JSON.parse(readFileSync(path.join(profileDir, 'profile.json'), 'utf8')) as {
        keys: { signing: Record<string, unknown> };
        certificate: Record<string, unknown>;
      };
      expect(profile.keys.signing).toEqual({
        file: 'signing.key.jwk.json',
        kid: j.kid,
        alg,
        thumbprint: j.thumbprint,
      });
      expect(profile.certificate).toMatchObject({
        file: 'client.cert.pem',
        x5t_s256: j.certificate?.['x5t#S256'],
        self_signed: true,
      });
      if (alg === 'PS256') {
        expect(openssl(['pkey', '-in', path.join(out, 'private.pem'), '-noout', '-text']).out).toContain(
          'Private-Key: (2048 bit',
        );
      }
    });
  }

  describe('CA-issued certificates (tls_client_auth)', () => {
    let caDir: string;
    beforeAll(async () => {
      caDir = path.join(tmp.dir, 'ca');
      mkdirSync(caDir, { recursive: true });
      // A CA made by fapi's own library …
      const caKey = await generateSigningKey('ES256');
      const ca = await createCertificate({ key: caKey, subject: 'CN=fapi test CA', profile: 'ca' });
      writeFileSync(path.join(caDir, 'fapi-ca.pem'), ca.pem);
      writeFileSync(path.join(caDir, 'fapi-ca.key'), privateKeyPem(caKey.privateKey));
      // … and one made by OpenSSL (RSA, PKCS#8 key).
      const r = openssl([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(caDir, 'ossl-ca.key'),
        '-out',
        path.join(caDir, 'ossl-ca.pem'),
        '-subj',
        '/O=OpenSSL/CN=OpenSSL test CA',
        '-days',
        '2',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      expect(r.code).toBe(0);
    });

    for (const [ca, alg] of [
      ['fapi-ca', 'PS256'],
      ['fapi-ca', 'EdDSA'],
      ['ossl-ca', 'ES256'],
      ['ossl-ca', 'EdDSA'],
    ] as const) {
      it(`openssl verify -CAfile ${ca} accepts an issued ${alg} certificate`, async () => {
        const home = path.join(tmp.dir, `home-${ca}-${alg}`);
        const out = path.join(tmp.dir, `out-${ca}-${alg}`);
        const j = await keygen(
          [
            '--alg',
            alg,
            ...(alg === 'PS256' ? ['--bits', '2048'] : []),
            '--cert',
            '--days',
            '30',
            '--ca-cert',
            path.join(caDir, `${ca}.pem`),
            '--ca-key',
            path.join(caDir, `${ca}.key`),
            '--out',
            out,
          ],
          home,
        );
        const certFile = path.join(out, 'cert.pem');
        const v = openssl([
          'verify',
          '-CAfile',
          path.join(caDir, `${ca}.pem`),
          '-purpose',
          'sslclient',
          certFile,
        ]);
        expect(v.out.trim()).toBe(`${certFile}: OK`);
        expect(j.certificate?.self_signed).toBe(false);
        expect(j.certificate?.issuer).toBe(
          ca === 'fapi-ca' ? 'CN=fapi test CA' : 'CN=OpenSSL test CA,O=OpenSSL',
        );
        expect(j.certificate?.subject).toBe('CN=default');
        expect(j.public_jwk).not.toHaveProperty('x5c');
        expect(opensslX5t(certFile)).toBe(j.certificate?.['x5t#S256']);
        const days =
          (Date.parse(j.certificate!.not_after) - Date.parse(j.certificate!.not_before)) / 86_400_000;
        expect(Math.round(days)).toBe(30);
      });
    }
  });

  it('human output names the algorithm, kid, thumbprint, certificate and files', async () => {
    const home = path.join(tmp.dir, 'home-human');
    const r = await fapi(['--home', home, '--profile', 'acme', 'keygen', '--cert', '--san', 'ip:127.0.0.1']);
    expect(r.code).toBe(0);
    const j = JSON.parse(readFileSync(path.join(home, 'profiles', 'acme', 'profile.json'), 'utf8')) as {
      keys: { signing: { kid: string; thumbprint: string } };
      certificate: { x5t_s256: string; serial: string };
    };
    expect(r.stdout).toContain('ES256');
    expect(r.stdout).toContain(j.keys.signing.kid);
    expect(r.stdout).toContain(j.certificate.x5t_s256);
    expect(r.stdout).toContain(j.certificate.serial);
    expect(r.stdout).toContain('CN=acme');
    expect(r.stdout).toContain('ip:127.0.0.1');
    expect(r.stdout).toContain(path.join(home, 'profiles', 'acme', 'signing.key.jwk.json'));
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('--dpop makes a separate DPoP key; --force replaces a key and drops a certificate that no longer matches', async () => {
    const home = path.join(tmp.dir, 'home-force');
    const first = await keygen(['--cert'], home);
    const dpop = await keygen(['--dpop', '--alg', 'EdDSA'], home);
    expect(dpop.role).toBe('dpop');
    expect(dpop.thumbprint).not.toBe(first.thumbprint);
    expect(dpop.files.dpop_key).toBe(path.join(home, 'profiles', 'default', 'dpop.key.jwk.json'));
    expect(mode(dpop.files.dpop_key as string)).toBe(0o600);
    const second = await fapi(['--home', home, '--json', 'keygen', '--force', '--kid', 'rotated-1']);
    expect(second.code).toBe(0);
    const s = JSON.parse(second.stdout) as KeygenJson;
    expect(s.kid).toBe('rotated-1');
    expect(s.thumbprint).not.toBe(first.thumbprint);
    expect(second.stderr).toContain('previous client certificate');
    const profile = JSON.parse(
      readFileSync(path.join(home, 'profiles', 'default', 'profile.json'), 'utf8'),
    ) as {
      keys: { signing: { kid: string }; dpop: { thumbprint: string } };
      certificate?: unknown;
    };
    expect(profile.keys.signing.kid).toBe('rotated-1');
    expect(profile.keys.dpop.thumbprint).toBe(dpop.thumbprint);
    expect(profile.certificate).toBeUndefined();
    expect(readdirSync(path.join(home, 'profiles', 'default')).sort()).toEqual([
      'dpop.key.jwk.json',
      'profile.json',
      'signing.key.jwk.json',
    ]);
  });

  describe('bad input: the right exit code and nothing changed on disk', () => {
    let home: string;
    let caDir: string;
    beforeAll(async () => {
      home = path.join(tmp.dir, 'home-bad');
      await keygen(['--cert'], home);
      mkdirSync(path.join(home, 'out'));
      writeFileSync(path.join(home, 'out', 'public.pem'), 'keep me');
      caDir = path.join(tmp.dir, 'bad-ca');
      mkdirSync(caDir);
      const caKey = await generateSigningKey('ES256');
      const ca = await createCertificate({ key: caKey, subject: 'CN=CA', profile: 'ca' });
      const other = await generateSigningKey('ES256');
      const leaf = await createCertificate({ key: other, subject: 'CN=leaf', profile: 'client' });
      writeFileSync(path.join(caDir, 'ca.pem'), ca.pem);
      writeFileSync(path.join(caDir, 'ca.key'), privateKeyPem(caKey.privateKey));
      writeFileSync(path.join(caDir, 'other.key'), privateKeyPem(other.privateKey));
      writeFileSync(path.join(caDir, 'leaf.pem'), leaf.pem);
      writeFileSync(path.join(caDir, 'garbage.key'), 'not a key\n');
    });

    const p = (...x: string[]) => path.join(...x);
    const cases: { name: string; args: () => string[]; code: number; says: string | RegExp }[] = [
      {
        name: 'unknown alg',
        args: () => ['--profile', 'n1', 'keygen', '--alg', 'ES999'],
        code: 2,
        says: /--alg ES256/,
      },
      {
        name: 'RS256',
        args: () => ['--profile', 'n2', 'keygen', '--alg', 'RS256'],
        code: 2,
        says: 'not allowed by FAPI 2.0',
      },
      {
        name: '--bits 1024',
        args: () => ['--profile', 'n3', 'keygen', '--alg', 'PS256', '--bits', '1024'],
        code: 2,
        says: 'at least 2048',
      },
      {
        name: '--bits with ES256',
        args: () => ['--profile', 'n3', 'keygen', '--bits', '4096'],
        code: 2,
        says: '--bits only applies',
      },
      {
        name: 'missing CA key file',
        args: () => [
          '--profile',
          'n4',
          'keygen',
          '--cert',
          '--ca-cert',
          p(caDir, 'ca.pem'),
          '--ca-key',
          p(caDir, 'nope.key'),
        ],
        code: 3,
        says: 'nope.key',
      },
      {
        name: 'unreadable CA key',
        args: () => [
          '--profile',
          'n5',
          'keygen',
          '--cert',
          '--ca-cert',
          p(caDir, 'ca.pem'),
          '--ca-key',
          p(caDir, 'garbage.key'),
        ],
        code: 3,
        says: 'garbage.key',
      },
      {
        name: 'CA cert and key that do not match',
        args: () => [
          '--profile',
          'n6',
          'keygen',
          '--cert',
          '--ca-cert',
          p(caDir, 'ca.pem'),
          '--ca-key',
          p(caDir, 'other.key'),
        ],
        code: 3,
        says: 'does not belong to the CA certificate',
      },
      {
        name: 'a CA certificate that is not a CA',
        args: () => [
          '--profile',
          'n7',
          'keygen',
          '--cert',
          '--ca-cert',
          p(caDir, 'leaf.pem'),
          '--ca-key',
          p(caDir, 'other.key'),
        ],
        code: 3,
        says: 'is not a CA',
      },
      { name: 'existing key without --force', args: () => ['keygen'], code: 3, says: '--force' },
      { name: '--dpop with --cert', args: () => ['keygen', '--dpop', '--cert'], code: 2, says: '--dpop' },
      {
        name: 'existing --out file without --force',
        args: () => ['--profile', 'n8', 'keygen', '--out', p(home, 'out')],
        code: 3,
        says: 'public.pem',
      },
      {
        name: '--p12 without --out',
        args: () => ['--profile', 'n9', 'keygen', '--cert', '--p12', '--p12-password', 'pw'],
        code: 2,
        says: '--out',
      },
      {
        name: '--p12 without a password and no TTY',
        args: () => ['--profile', 'n9', 'keygen', '--cert', '--p12', '--out', p(home, 'p12out')],
        code: 2,
        says: '--p12-password',
      },
      {
        name: 'bad --subject',
        args: () => ['--profile', 'n10', 'keygen', '--cert', '--subject', 'nonsense'],
        code: 2,
        says: '--subject',
      },
      {
        name: 'bad --san',
        args: () => ['--profile', 'n10', 'keygen', '--cert', '--san', 'ip:999.1.1.1'],
        code: 2,
        says: '--san',
      },
      {
        name: '--san without --cert',
        args: () => ['--profile', 'n10', 'keygen', '--san', 'dns:x.example'],
        code: 2,
        says: '--cert',
      },
      {
        name: '--ca-cert without --ca-key',
        args: () => ['--profile', 'n10', 'keygen', '--cert', '--ca-cert', p(caDir, 'ca.pem')],
        code: 2,
        says: '--ca-key',
      },
      {
        name: 'bad --days',
        args: () => ['--profile', 'n10', 'keygen', '--cert', '--days', '0'],
        code: 2,
        says: '--days',
      },
      {
        name: 'bad profile name',
        args: () => ['--profile', '../evil', 'keygen'],
        code: 2,
        says: 'not a valid profile name',
      },
    ];
    for (const c of cases) {
      it(`${c.name} → exit ${c.code}`, async () => {
        const before = snapshot(home);
        const r = await fapi(['--home', home, ...c.args()]);
        expect(r.code, r.stderr).toBe(c.code);
        if (typeof c.says === 'string') expect(r.stderr).toContain(c.says);
        else expect(r.stderr).toMatch(c.says);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stdout).toBe('');
        expect(snapshot(home)).toEqual(before);
        const j = await fapi(['--home', home, '--json', ...c.args()]);
        expect(j.code).toBe(c.code);
        expect(j.stdout).toBe('');
        expect((JSON.parse(j.stderr) as { error: { exit_code: number } }).error.exit_code).toBe(c.code);
        expect(snapshot(home)).toEqual(before);
      });
    }
  });
});
