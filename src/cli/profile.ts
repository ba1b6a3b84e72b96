/** `fapi profile list|show|use|delete`. */
import type { CliContext } from './context.js';
import type { Profile, StoredTokens } from '../store/profile.js';
import { redacted } from '../http/redact.js';
import { confirm } from './prompt.js';

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

export async function show(ctx: CliContext, opts: Record<string, unknown>, args: string[]): Promise<void> {
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

export async function use(ctx: CliContext, _opts: Record<string, unknown>, args: string[]): Promise<void> {
  const name = args[0] as string;
  await ctx.store.use(name);
  ctx.out.result({ current_profile: name }, () => `Now using profile "${name}".`);
}

export async function remove(ctx: CliContext, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const name = args[0] as string;
  await ctx.store.load(name);
  if (!opts.yes && !(await confirm(ctx, `Delete profile "${name}" with its keys and tokens?`, '--yes'))) {
    ctx.out.result({ deleted: false }, () => 'Nothing deleted.');
    return;
  }
  await ctx.store.delete(name);
  ctx.out.result({ deleted: name }, () => `Deleted profile "${name}".`);
}
