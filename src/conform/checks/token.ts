/**
 * The token endpoint (TK-01..14): grants FAPI 2.0 forbids, the code's lifetime, one-time use
 * and bindings (client, redirect URI, PKCE verifier), sender-constrained tokens only, the success
 * response, a DPoP nonce challenge that does not burn the code, and the ID token; plus the entropy
 * of the values the server hands out (CR-06).
 */
import { jwksLoader, validateIdToken } from '../../core/id-token.js';
import { verifyIssuerJws } from '../../core/issuer-jws.js';
import { peekJws } from '../../core/jws.js';
import { isFapiError } from '../../errors.js';
import type { CheckContext, Tokens } from '../context.js';
import { describe, expectRefused, expectSuccess, isSuccess } from '../expect.js';
import { failed, passed, Skip, warning, type Check } from '../types.js';
import { defineCheck, SP } from './define.js';
import { issuedAnyway } from './issued.js';

const after = ['PAR-16'] as const;
const GRANT = ['invalid_grant'] as const;

export const tk01 = defineCheck({
  id: 'TK-01',
  title: 'the password grant is refused',
  spec: `${SP} §5.3.2.1-2; RFC 9700 §2.4`,
  level: 'MUST',
  group: 'token',
  needs: { after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.as(c, 'token_endpoint', {
      grant_type: 'password',
      username: 'alice',
      password: 'fapi-conform-password',
      scope: ctx.scope,
    });
    return expectRefused('token request with grant_type=password', sent, {
      errors: ['unsupported_grant_type', 'unauthorized_client'],
      status: [400, 401],
    });
  },
});

export const tk02 = defineCheck({
  id: 'TK-02',
  title: 'an authorization code lives at most 60 s',
  spec: `${SP} §5.3.2.1-11`,
  level: 'MUST',
  group: 'token',
  needs: { slow: true, logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    ctx.codeOf(l);
    await ctx.wait(62);
    return expectRefused('token request 62 s after the authorization', await ctx.redeem(c, l), {
      errors: GRANT,
    });
  },
});

export const tk03 = defineCheck({
  id: 'TK-03',
  title: 'a code is redeemed once only',
  spec: `${SP} §5.3.2.2-9; RFC 6749 §4.1.2`,
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    const first = await ctx.redeem(c, l);
    if (!isSuccess(first)) throw new Skip(`the first redemption failed (${describe(first)})`);
    return expectRefused('the same code redeemed again', await ctx.redeem(c, l), { errors: GRANT });
  },
});

export const tk03Revoke = defineCheck({
  id: 'TK-03.revokes',
  title: 'a reused code revokes the tokens already issued from it',
  spec: 'RFC 6749 §4.1.2; RFC 9700 §4.5',
  level: 'SHOULD',
  group: 'token',
  needs: { logins: 1, rs: true, after: ['PAR-16', 'RS-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    const first = await ctx.redeem(c, l);
    const t = ctx.tokensOf(c, l, first);
    await ctx.redeem(c, l);
    const call = await ctx.rs(c, ctx.token(t));
    if (isSuccess(call))
      return failed(`the code was redeemed twice; the first access token still works (${describe(call)})`);
    return passed(`the code was redeemed twice; the first access token → ${describe(call)}`);
  },
});

export const tk04 = defineCheck({
  id: 'TK-04',
  title: 'a code is bound to its client',
  spec: 'RFC 6749 §4.1.3',
  level: 'MUST',
  group: 'token',
  needs: { clients: 2, logins: 1, after },
  async run(ctx) {
    const [c, c2] = [await ctx.client(1), await ctx.client(2)];
    const l = await ctx.login(c);
    const sent = await ctx.redeem(c2, l, { dpop: c2.dpopKey ? { key: c2.dpopKey } : false });
    return expectRefused("client 1's code redeemed by client 2", sent, {
      errors: ['invalid_grant', 'invalid_client'],
    });
  },
});

export const tk05 = defineCheck({
  id: 'TK-05',
  title: 'the token request redirect_uri must equal the pushed one',
  spec: 'RFC 6749 §4.1.3',
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const other = c.redirectUris.find((u) => u !== c.redirectUri) ?? `${c.redirectUri}/other`;
    const l = await ctx.login(c);
    return expectRefused(
      'token request with another registered redirect_uri',
      await ctx.redeem(c, l, { form: { redirect_uri: other } }),
      {
        errors: GRANT,
      },
    );
  },
});

