/**
 * `fapi login`: the authorization-code flow of FAPI 2.0 (FAPI2-SP §5.3.3): discovery, PAR with
 * PKCE S256, state, nonce and dpop_jkt, the browser, the loopback callback (iss and state checked
 * before anything else; with --jarm the whole response is a signed JWT, FAPI2-MS §5.4.2), the
 * token request (DPoP or mTLS), the sender-constraint check, ID token validation, tokens saved
 * 0600. With --jar (or when the server or the client's registration requires it) the pushed
 * request is one signed request object (JAR, FAPI2-MS §5.3.2, MS-07).
 */
import {
  validateAuthorizationResponse,
  validateJarmAuthorizationResponse,
} from '../../core/authorization-response.js';
import { type CallbackListener, startCallbackListener } from '../../http/callback.js';
import { jwksLoader, validateIdToken, type ValidIdToken } from '../../core/id-token.js';
import { checkJarmSupported } from '../../core/jarm.js';
import { stateError, usageError } from '../../errors.js';
import {
  type AuthorizationSession,
  type PushedAuthorization,
  authorizationUrl,
  createAuthorizationSession,
  hasOpenidScope,
  processPushedAuthorizationResponse,
  pushAuthorizationRequest,
} from '../../core/par.js';
import { type TokenSet, authorizationCodeGrant, processTokenResponse } from '../../core/token.js';
import { redacted, redactJson } from '../../http/redact.js';
import type { StoredTokens } from '../../store/profile.js';
import { toStoredTokens } from '../../store/tokens.js';
import { DEFAULT_REDIRECT_URI } from '../../core/fapi.js';
import { openBrowser } from '../browser.js';
import { checkRequestedTypes } from '../../core/authorization-details.js';
import { detailLines, detailTypes, readRequestedDetails } from '../authorization-details.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { decodeJwt, json, narrateExchange, narrateToken, relativeTime, short } from '../narrate.js';
import { type Session, loadClientProfile, openSession, parseDuration } from '../session.js';
import type { Ecosystem, EcosystemName } from '../../core/ecosystems.js';
import type { AuthorizationDetail } from '../../core/authorization-details.js';
import { ecosystemRefusal, resolveEcosystem, warnUnsupported } from '../ecosystem.js';
import { runSteps } from '../steps.js';

/** CL-22: the least privilege that still yields an ID token. */
export const DEFAULT_SCOPE = 'openid';

export interface LoginOptions extends GlobalOptions {
  scope?: string;
  /** false with --no-browser. */
  browser?: boolean;
  /** How long to wait for the browser (commander's default: 5m). */
  timeout?: string;
  redirectUri?: string;
  /** true with --jarm, false with --no-jarm, else what the client was registered for. */
  jarm?: boolean;
  /** true with --jar, false with --no-jar, else what the server or the registration requires. */
  jar?: boolean;
  showSecrets?: boolean;
  syncClock?: boolean;
  /** RFC 9396: JSON, @FILE or @- (--authorization-details). */
  authorizationDetails?: string;
  /** An ecosystem preset (default: the profile's). */
  ecosystem?: EcosystemName;
}

