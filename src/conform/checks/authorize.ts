/**
 * The authorization endpoint (AZ-01..10): PAR only, iss in the response (RFC 9207), no open
 * redirector, 303 rather than 307, the registered redirect URI's query kept, pushed parameters
 * winning over front-channel ones, long nonce and state values intact, scope order, the code in
 * the query; the answer to a login the user cancels (user-rejects-authentication, with a person);
 * the JARM response (FAPI2-MS §5.4.1) and the OIDC claims parameter (OIDC Core §5.5) when the
 * server offers them.
 */
import { validateJarmAuthorizationResponse } from '../../core/authorization-response.js';
import { endpoint } from '../../core/discovery.js';
import { jwksLoader } from '../../core/id-token.js';
import { peekJws } from '../../core/jws.js';
import { randomToken } from '../../core/random.js';
import { isFapiError } from '../../errors.js';
import { LoginFailed, type CheckContext } from '../context.js';
import { describe } from '../expect.js';
import { failed, passed, Skip, warning, type Check } from '../types.js';
import { defineCheck, SP } from './define.js';
import { noCode } from './par.js';

const after = ['PAR-16'] as const;

export const az01 = defineCheck({
  id: 'AZ-01',
  title: 'an authorization request without PAR is refused',
  spec: `${SP} §5.3.2.2-3`,
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    // A client registered with require_pushed_authorization_requests false (RFC 9126 §6), when the
    // run registers its own: FAPI 2.0 requires PAR of every client (§5.3.2.2-3).
    const c =
      ctx.metadata.registration_endpoint && !ctx.env.provisioning.provided
        ? await ctx.ownClient({ overrides: { require_pushed_authorization_requests: false } })
        : await ctx.client(1);
    const { form, session } = ctx.session(c);
    const u = new URL(endpoint(ctx.metadata, 'authorization_endpoint', { mtls: false }));
    for (const [k, v] of Object.entries(form)) if (v !== undefined) u.searchParams.set(k, v);
    return noCode(
      'a front-channel authorization request (no request_uri)',
      await ctx.probe(u.href, session.redirect_uri),
    );
  },
});

export const az02 = defineCheck({
  id: 'AZ-02',
  title: 'the authorization response carries iss = the issuer',
  spec: `${SP} §5.3.2.2-7; RFC 9207 §2`,
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    const l = await ctx.login(await ctx.client(1));
    ctx.codeOf(l);
    const params = l.end.kind === 'redirect' ? l.end.params : new URLSearchParams();
    const iss = params.get('iss');
    if (iss === null) return failed('authorization response with a code and no iss parameter');
    if (iss !== ctx.issuer) return failed(`authorization response iss "${iss}", not "${ctx.issuer}"`);
    return passed(`authorization response iss "${iss}"`);
  },
});

/** The client_name a person sees on the login page of the login to cancel (with registration). */
export const DENY_CLIENT_NAME =
  'fapi conform: press Cancel or Deny for this login (user-rejects-authentication)';

export const az02Rejects = defineCheck({
  id: 'AZ-02.user-rejects',
  title:
    'the user cancels: error=access_denied, state and iss = the issuer come back to the registered redirect URI',
  spec: `${SP} §5.3.2.2-7; RFC 9207 §2; RFC 6749 §4.1.2.1`,
  level: 'MUST',
  group: 'authorization',
  // Once per server: a cancelled login is answered by the authorization endpoint, whatever the
  // client authentication or sender constraint; one person, one Cancel.
  needs: { scope: 'server', logins: 1, deny: true },
  async run(ctx) {
    // A client of its own names on the login page what to do; clients given as profiles cannot.
    const c =
      ctx.metadata.registration_endpoint && !ctx.env.provisioning.provided
        ? await ctx.ownClient({ overrides: { client_name: DENY_CLIENT_NAME } })
        : await ctx.client(1);
    const l = await ctx.login(c, { deny: true });
    if (l.end.kind !== 'redirect')
      return failed(`the cancelled login ended at HTTP ${l.end.status}, not at the redirect URI`);
    const p = l.end.params;
    if (p.get('code'))
      throw new Skip(
        'the login was approved (a code came back), not cancelled: run again and press Cancel or Deny when asked',
      );
    const error = p.get('error');
    const iss = p.get('iss');
    const state = p.get('state');
    const at = 'the cancelled login → the registered redirect URI';
    if (error === null) return failed(`${at} with neither a code nor an error (RFC 6749 §4.1.2.1)`);
    if (error !== 'access_denied')
      return failed(
        `${at} with error=${error}, expected access_denied (RFC 6749 §4.1.2.1: the user denied the request)`,
      );
    if (state !== l.session.state)
      return failed(
        `${at} with error=access_denied and ${state === null ? 'no state' : 'another state'} (RFC 6749 §4.1.2.1)`,
      );
    if (iss === null)
      return failed(`${at} with error=access_denied and no iss parameter (RFC 9207 §2: every response)`);
    if (iss !== ctx.issuer)
      return failed(`${at} with error=access_denied and iss "${iss}", not "${ctx.issuer}"`);
    return passed(`${at} with error=access_denied, the pushed state and iss "${iss}"`);
  },
});

