/**
 * `fapi keygen`: a client signing key (or the DPoP key) in the profile, optionally an X.509 client
 * certificate for mTLS (RFC 8705), self-signed or issued by a CA, exports to a folder and a
 * PKCS#12 bundle. Everything is checked and built in memory first; files are written only once
 * nothing can fail any more, so bad input changes nothing on disk.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { stateError, usageError } from '../../errors.js';
import {
  SECRET_FILE_MODE,
  PUBLIC_FILE_MODE,
  exists,
  readText,
  removeFile,
  writeFileAtomic,
} from '../../store/atomic.js';
import type { Profile } from '../../store/profile.js';
import {
  checkAlg,
  checkRsaBits,
  DEFAULT_RSA_BITS,
  generateSigningKey,
  type GeneratedKey,
} from '../../keys/generate.js';
import {
  CERT_FILE,
  KEY_FILES,
  saveProfileCertificate,
  saveProfileKey,
  type KeyRole,
} from '../../store/profile-keys.js';
import { exportFiles, planKeyExport, withSelfSignedX5c } from '../../keys/export.js';
import type { IssuingCa } from '../../keys/issuing-ca.js';
import type { CertInfo, San } from '../../keys/x509.js';
import type { CliContext } from '../context.js';
import { DAYS_OPTION, parseIntOption } from '../options.js';

/** The options of `fapi keygen` (declared in main.ts). */
export interface KeygenOptions {
  alg?: string;
  bits?: string;
  kid?: string;
  cert?: boolean;
  subject?: string;
  san?: string[];
  days?: string;
  caCert?: string;
  caKey?: string;
  p12?: boolean;
  p12Password?: string;
  out?: string;
  dpop?: boolean;
  force?: boolean;
}

const ALG_BY_LOWER: Record<string, string> = {
  es256: 'ES256',
  ps256: 'PS256',
  eddsa: 'EdDSA',
  ed25519: 'EdDSA',
};
export const DEFAULT_DAYS = 365;