export async function run(ctx: CliContext, opts: LoginOptions): Promise<void> {
  const timeoutMs = parseDuration(opts.timeout ?? '5m', '--timeout');
  const syncClock = opts.syncClock !== false;
  // RFC 9396: read and shape-checked before anything is sent (exit 2).
  const details = await readRequestedDetails(opts.authorizationDetails);
  // An ecosystem preset's rules, checked before anything is sent (exit 2 naming the rule).
  const eco = resolveEcosystem(opts.ecosystem, await loadClientProfile(ctx));
  if (eco) await checkLoginWithinEcosystem(ctx, eco, opts, details);
  // --jarm: a signed JARM authorization response (response_mode=jwt; FAPI2-MS §5.4.2, MS-09).
  // Without the flag, a client registered with authorization_signed_response_alg (`fapi register
  // --jarm`) asks for one too; --no-jarm turns it off.
  let jarm = opts.jarm === true;
  // --jar: a signed request object at PAR (JAR; FAPI2-MS §5.3.2, MS-07), see useRequestObjects.
  let jar = false;
  let s!: Session;
  let listener: CallbackListener | undefined;
  let flow!: AuthorizationSession;
  let par!: PushedAuthorization;
  let authzUrl = '';
  let browserFailed: Promise<string | undefined> = new Promise(() => undefined);
  let code = '';
  let tokens!: TokenSet;
  let idToken: ValidIdToken | undefined;
  let scope = '';
  let jwks!: ReturnType<typeof jwksLoader>;
  const notes: string[] = [];

  const steps = [
    {
      name: 'discovery',
      run: async (api: { detail(t: string): void }) => {
        s = await openSession(ctx, {
          discover: true,
          createDpopKey: true,
          syncClock,
          requestObjects: opts.jar !== false,
          ...(opts.ecosystem ? { ecosystem: opts.ecosystem } : {}),
        });
        if (opts.jarm === undefined)
          jarm =
            typeof s.profile.registration?.metadata?.authorization_signed_response_alg === 'string' ||
            eco?.settings.jarm === 'required';
        jwks = jwksLoader(s.client);
        scope = opts.scope ?? s.profile.scope ?? DEFAULT_SCOPE;
        const m = s.client.metadata;
        // --jarm only against a server that offers it, before anything is pushed.
        if (jarm) checkJarmSupported(m);
        jar = await useRequestObjects(s, opts.jar);
        // RFC 9396 §10: the types the server supports, before anything is pushed (exit 2).
        if (details) checkRequestedTypes(details, m);
        const offset = s.client.clock.measured();
        if (offset !== undefined && s.client.clock.applied() !== 0)
          notes.push(
            `the server clock is ${Math.abs(offset)} s ${offset > 0 ? 'ahead' : 'behind'}; assertions and proofs use its time (CL-23)`,
          );
        else if (offset !== undefined && Math.abs(offset) >= 5 && !syncClock)
          notes.push(
            `the server clock is ${Math.abs(offset)} s ${offset > 0 ? 'ahead' : 'behind'} and --no-sync-clock is set`,
          );
        api.detail(
          `${s.issuer} (${[
            m.require_pushed_authorization_requests ? 'PAR required' : 'PAR',
            s.client.sender === 'dpop' ? `DPoP ${s.client.dpopKey?.alg ?? ''}` : 'mTLS-bound tokens',
            s.client.authMethod,
            s.client.usesMtls && m.mtls_endpoint_aliases ? 'mTLS aliases' : undefined,
            jar ? 'JAR' : undefined,
            jarm ? 'JARM' : undefined,
          ]
            .filter(Boolean)
            .join(', ')})`,
        );
      },
    },
    {
      name: 'PAR',
      run: async (api: { detail(t: string): void }) => {
        listener = await startCallbackListener({
          redirectUri: opts.redirectUri ?? s.profile.redirect_uri ?? DEFAULT_REDIRECT_URI,
          timeoutMs,
        });
        for (const w of listener.warnings) notes.push(w);
        flow = createAuthorizationSession({
          redirectUri: listener.redirectUri,
          scope,
          dpopJkt: s.client.dpopJkt,
          jarm,
          ...(details ? { authorizationDetails: details } : {}),
        });
        if (flow.authorization_details)
          ctx.out.verbose(`  authorization_details ${flow.authorization_details}`);
        ctx.out.verbose(
          `  PKCE: code_verifier ${redacted('code_verifier', flow.code_verifier)} → S256 → code_challenge ${flow.code_challenge}`,
        );
        ctx.out.verbose(
          `  state ${redacted('state', flow.state)}${flow.nonce ? `, nonce ${redacted('nonce', flow.nonce)}` : ''}, redirect_uri ${flow.redirect_uri}${flow.dpop_jkt ? `, dpop_jkt ${flow.dpop_jkt}` : ''}`,
        );
        const ex = await pushAuthorizationRequest(s.client, flow, { requestObject: jar });
        narrateExchange(ctx, ex);
        par = processPushedAuthorizationResponse(
          ex,
          s.client.hintContext({ redirectUri: flow.redirect_uri }),
        );
        api.detail(
          [
            `request_uri …${par.request_uri.slice(-6)} (expires in ${par.expires_in} s)`,
            jar
              ? `signed request object ${String(ex.attempts.at(-1)?.requestObject?.header.alg ?? '')}`
              : undefined,
            'PKCE S256',
            flow.response_mode ? `response_mode ${flow.response_mode}` : undefined,
            details ? `authorization_details ${detailTypes(details)}` : undefined,
            flow.dpop_jkt ? `dpop_jkt ${short(flow.dpop_jkt)}` : 'client certificate',
            ex.attempts.some((a) => a.retry === 'use_dpop_nonce') ? 'DPoP nonce retry' : undefined,
          ]
            .filter(Boolean)
            .join(', '),
        );
      },
    },
    {
      name: 'browser',
      run: async (api: { detail(t: string): void }) => {
        authzUrl = authorizationUrl(s.client.metadata, s.clientId, par.request_uri);
        ctx.out.verbose(`  authorization URL ${authzUrl}`);
        if (opts.browser === false) {
          api.detail(`open this URL in a browser: ${authzUrl}`);
          // With --json the step list is silent, but the user still needs the URL.
          if (ctx.json && !ctx.verbose) ctx.out.stderr.write(`open this URL in a browser: ${authzUrl}\n`);
          return;
        }
        const opened = openBrowser(authzUrl, ctx.env.BROWSER);
        browserFailed = opened.failed;
        api.detail(`opened the authorization page; waiting on ${(listener as CallbackListener).redirectUri}`);
      },
    },
    {
      name: 'callback',
      run: async (api: { detail(t: string): void }) => {
        const l = listener as CallbackListener;
        api.detail(
          `waiting on ${l.redirectUri} (up to ${relativeTime(timeoutMs / 1000).replace('in ', '')})`,
        );
        void browserFailed.then((why) => {
          if (why) {
            const line = `the browser did not start (${why}); open this URL by hand: ${authzUrl}`;
            api.detail(line);
            ctx.out.warn(line);
          }
        });
        // Fetch the issuer's keys while the user is in the browser: one round trip less after the token.
        if (jarm || hasOpenidScope(scope)) void jwks(false).catch(() => undefined);
        const params = await l.response;
        await l.close();
        if (jarm) {
          const response = params.get('response');
          const d = response ? decodeJwt(response) : undefined;
          if (d)
            ctx.out.verbose(
              `  JARM response (JWT, signature not shown)  header ${json(d.header)}\n      claims ${json(redactJson(d.claims))}`,
            );
          // MS-09: signature, alg, iss, aud, exp, then state and the code (or the error) inside.
          const r = await validateJarmAuthorizationResponse(params, {
            issuer: s.issuer,
            clientId: s.clientId,
            state: flow.state,
            now: s.client.clock.now(new URL(s.issuer).origin),
            jwks,
          });
          code = r.code;
          api.detail(
            `JARM signature ${r.jarm.alg}${r.jarm.kid ? ` (kid ${r.jarm.kid})` : ''}, iss, aud, exp ok, state ok`,
          );
          return;
        }
        const r = validateAuthorizationResponse(params, {
          issuer: s.issuer,
          issParameterSupported: s.client.metadata.authorization_response_iss_parameter_supported === true,
          state: flow.state,
        });
        code = r.code;
        api.detail(`${r.iss_checked ? 'iss ok' : 'iss not sent (not advertised)'}, state ok`);
      },
    },
    {
      name: 'token',
      run: async (api: { detail(t: string): void }) => {
        const ex = await authorizationCodeGrant(s.client, code, flow);
        narrateExchange(ctx, ex);
        tokens = processTokenResponse(ex, {
          client: s.client,
          certificateThumbprint: s.certificateThumbprint,
          expectIdToken: hasOpenidScope(scope),
          redirectUri: flow.redirect_uri,
        });
        narrateToken(ctx, 'access_token', tokens.access_token);
        const retried = ex.attempts.some((a) => a.retry === 'use_dpop_nonce');
        api.detail(
          `${retried ? 'DPoP nonce requested → retried with nonce; ' : ''}token_type ${tokens.token_type}${tokens.binding.evidence === 'cnf' ? ' (cnf checked)' : ''}`,
        );
      },
    },
    {
      name: 'id_token',
      run: async (api: { detail(t: string): void }) => {
        if (!tokens.id_token) {
          api.detail('none (openid not requested)');
          return;
        }
        narrateToken(ctx, 'id_token', tokens.id_token);
        idToken = await validateIdToken(tokens.id_token, {
          issuer: s.issuer,
          clientId: s.clientId,
          nonce: flow.nonce,
          now: s.client.clock.now(new URL(s.issuer).origin),
          jwks,
        });
        api.detail(
          `signature ${idToken.alg}${idToken.kid ? ` (kid ${idToken.kid})` : ''}, iss, aud, nonce, exp ok`,
        );
      },
    },
  ];

  try {
    await runSteps(ctx, steps);
  } finally {
    await listener?.close();
  }
  // RFC 9396 §7: the token response must say what was granted.
  if (details && !tokens.authorization_details)
    notes.push('the server returned no authorization_details, though RFC 9396 §7 requires them');
  for (const n of notes) ctx.out.info(`  ${ctx.out.errC.yellow('!')} ${n}`);

  await s.persistNonces();
  const now = Math.floor(Date.now() / 1000);
  const stored = toStoredTokens(tokens, { issuer: s.issuer, clientId: s.clientId, now });
  await ctx.store.saveTokens(s.profile.name, stored);
  printLoginResult(ctx, s, stored, tokens, idToken, Boolean(opts.showSecrets), 'logged in');
}

