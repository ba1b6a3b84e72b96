/** `fapi token show|refresh|revoke|introspect|client-credentials`. */
import { stateError, usageError } from '../../errors.js';
import { redacted } from '../../http/redact.js';
import type { StoredTokens } from '../../store/profile.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printLoginResult } from './login.js';
import { checkRequestedTypes } from '../../core/authorization-details.js';
import { detailLines, readRequestedDetails } from '../authorization-details.js';
import { responseError } from '../../core/client.js';
import { redactJson } from '../../http/redact.js';
import { decodeJwt, json, narrateExchange, relativeTime, short } from '../narrate.js';
import { loadClientProfile, loadTokensOrFail, openSession, refreshAndSave } from '../session.js';

export interface TokenShowOptions extends GlobalOptions {
  decode?: boolean;
  showSecrets?: boolean;
}

/** --sync-clock / --no-sync-clock (CL-23): the commands that sign assertions and proofs. */
interface SyncClockOption extends GlobalOptions {
  syncClock?: boolean;
}

export interface TokenRefreshOptions extends SyncClockOption {
  scope?: string;
  showSecrets?: boolean;
  /** RFC 9396 §6.1: a token for fewer of the granted details (JSON, @FILE or @-). */
  authorizationDetails?: string;
}

export interface TokenRevokeOptions extends SyncClockOption {
  accessToken?: boolean;
  refreshToken?: boolean;
  keep?: boolean;
}

export interface TokenIntrospectOptions extends SyncClockOption {
  refreshToken?: boolean;
  /** --signed: ask for a signed answer and verify it (RFC 9701; MS-11). */
  signed?: boolean;
}

export interface ClientCredentialsOptions extends SyncClockOption {
  scope?: string;
  showSecrets?: boolean;
  /** RFC 9396 §6: JSON, @FILE or @-. */
  authorizationDetails?: string;
}

const syncClockOf = (opts: SyncClockOption) => opts.syncClock !== false;

export async function show(ctx: CliContext, opts: TokenShowOptions): Promise<void> {
  const profile = await loadClientProfile(ctx);
  const t = await loadTokensOrFail(ctx, profile);
  const now = Math.floor(Date.now() / 1000);
  const secrets = Boolean(opts.showSecrets);
  const data: Record<string, unknown> = {
    profile: profile.name,
    issuer: t.issuer,
    client_id: t.client_id,
    token_type: t.token_type,
    scope: t.scope ?? null,
    obtained_at: t.obtained_at,
    expires_at: t.expires_at ?? null,
    expired: t.expires_at !== undefined ? t.expires_at <= now : null,
    has_refresh_token: Boolean(t.refresh_token),
    has_id_token: Boolean(t.id_token),
    cnf: t.cnf ?? null,
    ...(t.authorization_details ? { authorization_details: t.authorization_details } : {}),
    access_token: secrets ? t.access_token : redacted('access_token', t.access_token),
  };
  if (t.refresh_token)
    data.refresh_token = secrets ? t.refresh_token : redacted('refresh_token', t.refresh_token);
  if (t.id_token) data.id_token = secrets ? t.id_token : redacted('id_token', t.id_token);
  if (opts.decode) {
    data.access_token_decoded = decodeJwt(t.access_token) ?? null;
    if (t.id_token) data.id_token_decoded = decodeJwt(t.id_token) ?? null;
  }
  ctx.out.result(data, () => {
    const c = ctx.out.c;
    const lines = [
      `${c.bold('tokens')}       ${profile.name} — ${t.client_id} at ${t.issuer}`,
      `token_type   ${t.token_type}${t.cnf?.jkt ? `, bound to DPoP key ${t.cnf.jkt}` : ''}${t.cnf?.['x5t#S256'] ? `, bound to certificate ${t.cnf['x5t#S256']}` : ''}`,
      `scope        ${t.scope ?? '(not returned)'}`,
      `expires      ${t.expires_at === undefined ? 'no expiry given' : `${new Date(t.expires_at * 1000).toISOString()} (${t.expires_at <= now ? c.red(relativeTime(t.expires_at - now)) : relativeTime(t.expires_at - now)})`}`,
      `refresh      ${t.refresh_token ? 'yes' : 'no'}${t.id_token ? '   id_token yes' : ''}`,
      ...detailLines(t.authorization_details),
      `access_token ${String(data.access_token)}`,
    ];
    if (t.refresh_token) lines.push(`refresh_token ${String(data.refresh_token)}`);
    if (secrets && t.id_token) lines.push(`id_token     ${t.id_token}`);
    if (opts.decode) {
      const at = decodeJwt(t.access_token);
      lines.push(
        at
          ? `access token header ${JSON.stringify(at.header)}\n             claims ${JSON.stringify(at.claims, null, 2).replace(/\n/g, '\n             ')}`
          : 'access token is opaque (not a JWT): `fapi token introspect` asks the server about it',
      );
      const idt = t.id_token ? decodeJwt(t.id_token) : undefined;
      if (idt)
        lines.push(
          `id token header ${JSON.stringify(idt.header)}\n         claims ${JSON.stringify(idt.claims, null, 2).replace(/\n/g, '\n         ')}`,
        );
    }
    return lines;
  });
}

