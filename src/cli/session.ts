/**
 * What the client commands (login, token, call) share: the profile, its keys and certificate,
 * the HTTP client (with the certificate when mTLS is used), discovery, and the core Client.
 * Not a command; no terminal output except --verbose narration through ctx.out.
 */
import { readFile } from 'node:fs/promises';
import { isFapiError, stateError, usageError } from '../errors.js';
import { PUBLIC_FILE_MODE, writeJsonAtomic } from '../store/atomic.js';
import type { HttpClient } from '../http/client.js';
import type { Profile, StoredTokens } from '../store/profile.js';
import { Client, type AsMetadata } from '../core/client.js';
import type { DiscoveryResult } from '../core/discovery.js';
import type { ValidIdToken } from '../core/id-token.js';
import type { TokenSet } from '../core/token.js';
import type { AuthorizationDetail } from '../core/authorization-details.js';
import type { EcosystemName } from '../core/ecosystem-names.js';
import type { CliContext } from './context.js';

export interface Session {
  /** Saves the DPoP nonces learned in this run for the next one (see NONCE_FILE). */
  persistNonces(): Promise<void>;
  profile: Profile;
  issuer: string;
  clientId: string;
  client: Client;
  http: HttpClient;
  /** x5t#S256 of the client certificate, when mTLS is used. */
  certificateThumbprint?: string;
  discovery?: DiscoveryResult;
}

export interface SessionOptions {
  /** Fetch the metadata now (login, token commands); `fapi call` defers it to a refresh. */
  discover: boolean;
  /** Create and save a DPoP key when the profile has none (login, client-credentials). */
  createDpopKey?: boolean;
  /** --no-sync-clock turns the Date-header correction off (CL-23). */
  syncClock?: boolean;
  /** The sender constraint to use instead of the profile's (`fapi call --dpop|--mtls`). */
  sender?: 'dpop' | 'mtls';
  /**
   * Also load the signing key of an mTLS client, when the profile has one: it signs request
   * objects (JAR, MS-07) even where it does not authenticate the client.
   */
  requestObjects?: boolean;
  /** An ecosystem preset to follow instead of the profile's (`fapi login --ecosystem`). */
  ecosystem?: EcosystemName;
}

/** The preset of a session, loaded only when there is one. */
async function ecosystemOf(name: EcosystemName | undefined) {
  if (!name || name === 'fapi2') return undefined;
  return (await import('../core/ecosystems.js')).ecosystem(name);
}

/** The profile, checked to be usable as a client. */
export async function loadClientProfile(
  ctx: CliContext,
): Promise<Profile & { issuer: string; client_id: string }> {
  const profile = await ctx.store.load(ctx.profileName);
  if (!profile.issuer)
    throw stateError(
      'E_PROFILE_NO_ISSUER',
      `Profile "${profile.name}" has no issuer.`,
      'Register a client first: `fapi register --issuer URL` (or `fapi init`), or import one with `fapi profile create`.',
    );
  if (!profile.client_id)
    throw stateError(
      'E_PROFILE_NO_CLIENT',
      `Profile "${profile.name}" has no client_id for ${profile.issuer}.`,
      'Register the client: `fapi register`, or import an existing one with `fapi profile create --client-id ID`.',
    );
  return profile as Profile & { issuer: string; client_id: string };
}

