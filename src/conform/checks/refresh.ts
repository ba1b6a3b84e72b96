/**
 * Refresh tokens (RT-01..11): no rotation (FAPI2-SP §5.3.2.1-9), or a retry window when
 * rotating; bound to the client; client authentication and the sender constraint required; not
 * bound to the DPoP key of a confidential client (RFC 9449 §5); over another certificate, a token
 * bound to that one (RFC 8705 §3); no scope widening; entropy and characters; dead once revoked.
 */
import { generateSigningKey } from '../../keys/generate.js';
import { jwkThumbprint, type Jwk } from '../../core/jwk.js';
import { peekJws } from '../../core/jws.js';
import type { CheckContext } from '../context.js';
import { certificateFor, derOf, testCertificateSubject, type TestClient } from '../parties.js';
import { describe, expectRefused, expectSuccess, isSuccess } from '../expect.js';
import { failed, passed, Skip, type Check } from '../types.js';
import { defineCheck, INVALID_CLIENT, SP } from './define.js';
import { revoke } from './introspection.js';
import { cnfOf, issuedAnyway } from './issued.js';
import { entropyBits } from './token.js';

const needs = { logins: 1, after: ['PAR-16'] } as const;

export const rt01 = defineCheck({
  id: 'RT-01',
  title: 'refresh tokens are not rotated; the same one works again',
  spec: `${SP} §5.3.2.1-9`,
  level: 'MUST',
  group: 'refresh',
  needs,
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const first = await ctx.refresh(c, t.refreshToken);
    if (!isSuccess(first)) return failed(`refresh → ${describe(first)}, expected 200`);
    const rt = (first.response!.json() as Record<string, unknown>).refresh_token;
    if (typeof rt === 'string' && rt !== t.refreshToken)
      return failed('refresh → 200 with a new refresh_token: the refresh token was rotated');
    return expectSuccess(
      'refresh → 200 without rotation; the same refresh token again',
      await ctx.refresh(c, t.refreshToken),
      [200],
    );
  },
});

export const rt02 = defineCheck({
  id: 'RT-02',
  title: 'when refresh tokens rotate, the previous one still works for a retry (30 s later)',
  spec: `${SP} §5.3.2.1 Note 1`,
  level: 'MUST',
  group: 'refresh',
  needs: { ...needs, slow: true },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const first = await ctx.refresh(c, t.refreshToken);
    if (!isSuccess(first)) return failed(`refresh → ${describe(first)}, expected 200`);
    const rt = (first.response!.json() as Record<string, unknown>).refresh_token;
    if (typeof rt !== 'string' || rt === t.refreshToken)
      throw new Skip('the server does not rotate refresh tokens');
    await ctx.wait(30);
    return expectSuccess(
      'rotated; 30 s later the previous refresh token',
      await ctx.refresh(c, t.refreshToken),
      [200],
    );
  },
});

export const rt03 = defineCheck({
  id: 'RT-03',
  title: 'a refresh token is bound to its client',
  spec: 'RFC 6749 §6, §10.4',
  level: 'MUST',
  group: 'refresh',
  needs: { ...needs, clients: 2 },
  async run(ctx) {
    const [c, c2] = [await ctx.client(1), await ctx.client(2)];
    const t = await ctx.tokensWithRefresh(c);
    return expectRefused(
      "client 2 refreshes client 1's refresh token",
      await ctx.refresh(c2, t.refreshToken),
      {
        errors: ['invalid_grant', 'invalid_client', 'invalid_request'],
      },
    );
  },
});

export const rt04 = defineCheck({
  id: 'RT-04',
  title: 'refresh requires client authentication',
  spec: `RFC 6749 §6; ${SP} §5.3.2.1-6`,
  level: 'MUST',
  group: 'refresh',
  needs,
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const sent = await ctx.refresh(c, t.refreshToken, {
      auth: { params: { client_id: c.clientId } },
      ...(c.auth === 'private_key_jwt' ? {} : { cert: false as const }),
    });
    return expectRefused('refresh with client_id only, no client authentication', sent, {
      errors: [...INVALID_CLIENT, 'invalid_grant'],
      tls: c.auth !== 'private_key_jwt',
    });
  },
});