export async function refresh(ctx: CliContext, opts: TokenRefreshOptions): Promise<void> {
  const details = await readRequestedDetails(opts.authorizationDetails);
  const s = await openSession(ctx, { discover: true, syncClock: syncClockOf(opts) });
  if (details) checkRequestedTypes(details, s.client.metadata);
  const previous = await loadTokensOrFail(ctx, s.profile);
  const r = await refreshAndSave(ctx, s, previous, opts.scope, details);
  await s.persistNonces();
  ctx.out.info(
    `  ${ctx.out.errC.green('✔')} refresh        ${r.rotated ? 'new refresh token (rotated) saved' : 'refresh token kept'}; token_type ${r.tokens.token_type}`,
  );
  printLoginResult(ctx, s, r.stored, r.tokens, r.idToken, Boolean(opts.showSecrets), 'refreshed');
}

export async function revoke(ctx: CliContext, opts: TokenRevokeOptions): Promise<void> {
  if (opts.accessToken && opts.refreshToken)
    throw usageError(
      'E_USAGE',
      'Pass --access-token or --refresh-token, not both.',
      'Without either, both are revoked.',
    );
  const s = await openSession(ctx, { discover: true, syncClock: syncClockOf(opts) });
  const t = await loadTokensOrFail(ctx, s.profile);
  const { revokeToken, processRevocationResponse } = await import('../../core/revocation.js');
  const which: ('refresh_token' | 'access_token')[] = opts.accessToken
    ? ['access_token']
    : opts.refreshToken
      ? ['refresh_token']
      : ['refresh_token', 'access_token'];
  const revoked: string[] = [];
  for (const hint of which) {
    const value = hint === 'refresh_token' ? t.refresh_token : t.access_token;
    if (!value) {
      if (opts.refreshToken)
        throw stateError(
          'E_NO_REFRESH_TOKEN',
          `Profile "${s.profile.name}" has no refresh token.`,
          'Nothing to revoke.',
        );
      continue;
    }
    const ex = await revokeToken(s.client, value, hint);
    narrateExchange(ctx, ex);
    processRevocationResponse(ex, s.client);
    revoked.push(hint);
  }
  let forgotten = false;
  if (!opts.keep) {
    const onlyAccess = which.length === 1 && which[0] === 'access_token' && t.refresh_token;
    if (onlyAccess) {
      // The refresh token still works: keep it, so `fapi token refresh` gets a new access token.
      const rest: StoredTokens = { ...t, expires_at: Math.floor(Date.now() / 1000) };
      await ctx.store.saveTokens(s.profile.name, rest);
    } else {
      await ctx.store.deleteTokens(s.profile.name);
      forgotten = true;
    }
  }
  ctx.out.result({ revoked, forgotten_locally: forgotten }, () => [
    `revoked ${revoked.join(' and ') || 'nothing'} at ${s.issuer}${forgotten ? '; local tokens removed' : ''}`,
  ]);
}

