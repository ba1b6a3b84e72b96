/**
 * Network and TLS (NET-02..07), probed with handshakes only (src/http/tls-probe.ts): TLS 1.2+
 * (NET-02), TLS 1.3 preferred (NET-03), only BCP195-recommended TLS 1.2 suites on the endpoints
 * browsers do not use (NET-04), a BCP195 suite accepted at the authorization endpoint (NET-05);
 * then the browser-facing rules at the authorization endpoint: HSTS (NET-06) and no CORS (NET-07).
 * Each probe has a positive control: a refusal proves nothing when a good handshake fails too.
 */
import { BCP195_TLS12_CIPHERS } from '../../../http/client.js';
import { probeTls, type TlsProbeResult } from '../../../http/tls-probe.js';
import type { CheckContext } from '../../context.js';
import { describe } from '../../expect.js';
import { failed, passed, Skip, warning, type Check } from '../../types.js';
import { defineCheck, SP } from '../define.js';

/** Endpoints browsers never use (FAPI2-SP §5.2.2): the back channel and the resource servers. */
const BACK_CHANNEL = [
  'token_endpoint',
  'pushed_authorization_request_endpoint',
  'introspection_endpoint',
  'revocation_endpoint',
  'registration_endpoint',
  'userinfo_endpoint',
] as const;

function origins(urls: unknown[]): string[] {
  const out = new Set<string>();
  for (const u of urls) {
    if (typeof u !== 'string') continue;
    try {
      const url = new URL(u);
      if (url.protocol === 'https:') out.add(url.origin);
    } catch {
      // the lint reports malformed URLs
    }
  }
  return [...out];
}

function backChannelOrigins(ctx: CheckContext): string[] {
  const m = ctx.metadata;
  const aliases =
    typeof m.mtls_endpoint_aliases === 'object' && m.mtls_endpoint_aliases ? m.mtls_endpoint_aliases : {};
  return origins([...BACK_CHANNEL.map((k) => m[k]), ...Object.values(aliases), ...ctx.resources]);
}

function allOrigins(ctx: CheckContext): string[] {
  return [
    ...new Set([...origins([ctx.issuer, ctx.metadata.authorization_endpoint]), ...backChannelOrigins(ctx)]),
  ];
}

const probe = (
  ctx: CheckContext,
  url: string,
  o: Omit<Parameters<typeof probeTls>[0], 'url' | 'timeoutMs'>,
) => probeTls({ url, timeoutMs: Math.min(ctx.env.timeoutMs, 10_000), ...o });

const show = (r: TlsProbeResult) => (r.ok ? `${r.protocol} ${r.cipher}` : `refused (${r.reason})`);

const BCP195 = BCP195_TLS12_CIPHERS.join(':');
/** TLS 1.2 suites BCP195 does not recommend: DHE, RSA key exchange, CBC (RFC 9325 §4.1, §4.2). */
const NOT_RECOMMENDED = [
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'AES256-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA256',
].join(':');

const server = { scope: 'server' } as const;

