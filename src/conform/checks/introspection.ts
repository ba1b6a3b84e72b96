/**
 * Introspection (RFC 7662) and revocation (RFC 7009), when the server advertises them
 * (IN-01..03, RV-01..03): caller authentication, `{"active": false}` and nothing else for an unknown token, the
 * binding in an active answer, 200 for revoking garbage, and a revoked refresh token taking its
 * access tokens with it (SHOULD).
 */
import type { CheckContext, Sent } from '../context.js';
import { describe, expectRefused, isSuccess } from '../expect.js';
import type { TestClient } from '../parties.js';
import { failed, passed, Skip, type Check } from '../types.js';
import { defineCheck, INVALID_CLIENT } from './define.js';

const IN = { endpoints: ['introspection_endpoint'], after: ['PAR-01'] } as const;
const RV = { endpoints: ['revocation_endpoint'], after: ['PAR-01'] } as const;

/** Revokes one of the client's tokens (RFC 7009 §2.1), with its type hint and without a DPoP proof. */
export function revoke(
  ctx: CheckContext,
  c: TestClient,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<Sent> {
  return ctx.as(c, 'revocation_endpoint', { token, token_type_hint: hint }, { dpop: false });
}

async function introspect(ctx: CheckContext, token: string) {
  const c = await ctx.client(1);
  const sent = await ctx.as(c, 'introspection_endpoint', { token }, { dpop: false });
  if (sent.response && (sent.response.status === 401 || sent.response.status === 403))
    throw new Skip(
      `the server does not let this client introspect (${describe(sent)}; RFC 7662 §4 lets it choose its callers)`,
    );
  return sent;
}

export const in01 = defineCheck({
  id: 'IN-01',
  title: 'introspection requires caller authentication',
  spec: 'RFC 7662 §2.1',
  level: 'MUST',
  group: 'introspection',
  needs: IN,
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.as(
      c,
      'introspection_endpoint',
      { token: 'fapi-conform-token' },
      {
        auth: { params: { client_id: c.clientId } },
        dpop: false,
        cert: false,
      },
    );
    return expectRefused('introspection without client authentication', sent, {
      errors: INVALID_CLIENT,
      tls: true,
    });
  },
});

export const in02 = defineCheck({
  id: 'IN-02',
  title: 'an unknown token introspects as {"active": false} and nothing else',
  spec: 'RFC 7662 §2.2',
  level: 'MUST',
  group: 'introspection',
  needs: IN,
  async run(ctx) {
    const sent = await introspect(ctx, 'fapi-conform-unknown-token');
    if (sent.response?.status !== 200)
      return failed(`introspection of an unknown token → ${describe(sent)}, expected 200`);
    const body = sent.response.json() as Record<string, unknown>;
    if (body.active !== false)
      return failed(`introspection of an unknown token → active ${JSON.stringify(body.active)}`);
    const extra = Object.keys(body).filter((k) => k !== 'active');
    if (extra.length)
      return failed(`introspection of an unknown token → {"active": false} plus ${extra.join(', ')}`);
    return passed('introspection of an unknown token → 200 {"active": false}');
  },
});

export const in03 = defineCheck({
  id: 'IN-03',
  title: 'an active token introspects with its binding (cnf) and, for DPoP, token_type DPoP',
  spec: 'RFC 9449 §6.2; RFC 8705 §3.2; RFC 7662 §2.2',
  level: 'MUST',
  group: 'introspection',
  needs: { ...IN, logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokens(c);
    const sent = await introspect(ctx, t.set.access_token);
    if (sent.response?.status !== 200) return failed(`introspection of the access token → ${describe(sent)}`);
    const body = sent.response.json() as Record<string, unknown>;
    if (body.active !== true)
      return failed(`introspection of a fresh access token → active ${JSON.stringify(body.active)}`);
    const cnf = body.cnf as Record<string, unknown> | undefined;
    if (c.sender === 'dpop') {
      if (typeof cnf?.jkt !== 'string') return failed('active DPoP-bound token introspected without cnf.jkt');
      if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'dpop')
        return failed(
          `active DPoP-bound token introspected with token_type ${JSON.stringify(body.token_type)}, expected DPoP`,
        );
      return passed('introspection → active, cnf.jkt, token_type DPoP');
    }
    if (cnf?.['x5t#S256'] !== c.certificate?.x5t)
      return failed(
        'active certificate-bound token introspected without the certificate thumbprint (cnf.x5t#S256)',
      );
    return passed('introspection → active, cnf.x5t#S256 = the certificate thumbprint');
  },
});

export const rv01 = defineCheck({
  id: 'RV-01',
  title: 'revocation requires client authentication',
  spec: 'RFC 7009 §2.1',
  level: 'MUST',
  group: 'introspection',
  needs: RV,
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.as(
      c,
      'revocation_endpoint',
      { token: 'fapi-conform-token' },
      {
        auth: { params: { client_id: c.clientId } },
        dpop: false,
        cert: false,
      },
    );
    return expectRefused('revocation without client authentication', sent, {
      errors: INVALID_CLIENT,
      tls: true,
    });
  },
});

export const rv02 = defineCheck({
  id: 'RV-02',
  title: 'revoking an unknown token answers 200',
  spec: 'RFC 7009 §2.2',
  level: 'MUST',
  group: 'introspection',
  needs: RV,
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.as(c, 'revocation_endpoint', { token: 'fapi-conform-garbage' }, { dpop: false });
    if (sent.response?.status !== 200) return failed(`revoking garbage → ${describe(sent)}, expected 200`);
    return passed('revoking garbage → 200');
  },
});

export const rv03 = defineCheck({
  id: 'RV-03',
  title: 'revoking a refresh token also revokes its access tokens',
  spec: 'RFC 7009 §2.1',
  level: 'SHOULD',
  group: 'introspection',
  needs: { ...RV, rs: true, logins: 1, after: ['PAR-16', 'RS-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const rv = await revoke(ctx, c, t.refreshToken, 'refresh_token');
    if (!isSuccess(rv)) return failed(`revocation of the refresh token → ${describe(rv)}`);
    const call = await ctx.rs(c, ctx.token(t));
    if (isSuccess(call))
      return failed(`refresh token revoked; its access token still works (${describe(call)})`);
    return passed(`refresh token revoked; its access token → ${describe(call)}`);
  },
});

export const INTROSPECTION_CHECKS: readonly Check[] = [in01, in02, in03, rv01, rv02, rv03];