export async function openSession(ctx: CliContext, o: SessionOptions): Promise<Session> {
  const profile = await loadClientProfile(ctx);
  const { loadProfileKey, ensureDpopKey, loadProfileCertificate } = await import('../store/profile-keys.js');
  const authMethod = profile.auth_method ?? 'private_key_jwt';
  const sender = o.sender ?? profile.sender ?? 'dpop';
  const signing =
    authMethod === 'private_key_jwt' || (o.requestObjects && profile.keys?.signing)
      ? await loadProfileKey(ctx.store, profile, 'signing')
      : undefined;
  const dpop =
    sender === 'dpop'
      ? o.createDpopKey
        ? await ensureDpopKey(ctx.store, profile)
        : await loadProfileKey(ctx.store, profile, 'dpop')
      : undefined;
  const eco = await ecosystemOf(o.ecosystem ?? profile.ecosystem);
  // mTLS on every endpoint (an ecosystem's rule): the certificate goes with every request.
  const mtlsEverywhere = eco?.settings.mtlsEverywhere === true;
  const needsCert = authMethod !== 'private_key_jwt' || sender === 'mtls' || mtlsEverywhere;
  let http: HttpClient;
  let certificateThumbprint: string | undefined;
  if (needsCert) {
    const cert = await loadProfileCertificate(ctx.store, profile);
    if (!cert)
      throw stateError(
        'E_NO_CERTIFICATE',
        `Profile "${profile.name}" uses ${authMethod !== 'private_key_jwt' ? authMethod : sender === 'mtls' ? 'certificate-bound tokens' : `${eco?.name ?? 'an ecosystem'}'s mTLS on every endpoint`} but has no client certificate.`,
        'Create one with `fapi keygen --cert` and register it.',
      );
    certificateThumbprint = cert.info.x5tS256;
    http = ctx.http({ profile, cert: { cert: cert.certPem, key: cert.keyPem } });
  } else {
    http = ctx.http({ profile });
  }
  let discovery: DiscoveryResult | undefined;
  let metadata: AsMetadata = { issuer: profile.issuer };
  if (o.discover) {
    const { discoverMetadata } = await import('../core/discovery.js');
    discovery = await discoverMetadata(http, profile.issuer);
    metadata = discovery.metadata;
  }
  const client = new Client({
    http,
    metadata,
    clientId: profile.client_id,
    authMethod,
    sender,
    signingKey: signing ? { privateKey: signing.privateKey, alg: signing.alg, kid: signing.kid } : undefined,
    dpopKey: dpop ? { privateKey: dpop.privateKey, publicJwk: dpop.publicJwk, alg: dpop.alg } : undefined,
    assertionAudience: profile.assertion_audience,
    syncClock: o.syncClock ?? true,
    // An ecosystem that wants x-fapi-interaction-id at PAR and token too (ConnectID).
    ...(eco?.settings.interactionIdAtAs ? { interactionIdAtAs: true } : {}),
    ...(mtlsEverywhere ? { mtlsEverywhere: true } : {}),
  });
  if (discovery?.serverDate !== undefined)
    client.clock.setOffset(new URL(discovery.url).origin, discovery.serverDate - discovery.fetchedAt);
  const loaded = await loadNonces(ctx, profile.name);
  for (const [origin, n] of Object.entries(loaded)) client.nonces.set(origin, n.nonce);
  const session: Session = {
    profile,
    issuer: profile.issuer,
    clientId: profile.client_id,
    client,
    http,
    persistNonces: () => saveNonces(ctx, profile.name, loaded, client.nonces),
  };
  if (certificateThumbprint) session.certificateThumbprint = certificateThumbprint;
  if (discovery) session.discovery = discovery;
  return session;
}

/**
 * DPoP nonces outlive one command (RFC 9449 §8: a server may keep a nonce valid for a while): each
 * run starts with the nonces the last run learned, so a call to a nonce-demanding server is one
 * round trip instead of two. Not secret; a stale nonce costs the same one retry as none. The file
 * is a cache: when unreadable it is ignored and rewritten.
 */
export const NONCE_FILE = 'dpop-nonces.json';
const NONCE_MAX_AGE_S = 300;

type NonceCache = Record<string, { nonce: string; at: number }>;

async function loadNonces(ctx: CliContext, profile: string): Promise<NonceCache> {
  const now = Math.floor(Date.now() / 1000);
  try {
    const raw = JSON.parse(await readFile(ctx.store.resolve(profile, NONCE_FILE), 'utf8')) as unknown;
    const out: NonceCache = {};
    if (raw && typeof raw === 'object')
      for (const [origin, v] of Object.entries(raw as Record<string, unknown>)) {
        const e = v as { nonce?: unknown; at?: unknown };
        if (typeof e?.nonce === 'string' && typeof e.at === 'number' && now - e.at < NONCE_MAX_AGE_S)
          out[origin] = { nonce: e.nonce, at: e.at };
      }
    return out;
  } catch {
    return {};
  }
}

async function saveNonces(
  ctx: CliContext,
  profile: string,
  loaded: NonceCache,
  current: Map<string, string>,
): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const next: NonceCache = { ...loaded };
  let changed = false;
  for (const [origin, nonce] of current) {
    if (loaded[origin]?.nonce === nonce) continue;
    next[origin] = { nonce, at: now };
    changed = true;
  }
  if (!changed) return;
  try {
    await writeJsonAtomic(ctx.store.resolve(profile, NONCE_FILE), next, { mode: PUBLIC_FILE_MODE });
  } catch {
    // A cache that cannot be written only costs a round trip next time.
  }
}