export const tk05Missing = defineCheck({
  id: 'TK-05.missing',
  title: 'a token request without the pushed redirect_uri is refused',
  spec: 'RFC 6749 §4.1.3',
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    return expectRefused(
      'token request without redirect_uri',
      await ctx.redeem(c, l, { form: { redirect_uri: undefined } }),
      {
        errors: ['invalid_request', 'invalid_grant'],
      },
    );
  },
});

export const tk06 = defineCheck({
  id: 'TK-06',
  title: 'a wrong PKCE code_verifier is refused',
  spec: `RFC 7636 §4.6; ${SP} §5.3.2.2-5`,
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    const wrong = `${l.session.code_verifier.slice(0, -4)}AAAA`;
    return expectRefused(
      'token request with a wrong code_verifier',
      await ctx.redeem(c, l, { form: { code_verifier: wrong } }),
      {
        errors: GRANT,
      },
    );
  },
});

export const tk06Missing = defineCheck({
  id: 'TK-06.missing',
  title: 'a token request without code_verifier is refused',
  spec: `RFC 7636 §4.6; ${SP} §5.3.2.2-5`,
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    return expectRefused(
      'token request without code_verifier',
      await ctx.redeem(c, l, { form: { code_verifier: undefined } }),
      {
        errors: ['invalid_grant', 'invalid_request'],
      },
    );
  },
});

/**
 * A client registered without asking for bound tokens (RFC 9449 §5.2, RFC 8705 §3.4), when the
 * run registers its own clients: FAPI 2.0 issues no unbound token to any client (§5.3.2.1-4).
 */
async function unboundClient(ctx: CheckContext) {
  if (!ctx.metadata.registration_endpoint || ctx.env.provisioning.provided) return ctx.client(1);
  return ctx.ownClient({
    overrides: { dpop_bound_access_tokens: undefined, tls_client_certificate_bound_access_tokens: undefined },
  });
}

export const tk08 = defineCheck({
  id: 'TK-08',
  title: 'no unbound access token: a token request without DPoP proof is refused',
  spec: `${SP} §5.3.2.1-4; RFC 9449 §5`,
  level: 'MUST',
  group: 'token',
  needs: { sender: 'dpop', logins: 1, after },
  async run(ctx) {
    const c = await unboundClient(ctx);
    let l;
    try {
      l = await ctx.login(c, { dpopJkt: false, parDpop: false });
    } catch (e) {
      if (/PAR →/.test((e as Error).message))
        return passed(
          `PAR without any DPoP → refused (${(e as Error).message.replace(/^PAR → /, '')}): no unbound token possible`,
        );
      throw e;
    }
    const sent = await ctx.redeem(c, l, { dpop: false });
    const who = c.name === 'client 1' ? '' : ' (a client registered without dpop_bound_access_tokens)';
    if (isSuccess(sent)) return issuedAnyway(ctx, c, `PAR and token request without DPoP${who}`, sent);
    return expectRefused(`PAR and token request without DPoP${who}`, sent, {
      errors: ['invalid_dpop_proof', 'invalid_request', 'invalid_grant'],
    });
  },
});

export const mt06 = defineCheck({
  id: 'MT-06',
  title: 'no unbound access token: a token request without the client certificate is refused',
  spec: `${SP} §5.3.2.1-4; RFC 8705 §3`,
  level: 'MUST',
  group: 'token',
  needs: { sender: 'mtls', logins: 1, after },
  async run(ctx) {
    const c = await unboundClient(ctx);
    const l = await ctx.login(c);
    const sent = await ctx.redeem(c, l, { cert: false });
    if (isSuccess(sent)) return issuedAnyway(ctx, c, 'token request without a client certificate', sent);
    // Any refusal keeps the token from being issued unbound (the lab says invalid_dpop_proof).
    return expectRefused('token request without a client certificate', sent, { tls: true });
  },
});