export const az03 = defineCheck({
  id: 'AZ-03',
  title: 'no open redirector: an unknown request_uri or client gets no redirect to the client',
  spec: `${SP} §5.3.2.1-7; RFC 9700 §4.11`,
  level: 'MUST',
  group: 'authorization',
  needs: { after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const out: string[] = [];
    for (const [what, clientId] of [
      ['a bogus request_uri', c.clientId],
      ['an unknown client_id and a bogus request_uri', 'fapi-conform-unknown-client'],
    ] as const) {
      const u = new URL(endpoint(ctx.metadata, 'authorization_endpoint', { mtls: false }));
      u.searchParams.set('client_id', clientId);
      u.searchParams.set('request_uri', `urn:ietf:params:oauth:request_uri:fapi-conform-${randomToken(8)}`);
      const a = await ctx.raw(ctx.plain, { method: 'GET', url: u.href, headers: { accept: 'text/html' } });
      const loc = a.response?.header('location');
      if (loc) {
        const target = new URL(loc, u);
        if (!ctx.env.origins.includes(target.origin))
          return failed(
            `authorization with ${what} → ${a.response?.status} redirect to ${target.origin}${target.pathname}`,
          );
      }
      out.push(`${what} → ${describe(a)}`);
    }
    return passed(out.join('; '));
  },
});

export const az04 = defineCheck({
  id: 'AZ-04',
  title: 'the redirect to the client is 303 (or 302), never 307/308',
  spec: `${SP} §5.3.2.2-10, -11; RFC 9700 §4.12`,
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    if (ctx.env.authorizer.interactive)
      throw new Skip('a real browser does not show the redirect status: use --browser follow');
    const l = await ctx.login(await ctx.client(1));
    ctx.codeOf(l);
    const status = l.end.kind === 'redirect' ? l.end.status : 0;
    if (status === 307 || status === 308)
      return failed(
        `the redirect to the client is ${status}: a browser would repeat a POST with its credentials`,
      );
    return passed(`the redirect to the client is ${status}`);
  },
});

export const az05 = defineCheck({
  id: 'AZ-05',
  title: "the registered redirect URI's query is kept in the response",
  spec: 'RFC 6749 §3.1.2',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const withQuery = c.redirectUris.find((u) => u.includes('?'));
    if (!withQuery) throw new Skip('the client registered no redirect URI with a query');
    const l = await ctx.login(c, { redirectUri: withQuery });
    ctx.codeOf(l);
    const p = l.end.kind === 'redirect' ? l.end.params : new URLSearchParams();
    if (p.get('dummy1') !== 'lorem' || p.get('dummy2') !== 'ipsum')
      return failed(
        `redirect_uri ${withQuery}: the response lost the query (got ${[...p.keys()].join(', ')})`,
      );
    return passed(
      `redirect_uri …?dummy1=lorem&dummy2=ipsum → response keeps dummy1 and dummy2, adds code, state, iss`,
    );
  },
});

export const az06 = defineCheck({
  id: 'AZ-06',
  title: 'a front-channel state does not override the pushed one',
  spec: 'RFC 9126 §4; RFC 9101 §6.3',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    const l = await ctx.login(await ctx.client(1), { front: { state: 'fapi-conform-front-channel-state' } });
    if (l.end.kind === 'redirect' && l.end.params.get('error') === 'invalid_request')
      return passed('pushed state A, front-channel state B → invalid_request');
    ctx.codeOf(l);
    const state = l.end.kind === 'redirect' ? l.end.params.get('state') : null;
    if (state !== l.session.state)
      return failed(
        `pushed state A, front-channel state B → the response has ${state === null ? 'no state' : `state ${JSON.stringify(state.slice(0, 40))}`}, expected A`,
      );
    return passed('pushed state A, front-channel state B → state A');
  },
});

