/**
 * Discovery and metadata (META-01..15): the `fapi discover` lint (src/core/lint.ts), one check
 * per requirement it reports on, plus what the lint cannot see from the document alone: the other
 * well-known document's issuer (META-02) and the published keys (META-12).
 */
import { wellKnownUrls } from '../../../core/discovery.js';
import type { Jwk } from '../../../core/jwk.js';
import { assertFapiKeyStrength, hasPrivateMembers, JwkError } from '../../../core/jwk.js';
import { lintMetadata, type LintFinding } from '../../../core/lint.js';
import type { CheckContext } from '../../context.js';
import { describe } from '../../expect.js';
import { failed, passed, Skip, warning, type Check, type Outcome } from '../../types.js';
import { defineCheck, SP } from '../define.js';

function fromLint(ctx: CheckContext, ids: readonly string[], ok: string): Outcome {
  const findings = lintMetadata(ctx.metadata).filter((f) => ids.includes(f.id));
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity === 'warning');
  const text = (fs: LintFinding[]) => fs.map((f) => f.message).join(' ');
  if (errors.length) return failed(text(errors));
  if (warnings.length) return warning(text(warnings));
  const infos = findings.filter((f) => f.severity === 'info');
  return passed(infos.length ? `${ok}; ${text(infos)}` : ok);
}

const server = { scope: 'server' } as const;

function lintCheck(
  id: string,
  title: string,
  spec: string,
  ok: (ctx: CheckContext) => string,
  applies?: (ctx: CheckContext) => string | undefined,
  level: 'MUST' | 'SHOULD' = 'MUST',
): Check {
  return defineCheck({
    id,
    title,
    spec,
    level,
    group: 'discovery',
    needs: server,
    async run(ctx) {
      const why = applies?.(ctx);
      if (why) throw new Skip(why);
      return fromLint(ctx, [id], ok(ctx));
    },
  });
}

const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : JSON.stringify(v));

export const meta01 = lintCheck(
  'META-01',
  'metadata is published (RFC 8414 / OpenID discovery), well-formed',
  `${SP} §5.3.2.1-1; RFC 8414 §3`,
  (ctx) => `${ctx.env.discovery.url} → 200 JSON (${ctx.env.discovery.source})`,
);

export const meta02 = defineCheck({
  id: 'META-02',
  title: 'issuer is identical to the URL the metadata was fetched for',
  spec: 'RFC 8414 §3.3; OIDD §4.3',
  level: 'MUST',
  group: 'discovery',
  needs: server,
  async run(ctx) {
    const d = ctx.env.discovery;
    const details = [`${d.url}: issuer "${ctx.metadata.issuer}"`];
    // The other well-known document, when served, must name the same issuer.
    for (const w of wellKnownUrls(ctx.issuer)) {
      if (w.url === d.url) continue;
      const a = await ctx.raw(ctx.plain, {
        method: 'GET',
        url: w.url,
        headers: { accept: 'application/json' },
      });
      if (a.response?.status !== 200) {
        details.push(`${w.url} → ${describe(a)} (not served)`);
        continue;
      }
      let doc: unknown;
      try {
        doc = a.response.json();
      } catch {
        doc = undefined;
      }
      const issuer = (doc as { issuer?: unknown } | undefined)?.issuer;
      if (issuer !== ctx.issuer)
        return failed(`${w.url} names issuer ${JSON.stringify(issuer)}, not "${ctx.issuer}"`);
      details.push(`${w.url}: same issuer`);
    }
    return passed(details.join('; '));
  },
});

