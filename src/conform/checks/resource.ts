/**
 * The resource server (RS-01..08, and DP-13..23 and MT-07 at the RS), at each `--rs` URL with a
 * fresh access token: the baseline call (RS-01), no token in the query, no tampered or revoked
 * token, typed JWT access tokens, the scope the resource requires (`--rs-scope`), Date and
 * x-fapi-interaction-id; DPoP at the RS: ath, the key
 * binding, no Bearer downgrade, a case-insensitive scheme, the challenge; mTLS: another
 * certificate. The DP-xx.rs proof cases are in ./dpop.ts.
 */
import { randomUUID } from 'node:crypto';
import { findChallenge, parseWwwAuthenticate } from '../../core/www-authenticate.js';
import { FAPI_JWS_ALGS } from '../../core/fapi.js';
import { peekJws } from '../../core/jws.js';
import type { CheckContext, Sent, Tokens } from '../context.js';
import { describe, errorOf, expectRefused, isSuccess, statusOf } from '../expect.js';
import type { TestClient } from '../parties.js';
import { flipSignature } from '../tamper.js';
import { failed, passed, Skip, warning, type Check, type Outcome } from '../types.js';
import { defineCheck, SP } from './define.js';
import { revoke } from './introspection.js';
import { otherDpopKey } from './par.js';

const needs = { rs: true, logins: 1, after: ['PAR-16', 'RS-01'] } as const;
const RS_REFUSED = [400, 401] as const;

/** A fresh token for client 1 and each --rs URL. */
async function eachResource(
  ctx: CheckContext,
  fn: (c: TestClient, t: Tokens, url: string) => Promise<Outcome>,
  n: 1 | 2 = 1,
): Promise<Outcome> {
  const c = await ctx.client(n);
  const t = await ctx.tokens(c);
  const out: string[] = [];
  for (const url of ctx.resources) {
    const o = await fn(c, t, url);
    if (o.result !== 'passed')
      return { ...o, detail: ctx.resources.length > 1 ? `${url}: ${o.detail}` : o.detail };
    out.push(ctx.resources.length > 1 ? `${url}: ${o.detail}` : o.detail);
  }
  return passed(out.join('; '));
}

const refusedAt = (what: string, sent: Sent) => expectRefused(what, sent, { status: RS_REFUSED });

export const rs01 = defineCheck({
  id: 'RS-01',
  title: 'a valid sender-constrained token in the Authorization header is accepted',
  spec: `${SP} §5.3.4-1; RFC 9449 §7.1; RFC 8705 §3`,
  level: 'MUST',
  group: 'resource',
  needs: { rs: true, logins: 1, after: ['PAR-16'] },
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const sent = await ctx.rs(c, ctx.token(t), { url });
      if (!isSuccess(sent))
        return failed(
          `GET ${url} with ${t.set.token_type} token${c.sender === 'dpop' ? ' and proof' : ' over the certificate'} → ${describe(sent)}, expected 2xx`,
        );
      return passed(`GET with a ${t.set.token_type} token → ${describe(sent)}`);
    }),
});

export const rs02 = defineCheck({
  id: 'RS-02',
  title: 'an access token in the query is not accepted',
  spec: `${SP} §5.3.4-2; RFC 6750 §2.3`,
  level: 'MUST',
  group: 'resource',
  needs,
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      // The token in the query instead of the header, with its proof (or over its certificate):
      // everything else is as a valid request.
      const u = new URL(url);
      u.searchParams.set('access_token', t.set.access_token);
      const sent = await ctx.rs(c, ctx.token(t), { url: u.href, authorization: null });
      return refusedAt(
        `the token in the query (?access_token=…) ${c.sender === 'dpop' ? 'with its DPoP proof' : 'over its certificate'}, no Authorization header`,
        sent,
      );
    }),
});

export const rs03 = defineCheck({
  id: 'RS-03',
  title: 'a tampered access token is refused',
  spec: `${SP} §5.3.4-3`,
  level: 'MUST',
  group: 'resource',
  needs,
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const at = t.set.access_token;
      const bad = peekJws(at) ? flipSignature(at) : `${at.slice(0, -2)}${at.endsWith('AA') ? 'BB' : 'AA'}`;
      const sent = await ctx.rs(c, { accessToken: bad, tokenType: t.set.token_type }, { url });
      return refusedAt(
        `a tampered access token (${peekJws(at) ? 'one signature bit flipped' : 'last characters changed'})`,
        sent,
      );
    }),
});

export const rs03Revoked = defineCheck({
  id: 'RS-03.revoked',
  title: 'a revoked access token is refused',
  spec: `${SP} §5.3.4-3; RFC 7009 §2`,
  level: 'MUST',
  group: 'resource',
  needs: { ...needs, endpoints: ['revocation_endpoint'] },
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const rv = await revoke(ctx, c, t.set.access_token, 'access_token');
      if (!isSuccess(rv)) return failed(`revocation of the access token → ${describe(rv)}`);
      return refusedAt('a revoked access token', await ctx.rs(c, ctx.token(t), { url }));
    }),
});