export const az06Outside = defineCheck({
  id: 'AZ-06.outside-only',
  title: 'a state given only in the front channel is not used',
  spec: 'RFC 9126 §4; RFC 9101 §6.3',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    const l = await ctx.login(await ctx.client(1), {
      par: { state: undefined },
      front: { state: 'fapi-conform-front-channel-state' },
    });
    if (l.end.kind === 'redirect' && l.end.params.get('error') === 'invalid_request')
      return passed('no pushed state, front-channel state B → invalid_request');
    ctx.codeOf(l);
    const state = l.end.kind === 'redirect' ? l.end.params.get('state') : null;
    if (state !== null)
      return failed('no pushed state, front-channel state B → the response carries state B');
    return passed('no pushed state, front-channel state B → no state in the response');
  },
});

async function nonceCase(ctx: CheckContext, length: number, mayRefuse: boolean) {
  const c = await ctx.client(1);
  const nonce = randomToken(Math.ceil((length * 3) / 4)).slice(0, length);
  let t;
  try {
    t = await ctx.tokens(c, { par: { nonce } });
  } catch (e) {
    if (mayRefuse && /invalid_request/.test((e as Error).message))
      return passed(`a ${length}-character nonce → refused with invalid_request`);
    throw e;
  }
  const claims = peekJws(t.set.id_token)?.payload;
  if (claims?.nonce !== nonce)
    return failed(
      `a ${length}-character nonce → the ID token nonce is ${claims?.nonce === undefined ? 'missing' : `${String(claims.nonce).length} characters and differs`}`,
    );
  return passed(`a ${length}-character nonce → identical in the ID token`);
}

export const az07 = defineCheck({
  id: 'AZ-07',
  title: 'a 64-character nonce is returned intact in the ID token',
  spec: `${SP} §5.3.2.2-14`,
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, openid: true, after },
  run: (ctx) => nonceCase(ctx, 64, false),
});

export const az07Long = defineCheck({
  id: 'AZ-07.long',
  title: 'a 384-character nonce is returned intact, or refused, never truncated',
  spec: `${SP} §5.3.2.2-14`,
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, openid: true, after },
  run: (ctx) => nonceCase(ctx, 384, true),
});

export const az07NoNonce = defineCheck({
  id: 'AZ-07.without-nonce',
  title: 'an OpenID request without nonce succeeds, and the ID token carries none',
  spec: 'OIDC Core §3.1.2.1, §2',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, openid: true, after },
  async run(ctx) {
    const t = await ctx.tokens(await ctx.client(1), { par: { nonce: undefined } });
    const claims = peekJws(t.set.id_token)?.payload;
    if (claims?.nonce !== undefined)
      return failed(
        `no nonce pushed → the ID token carries nonce ${JSON.stringify(String(claims.nonce).slice(0, 40))}`,
      );
    return passed('no nonce pushed → a code, tokens, and an ID token without nonce');
  },
});

export const az06Nonce = defineCheck({
  id: 'AZ-06.nonce',
  title: 'a front-channel nonce does not override the pushed one',
  spec: 'RFC 9126 §4; RFC 9101 §6.3',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, openid: true, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c, { front: { nonce: 'fapi-conform-front-channel-nonce' } });
    if (l.end.kind === 'redirect' && l.end.params.get('error') === 'invalid_request')
      return passed('pushed nonce A, front-channel nonce B → invalid_request');
    const t = ctx.tokensOf(c, l, await ctx.redeem(c, l));
    const nonce = peekJws(t.set.id_token)?.payload.nonce;
    if (nonce !== l.session.nonce)
      return failed(
        `pushed nonce A, front-channel nonce B → the ID token nonce is ${nonce === 'fapi-conform-front-channel-nonce' ? 'B' : JSON.stringify(nonce)}, expected A`,
      );
    return passed('pushed nonce A, front-channel nonce B → the ID token nonce is A');
  },
});

export const az08 = defineCheck({
  id: 'AZ-08',
  title: 'a long state (1100 characters) is echoed intact, or refused with invalid_request',
  spec: `${SP} §5.3.2.2 Note 4; RFC 6749 §4.1.2`,
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    const state = randomToken(825).slice(0, 1100);
    let l;
    try {
      l = await ctx.login(await ctx.client(1), { par: { state } });
    } catch (e) {
      if (/invalid_request/.test((e as Error).message))
        return passed('PAR with a 1100-character state → invalid_request');
      throw e;
    }
    if (l.end.kind === 'redirect' && l.end.params.get('error') === 'invalid_request')
      return passed('a 1100-character state → invalid_request');
    ctx.codeOf(l);
    const got = l.end.kind === 'redirect' ? l.end.params.get('state') : null;
    if (got !== state)
      return failed(
        `a 1100-character state → ${got === null ? 'no state in the response' : `a state of ${got.length} characters that differs`}`,
      );
    return passed('a 1100-character state → echoed intact');
  },
});