export const meta03 = lintCheck(
  'META-03',
  'issuer is an https URL without query or fragment',
  'RFC 8414 §2',
  (ctx) => `issuer "${ctx.metadata.issuer}"`,
);
export const meta04 = lintCheck(
  'META-04',
  'pushed_authorization_request_endpoint advertised; require_pushed_authorization_requests is a boolean (true)',
  `${SP} §5.3.2.2-2; RFC 9126 §5`,
  (ctx) =>
    `pushed_authorization_request_endpoint ${String(ctx.metadata.pushed_authorization_request_endpoint)}, require_pushed_authorization_requests ${String(ctx.metadata.require_pushed_authorization_requests)}`,
);
export const meta05 = lintCheck(
  'META-05',
  'response_types_supported is "code" only',
  `${SP} §5.3.2.2-1`,
  (ctx) => `response_types_supported [${list(ctx.metadata.response_types_supported)}]`,
);
export const meta06 = lintCheck(
  'META-06',
  'code_challenge_methods_supported is S256 only',
  `${SP} §5.3.2.2-5`,
  (ctx) => `code_challenge_methods_supported [${list(ctx.metadata.code_challenge_methods_supported)}]`,
);
export const meta07 = lintCheck(
  'META-07',
  'authorization_response_iss_parameter_supported is true',
  `${SP} §5.3.2.2-7; RFC 9207 §3`,
  () => 'authorization_response_iss_parameter_supported true',
);
export const meta08 = lintCheck(
  'META-08',
  'client authentication: private_key_jwt / mTLS only, FAPI signing algorithms',
  `${SP} §5.3.2.1-6, §5.4.1-1`,
  (ctx) =>
    `token_endpoint_auth_methods_supported [${list(ctx.metadata.token_endpoint_auth_methods_supported)}]${ctx.metadata.token_endpoint_auth_signing_alg_values_supported ? `, algs [${list(ctx.metadata.token_endpoint_auth_signing_alg_values_supported)}]` : ''}`,
);
export const meta09 = lintCheck(
  'META-09',
  'dpop_signing_alg_values_supported is non-empty, FAPI algorithms only',
  `RFC 9449 §5.1; ${SP} §5.4.1-1`,
  (ctx) => `dpop_signing_alg_values_supported [${list(ctx.metadata.dpop_signing_alg_values_supported)}]`,
  (ctx) =>
    ctx.metadata.dpop_signing_alg_values_supported === undefined &&
    ctx.metadata.tls_client_certificate_bound_access_tokens === true
      ? 'the server does not offer DPoP'
      : undefined,
);
export const meta10 = lintCheck(
  'META-10',
  'tls_client_certificate_bound_access_tokens is true (certificate-bound tokens offered)',
  'RFC 8705 §3.3',
  () => 'tls_client_certificate_bound_access_tokens true',
  (ctx) =>
    ctx.metadata.tls_client_certificate_bound_access_tokens !== true &&
    Array.isArray(ctx.metadata.dpop_signing_alg_values_supported)
      ? 'the server does not offer certificate-bound tokens (it offers DPoP)'
      : undefined,
);
export const meta11 = lintCheck(
  'META-11',
  'grant_types_supported has no password or implicit',
  `${SP} §5.3.2.1-2, §5.3.2.2-1`,
  (ctx) => `grant_types_supported [${list(ctx.metadata.grant_types_supported)}]`,
);
export const meta13 = lintCheck(
  'META-13',
  'OpenID provider metadata: FAPI ID-token algorithms, openid scope, subject types',
  `${SP} §5.3.2.3, §5.4.1-1; OIDD §3`,
  (ctx) =>
    `id_token_signing_alg_values_supported [${list(ctx.metadata.id_token_signing_alg_values_supported)}], subject_types_supported [${list(ctx.metadata.subject_types_supported)}]`,
  (ctx) =>
    ctx.metadata.id_token_signing_alg_values_supported === undefined &&
    !ctx.metadata.scopes_supported?.includes('openid') &&
    ctx.metadata.userinfo_endpoint === undefined
      ? 'the server is not an OpenID provider'
      : undefined,
);
export const meta14 = lintCheck(
  'META-14',
  'introspection, revocation and registration endpoints are advertised when supported',
  'RFC 8414 §2',
  () => 'advertised',
  undefined,
  'SHOULD',
);
export const meta15 = lintCheck(
  'META-15',
  'JAR/JARM metadata: FAPI algorithms, response mode jwt',
  'FAPI2-MS §5.3, §5.4; JARM §4',
  (ctx) =>
    `authorization_signing_alg_values_supported [${list(ctx.metadata.authorization_signing_alg_values_supported)}], response_modes_supported [${list(ctx.metadata.response_modes_supported)}]`,
  (ctx) =>
    ctx.metadata.authorization_signing_alg_values_supported === undefined &&
    ctx.metadata.request_object_signing_alg_values_supported === undefined
      ? 'the server offers neither JAR nor JARM'
      : undefined,
);
export const cr02 = lintCheck(
  'CR-02',
  'every *_signing_alg_values_supported lists FAPI algorithms only (PS256, ES256, EdDSA)',
  `${SP} §5.4.1-1.2`,
  () => 'FAPI algorithms only',
);
export const cr03 = lintCheck(
  'CR-03',
  'no algorithm list offers "none"',
  `${SP} §5.4.1-1.3`,
  () => 'no "none"',
);
export const net01 = lintCheck(
  'NET-01',
  'every endpoint in the metadata is https',
  `${SP} §5.2.1-1`,
  () => 'every endpoint URL is https',
);

