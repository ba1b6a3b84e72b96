/** `fapi profile list|show|use|delete`. */
import type { CliContext, GlobalOptions } from '../context.js';
import type { Profile, StoredTokens } from '../../store/profile.js';
import { redacted } from '../../http/redact.js';
import { confirm } from '../prompt.js';
import type { ClientAuthMethod, SenderConstraint } from '../../core/fapi.js';
import { usageError } from '../../errors.js';

export async function list(ctx: CliContext): Promise<void> {
  const names = await ctx.store.list();
  const current = (await ctx.store.currentProfile()) ?? 'default';
  const rows: {
    name: string;
    current: boolean;
    issuer: string | null;
    client_id: string | null;
    auth_method: string | null;
    sender: string | null;
  }[] = [];
  for (const name of names) {
    const p = await ctx.store.load(name);
    rows.push({
      name,
      current: name === current,
      issuer: p.issuer ?? null,
      client_id: p.client_id ?? null,
      auth_method: p.auth_method ?? null,
      sender: p.sender ?? null,
    });
  }
  ctx.out.result({ home: ctx.home, profiles: rows }, () => {
    if (rows.length === 0)
      return `No profiles in ${ctx.home}. Create one with \`fapi keygen\` or \`fapi init\`.`;
    return rows.map(
      (r) =>
        `${r.current ? '*' : ' '} ${r.name.padEnd(16)} ${r.issuer ?? '(no issuer)'}${r.client_id ? `  client ${r.client_id}` : ''}${r.sender ? `  ${r.sender}` : ''}`,
    );
  });
}

export function publicProfile(
  p: Profile,
  tokens: StoredTokens | undefined,
  showSecrets: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
  const reg = out.registration as Record<string, unknown> | undefined;
  if (reg && typeof reg.registration_access_token === 'string' && !showSecrets) {
    reg.registration_access_token = redacted('registration_access_token', reg.registration_access_token);
  }
  if (tokens) {
    const t: Record<string, unknown> = { ...tokens };
    if (!showSecrets) {
      for (const k of ['access_token', 'refresh_token', 'id_token'] as const) {
        const v = tokens[k];
        if (typeof v === 'string') t[k] = redacted(k, v);
      }
    }
    out.tokens = t;
  }
  return out;
}

export interface ProfileShowOptions extends GlobalOptions {
  showSecrets?: boolean;
}

export interface ProfileDeleteOptions extends GlobalOptions {
  yes?: boolean;
}

export interface ProfileCreateOptions extends GlobalOptions {
  issuer?: string;
  clientId?: string;
  /** The client's private key file: a JWK or PEM. */
  key?: string;
  /** Its certificate file (PEM). */
  cert?: string;
  /** commander's .choices(), default private_key_jwt. */
  auth?: ClientAuthMethod;
  /** commander's .choices(), default dpop. */
  sender?: SenderConstraint;
  redirectUri?: string;
  scope?: string;
  force?: boolean;
}

export async function show(ctx: CliContext, opts: ProfileShowOptions, args: string[]): Promise<void> {
  const name = args[0] ?? ctx.profileName;
  const p = await ctx.store.load(name);
  const tokens = await ctx.store.loadTokens(name);
  const data = publicProfile(p, tokens, Boolean(opts.showSecrets));
  ctx.out.result(data, () => {
    const c = ctx.out.c;
    const lines = [`${c.bold('profile')}      ${p.name}  (${ctx.store.dir(p.name)})`];
    const row = (k: string, v: unknown) =>
      v !== undefined && v !== null && lines.push(`${k.padEnd(13)}${String(v)}`);
    row('issuer', p.issuer);
    row('client_id', p.client_id);
    row('auth', p.auth_method);
    row('sender', p.sender);
    row('redirect_uri', p.redirect_uri);
    row('scope', p.scope);
    row('ca_file', p.ca_file);
    if (p.keys?.signing) row('signing key', `${p.keys.signing.alg} kid ${p.keys.signing.kid}`);
    if (p.keys?.dpop) row('dpop key', `${p.keys.dpop.alg} kid ${p.keys.dpop.kid}`);
    if (p.certificate)
      row(
        'certificate',
        `${p.certificate.subject} (x5t#S256 ${p.certificate.x5t_s256}, until ${p.certificate.not_after})`,
      );
    if (p.registration?.registration_client_uri) row('client uri', p.registration.registration_client_uri);
    if (tokens) {
      const exp = tokens.expires_at
        ? `expires ${new Date(tokens.expires_at * 1000).toISOString()}`
        : 'no expiry given';
      row(
        'tokens',
        `${tokens.token_type}, ${exp}${tokens.refresh_token ? ', refresh token' : ''}${tokens.scope ? `, scope "${tokens.scope}"` : ''}`,
      );
      if (opts.showSecrets) {
        row('access_token', tokens.access_token);
        row('refresh_token', tokens.refresh_token);
      }
    }
    return lines;
  });
}

export async function use(ctx: CliContext, _opts: GlobalOptions, args: string[]): Promise<void> {
  const name = args[0] as string;
  await ctx.store.use(name);
  ctx.out.result({ current_profile: name }, () => `Now using profile "${name}".`);
}

export async function remove(ctx: CliContext, opts: ProfileDeleteOptions, args: string[]): Promise<void> {
  const name = args[0] as string;
  await ctx.store.load(name);
  if (!opts.yes && !(await confirm(ctx, `Delete profile "${name}" with its keys and tokens?`, '--yes'))) {
    ctx.out.result({ deleted: false }, () => 'Nothing deleted.');
    return;
  }
  await ctx.store.delete(name);
  ctx.out.result({ deleted: name }, () => `Deleted profile "${name}".`);
}