export const rs04 = defineCheck({
  id: 'RS-04',
  title: 'JWT access tokens are typed at+jwt and signed with a FAPI algorithm',
  spec: `RFC 9068 §2.1; ${SP} §5.4.1-1`,
  level: 'MUST',
  group: 'resource',
  needs: { logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const t = await ctx.tokens(await ctx.client(1));
    const jwt = peekJws(t.set.access_token);
    if (!jwt) throw new Skip('the access token is opaque (not a JWT)');
    const typ = String(jwt.header.typ ?? '').toLowerCase();
    if (typ !== 'at+jwt' && typ !== 'application/at+jwt')
      return failed(`JWT access token typ ${JSON.stringify(jwt.header.typ)}, expected at+jwt`);
    if (!FAPI_JWS_ALGS.has(String(jwt.header.alg)))
      return failed(`JWT access token alg ${JSON.stringify(jwt.header.alg)}`);
    return passed(`JWT access token typ ${JSON.stringify(jwt.header.typ)}, alg ${String(jwt.header.alg)}`);
  },
});

export const rs05 = defineCheck({
  id: 'RS-05',
  title: 'a token without the scope the resource requires is refused: 403 insufficient_scope',
  spec: `${SP} §5.3.4-4; RFC 6750 §3.1`,
  level: 'MUST',
  group: 'resource',
  needs: { ...needs, rsScope: true },
  async run(ctx) {
    const required = (ctx.env.rsScope ?? '').split(' ').filter(Boolean);
    const asked = ctx.scope.split(' ').filter((s) => s && !required.includes(s));
    if (!asked.length)
      throw new Skip(
        `the run's scope "${ctx.scope}" holds nothing but the resource's ("${required.join(' ')}"): pass --scope with another scope too`,
      );
    const c = await ctx.client(1);
    const t = await ctx.tokens(c, { scope: asked.join(' ') });
    const granted = typeof t.body.scope === 'string' ? t.body.scope.split(' ') : undefined;
    if (granted && required.every((s) => granted.includes(s)))
      throw new Skip(
        `asked for "${asked.join(' ')}", the server granted "${t.body.scope}": the token has the resource's scope all the same`,
      );
    const what = `a token for "${asked.join(' ')}" (without "${required.join(' ')}")`;
    const out: string[] = [];
    for (const url of ctx.resources) {
      const sent = await ctx.rs(c, ctx.token(t), { url });
      const at = ctx.resources.length > 1 ? `${url}: ` : '';
      if (isSuccess(sent)) return failed(`${at}${what} → ${describe(sent)}: accepted`);
      if (errorOf(sent) !== 'insufficient_scope')
        return failed(`${at}${what} → ${describe(sent)}, expected 403 insufficient_scope (RFC 6750 §3.1)`);
      if (statusOf(sent) !== 403)
        return warning(`${at}${what} → ${describe(sent)}: insufficient_scope, but RFC 6750 §3.1 says 403`);
      out.push(`${at}${what} → ${describe(sent)}`);
    }
    return passed(out.join('; '));
  },
});

export const rs07 = defineCheck({
  id: 'RS-07',
  title: 'the resource server sends a Date header',
  spec: 'RFC 9110 §6.6.1',
  level: 'SHOULD',
  group: 'resource',
  needs,
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const sent = await ctx.rs(c, ctx.token(t), { url });
      const date = sent.response?.header('date');
      return date ? passed(`Date: ${date}`) : failed(`${describe(sent)} without a Date header`);
    }),
});

export const rs08 = defineCheck({
  id: 'RS-08',
  title: 'the resource server echoes x-fapi-interaction-id',
  spec: 'FAPI 2.0 Implementation Advice §2.1.1',
  level: 'SHOULD',
  group: 'resource',
  needs,
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const id = randomUUID();
      const sent = await ctx.rs(c, ctx.token(t), { url, headers: { 'x-fapi-interaction-id': id } });
      const got = sent.response?.header('x-fapi-interaction-id');
      return got === id
        ? passed('x-fapi-interaction-id echoed')
        : failed(`x-fapi-interaction-id ${got ? `answered ${got}` : 'not echoed'}`);
    }),
});

export const rs01SchemeCase = defineCheck({
  id: 'RS-01.scheme-case',
  title: 'the authorization scheme is case-insensitive (bEARER)',
  spec: 'RFC 9110 §11.1; RFC 6750 §2.1',
  level: 'MUST',
  group: 'resource',
  needs: { ...needs, sender: 'mtls' },
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const sent = await ctx.rs(c, ctx.token(t), { url, scheme: 'bEARER' });
      return isSuccess(sent)
        ? passed(`Authorization: bEARER <token> → ${describe(sent)}`)
        : failed(`Authorization: bEARER <token> → ${describe(sent)}, expected 2xx`);
    }),
});

