/**
 * `fapi client show|update|delete`: RFC 7592 management of the profile's registered client, with
 * its registration access token. A 401 on that token is fatal (CL-25); a rotated token is saved.
 */
import { stateError } from '../../errors.js';
import { discoverMetadata } from '../../core/discovery.js';
import type { Jwk } from '../../core/jwk.js';
import {
  buildClientMetadata,
  clientConfigurationUri,
  deleteClient,
  readClient,
  updatableMetadata,
  updateClient,
  type RegisteredClient,
} from '../../core/registration.js';
import { redacted } from '../../http/redact.js';
import type { Profile } from '../../store/profile.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { confirm } from '../prompt.js';
import { profileCredentials, readMetadataFile } from './register.js';

interface Managed {
  profile: Profile;
  uri: string;
  rat: string;
  clientId: string;
}

async function managed(ctx: CliContext): Promise<Managed> {
  const profile = await ctx.store.load(ctx.profileName);
  const uri = profile.registration?.registration_client_uri;
  const rat = profile.registration?.registration_access_token;
  if (!profile.client_id || !uri || !rat)
    throw stateError(
      'E_NOT_REGISTERED',
      profile.client_id
        ? `Profile "${profile.name}" has client ${profile.client_id} but no registration access token and client URI (it was imported, or the server offers no management).`
        : `Profile "${profile.name}" has no registered client.`,
      profile.client_id
        ? 'Manage this client where it was registered.'
        : 'Register one with `fapi register --issuer URL`.',
    );
  return { profile, uri, rat, clientId: profile.client_id };
}

/** Saves a rotated registration access token (RFC 7592 §2.1, §2.2) and the server's view. */
async function remember(ctx: CliContext, profile: Profile, client: RegisteredClient): Promise<boolean> {
  const reg = { ...profile.registration };
  const rotated = Boolean(
    client.registration_access_token && client.registration_access_token !== reg.registration_access_token,
  );
  if (rotated) reg.registration_access_token = client.registration_access_token;
  const uri = clientConfigurationUri(client);
  if (uri) reg.registration_client_uri = uri;
  reg.metadata = client.metadata;
  profile.registration = reg;
  await ctx.store.save(profile);
  return rotated;
}

function ratView(profile: Profile, showSecrets: boolean): string | null {
  const rat = profile.registration?.registration_access_token;
  if (!rat) return null;
  return showSecrets ? rat : redacted('registration_access_token', rat);
}

/** Whether the registered keys still hold the profile's signing key. */
function keyCheck(profile: Profile, md: Record<string, unknown>): string | undefined {
  const kid = profile.keys?.signing?.kid;
  const keys = (md.jwks as { keys?: Jwk[] } | undefined)?.keys;
  if (!kid || !Array.isArray(keys) || profile.auth_method === 'tls_client_auth') return undefined;
  return keys.some((k) => k.kid === kid)
    ? undefined
    : `the registered JWKS does not contain the profile's signing key (kid ${kid}): run \`fapi client update\` to register it`;
}

export interface ClientShowOptions extends GlobalOptions {
  showSecrets?: boolean;
}

export interface ClientUpdateOptions extends GlobalOptions {
  redirectUri?: string;
  scope?: string;
  /** A JSON file of client metadata merged over the current configuration. */
  metadata?: string;
  showSecrets?: boolean;
}

export interface ClientDeleteOptions extends GlobalOptions {
  yes?: boolean;
}

export async function show(ctx: CliContext, opts: ClientShowOptions): Promise<void> {
  const { profile, uri, rat } = await managed(ctx);
  const client = await readClient(ctx.http({ profile }), uri, rat);
  const rotated = await remember(ctx, profile, client);
  const warning = keyCheck(profile, client.metadata);
  if (warning) ctx.out.warn(warning);
  ctx.out.result(
    {
      profile: profile.name,
      client_id: client.client_id,
      registration_client_uri: uri,
      registration_access_token: ratView(profile, Boolean(opts.showSecrets)),
      registration_access_token_rotated: rotated,
      metadata: client.metadata,
    },
    () => {
      const lines = [`client ${ctx.out.c.bold(client.client_id)}  (${uri})`];
      for (const [k, v] of Object.entries(client.metadata)) {
        if (k === 'client_id') continue;
        const text = k === 'jwks' ? jwksSummary(v) : typeof v === 'string' ? v : JSON.stringify(v);
        lines.push(`  ${k.padEnd(44)} ${text}`);
      }
      if (rotated) lines.push('  (the server rotated the registration access token; the new one is saved)');
      return lines;
    },
  );
}