export const meta12 = defineCheck({
  id: 'META-12',
  title: 'jwks_uri over TLS; server keys RSA ≥ 2048 / EC ≥ 224 bits, public only, distinct kids',
  spec: `${SP} §5.4.2, §5.4.1-2/3`,
  level: 'MUST',
  group: 'discovery',
  needs: server,
  async run(ctx) {
    const lint = fromLint(ctx, ['META-12'], 'jwks_uri is https');
    if (lint.result === 'failed') return lint;
    const url = ctx.metadata.jwks_uri as string;
    const a = await ctx.raw(ctx.plain, { method: 'GET', url, headers: { accept: 'application/json' } });
    if (a.response?.status !== 200) return failed(`GET ${url} → ${describe(a)}`);
    let keys: Jwk[];
    try {
      const body = a.response.json() as { keys?: unknown };
      if (!Array.isArray(body.keys)) return failed(`${url} is not a JWK Set ({"keys": [...]})`);
      keys = body.keys as Jwk[];
    } catch {
      return failed(`${url} answered 200 with a body that is not JSON`);
    }
    const problems: string[] = [];
    const notes: string[] = [];
    keys.forEach((k, i) => {
      const name = `key ${k.kid !== undefined ? JSON.stringify(k.kid) : `#${i}`}`;
      if (hasPrivateMembers(k)) problems.push(`${name} publishes private key members`);
      if (k.use === 'enc') return;
      try {
        assertFapiKeyStrength(k);
      } catch (e) {
        if (e instanceof JwkError) problems.push(`${name}: ${e.message}`);
      }
      if (k.x5u !== undefined || k.jku !== undefined) notes.push(`${name} has x5u/jku`);
    });
    const kids = keys.map((k) => k.kid).filter((k) => k !== undefined);
    if (new Set(kids).size !== kids.length)
      notes.push('kids are not distinct (SP §5.4.3 then needs kty/alg/use to pick)');
    if (problems.length) return failed(`${url}: ${problems.join('; ')}`);
    if (notes.length) return warning(`${url}: ${notes.join('; ')}`);
    return passed(
      `${url}: ${keys.length} key${keys.length === 1 ? '' : 's'} of FAPI strength, public only, distinct kids`,
    );
  },
});

export const METADATA_CHECKS: readonly Check[] = [
  meta01,
  meta02,
  meta03,
  meta04,
  meta05,
  meta06,
  meta07,
  meta08,
  meta09,
  meta10,
  meta11,
  meta12,
  meta13,
  meta14,
  meta15,
  cr02,
  cr03,
  net01,
];