/** Discovers the metadata of a session opened without it (before a refresh in `fapi call`). */
export async function ensureMetadata(s: Session): Promise<void> {
  if (s.discovery) return;
  const { discoverMetadata } = await import('../core/discovery.js');
  s.discovery = await discoverMetadata(s.http, s.issuer);
  s.client.setMetadata(s.discovery.metadata);
}

export async function loadTokensOrFail(ctx: CliContext, profile: Profile): Promise<StoredTokens> {
  const tokens = await ctx.store.loadTokens(profile.name);
  if (!tokens)
    throw stateError(
      'E_NO_TOKENS',
      `Profile "${profile.name}" has no tokens.`,
      'Log in with `fapi login` (or get a machine token with `fapi token client-credentials`).',
    );
  if (tokens.issuer !== profile.issuer || tokens.client_id !== profile.client_id)
    throw stateError(
      'E_TOKENS_STALE',
      `The tokens of profile "${profile.name}" were issued to client ${tokens.client_id} by ${tokens.issuer}, but the profile now names client ${profile.client_id ?? '(none)'} at ${profile.issuer ?? '(none)'}.`,
      'Log in again with `fapi login`.',
    );
  return tokens;
}

/** Parses `--timeout`: seconds, or a number with s / m / h. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw usage(flag, value);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  if (!(ms > 0)) throw usage(flag, value);
  return ms;
}

function usage(flag: string, value: string) {
  return usageError(
    'E_BAD_DURATION',
    `${flag} ${JSON.stringify(value)} is not a duration.`,
    'Pass seconds (300) or a number with a unit: 90s, 5m, 1h.',
  );
}

export interface Refreshed {
  stored: StoredTokens;
  tokens: TokenSet;
  rotated: boolean;
  idToken?: ValidIdToken;
}

/**
 * Refreshes and saves the tokens (CL-19): client authentication and the sender constraint, a new
 * refresh token kept when the server rotates, the old one otherwise. A transport failure is
 * retried once with the same refresh token, which is still the valid one.
 */
export async function refreshAndSave(
  ctx: CliContext,
  s: Session,
  previous: StoredTokens,
  scope?: string,
  /** RFC 9396 §6.1: ask for fewer of the granted authorization details. */
  authorizationDetails?: readonly AuthorizationDetail[],
): Promise<Refreshed> {
  if (!previous.refresh_token)
    throw stateError(
      'E_NO_REFRESH_TOKEN',
      `Profile "${s.profile.name}" has no refresh token.`,
      'Log in again with `fapi login` (ask for offline_access if the server needs it for refresh tokens).',
    );
  await ensureMetadata(s);
  const { refreshTokenGrant, processTokenResponse } = await import('../core/token.js');
  const { toStoredTokens } = await import('../store/tokens.js');
  const { narrateExchange } = await import('./narrate.js');
  let ex;
  try {
    ex = await refreshTokenGrant(s.client, previous.refresh_token, scope, authorizationDetails);
  } catch (err) {
    if (!isFapiError(err) || err.kind !== 'network') throw err;
    ctx.out.verbose(
      `  refresh failed in transit (${err.message}); retrying once with the same refresh token`,
    );
    ex = await refreshTokenGrant(s.client, previous.refresh_token, scope, authorizationDetails);
  }
  narrateExchange(ctx, ex);
  const tokens = processTokenResponse(ex, {
    client: s.client,
    certificateThumbprint: s.certificateThumbprint,
  });
  let idToken;
  if (tokens.id_token) {
    const { validateIdToken, jwksLoader } = await import('../core/id-token.js');
    // OIDC Core §12.2: no nonce on refresh; iss, aud, signature and times still hold.
    idToken = await validateIdToken(tokens.id_token, {
      issuer: s.issuer,
      clientId: s.clientId,
      now: s.client.clock.now(new URL(s.issuer).origin),
      jwks: jwksLoader(s.client),
    });
  }
  const stored = toStoredTokens(tokens, {
    issuer: s.issuer,
    clientId: s.clientId,
    now: Math.floor(Date.now() / 1000),
    previous,
  });
  await ctx.store.saveTokens(s.profile.name, stored);
  const out: Refreshed = {
    stored,
    tokens,
    rotated: tokens.refresh_token !== undefined && tokens.refresh_token !== previous.refresh_token,
  };
  if (idToken) out.idToken = idToken;
  return out;
}