function jwksSummary(v: unknown): string {
  const keys = (v as { keys?: Jwk[] } | undefined)?.keys;
  if (!Array.isArray(keys)) return JSON.stringify(v);
  return keys
    .map((k) => `${k.kty}${k.crv ? `/${k.crv}` : ''} kid ${k.kid ?? '-'}${k.x5c ? ' (x5c)' : ''}`)
    .join(', ');
}

export async function update(ctx: CliContext, opts: ClientUpdateOptions): Promise<void> {
  const { profile, uri, rat, clientId } = await managed(ctx);
  if (!profile.auth_method || !profile.sender || !profile.issuer)
    throw stateError(
      'E_PROFILE_INCOMPLETE',
      `Profile "${profile.name}" lacks its issuer, auth method or sender.`,
      'Register again with `fapi register --force`.',
    );
  const http = ctx.http({ profile });
  const discovery = await discoverMetadata(http, profile.issuer);
  // RFC 7592 §2.2: the PUT replaces the whole configuration, so start from the server's current one.
  const current = await readClient(http, uri, rat);
  let rotated = await remember(ctx, profile, current);
  const currentRat = profile.registration?.registration_access_token ?? rat;
  const redirects = opts.redirectUri
    ? [opts.redirectUri]
    : Array.isArray(current.metadata.redirect_uris)
      ? (current.metadata.redirect_uris as string[])
      : profile.redirect_uri
        ? [profile.redirect_uri]
        : [];
  const scope =
    opts.scope ?? (typeof current.metadata.scope === 'string' ? current.metadata.scope : undefined);
  const md = buildClientMetadata({
    template: updatableMetadata(current.metadata),
    authMethod: profile.auth_method,
    sender: profile.sender,
    redirectUris: redirects,
    scope,
    server: discovery.metadata,
    overrides: await readMetadataFile(opts.metadata),
    // A client registered for request objects keeps them, with the current key's algorithm (MS-07).
    jar: typeof current.metadata.request_object_signing_alg === 'string',
    // The profile's current key and certificate are registered (key rotation after `fapi keygen --force`).
    ...(await profileCredentials(ctx, profile)),
  });
  const { client, warnings } = await updateClient(http, uri, currentRat, clientId, md);
  rotated = (await remember(ctx, profile, client)) || rotated;
  if (opts.redirectUri) profile.redirect_uri = opts.redirectUri;
  if (opts.scope !== undefined) profile.scope = opts.scope;
  await ctx.store.save(profile);
  for (const w of warnings) ctx.out.warn(w);
  ctx.out.result(
    {
      profile: profile.name,
      client_id: client.client_id,
      registration_access_token: ratView(profile, Boolean(opts.showSecrets)),
      registration_access_token_rotated: rotated,
      warnings,
      metadata: client.metadata,
    },
    () => [
      `${ctx.out.c.green('✔')} updated client ${client.client_id}`,
      `  redirect_uris  ${JSON.stringify(client.metadata.redirect_uris ?? redirects)}`,
      ...(client.metadata.scope ? [`  scope          ${String(client.metadata.scope)}`] : []),
      ...(client.metadata.jwks ? [`  jwks           ${jwksSummary(client.metadata.jwks)}`] : []),
    ],
  );
}

export async function remove(ctx: CliContext, opts: ClientDeleteOptions): Promise<void> {
  const { profile, uri, rat, clientId } = await managed(ctx);
  if (!opts.yes && !(await confirm(ctx, `Delete client ${clientId} at ${profile.issuer}?`, '--yes'))) {
    ctx.out.result({ deleted: false }, () => 'Nothing deleted.');
    return;
  }
  await deleteClient(ctx.http({ profile }), uri, rat);
  delete profile.client_id;
  delete profile.registration;
  await ctx.store.save(profile);
  await ctx.store.deleteTokens(profile.name);
  ctx.out.result({ deleted: clientId, profile: profile.name }, () => [
    `${ctx.out.c.green('✔')} deleted client ${clientId} at ${profile.issuer}`,
    `  profile "${profile.name}" keeps its keys; \`fapi register\` registers a new client with them`,
  ]);
}