export const tk09 = defineCheck({
  id: 'TK-09',
  title: 'a successful token response: JSON, Cache-Control no-store, the bound token_type',
  spec: 'RFC 6749 §5.1; RFC 9449 §5; RFC 8705 §3',
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokens(c);
    const res = t.answer.response!;
    const cc = (res.header('cache-control') ?? '').toLowerCase();
    if (!cc.includes('no-store'))
      return failed(
        `token response → 200 with Cache-Control ${JSON.stringify(res.header('cache-control') ?? '(none)')}, expected no-store`,
      );
    if (!(res.header('content-type') ?? '').toLowerCase().includes('application/json'))
      return failed(`token response content-type ${res.header('content-type') ?? '(none)'}`);
    const want = c.sender === 'dpop' ? 'DPoP' : 'Bearer';
    return passed(
      `token response → 200, Cache-Control: ${res.header('cache-control')}, token_type ${JSON.stringify(t.body.token_type)} (${want}, compared case-insensitively)`,
    );
  },
});

export const tk09ExpiresIn = defineCheck({
  id: 'TK-09.expires-in',
  title: 'the token response carries expires_in',
  spec: 'RFC 6749 §5.1',
  level: 'SHOULD',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const t = await ctx.tokens(await ctx.client(1));
    if (typeof t.body.expires_in !== 'number')
      return failed('token response without a numeric expires_in (RECOMMENDED)');
    return passed(`expires_in ${t.body.expires_in}`);
  },
});

export const tk10 = defineCheck({
  id: 'TK-10',
  title: 'a DPoP nonce challenge does not consume the code',
  spec: 'RFC 9449 §8; RFC 6749 §4.1.2',
  level: 'MUST',
  group: 'token',
  needs: { sender: 'dpop', logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    const first = await ctx.redeem(c, l, { dpop: { key: l.dpopKey!, nonce: 'fapi-conform-stale-nonce' } });
    if (isSuccess(first))
      throw new Skip('the server accepted a proof with an unknown nonce: it does not use DPoP nonces');
    if ((first.response?.json() as Record<string, unknown> | undefined)?.error !== 'use_dpop_nonce')
      throw new Skip(`a proof with an unknown nonce → ${describe(first)} (no nonce challenge)`);
    const retry = await ctx.redeem(c, l);
    return expectSuccess('token request → 400 use_dpop_nonce; retried with the new nonce', retry, [200]);
  },
});

export const tk11 = defineCheck({
  id: 'TK-11',
  title: 'the granted scope is no wider than the requested one',
  spec: `${SP} §5.3.2.1-14; RFC 9700 §2.3`,
  level: 'SHOULD',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const t = await ctx.tokens(await ctx.client(1));
    if (typeof t.body.scope !== 'string')
      return passed('no scope in the response: the requested scope was granted (RFC 6749 §5.1)');
    const asked = new Set(ctx.scope.split(' '));
    const extra = t.body.scope.split(' ').filter((s) => s && !asked.has(s));
    if (extra.length) return failed(`granted scope "${t.body.scope}" adds ${extra.join(', ')}`);
    return passed(`granted scope "${t.body.scope}" ⊆ requested`);
  },
});

export const tk13 = defineCheck({
  id: 'TK-13',
  title: 'client_credentials also needs a sender constraint',
  spec: `${SP} §5.3.2.1 Note 2, §5.3.2.1-4`,
  level: 'MUST',
  group: 'token',
  needs: { after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    if (
      !ctx.metadata.grant_types_supported?.includes('client_credentials') ||
      !c.grantTypes.includes('client_credentials')
    )
      throw new Skip('the server or the client does not use client_credentials');
    const unbound = await ctx.as(
      c,
      'token_endpoint',
      { grant_type: 'client_credentials' },
      c.sender === 'dpop' ? { dpop: false } : { cert: false },
    );
    if (isSuccess(unbound))
      return issuedAnyway(
        ctx,
        c,
        `client_credentials without ${c.sender === 'dpop' ? 'DPoP' : 'the certificate'}`,
        unbound,
      );
    return expectRefused(
      `client_credentials without ${c.sender === 'dpop' ? 'a DPoP proof' : 'the client certificate'}`,
      unbound,
      {
        tls: true,
      },
    );
  },
});

