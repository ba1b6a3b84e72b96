/**
 * `fapi lab cert`: an mTLS client certificate from the lab CA for the profile's signing key
 * (tls_client_auth, RFC 8705 §2.1).
 */
import { ensureDir } from '../../../store/atomic.js';
import type { CliContext } from '../../context.js';
import { DAYS_OPTION, parseIntOption } from '../../options.js';
import { labHome, labPaths } from '../../../../lab/home.js';

export interface LabCertOptions {
  subject?: string;
  san?: string[];
  /** Commander's default: '365'. */
  days: string;
}

export async function run(ctx: CliContext, opts: LabCertOptions): Promise<void> {
  const { loadProfileKey, saveProfileCertificate } = await import('../../../store/profile-keys.js');
  const { ensureLabCa } = await import('../../../../lab/ca.js');
  const { parseSanSpec } = await import('../../../keys/x509.js');
  const p = labPaths(labHome(ctx.home));
  const profile = await ctx.store.load(ctx.profileName);
  const key = await loadProfileKey(ctx.store, profile, 'signing');
  const days = parseIntOption(opts.days, DAYS_OPTION);
  const subject = opts.subject ?? `CN=${profile.name},O=fapi lab client`;
  const sans = (opts.san ?? []).map(parseSanSpec);
  await ensureDir(p.home);
  const tls = await ensureLabCa(p, () => new Date());
  const info = await tls.ca.issueClientCertificate({ key, subject, sans, days });
  await saveProfileCertificate(ctx.store, profile, info);
  if (!profile.ca_file) profile.ca_file = p.caCert;
  await ctx.store.save(profile);
  const file = ctx.store.resolve(profile.name, profile.certificate!.file);
  ctx.out.result(
    {
      profile: profile.name,
      subject: info.subject,
      issuer: info.issuer,
      serial: info.serial,
      not_after: info.notAfter.toISOString(),
      x5t_s256: info.x5tS256,
      file,
      ca: p.caCert,
      tls_client_auth_subject_dn: info.subject,
    },
    () => [
      `Issued an mTLS client certificate for profile "${profile.name}" from the lab CA.`,
      `  subject       ${info.subject}`,
      `  x5t#S256      ${info.x5tS256}`,
      `  valid until   ${info.notAfter.toISOString()}`,
      `  file          ${file}`,
      `  register with token_endpoint_auth_method tls_client_auth and tls_client_auth_subject_dn "${info.subject}"`,
    ],
  );
}