function fmtDate(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

export async function run(ctx: CliContext, opts: KeygenOptions): Promise<void> {
  const role: KeyRole = opts.dpop ? 'dpop' : 'signing';
  const force = Boolean(opts.force);

  // ── 1. options (nothing read or written yet) ───────────────────────────────
  const alg = checkAlg(ALG_BY_LOWER[(opts.alg ?? 'ES256').toLowerCase()] ?? opts.alg);
  // The FAPI rule on RSA sizes (FAPI2-SP §5.4.1-2) and its messages are the key module's.
  const bits = opts.bits !== undefined ? checkRsaBits(opts.bits) : undefined;
  if (bits !== undefined && alg !== 'PS256')
    throw usageError('E_BITS', `--bits only applies to RSA keys (--alg PS256), not ${alg}.`, 'Drop --bits.', {
      flag: '--bits',
    });
  const certFlags: [keyof KeygenOptions, string][] = [
    ['subject', '--subject'],
    ['san', '--san'],
    ['days', '--days'],
    ['caCert', '--ca-cert'],
    ['caKey', '--ca-key'],
    ['p12', '--p12'],
    ['p12Password', '--p12-password'],
  ];
  if (!opts.cert) {
    const given = certFlags.find(([k]) => opts[k] !== undefined);
    if (given)
      throw usageError(
        'E_NEEDS_CERT',
        `${given[1]} only applies with --cert.`,
        `Add --cert, or drop ${given[1]}.`,
        {
          flag: '--cert',
        },
      );
  }
  if (opts.cert && role === 'dpop')
    throw usageError(
      'E_DPOP_CERT',
      'A DPoP key gets no certificate: --dpop and --cert cannot be combined.',
      'Run `fapi keygen --cert` for the client-authentication key, and `fapi keygen --dpop` for the DPoP key.',
      { flag: '--dpop' },
    );
  if (Boolean(opts.caCert) !== Boolean(opts.caKey)) {
    const missing = opts.caCert ? '--ca-key' : '--ca-cert';
    throw usageError(
      'E_MISSING_OPTION',
      `--ca-cert and --ca-key go together; ${missing} is missing.`,
      `Pass ${missing} FILE.`,
      {
        flag: missing,
      },
    );
  }
  const days = parseIntOption(opts.days, DAYS_OPTION) ?? DEFAULT_DAYS;
  // Heavier helpers are loaded only when a certificate is asked for.
  const x509 = opts.cert ? await import('../../keys/x509.js') : undefined;
  const sans: San[] = x509 ? (opts.san ?? []).map((s) => x509.parseSanSpec(s)) : [];
  const subject = opts.subject ?? `CN=${ctx.profileName}`;
  if (x509) x509.parseDn(subject);
  const outDir = opts.out ? path.resolve(opts.out) : undefined;

  let p12Password: string | undefined;
  if (opts.p12 && !outDir)
    throw usageError(
      'E_NEEDS_OUT',
      '--p12 writes client.p12 into the --out folder, and --out is missing.',
      'Add --out DIR.',
      {
        flag: '--out',
      },
    );
  if (opts.p12) {
    p12Password = opts.p12Password;
    if (p12Password === undefined) {
      if (!ctx.interactive)
        throw usageError(
          'E_MISSING_OPTION',
          '--p12 needs a password for the PKCS#12 bundle, and this is not an interactive terminal.',
          'Pass --p12-password PASSWORD.',
          { flag: '--p12-password' },
        );
      const { password } = await import('../prompt.js');
      p12Password = await password(ctx, 'Password for the PKCS#12 bundle', '--p12-password');
      const again = await password(ctx, 'Repeat the password', '--p12-password');
      if (again !== p12Password)
        throw usageError('E_P12_PASSWORD', 'The two passwords differ.', 'Run the command again.', {
          flag: '--p12-password',
        });
    }
    if (!p12Password)
      throw usageError(
        'E_P12_PASSWORD',
        'The PKCS#12 password must not be empty.',
        'Pass --p12-password PASSWORD.',
        {
          flag: '--p12-password',
        },
      );
  } else if (opts.p12Password !== undefined) {
    throw usageError(
      'E_NEEDS_P12',
      '--p12-password only applies with --p12.',
      'Add --p12, or drop --p12-password.',
      {
        flag: '--p12',
      },
    );
  }

  // ── 2. local state: profile, existing files, CA inputs ─────────────────────
  const profile: Profile = await ctx.store.loadOrNew(ctx.profileName);
  const keyFile = ctx.store.resolve(profile.name, KEY_FILES[role]);
  const replacing = Boolean(profile.keys?.[role]) || (await exists(keyFile));
  if (replacing && !force) {
    const ref = profile.keys?.[role];
    throw stateError(
      'E_KEY_EXISTS',
      `Profile "${profile.name}" already has a ${role === 'dpop' ? 'DPoP' : 'signing'} key${ref ? ` (${ref.alg}, kid ${ref.kid})` : ''} in ${keyFile}.`,
      'Pass --force to replace it (a server that knows the old key must be told the new one), or use another --profile.',
      { details: { file: keyFile } },
    );
  }

  let issuer: IssuingCa | undefined;
  if (x509 && opts.caCert && opts.caKey) {
    const { loadIssuingCa } = await import('../../keys/issuing-ca.js');
    issuer = await loadIssuingCa(opts.caCert, opts.caKey, readText);
  }

  if (outDir) {
    const st = await fs.stat(outDir).catch(() => undefined);
    if (st && !st.isDirectory())
      throw stateError(
        'E_OUT_NOT_DIR',
        `--out ${outDir} is a file, not a folder.`,
        'Pass a folder with --out.',
        {
          details: { file: outDir },
        },
      );
    if (!force) {
      const taken: string[] = [];
      for (const { name } of exportFiles({ cert: Boolean(opts.cert), p12: Boolean(opts.p12) })) {
        const file = path.join(outDir, name);
        if (await exists(file)) taken.push(file);
      }
      if (taken.length)
        throw stateError(
          'E_FILE_EXISTS',
          `--out would overwrite ${taken.join(', ')}.`,
          'Pass --force to replace them, or choose another folder with --out.',
          { details: { files: taken } },
        );
    }
  }

  // ── 3. build everything in memory ───────────────────────────────────────────
  let key: GeneratedKey = await generateSigningKey(alg, { bits, kid: opts.kid });
  let cert: CertInfo | undefined;
  if (x509) {
    const certOpts = { key, subject, sans, days, profile: 'client' as const };
    cert = issuer ? await issuer.issue(certOpts) : await x509.createCertificate(certOpts);
    key = withSelfSignedX5c(key, cert);
  }
  let p12: Buffer | undefined;
  if (cert && p12Password !== undefined) {
    const { exportPkcs12 } = await import('../../keys/p12.js');
    p12 = await exportPkcs12({
      privateKey: key.privateKey,
      certPem: cert.pem + (issuer ? issuer.certPem : ''),
      password: p12Password,
      friendlyName: `fapi ${profile.name}`,
    });
  }

  // ── 4. write: exports first, the profile last ───────────────────────────────
  const written: Record<string, string> = {};
  const secretFiles = new Set<string>();
  if (outDir) {
    for (const f of planKeyExport(key, cert, { p12 })) {
      const file = path.join(outDir, f.name);
      const mode = f.secret ? SECRET_FILE_MODE : PUBLIC_FILE_MODE;
      await writeFileAtomic(file, f.data, { mode, exclusive: !force });
      written[f.name] = file;
      if (f.secret) secretFiles.add(file);
    }
  }

  const warnings: string[] = [];
  await saveProfileKey(ctx.store, profile, role, key);
  if (cert) {
    await saveProfileCertificate(ctx.store, profile, cert);
  } else if (role === 'signing' && profile.certificate) {
    // The old certificate is for the old key: keeping it would present a certificate that does
    // not match the signing key.
    await removeFile(ctx.store.resolve(profile.name, profile.certificate.file));
    delete profile.certificate;
    warnings.push(
      'the previous client certificate was for the old key and has been removed; add --cert for a new one',
    );
  }
  await ctx.store.save(profile);
  if (replacing && role === 'signing' && profile.client_id)
    warnings.push(
      `client "${profile.client_id}" is registered with the old key: update the registration before logging in again`,
    );
  if (replacing && role === 'dpop')
    warnings.push('tokens bound to the old DPoP key can no longer be used; log in again');

  // ── 5. report ──────────────────────────────────────────────────────────────
  const profileDir = ctx.store.dir(profile.name);
  const profileFile = path.join(profileDir, 'profile.json');
  const certFile = cert ? ctx.store.resolve(profile.name, CERT_FILE) : undefined;
  const files: Record<string, string> = {
    [role === 'dpop' ? 'dpop_key' : 'signing_key']: keyFile,
    profile: profileFile,
    ...(certFile ? { certificate: certFile } : {}),
  };
  const result = {
    profile: profile.name,
    role,
    alg,
    kid: key.kid,
    thumbprint: key.thumbprint,
    public_jwk: key.publicJwk,
    certificate: cert
      ? {
          subject: cert.subject,
          issuer: cert.issuer,
          serial: cert.serial,
          not_before: cert.notBefore.toISOString(),
          not_after: cert.notAfter.toISOString(),
          'x5t#S256': cert.x5tS256,
          self_signed: cert.selfSigned,
          sans: cert.sans.map((s) => `${s.type}:${s.value}`),
        }
      : null,
    files,
    exported: outDir ? written : null,
    warnings,
  };
  for (const w of warnings) ctx.out.warn(w);
  ctx.out.result(result, () => {
    const c = ctx.out.c;
    const row = (k: string, v: string) => `  ${k.padEnd(12)} ${v}`;
    const lines = [
      `${c.green('✔')} ${role === 'dpop' ? 'DPoP' : 'signing'} key ${c.bold(alg)}${alg === 'PS256' ? ` (RSA ${bits ?? DEFAULT_RSA_BITS})` : alg === 'ES256' ? ' (P-256)' : ' (Ed25519)'} for profile "${profile.name}"`,
      row('kid', key.kid),
      row('thumbprint', `${key.thumbprint}  (RFC 7638 JWK SHA-256)`),
    ];
    if (cert) {
      lines.push(
        row(
          'certificate',
          `${cert.subject}  ${cert.selfSigned ? '(self-signed)' : `(issued by ${cert.issuer})`}`,
        ),
        row('serial', cert.serial),
        row('valid', `${fmtDate(cert.notBefore)} → ${fmtDate(cert.notAfter)}`),
        row('x5t#S256', cert.x5tS256),
      );
      if (cert.sans.length) lines.push(row('SANs', cert.sans.map((s) => `${s.type}:${s.value}`).join(', ')));
    }
    lines.push(row('files', `${keyFile}  (private, 0600)`));
    if (certFile) lines.push(row('', certFile));
    lines.push(row('', profileFile));
    for (const file of Object.values(written))
      lines.push(row('', `${file}${secretFiles.has(file) ? '  (private, 0600)' : ''}`));
    if (role === 'signing') {
      const auth = !cert
        ? 'private_key_jwt'
        : cert.selfSigned
          ? 'self_signed_tls_client_auth'
          : 'tls_client_auth';
      lines.push(
        `  next: fapi register --issuer https://as.example --auth ${auth}${cert ? ' --sender mtls' : ''}   register this client`,
      );
    }
    return lines;
  });
}