/**
 * Whether the pushed request is a signed request object (FAPI2-MS §5.3.2, MS-07): --jar / --no-jar,
 * else when the server or the client's registration requires it (require_signed_request_object)
 * or the client registered a request_object_signing_alg (`fapi register --jar`). --no-jar where
 * it is required is a usage error (exit 2); --jar without a signing key is exit 3; --jar against a
 * server that takes no request objects is exit 2 (./core/request-object.ts).
 */
async function useRequestObjects(s: Session, flag: boolean | undefined): Promise<boolean> {
  const m = s.client.metadata;
  const registered = s.profile.registration?.metadata;
  const { checkRequestObjectsSupported, requestObjectsRequired } =
    await import('../../core/request-object.js');
  const required = requestObjectsRequired(m, registered);
  if (flag === false) {
    if (required)
      throw usageError(
        'E_JAR_REQUIRED',
        `${s.issuer} requires signed request objects (require_signed_request_object${m.require_signed_request_object === true ? ' in its metadata' : ' in the client registration'}), so --no-jar cannot be honoured.`,
        'Run `fapi login` without --no-jar: fapi then pushes the request as a signed request object (JAR).',
        { flag: '--no-jar' },
      );
    return false;
  }
  const jar = flag ?? (required || typeof registered?.request_object_signing_alg === 'string');
  if (!jar) return false;
  const key = s.profile.keys?.signing;
  if (!key)
    throw stateError(
      'E_KEY_MISSING',
      `Signed request objects (JAR) are signed with the client's signing key, and profile "${s.profile.name}" has none.`,
      `Create one with \`fapi keygen --profile ${s.profile.name}\`, register it (\`fapi client update --profile ${s.profile.name}\`, or \`fapi register --jar --force\`), then log in again.`,
    );
  checkRequestObjectsSupported(m, key.alg);
  return true;
}

