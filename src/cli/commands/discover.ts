/** `fapi discover [ISSUER]`: the server's metadata in brief, and the FAPI 2.0 lint. */
import { conformanceError, usageError } from '../../errors.js';
import { discoverMetadata, metadataStrings, type AuthorizationServerMetadata } from '../../core/discovery.js';
import { lintMetadata, summarizeLint, type LintFinding } from '../../core/lint.js';
import { ecosystem, lintEcosystem, type EcosystemName } from '../../core/ecosystems.js';
import type { Profile } from '../../store/profile.js';
import type { CliContext, GlobalOptions } from '../context.js';
import type { Palette } from '../output.js';

const ENDPOINTS: [label: string, field: string][] = [
  ['authorization', 'authorization_endpoint'],
  ['par', 'pushed_authorization_request_endpoint'],
  ['token', 'token_endpoint'],
  ['jwks', 'jwks_uri'],
  ['registration', 'registration_endpoint'],
  ['introspection', 'introspection_endpoint'],
  ['revocation', 'revocation_endpoint'],
  ['userinfo', 'userinfo_endpoint'],
];

/** The profile, when there is one (discover works without). */
export async function optionalProfile(ctx: CliContext): Promise<Profile | undefined> {
  return (await ctx.store.exists(ctx.profileName)) ? ctx.store.load(ctx.profileName) : undefined;
}

/** A compact, JSON-friendly view of what matters in the metadata. */
export function metadataSummary(m: AuthorizationServerMetadata) {
  const strings = (v: unknown) => metadataStrings(v) ?? [];
  const endpoints: Record<string, string> = {};
  for (const [label, field] of ENDPOINTS)
    if (typeof m[field] === 'string') endpoints[label] = m[field] as string;
  const aliases: Record<string, string> = {};
  if (m.mtls_endpoint_aliases && typeof m.mtls_endpoint_aliases === 'object')
    for (const [k, v] of Object.entries(m.mtls_endpoint_aliases)) if (typeof v === 'string') aliases[k] = v;
  return {
    endpoints,
    par_required: m.require_pushed_authorization_requests === true,
    mtls_endpoint_aliases: aliases,
    client_auth_methods: strings(m.token_endpoint_auth_methods_supported),
    assertion_algs: strings(m.token_endpoint_auth_signing_alg_values_supported),
    dpop_algs: strings(m.dpop_signing_alg_values_supported),
    mtls_bound_tokens: m.tls_client_certificate_bound_access_tokens === true,
    id_token_algs: strings(m.id_token_signing_alg_values_supported),
    pkce_methods: strings(m.code_challenge_methods_supported),
    response_types: strings(m.response_types_supported),
    grant_types: strings(m.grant_types_supported),
    scopes: strings(m.scopes_supported),
    iss_parameter: m.authorization_response_iss_parameter_supported === true,
  };
}

export function findingLine(f: LintFinding, c: Palette): string {
  const mark = f.severity === 'error' ? c.red('✖') : f.severity === 'warning' ? c.yellow('!') : c.dim('i');
  return `  ${mark} ${f.message}  ${c.dim(`${f.spec} (${f.id})`)}`;
}

export interface DiscoverOptions extends GlobalOptions {
  /** Exit 6 when the metadata is not FAPI 2.0 conformant. */
  strict?: boolean;
  /** Also lint against an ecosystem preset's rules (src/core/ecosystems.ts). */
  ecosystem?: EcosystemName;
}