export const az08NoState = defineCheck({
  id: 'AZ-08.without-state',
  title: 'a request without state succeeds, and the response carries no state',
  spec: 'RFC 6749 §4.1.1, §4.1.2',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    const l = await ctx.login(await ctx.client(1), { par: { state: undefined } });
    ctx.codeOf(l);
    const state = l.end.kind === 'redirect' ? l.end.params.get('state') : null;
    if (state !== null)
      return failed(`no state pushed → the response carries state ${JSON.stringify(state.slice(0, 40))}`);
    return passed('no state pushed → a code and no state');
  },
});

export const az09 = defineCheck({
  id: 'AZ-09',
  title: 'the order of scopes does not matter',
  spec: 'RFC 6749 §3.3',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    const scopes = ctx.scope.split(' ').filter(Boolean);
    if (scopes.length < 2) throw new Skip('the scope has one value only');
    const reversed = [...scopes].reverse().join(' ');
    const l = await ctx.login(await ctx.client(1), { scope: reversed });
    ctx.codeOf(l);
    return passed(`scope "${reversed}" → a code`);
  },
});

export const az10 = defineCheck({
  id: 'AZ-10',
  title: 'the response parameters are in the query, not the fragment',
  spec: 'RFC 6749 §4.1.2',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, after },
  async run(ctx) {
    const l = await ctx.login(await ctx.client(1));
    if (l.end.kind === 'redirect' && l.end.fragment.get('code') && !l.end.params.get('code'))
      return failed('the code came in the URL fragment');
    ctx.codeOf(l);
    return passed('code, state and iss in the redirect URI query');
  },
});

export const ms08 = defineCheck({
  id: 'MS-08',
  title: 'JARM (response_mode=jwt): a signed response with iss, aud, exp, and nothing at the top level',
  spec: 'FAPI2-MS §5.4.1; JARM §2.1–2.3',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, dcr: true, after },
  async run(ctx) {
    const modes = ctx.metadata.response_modes_supported;
    if (
      !Array.isArray(modes) ||
      !modes.includes('jwt') ||
      !ctx.metadata.authorization_signing_alg_values_supported
    )
      throw new Skip('the server does not offer JARM (response_modes_supported jwt)');
    const c = await ctx.ownClient({ jarm: true });
    const l = await ctx.login(c, { jarm: true });
    if (l.end.kind !== 'redirect')
      return failed(`the authorization ended at HTTP ${l.end.status}, not at the redirect URI`);
    const top = ['code', 'iss', 'state'].filter((k) => l.end.kind === 'redirect' && l.end.params.has(k));
    try {
      const r = await validateJarmAuthorizationResponse(l.end.params, {
        issuer: ctx.issuer,
        clientId: c.clientId,
        state: l.session.state,
        now: ctx.now(),
        jwks: jwksLoader(c.core),
      });
      if (top.length) return failed(`a valid JARM response, but ${top.join(', ')} also at the top level`);
      return passed(`response=<JWT> signed with ${r.jarm.alg}: iss, aud, exp, code and state verified`);
    } catch (e) {
      return failed(`JARM response refused: ${isFapiError(e) ? e.message : String(e)}`);
    }
  },
});

/** The standard claims of OIDC Core §5.1 and the JSON type of each. */
const STANDARD_CLAIMS: Readonly<Record<string, 'string' | 'boolean' | 'number' | 'object'>> = {
  name: 'string',
  given_name: 'string',
  family_name: 'string',
  middle_name: 'string',
  nickname: 'string',
  preferred_username: 'string',
  profile: 'string',
  picture: 'string',
  website: 'string',
  email: 'string',
  email_verified: 'boolean',
  gender: 'string',
  birthdate: 'string',
  zoneinfo: 'string',
  locale: 'string',
  phone_number: 'string',
  phone_number_verified: 'boolean',
  address: 'object',
  updated_at: 'number',
};

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** The first standard claim of the wrong type (OIDC Core §5.1), as a sentence. */
function wrongType(where: string, claims: Record<string, unknown>): string | undefined {
  for (const [k, type] of Object.entries(STANDARD_CLAIMS))
    if (k in claims && jsonType(claims[k]) !== type)
      return `${where} has ${k} as ${jsonType(claims[k])}, not ${type} (OIDC Core §5.1)`;
  return undefined;
}