/** The result of login and client-credentials: token metadata; secrets only with --show-secrets. */
export function tokenResult(
  s: Session,
  stored: StoredTokens,
  t: TokenSet,
  idToken: ValidIdToken | undefined,
  showSecrets: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    profile: s.profile.name,
    issuer: s.issuer,
    client_id: s.clientId,
    token_type: t.token_type,
    scope: stored.scope ?? null,
    expires_in: t.expires_in ?? null,
    expires_at: stored.expires_at ?? null,
    has_refresh_token: Boolean(stored.refresh_token),
    sender_constraint: t.binding,
  };
  if (stored.authorization_details) out.authorization_details = stored.authorization_details;
  if (idToken) out.id_token_claims = idToken.claims;
  if (showSecrets) {
    out.access_token = t.access_token;
    if (stored.refresh_token) out.refresh_token = stored.refresh_token;
    if (t.id_token) out.id_token = t.id_token;
  }
  return out;
}

export function printLoginResult(
  ctx: CliContext,
  s: Session,
  stored: StoredTokens,
  t: TokenSet,
  idToken: ValidIdToken | undefined,
  showSecrets: boolean,
  verb: string,
): void {
  ctx.out.result(tokenResult(s, stored, t, idToken, showSecrets), () => {
    const c = ctx.out.c;
    const who = idToken?.claims.sub ? ` as ${String(idToken.claims.sub)}` : '';
    const bound =
      t.binding.method === 'dpop'
        ? `bound to DPoP key ${short(t.binding.jkt ?? '')}`
        : `bound to client certificate ${short(t.binding.x5t_s256 ?? '')}${t.binding.evidence === 'unverifiable' ? ' (opaque token: binding not visible to fapi)' : ''}`;
    const exp = t.expires_in !== undefined ? `expires ${relativeTime(t.expires_in)}` : 'no expiry given';
    const lines = [
      `${c.green(verb)}${who} — scopes: ${stored.scope ?? '(not returned)'} — access token ${bound}, ${exp}${stored.refresh_token ? ', refresh token saved' : ''}`,
      ...detailLines(stored.authorization_details),
    ];
    const next = s.client.metadata.userinfo_endpoint;
    lines.push(`${c.dim('next:')}  fapi call ${typeof next === 'string' ? next : 'https://…/resource'}`);
    if (showSecrets) {
      lines.push(`access_token  ${t.access_token}`);
      if (stored.refresh_token) lines.push(`refresh_token ${stored.refresh_token}`);
    }
    return lines;
  });
}