export async function run(ctx: CliContext, opts: DiscoverOptions, args: string[]): Promise<void> {
  // With an explicit ISSUER a broken profile does not matter; without one, its issuer is needed.
  const profile = args[0] ? await optionalProfile(ctx).catch(() => undefined) : await optionalProfile(ctx);
  const issuer = args[0] ?? profile?.issuer;
  if (!issuer)
    throw usageError(
      'E_MISSING_ISSUER',
      'Missing the issuer to discover.',
      'Pass it: `fapi discover https://as.example.com` (or use a profile that has an issuer).',
    );
  // The profile's CA is trusted for the profile's own issuer only.
  const http = ctx.http({ profile: profile && profile.issuer === issuer ? profile : undefined });
  const result = await discoverMetadata(http, issuer);
  const m = result.metadata;
  // An ecosystem preset's rules on top of FAPI 2.0's, each finding citing the rule's source.
  const eco = opts.ecosystem ? ecosystem(opts.ecosystem) : undefined;
  const ecoFindings = eco ? lintEcosystem(eco, m) : [];
  const findings = [...lintMetadata(m), ...ecoFindings];
  const lint = summarizeLint(findings);
  const summary = metadataSummary(m);
  const skew = result.serverDate !== undefined ? result.serverDate - result.fetchedAt : undefined;

  ctx.out.result(
    {
      issuer: m.issuer,
      source: result.source,
      url: result.url,
      ...(skew !== undefined ? { clock_skew_seconds: skew } : {}),
      summary,
      lint: {
        conformant: lint.conformant,
        errors: lint.errors,
        warnings: lint.warnings,
        infos: lint.infos,
        findings,
        ...(eco
          ? {
              ecosystem: {
                name: eco.name,
                conformant: !ecoFindings.some((f) => f.severity === 'error'),
                findings: ecoFindings.length,
              },
            }
          : {}),
      },
      metadata: m,
    },
    () => {
      const c = ctx.out.c;
      const row = (k: string, v: string) => `  ${k.padEnd(15)}${v}`;
      const none = c.dim('none');
      const lines = [row('issuer', `${c.bold(m.issuer)}  ${c.dim(`(${result.source}: ${result.url})`)}`)];
      for (const [label, url] of Object.entries(summary.endpoints)) {
        const extra = label === 'par' ? (summary.par_required ? ' (required)' : ' (not required)') : '';
        lines.push(row(label, url + extra));
      }
      // Aliases grouped by origin: "https://mtls.example: token, par, introspection".
      const byOrigin = new Map<string, string[]>();
      for (const [field, url] of Object.entries(summary.mtls_endpoint_aliases)) {
        let origin = url;
        try {
          origin = new URL(url).origin;
        } catch {
          // shown as is; the lint reports it
        }
        const label = ENDPOINTS.find(([, f]) => f === field)?.[0] ?? field.replace(/_endpoint$/, '');
        byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), label]);
      }
      lines.push(
        row(
          'mTLS aliases',
          byOrigin.size ? [...byOrigin].map(([o, labels]) => `${o}: ${labels.join(', ')}`).join('; ') : none,
        ),
      );
      lines.push(row('client auth', summary.client_auth_methods.join(' ') || none));
      lines.push(row('assertion algs', summary.assertion_algs.join(' ') || none));
      const sender = [
        summary.dpop_algs.length ? `DPoP ${summary.dpop_algs.join(' ')}` : '',
        summary.mtls_bound_tokens ? 'mTLS-bound tokens' : '',
      ].filter(Boolean);
      lines.push(row('sender', sender.join(', ') || none));
      lines.push(row('PKCE', summary.pkce_methods.join(' ') || none));
      if (summary.id_token_algs.length) lines.push(row('ID token algs', summary.id_token_algs.join(' ')));
      const signing = messageSigning(m);
      if (signing) lines.push(row('msg signing', signing));
      lines.push(row('grant types', summary.grant_types.join(' ') || c.dim('(not published)')));
      if (summary.scopes.length) lines.push(row('scopes', summary.scopes.join(' ')));
      if (skew !== undefined && Math.abs(skew) >= 5)
        lines.push(
          row(
            'clock',
            c.yellow(
              `the server's Date is ${skew > 0 ? '+' : ''}${skew} s from this machine's clock (CL-23)`,
            ),
          ),
        );
      lines.push('');
      for (const f of findings) lines.push(findingLine(f, c));
      const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
      const counts = `${plural(lint.errors, 'error')}, ${plural(lint.warnings, 'warning')}`;
      const what = eco ? `FAPI 2.0 and ${eco.name}` : 'FAPI 2.0';
      lines.push(
        lint.conformant
          ? `  ${c.green('✔')} ${counts}: ${what} metadata conformant`
          : `  ${c.red('✖')} ${counts}: not ${what} conformant${opts.strict ? '' : ' (exit 6 with --strict)'}`,
      );
      if (eco)
        lines.push(
          `  ${c.dim(`${eco.name}: the metadata shows only some of its rules; \`fapi ecosystems ${eco.name}\` lists them all, with their sources`)}`,
        );
      return lines;
    },
  );

  if (opts.strict && !lint.conformant) {
    throw conformanceError(
      'E_NOT_CONFORMANT',
      `${issuer} is not ${eco ? `FAPI 2.0 and ${eco.name}` : 'FAPI 2.0'} conformant: ${lint.errors} error${lint.errors === 1 ? '' : 's'} in its metadata.`,
      'See the findings above (each names the field and the spec section). Run without --strict to only report them.',
      { errors: findings.filter((f) => f.severity === 'error').map((f) => `${f.field}: ${f.id}`) },
    );
  }
}

/**
 * FAPI 2.0 Message Signing as the metadata advertises it, in one line: request objects (JAR, with
 * whether they are required), JARM, signed introspection (RFC 9101 §10.5, JARM §4, RFC 9701 §7).
 */
function messageSigning(m: Record<string, unknown>): string {
  const list = (f: string) => (Array.isArray(m[f]) ? (m[f] as unknown[]).map(String).join(' ') : '');
  const parts: string[] = [];
  const jar = list('request_object_signing_alg_values_supported');
  if (jar || m.require_signed_request_object === true)
    parts.push(
      `JAR ${jar || '(algorithms not published)'}${m.require_signed_request_object === true ? ' (required)' : ''}`,
    );
  const jarm = list('authorization_signing_alg_values_supported');
  if (jarm) parts.push(`JARM ${jarm}`);
  const introspection = list('introspection_signing_alg_values_supported');
  if (introspection) parts.push(`signed introspection ${introspection}`);
  return parts.join(', ');
}