export const oidcClaims = defineCheck({
  id: 'oidc:claims-parameter',
  title:
    'the claims parameter: the identity claims asked for come back in the ID token or at userinfo; unknown ones are ignored',
  spec: 'OIDC Core §5.5, §5.1, §5.3.2',
  level: 'MUST',
  group: 'authorization',
  needs: { logins: 1, openid: true, after },
  async run(ctx) {
    const m = ctx.metadata;
    if (m.claims_parameter_supported !== true)
      throw new Skip(
        'the server does not offer the claims parameter (claims_parameter_supported is not true), which is optional (OIDC Discovery §3)',
      );
    const supported = Array.isArray(m.claims_supported) ? m.claims_supported : [];
    const wanted = supported.filter((k): k is string => typeof k === 'string' && k in STANDARD_CLAIMS);
    if (!wanted.length)
      throw new Skip('claims_supported names no standard identity claim (OIDC Core §5.1) to ask for');
    // Each claim asked for in one of the forms of OIDC Core §5.5.1, and one the server cannot know.
    const unknown = `fapi_conform_${randomToken(6).replace(/[^A-Za-z0-9]/g, 'x')}`;
    const forms = [null, { essential: true }, { essential: false }];
    const ask = Object.fromEntries([
      ...wanted.map((k, i) => [k, forms[i % forms.length]]),
      [unknown, { essential: true }],
    ]);
    const claims = JSON.stringify({ id_token: ask, userinfo: ask });
    const c = await ctx.client(1);
    let t;
    try {
      t = await ctx.tokens(c, { par: { claims } });
    } catch (e) {
      if (e instanceof LoginFailed)
        return failed(
          `claims_parameter_supported is true, but the flow with a claims parameter failed: ${e.message}`,
        );
      throw e;
    }
    const idToken = peekJws(t.set.id_token)?.payload;
    if (!idToken)
      return failed('the token response has no ID token though the scope has openid (OIDC Core §3.1.3.3)');
    let userinfo: Record<string, unknown> | undefined;
    if (m.userinfo_endpoint) {
      const sent = await ctx.rs(c, ctx.token(t), { url: ctx.url('userinfo_endpoint', c) });
      if (sent.response?.status !== 200)
        return failed(`userinfo with the access token → ${describe(sent)}, expected 200 (OIDC Core §5.3.2)`);
      let body: unknown;
      try {
        body = sent.response.json();
      } catch {
        body = undefined;
      }
      if (jsonType(body) !== 'object')
        return failed('userinfo → 200, but not a JSON object (OIDC Core §5.3.2)');
      userinfo = body as Record<string, unknown>;
      if (userinfo.sub !== idToken.sub)
        return failed(
          `userinfo sub ${JSON.stringify(userinfo.sub)} is not the ID token's ${JSON.stringify(idToken.sub)} (OIDC Core §5.3.2: they must be the same)`,
        );
    }
    const bad =
      wrongType('the ID token', idToken) ?? (userinfo ? wrongType('userinfo', userinfo) : undefined);
    if (bad) return failed(bad);
    const has = (o: Record<string, unknown> | undefined) => wanted.filter((k) => o && k in o);
    const missing = wanted.filter((k) => !(k in idToken) && !(userinfo && k in userinfo));
    const asked = `claims {id_token, userinfo} asking for ${wanted.join(', ')} and an unknown claim`;
    if (unknown in idToken || (userinfo && unknown in userinfo))
      return warning(
        `${asked}: the unknown claim came back; claims a server does not know are ignored (OIDC Core §5.5)`,
      );
    if (missing.length)
      return warning(
        `${asked}: ${missing.join(', ')} came back in neither the ID token nor userinfo (OIDC Core §5.5: returned when the user has them; run with a user who has every claim in claims_supported)`,
      );
    return passed(
      `${asked}: ID token with ${has(idToken).join(', ') || 'none of them'}${userinfo ? `, userinfo with ${has(userinfo).join(', ') || 'none of them'}` : ' (no userinfo_endpoint)'}; the unknown one ignored`,
    );
  },
});

export const AUTHORIZE_CHECKS: readonly Check[] = [
  az01,
  az02,
  az02Rejects,
  az03,
  az04,
  az05,
  az06,
  az06Outside,
  az06Nonce,
  az07,
  az07Long,
  az07NoNonce,
  az08,
  az08NoState,
  az09,
  az10,
  ms08,
  oidcClaims,
];