export const dp13 = defineCheck({
  id: 'DP-13',
  title: 'a proof without ath, or with the hash of another token, is refused',
  spec: 'RFC 9449 §4.3 (12), §7.1',
  level: 'MUST',
  group: 'resource',
  needs: { ...needs, sender: 'dpop' },
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const a = refusedAt('a proof without ath', await ctx.rs(c, ctx.token(t), { url, ath: null }));
      if (a.result !== 'passed') return a;
      const b = refusedAt(
        'ath of another token',
        await ctx.rs(c, ctx.token(t), { url, ath: `${t.set.access_token}x` }),
      );
      return b.result === 'passed' ? passed(`${a.detail}; ${b.detail}`) : b;
    }),
});

export const dp14 = defineCheck({
  id: 'DP-14',
  title: 'a proof signed by another key than the token is bound to is refused',
  spec: 'RFC 9449 §4.3 (12), §7.1',
  level: 'MUST',
  group: 'resource',
  needs: { ...needs, sender: 'dpop' },
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const sent = await ctx.rs(c, ctx.token(t), { url, dpop: { key: await otherDpopKey() } });
      return refusedAt('a proof signed by another key', sent);
    }),
});

export const dp21 = defineCheck({
  id: 'DP-21',
  title: 'a DPoP-bound token is refused as Bearer, or without a DPoP header',
  spec: 'RFC 9449 §7.1, §7.2',
  level: 'MUST',
  group: 'resource',
  needs: { ...needs, sender: 'dpop' },
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const a = refusedAt(
        'Authorization: Bearer <DPoP-bound token>, no proof',
        await ctx.rs(c, ctx.token(t), { url, scheme: 'Bearer', dpop: false }),
      );
      if (a.result !== 'passed') return a;
      const b = refusedAt(
        'Authorization: DPoP <token> without a DPoP header',
        await ctx.rs(c, ctx.token(t), { url, dpop: false }),
      );
      return b.result === 'passed' ? passed(`${a.detail}; ${b.detail}`) : b;
    }),
});

export const dp22 = defineCheck({
  id: 'DP-22',
  title: 'the authorization scheme is case-insensitive (dpop)',
  spec: 'RFC 9110 §11.1',
  level: 'MUST',
  group: 'resource',
  needs: { ...needs, sender: 'dpop' },
  run: (ctx) =>
    eachResource(ctx, async (c, t, url) => {
      const sent = await ctx.rs(c, ctx.token(t), { url, scheme: 'dpop' });
      return isSuccess(sent)
        ? passed(`Authorization: dpop <token> → ${describe(sent)}`)
        : failed(`Authorization: dpop <token> → ${describe(sent)}, expected 2xx`);
    }),
});

export const dp23 = defineCheck({
  id: 'DP-23',
  title: 'a request without a token gets a DPoP challenge with algs and no error',
  spec: 'RFC 9449 §7.1; RFC 6750 §3.1',
  level: 'SHOULD',
  group: 'resource',
  needs: { rs: true, sender: 'dpop', after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const out: string[] = [];
    for (const url of ctx.resources) {
      const sent = await ctx.rs(c, undefined, { url, dpop: false });
      if (sent.response?.status !== 401)
        return failed(`GET ${url} without a token → ${describe(sent)}, expected 401`);
      const ch = findChallenge(parseWwwAuthenticate(sent.response.headers['www-authenticate']), 'DPoP');
      if (!ch)
        return failed(
          `401 without a DPoP challenge (WWW-Authenticate: ${sent.response.header('www-authenticate') ?? 'none'})`,
        );
      if (ch.params.error)
        return failed(
          `401 DPoP challenge with error="${ch.params.error}" for a request without a token (RFC 6750 §3.1)`,
        );
      if (!ch.params.algs) return failed('401 DPoP challenge without algs');
      out.push(`401 WWW-Authenticate: DPoP algs="${ch.params.algs}"`);
    }
    return passed(out.join('; '));
  },
});

export const mt07 = defineCheck({
  id: 'MT-07',
  title: 'a certificate-bound token is refused over another certificate, or none',
  spec: 'RFC 8705 §3',
  level: 'MUST',
  group: 'resource',
  needs: { ...needs, sender: 'mtls', clients: 2 },
  run: (ctx) =>
    eachResource(
      ctx,
      async (c2, t, url) => {
        const c1 = await ctx.client(1);
        const a = expectRefused(
          "client 2's token over client 1's certificate",
          await ctx.rs(c2, ctx.token(t), { url, cert: c1 }),
          {
            status: RS_REFUSED,
            tls: true,
          },
        );
        if (a.result !== 'passed') return a;
        const b = expectRefused(
          'the token without a client certificate',
          await ctx.rs(c2, ctx.token(t), { url, cert: false }),
          {
            status: RS_REFUSED,
            tls: true,
          },
        );
        return b.result === 'passed' ? passed(`${a.detail}; ${b.detail}`) : b;
      },
      2,
    ),
});

export const RESOURCE_CHECKS: readonly Check[] = [
  rs01,
  rs01SchemeCase,
  rs02,
  rs03,
  rs03Revoked,
  rs04,
  rs05,
  rs07,
  rs08,
  dp13,
  dp14,
  dp21,
  dp22,
  dp23,
  mt07,
];