async function idToken(ctx: CheckContext): Promise<{ t: Tokens; jwt: string }> {
  const t = await ctx.tokens(await ctx.client(1));
  if (!t.set.id_token)
    return Promise.reject(
      new Error('the token response has no id_token though the scope has openid (OIDC Core §3.1.3.3)'),
    );
  return { t, jwt: t.set.id_token };
}

export const tk14 = defineCheck({
  id: 'TK-14',
  title: 'the ID token is signed with a FAPI algorithm by a key in jwks_uri',
  spec: `${SP} §5.3.2.3, §5.4.1-1`,
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, openid: true, after },
  async run(ctx) {
    const { jwt } = await idToken(ctx);
    try {
      const v = await verifyIssuerJws(jwt, jwksLoader((await ctx.client(1)).core), 'the ID token');
      return passed(`ID token signed with ${v.alg}${v.kid ? ` (kid ${v.kid})` : ''}, verified with jwks_uri`);
    } catch (e) {
      return failed(`ID token: ${(e as Error).message}`);
    }
  },
});

export const tk14Claims = defineCheck({
  id: 'TK-14.claims',
  title: 'the ID token claims: iss, aud, exp, iat, sub',
  spec: 'OIDC Core §2, §3.1.3.7',
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, openid: true, after },
  async run(ctx) {
    const { jwt } = await idToken(ctx);
    const c = await ctx.client(1);
    const jwks = jwksLoader(c.core);
    try {
      await verifyIssuerJws(jwt, jwks, 'the ID token');
    } catch (e) {
      throw new Skip(`the ID token's signature is TK-14's to judge (${(e as Error).message})`);
    }
    try {
      await validateIdToken(jwt, {
        issuer: ctx.issuer,
        clientId: c.clientId,
        now: ctx.now(),
        jwks,
      });
      return passed('iss, aud, exp, iat and sub valid');
    } catch (e) {
      const msg = isFapiError(e) ? e.message : String(e);
      // OIDC Core §2 lets an ID token name other audiences; clients must distrust them (CL-20).
      if (/also names/.test(msg)) return warning(`${msg} (allowed by OIDC Core §2, refused by FAPI clients)`);
      return failed(msg);
    }
  },
});

/** Bits of entropy a value can carry at most, from its length and alphabet (a heuristic, CR-06). */
export function entropyBits(v: string): number {
  const hex = /^[0-9a-f]+$/i.test(v);
  const b64 = /^[A-Za-z0-9_\-+/=.~]+$/.test(v);
  return Math.floor(v.length * (hex ? 4 : b64 ? 6 : 5));
}

export const cr06 = defineCheck({
  id: 'CR-06',
  title: 'request_uri, code, access and refresh tokens carry at least 128 bits of entropy',
  spec: `${SP} §5.4.1-4; RFC 6749 §10.10`,
  level: 'MUST',
  group: 'token',
  needs: { logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokens(c);
    const values: [string, string][] = [
      ['request_uri', t.login.requestUri.replace(/^urn:ietf:params:oauth:request_uri:/, '')],
      ['code', ctx.codeOf(t.login)],
    ];
    if (!peekJws(t.set.access_token)) values.push(['access token', t.set.access_token]);
    if (t.set.refresh_token && !peekJws(t.set.refresh_token))
      values.push(['refresh token', t.set.refresh_token]);
    const weak = values.filter(([, v]) => entropyBits(v) < 128);
    if (weak.length)
      return failed(
        weak.map(([k, v]) => `${k} has ${v.length} characters: at most ${entropyBits(v)} bits`).join('; '),
      );
    return passed(values.map(([k, v]) => `${k} ≤ ${entropyBits(v)} bits`).join(', '));
  },
});

export const TOKEN_CHECKS: readonly Check[] = [
  tk01,
  tk02,
  tk03,
  tk03Revoke,
  tk04,
  tk05,
  tk05Missing,
  tk06,
  tk06Missing,
  tk08,
  mt06,
  tk09,
  tk09ExpiresIn,
  tk10,
  tk11,
  tk13,
  tk14,
  tk14Claims,
  cr06,
];