export const rt05 = defineCheck({
  id: 'RT-05',
  title: 'refresh without the client certificate is refused (certificate-bound tokens)',
  spec: `${SP} §5.3.2.1-4; RFC 8705 §3`,
  level: 'MUST',
  group: 'refresh',
  needs: { ...needs, sender: 'mtls' },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const sent = await ctx.refresh(c, t.refreshToken, { cert: false });
    if (isSuccess(sent)) return issuedAnyway(ctx, c, 'refresh without a client certificate', sent);
    return expectRefused('refresh without a client certificate', sent, {
      errors: ['invalid_client', 'invalid_grant', 'invalid_request'],
      tls: true,
    });
  },
});

export const dp19 = defineCheck({
  id: 'DP-19',
  title: 'refresh without a DPoP proof is refused (dpop_bound_access_tokens)',
  spec: 'RFC 9449 §5, §5.2',
  level: 'MUST',
  group: 'refresh',
  needs: { ...needs, sender: 'dpop' },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const sent = await ctx.refresh(c, t.refreshToken, { dpop: false });
    if (isSuccess(sent)) return issuedAnyway(ctx, c, 'refresh without a DPoP proof', sent);
    return expectRefused('refresh without a DPoP proof', sent, {
      errors: ['invalid_dpop_proof', 'invalid_request', 'invalid_grant'],
    });
  },
});

export const rt06 = defineCheck({
  id: 'RT-06',
  title: "a confidential client's refresh token is not bound to its DPoP key: a new key works",
  spec: 'RFC 9449 §5',
  level: 'MUST',
  group: 'refresh',
  needs: { ...needs, sender: 'dpop' },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const k = await generateSigningKey('ES256');
    const key = { privateKey: k.privateKey, publicJwk: k.publicJwk, alg: k.alg };
    const sent = await ctx.refresh(c, t.refreshToken, { dpop: { key } });
    if (!isSuccess(sent))
      return failed(
        `refresh with a new DPoP key → ${describe(sent)}, expected 200 (the refresh token must not be bound to the key)`,
      );
    const at = (sent.response!.json() as Record<string, unknown>).access_token;
    const jwt = typeof at === 'string' ? peekJws(at) : undefined;
    const jkt = (jwt?.payload.cnf as Record<string, unknown> | undefined)?.jkt;
    if (jwt && jkt !== jwkThumbprint(k.publicJwk))
      return failed('refresh with a new key → 200, but the new access token is not bound to the new key');
    return passed(`refresh with a new DPoP key → 200${jwt ? ', the new access token bound to it' : ''}`);
  },
});

/**
 * A client of the mTLS variant and a second certificate that authenticates it as well as its own:
 * for private_key_jwt a new self-signed one (there the certificate only binds the token); for
 * tls_client_auth one from the client CA with the same subject DN (a renewed certificate, RFC 8705
 * §2.1); for self_signed_tls_client_auth a client of the check's own with both certificates in its
 * JWKS (RFC 8705 §2.2).
 */