export async function introspect(ctx: CliContext, opts: TokenIntrospectOptions): Promise<void> {
  const s = await openSession(ctx, { discover: true, syncClock: syncClockOf(opts) });
  const t = await loadTokensOrFail(ctx, s.profile);
  const hint = opts.refreshToken ? 'refresh_token' : 'access_token';
  const value = hint === 'refresh_token' ? t.refresh_token : t.access_token;
  if (!value)
    throw stateError(
      'E_NO_REFRESH_TOKEN',
      `Profile "${s.profile.name}" has no refresh token.`,
      'Log in again with `fapi login`.',
    );
  const { introspectToken, processIntrospectionResponse } = await import('../../core/introspection.js');
  const ex = await introspectToken(s.client, value, hint, { signed: opts.signed === true });
  narrateExchange(ctx, ex);
  let r: Awaited<ReturnType<typeof processIntrospectionResponse>>;
  let signed = '';
  let data: Record<string, unknown>;
  if (opts.signed) {
    // MS-11: a signed answer, verified before anything in it is shown (RFC 9701 §5).
    if (ex.response.status !== 200) throw responseError(ex, s.client.hintContext());
    const { processSignedIntrospectionResponse } = await import('../../core/introspection-jwt.js');
    const { jwksLoader } = await import('../../core/issuer-jws.js');
    const v = await processSignedIntrospectionResponse(ex, {
      issuer: s.issuer,
      clientId: s.clientId,
      now: s.client.clock.now(new URL(s.issuer).origin),
      jwks: jwksLoader(s.client),
    });
    ctx.out.verbose(
      `  introspection response (JWT, signature not shown)  header ${json(v.header)}\n      claims ${json(redactJson(v.claims))}`,
    );
    r = v.introspection;
    signed = ` (signed response: ${v.alg}${v.kid ? ` kid ${v.kid}` : ''}; typ, iss, aud, iat ok)`;
    data = {
      ...r,
      signed_response: {
        alg: v.alg,
        kid: v.kid ?? null,
        iss: v.claims.iss,
        aud: v.claims.aud,
        iat: v.claims.iat,
      },
    };
  } else {
    r = processIntrospectionResponse(ex, s.client);
    data = r;
  }
  ctx.out.result(data, () => {
    const c = ctx.out.c;
    if (!r.active)
      return `${c.red('inactive')}: the server says this ${hint.replace('_', ' ')} is expired, revoked or unknown${signed}`;
    const lines = [`${c.green('active')} ${hint.replace('_', ' ')}${signed}`];
    for (const [k, v] of Object.entries(r)) {
      if (k === 'active') continue;
      const shown =
        typeof v === 'number' && ['exp', 'iat', 'nbf', 'auth_time'].includes(k)
          ? `${v} (${new Date(v * 1000).toISOString()})`
          : typeof v === 'string'
            ? v
            : JSON.stringify(v);
      lines.push(`  ${k.padEnd(12)} ${shown}`);
    }
    return lines;
  });
}

export async function clientCredentials(ctx: CliContext, opts: ClientCredentialsOptions): Promise<void> {
  const details = await readRequestedDetails(opts.authorizationDetails);
  const s = await openSession(ctx, { discover: true, createDpopKey: true, syncClock: syncClockOf(opts) });
  // RFC 9396 §10: the types the server supports, before the request (exit 2).
  if (details) checkRequestedTypes(details, s.client.metadata);
  const { clientCredentialsGrant, processTokenResponse } = await import('../../core/token.js');
  const { toStoredTokens } = await import('../../store/tokens.js');
  const ex = await clientCredentialsGrant(s.client, opts.scope ?? s.profile.scope, details);
  narrateExchange(ctx, ex);
  const tokens = processTokenResponse(ex, {
    client: s.client,
    certificateThumbprint: s.certificateThumbprint,
  });
  const stored = toStoredTokens(tokens, {
    issuer: s.issuer,
    clientId: s.clientId,
    now: Math.floor(Date.now() / 1000),
  });
  await ctx.store.saveTokens(s.profile.name, stored);
  await s.persistNonces();
  ctx.out.info(
    `  ${ctx.out.errC.green('✔')} token          client_credentials; token_type ${tokens.token_type}${ex.attempts.some((a) => a.retry === 'use_dpop_nonce') ? ' (after a DPoP nonce retry)' : ''}`,
  );
  printLoginResult(
    ctx,
    s,
    stored,
    tokens,
    undefined,
    Boolean(opts.showSecrets),
    `token for client ${short(s.clientId, 12, 4)}`,
  );
}