export const net02 = defineCheck({
  id: 'NET-02',
  title: 'TLS 1.0 and 1.1 are refused',
  spec: `${SP} §5.2.1-2`,
  level: 'MUST',
  group: 'discovery',
  needs: server,
  async run(ctx) {
    const seen: string[] = [];
    for (const o of allOrigins(ctx)) {
      const good = await probe(ctx, o, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
      if (!good.ok) {
        seen.push(`${o}: no TLS 1.2+ handshake either (${good.reason}), not judged`);
        continue;
      }
      for (const v of ['TLSv1', 'TLSv1.1'] as const) {
        const r = await probe(ctx, o, { minVersion: v, maxVersion: v });
        if (r.ok)
          return failed(`${o} accepted a ${v === 'TLSv1' ? 'TLS 1.0' : 'TLS 1.1'} handshake (${show(r)})`);
      }
      seen.push(`${o}: TLS 1.0/1.1 refused`);
    }
    if (!seen.some((s) => s.endsWith('refused'))) throw new Skip(seen.join('; '));
    return passed(seen.join('; '));
  },
});

export const net03 = defineCheck({
  id: 'NET-03',
  title: 'TLS 1.3 is negotiated when the client offers it',
  spec: `${SP} §5.2.1-3; RFC 9325 §3.1.1`,
  level: 'SHOULD',
  group: 'discovery',
  needs: server,
  async run(ctx) {
    const notes: string[] = [];
    for (const o of allOrigins(ctx)) {
      const r = await probe(ctx, o, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
      if (!r.ok) continue;
      if (r.protocol !== 'TLSv1.3') return warning(`${o} chose ${r.protocol} over TLS 1.3 (${show(r)})`);
      notes.push(`${o}: TLSv1.3`);
    }
    if (!notes.length) throw new Skip('no TLS handshake succeeded');
    return passed(notes.join('; '));
  },
});

export const net04 = defineCheck({
  id: 'NET-04',
  title: 'back-channel endpoints accept only BCP195-recommended TLS 1.2 suites',
  spec: `${SP} §5.2.2-1; RFC 9325 §4.2`,
  level: 'MUST',
  group: 'discovery',
  needs: server,
  async run(ctx) {
    const seen: string[] = [];
    for (const o of backChannelOrigins(ctx)) {
      const weak = await probe(ctx, o, {
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2',
        ciphers: NOT_RECOMMENDED,
      });
      if (weak.ok)
        return failed(`${o} accepted TLS 1.2 with ${weak.cipher}, which BCP195 does not recommend`);
      const good = await probe(ctx, o, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: BCP195 });
      seen.push(
        good.ok
          ? `${o}: DHE/RSA/CBC suites refused, ${show(good)} accepted`
          : `${o}: no handshake at all (${good.reason})`,
      );
    }
    if (!seen.some((s) => s.includes('accepted')))
      throw new Skip(seen.join('; ') || 'no back-channel endpoint');
    return passed(seen.join('; '));
  },
});

export const net05 = defineCheck({
  id: 'NET-05',
  title: 'the authorization endpoint accepts TLS 1.3, or TLS 1.2 with a BCP195 suite',
  spec: `${SP} §5.2.3-2`,
  level: 'MUST',
  group: 'discovery',
  needs: server,
  async run(ctx) {
    const az = ctx.metadata.authorization_endpoint;
    if (typeof az !== 'string') throw new Skip('no authorization_endpoint');
    const r13 = await probe(ctx, az, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    const r12 = await probe(ctx, az, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: BCP195 });
    if (!r13.ok && !r12.ok)
      return failed(`${new URL(az).origin}: TLS 1.3 ${show(r13)}; TLS 1.2 BCP195 ${show(r12)}`);
    return passed(`${new URL(az).origin}: TLS 1.3 ${show(r13)}; TLS 1.2 BCP195 ${show(r12)}`);
  },
});

export const net06 = defineCheck({
  id: 'NET-06',
  title: 'the authorization endpoint sends Strict-Transport-Security',
  spec: `${SP} §5.2.3-1`,
  level: 'MUST',
  group: 'discovery',
  needs: server,
  async run(ctx) {
    const url = ctx.url('authorization_endpoint');
    const a = await ctx.raw(ctx.plain, { method: 'GET', url, headers: { accept: 'text/html' } });
    if (!a.response) return failed(`GET ${url} → ${describe(a)}`);
    const hsts = a.response.header('strict-transport-security');
    const age = /max-age\s*=\s*"?(\d+)/i.exec(hsts ?? '')?.[1];
    if (!hsts || !age || Number(age) <= 0)
      return failed(
        `GET ${url} → ${a.response.status} without Strict-Transport-Security${hsts ? ` (${hsts})` : ''}`,
      );
    return passed(`GET ${url} → ${a.response.status}, Strict-Transport-Security: ${hsts}`);
  },
});

export const net07 = defineCheck({
  id: 'NET-07',
  title: 'the authorization endpoint does not support CORS',
  spec: `${SP} §5.2.3-3`,
  level: 'MUST',
  group: 'discovery',
  needs: server,
  async run(ctx) {
    const url = ctx.url('authorization_endpoint');
    const origin = 'https://evil.fapi-conform.example';
    const seen: string[] = [];
    for (const method of ['OPTIONS', 'GET']) {
      const a = await ctx.raw(ctx.plain, {
        method,
        url,
        headers: {
          origin,
          ...(method === 'OPTIONS' ? { 'access-control-request-method': 'GET' } : { accept: 'text/html' }),
        },
      });
      if (!a.response) return failed(`${method} ${url} → ${describe(a)}`);
      const allow = a.response.header('access-control-allow-origin');
      if (allow)
        return failed(`${method} ${url} with Origin ${origin} → Access-Control-Allow-Origin: ${allow}`);
      seen.push(`${method} → ${a.response.status}, no Access-Control-Allow-Origin`);
    }
    return passed(`Origin ${origin}: ${seen.join('; ')}`);
  },
});

export const TLS_CHECKS: readonly Check[] = [net02, net03, net04, net05, net06, net07];