async function clientWithTwoCertificates(ctx: CheckContext): Promise<{ c: TestClient; other: TestClient }> {
  const p = ctx.env.provisioning;
  const key = await generateSigningKey('ES256');
  const subject = testCertificateSubject();
  const withCert = (c: TestClient, cert: NonNullable<TestClient['certificate']>): TestClient => ({
    ...c,
    certificate: cert,
    http: ctx.env.http({ cert: cert.pem, key: cert.keyPem }),
  });
  if (ctx.variant.auth === 'self_signed_tls_client_auth') {
    if (!ctx.metadata.registration_endpoint || p.provided)
      throw new Skip(
        'a second certificate of a self_signed_tls_client_auth client must be registered in its JWKS: needs dynamic registration',
      );
    const cert = await certificateFor(p, 'self_signed_tls_client_auth', key, subject);
    const jwk: Jwk = { ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig', x5c: [derOf(cert!.pem)] };
    const c = await ctx.ownClient({ extraKeys: [jwk] });
    return { c, other: withCert(c, cert!) };
  }
  const c = await ctx.client(1);
  if (ctx.variant.auth === 'tls_client_auth') {
    if (!c.certificate) throw new Skip('the client has no certificate');
    const cert = await certificateFor(p, 'tls_client_auth', key, c.certificate.subject);
    return { c, other: withCert(c, cert!) };
  }
  const cert = await certificateFor(p, 'self_signed_tls_client_auth', key, subject);
  return { c, other: withCert(c, cert!) };
}

export const rt08 = defineCheck({
  id: 'RT-08',
  title:
    'refresh over another certificate: the new access token is bound to it, or the refresh is refused (refresh tokens bound to the certificate)',
  spec: 'RFC 8705 §3, §3.1',
  level: 'MUST',
  group: 'refresh',
  needs: { ...needs, sender: 'mtls' },
  async run(ctx) {
    const { c, other } = await clientWithTwoCertificates(ctx);
    const t = await ctx.tokensWithRefresh(c);
    const what = `refresh over another certificate of the client${c.auth === 'tls_client_auth' ? ' (same subject DN)' : ''}`;
    const sent = await ctx.refresh(c, t.refreshToken, { cert: other });
    if (!isSuccess(sent)) {
      const o = expectRefused(what, sent, {
        errors: ['invalid_grant', 'invalid_client', 'invalid_request', 'unauthorized_client'],
        tls: true,
      });
      return o.result === 'passed'
        ? passed(`${o.detail}: the refresh token is bound to the first certificate`)
        : o;
    }
    const body = sent.response!.json() as Record<string, unknown>;
    const at = typeof body.access_token === 'string' ? body.access_token : '';
    const { cnf, from, visible } = await cnfOf(ctx, other, at);
    const x5t = cnf?.['x5t#S256'];
    if (x5t === other.certificate?.x5t)
      return passed(
        `${what} → ${describe(sent)}; cnf.x5t#S256 in ${from} = the certificate presented at refresh`,
      );
    if (x5t === c.certificate?.x5t)
      return failed(
        `${what} → ${describe(sent)}, but cnf.x5t#S256 in ${from} is the first certificate's, not the one presented at refresh`,
      );
    if (typeof x5t === 'string')
      return failed(`${what} → ${describe(sent)}, cnf.x5t#S256 in ${from} is neither certificate's`);
    if (visible) return failed(`${what} → ${describe(sent)}, no cnf.x5t#S256 in ${from}: an unbound token`);
    throw new Skip(`${what} → ${describe(sent)}; fapi cannot see the new token's binding: ${from}`);
  },
});

export const rt09 = defineCheck({
  id: 'RT-09',
  title: 'refresh cannot widen the scope',
  spec: 'RFC 6749 §6',
  level: 'MUST',
  group: 'refresh',
  needs,
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const scope = `${ctx.scope} fapi-conform-extra-scope`;
    return expectRefused(
      `refresh with scope "… fapi-conform-extra-scope"`,
      await ctx.refresh(c, t.refreshToken, { form: { scope } }),
      {
        errors: ['invalid_scope'],
      },
    );
  },
});

export const rt10 = defineCheck({
  id: 'RT-10',
  title: 'refresh tokens have at least 128 bits of entropy and RFC 6749 characters',
  spec: `${SP} §5.4.1-4; RFC 6749 Appendix A.17`,
  level: 'MUST',
  group: 'refresh',
  needs,
  async run(ctx) {
    const t = await ctx.tokensWithRefresh(await ctx.client(1));
    const rt = t.refreshToken;
    if (/[^\u0020-\u007e]/.test(rt))
      return failed('the refresh token has characters outside VSCHAR (RFC 6749 Appendix A.17)');
    if (!peekJws(rt) && entropyBits(rt) < 128)
      return failed(`the refresh token has ${rt.length} characters: at most ${entropyBits(rt)} bits`);
    return passed(`refresh token of ${rt.length} characters, VSCHAR only`);
  },
});

export const rt11 = defineCheck({
  id: 'RT-11',
  title: 'a revoked refresh token cannot be used',
  spec: 'RFC 7009 §2.1',
  level: 'MUST',
  group: 'refresh',
  needs: { ...needs, endpoints: ['revocation_endpoint'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokensWithRefresh(c);
    const rv = await revoke(ctx, c, t.refreshToken, 'refresh_token');
    if (!isSuccess(rv)) return failed(`revocation of the refresh token → ${describe(rv)}, expected 200`);
    return expectRefused('revoked, then refreshed', await ctx.refresh(c, t.refreshToken), {
      errors: ['invalid_grant'],
    });
  },
});

export const REFRESH_CHECKS: readonly Check[] = [
  rt01,
  rt02,
  rt03,
  rt04,
  rt05,
  dp19,
  rt06,
  rt08,
  rt09,
  rt10,
  rt11,
];