/**
 * `fapi profile create --issuer URL --client-id ID --key FILE [--cert FILE]`: imports a client
 * registered out of band (a portal, an operator). The key (private JWK or PEM) becomes the profile's
 * signing key; the issuer is checked by discovery first (CL-03).
 */
export async function create(ctx: CliContext, opts: ProfileCreateOptions): Promise<void> {
  const issuer = ctx.requireOption(opts.issuer, '--issuer', 'the issuer (--issuer)');
  const clientId = ctx.requireOption(opts.clientId, '--client-id', 'the client_id (--client-id)');
  const keyFile = ctx.requireOption(opts.key, '--key', 'the client key file (--key)');
  const certFile = opts.cert;
  const { DEFAULT_REDIRECT_URI } = await import('../../core/fapi.js');
  const authMethod = opts.auth ?? 'private_key_jwt';
  const sender = opts.sender ?? 'dpop';
  if ((authMethod !== 'private_key_jwt' || sender === 'mtls') && !certFile)
    throw usageError(
      'E_MISSING_OPTION',
      `${authMethod !== 'private_key_jwt' ? authMethod : 'mTLS-bound tokens'} need${authMethod !== 'private_key_jwt' ? 's' : ''} the client certificate.`,
      'Pass --cert FILE (PEM) with the certificate of --key.',
      { flag: '--cert' },
    );
  if (await ctx.store.exists(ctx.profileName)) {
    const existing = await ctx.store.load(ctx.profileName);
    if ((existing.client_id || existing.keys?.signing) && !opts.force)
      throw usageError(
        'E_PROFILE_EXISTS',
        `Profile "${ctx.profileName}" already has ${existing.client_id ? `client ${existing.client_id}` : 'a signing key'}.`,
        'Pick another name with --profile NAME, or pass --force to replace it (its keys and tokens are replaced).',
      );
  }

  // Everything is read and checked before anything is written.
  const { readClientCredentials } = await import('../../store/profile-keys.js');
  const { key, certInfo } = await readClientCredentials(keyFile, certFile);
  const redirectUri = opts.redirectUri ?? DEFAULT_REDIRECT_URI;
  const { checkClientMetadata } = await import('../../core/registration.js');
  checkClientMetadata({
    token_endpoint_auth_method: authMethod,
    redirect_uris: [redirectUri],
    ...(authMethod === 'private_key_jwt' ? { jwks: { keys: [key.publicJwk] } } : {}),
    ...(authMethod === 'tls_client_auth' ? { tls_client_auth_subject_dn: certInfo?.subject } : {}),
    ...(authMethod === 'self_signed_tls_client_auth'
      ? { jwks: { keys: [{ ...key.publicJwk, x5c: [certInfo?.der.toString('base64') ?? ''] }] } }
      : {}),
  });

  // CL-03: the issuer must be the one its metadata names; the server should offer what we use.
  const { discoverMetadata } = await import('../../core/discovery.js');
  const t = new Date();
  const profile: Profile = {
    version: 1,
    name: ctx.profileName,
    created_at: t.toISOString(),
    updated_at: t.toISOString(),
    ...(ctx.caFile ? { ca_file: ctx.caFile } : {}),
  };
  const discovery = await discoverMetadata(ctx.http({ profile }), issuer);
  const methods = discovery.metadata.token_endpoint_auth_methods_supported;
  if (Array.isArray(methods) && !methods.includes(authMethod))
    ctx.out.warn(
      `${issuer} does not list ${authMethod} in token_endpoint_auth_methods_supported (${methods.join(', ')})`,
    );

  const { saveProfileKey, saveProfileCertificate } = await import('../../store/profile-keys.js');
  // Replacing (--force): the old client's tokens and certificate go; the key files are overwritten.
  await ctx.store.deleteTokens(ctx.profileName);
  const { removeFile } = await import('../../store/atomic.js');
  const { CERT_FILE } = await import('../../store/profile-keys.js');
  await removeFile(ctx.store.resolve(ctx.profileName, CERT_FILE));
  profile.issuer = issuer;
  profile.client_id = clientId;
  profile.auth_method = authMethod;
  profile.sender = sender;
  profile.redirect_uri = redirectUri;
  if (opts.scope !== undefined) profile.scope = opts.scope;
  await saveProfileKey(ctx.store, profile, 'signing', key);
  if (certInfo) await saveProfileCertificate(ctx.store, profile, certInfo);
  await ctx.store.save(profile);
  ctx.out.result(
    {
      profile: profile.name,
      issuer,
      client_id: clientId,
      auth_method: authMethod,
      sender,
      redirect_uri: redirectUri,
      scope: profile.scope ?? null,
      signing_key: { alg: key.alg, kid: key.kid, thumbprint: key.thumbprint },
      certificate: certInfo ? { subject: certInfo.subject, x5t_s256: certInfo.x5tS256 } : null,
    },
    () => [
      `${ctx.out.c.green('✔')} profile "${profile.name}" imports client ${clientId} at ${issuer}`,
      `  auth          ${authMethod} (${key.alg} kid ${key.kid})`,
      `  sender        ${sender}`,
      ...(certInfo ? [`  certificate   ${certInfo.subject}`] : []),
      `  redirect_uri  ${redirectUri} (must be registered for this client at the server)`,
      `next:  fapi login${profile.name === 'default' ? '' : ` --profile ${profile.name}`}`,
    ],
  );
}