/**
 * An ecosystem preset's rules for a login (src/core/ecosystems.ts), before anything is sent: the
 * profile's client authentication and sender constraint, RAR required or not used, JARM, OpenID;
 * with `ephemeralDpopKey` (Singpass) a new DPoP key for this authentication. Refusals are exit 2,
 * naming the rule and its source.
 */
async function checkLoginWithinEcosystem(
  ctx: CliContext,
  eco: Ecosystem,
  opts: LoginOptions,
  details: readonly AuthorizationDetail[] | undefined,
): Promise<void> {
  const set = eco.settings;
  const profile = await loadClientProfile(ctx);
  const auth = profile.auth_method ?? 'private_key_jwt';
  const sender = profile.sender ?? 'dpop';
  const again = `Set the profile up for ${eco.name}: \`fapi init --ecosystem ${eco.name} --force\`.`;
  if (set.authMethods && !set.authMethods.includes(auth))
    throw ecosystemRefusal(eco, 'authMethods', `The profile's client authenticates with ${auth}`, again);
  if (set.sender && set.sender !== sender)
    throw ecosystemRefusal(eco, 'sender', `The profile's tokens are ${sender}-bound`, again);
  if (set.rar === 'required' && !details)
    throw ecosystemRefusal(
      eco,
      'rar',
      'A login without --authorization-details',
      'Pass the consent as --authorization-details JSON|@FILE (RFC 9396).',
    );
  if (set.rar === 'not-used' && details)
    throw ecosystemRefusal(eco, 'rar', '--authorization-details', 'Log in without it; ask with --scope.');
  if (set.jarm === 'required' && opts.jarm === false)
    throw ecosystemRefusal(eco, 'jarm', '--no-jarm', 'Log in without --no-jarm.');
  if (set.jarm === 'not-used' && opts.jarm === true)
    throw ecosystemRefusal(eco, 'jarm', '--jarm', 'Log in without --jarm.');
  const scope = opts.scope ?? profile.scope ?? DEFAULT_SCOPE;
  if (set.openid && !hasOpenidScope(scope))
    throw ecosystemRefusal(eco, 'openid', `--scope "${scope}" without openid`, 'Add openid to the scope.');
  warnUnsupported(ctx, eco);
  if (eco.rules.some((r) => r.topic === 'ephemeralDpopKey' && r.client === 'yes') && sender === 'dpop') {
    // A new DPoP key pair for this authentication (its PAR, token and later userinfo requests).
    const { generateSigningKey } = await import('../../keys/generate.js');
    const { saveProfileKey } = await import('../../store/profile-keys.js');
    await saveProfileKey(ctx.store, profile, 'dpop', await generateSigningKey('ES256'));
    await ctx.store.save(profile);
  }
}
