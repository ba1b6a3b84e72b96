/**
 * The FAPI 2.0 metadata lint: what an authorization server's published metadata says about its
 * conformance to the FAPI 2.0 Security Profile (Final). Pure: metadata in, findings out. Each
 * finding names the metadata field, the catalogue requirement (META-xx, CR-xx, NET-xx) and the spec
 * section. A server is conformant when there is no finding of severity `error`.
 *
 * Metadata can only show what a server *advertises*; the lab and the OIDF suite test behaviour.
 */
import { isStringArray, type AuthorizationServerMetadata } from './discovery.js';
import { FAPI_JWS_ALGS, isClientAuthMethod } from './fapi.js';

export type Severity = 'error' | 'warning' | 'info';

export interface LintFinding {
  severity: Severity;
  /** The metadata field concerned (dotted for nested members, e.g. mtls_endpoint_aliases.token_endpoint). */
  field: string;
  message: string;
  /** Catalogue requirement id, e.g. META-06. */
  id: string;
  /** Spec section, e.g. "FAPI2-SP §5.3.2.2-5; RFC 7636 §4.2". */
  spec: string;
}

export interface LintSummary {
  findings: LintFinding[];
  errors: number;
  warnings: number;
  infos: number;
  /** No `error` finding. */
  conformant: boolean;
}

const SP = 'FAPI2-SP';
const ISS_FIELD = 'authorization_response_iss_parameter_supported';
/** `*_supported` members that are booleans, not lists. */
const BOOLEAN_SUPPORTED = new Set([
  'backchannel_logout_supported',
  'backchannel_logout_session_supported',
  'frontchannel_logout_supported',
  'frontchannel_logout_session_supported',
  'client_id_metadata_document_supported',
]);

/** Endpoints that must be https (FAPI2-SP §5.2.1-1; jwks_uri: §5.4.2-1). */
const URL_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'pushed_authorization_request_endpoint',
  'jwks_uri',
  'registration_endpoint',
  'introspection_endpoint',
  'revocation_endpoint',
  'userinfo_endpoint',
  'end_session_endpoint',
  'device_authorization_endpoint',
  'backchannel_authentication_endpoint',
  'check_session_iframe',
];
/** Human-facing pages: http there is poor practice but not a protocol flaw. */
const PAGE_FIELDS = ['service_documentation', 'op_policy_uri', 'op_tos_uri'];

const list = (xs: string[]) => xs.map((x) => `"${x}"`).join(', ');

/** Which specific requirement covers an `*_alg_values_supported` field, if any. */
function algRule(field: string): { id: string; spec: string } {
  switch (field) {
    case 'token_endpoint_auth_signing_alg_values_supported':
      return { id: 'META-08', spec: `${SP} §5.3.2.1-6, §5.4.1-1` };
    case 'dpop_signing_alg_values_supported':
      return { id: 'META-09', spec: `RFC 9449 §5.1; ${SP} §5.4.1-1` };
    case 'id_token_signing_alg_values_supported':
      return { id: 'META-13', spec: `${SP} §5.4.1-1; OIDD §3` };
    case 'request_object_signing_alg_values_supported':
    case 'authorization_signing_alg_values_supported':
      return { id: 'META-15', spec: `FAPI2-MS §5.3, §5.4; ${SP} §5.4.1-1` };
    case 'introspection_signing_alg_values_supported':
      return { id: 'MS-10', spec: `FAPI2-MS §5.5.1; RFC 9701 §7; ${SP} §5.4.1-1` };
    default:
      return { id: 'CR-02', spec: `${SP} §5.4.1-1` };
  }
}

/** Runs every rule. The order of findings follows the order of the rules below. */
export function lintMetadata(m: AuthorizationServerMetadata): LintFinding[] {
  const out: LintFinding[] = [];
  const add = (severity: Severity, field: string, id: string, spec: string, message: string) =>
    out.push({ severity, field, id, spec, message });
  const has = (f: string) => m[f] !== undefined && m[f] !== null;

  // ── type checks: a malformed field is reported once, and the rules below skip it ──
  const badType = new Set<string>();
  for (const [f, v] of Object.entries(m)) {
    if (v === undefined || v === null || !f.endsWith('_supported')) continue;
    if (f.endsWith('_parameter_supported') || BOOLEAN_SUPPORTED.has(f)) {
      if (typeof v !== 'boolean') {
        badType.add(f);
        add(
          'error',
          f,
          f === ISS_FIELD ? 'META-07' : 'META-01',
          'RFC 8414 §2',
          `${f} must be a boolean (it is ${JSON.stringify(v)}).`,
        );
      }
    } else if (typeof v !== 'boolean' && !isStringArray(v)) {
      // (an unknown extension may be a boolean; every list must be an array of strings)
      badType.add(f);
      add('error', f, 'META-01', 'RFC 8414 §2', `${f} must be a JSON array of strings.`);
    }
  }
  for (const f of [
    'require_pushed_authorization_requests',
    'tls_client_certificate_bound_access_tokens',
    'require_signed_request_object',
  ]) {
    if (has(f) && typeof m[f] !== 'boolean') {
      badType.add(f);
      add(
        'error',
        f,
        f === 'require_pushed_authorization_requests' ? 'META-04' : 'META-01',
        f === 'require_pushed_authorization_requests' ? 'RFC 9126 §5' : 'RFC 8414 §2',
        `${f} must be a boolean (it is ${JSON.stringify(m[f])}).`,
      );
    }
  }
  const arr = (f: string): string[] | undefined =>
    !badType.has(f) && isStringArray(m[f]) ? (m[f] as string[]) : undefined;

  // ── META-03: the issuer identifier ──
  let issuerUrl: URL | undefined;
  try {
    issuerUrl = new URL(m.issuer);
  } catch {
    issuerUrl = undefined;
  }
  if (typeof m.issuer !== 'string' || !issuerUrl) {
    add('error', 'issuer', 'META-03', 'RFC 8414 §2', 'issuer is missing or not a URL.');
  } else if (
    issuerUrl.protocol !== 'https:' ||
    issuerUrl.search ||
    issuerUrl.hash ||
    m.issuer.includes('?')
  ) {
    add(
      'error',
      'issuer',
      'META-03',
      'RFC 8414 §2',
      `issuer ${m.issuer} must be an https URL without query or fragment.`,
    );
  }

  // ── https everywhere (NET-01, META-12) ──
  for (const f of URL_FIELDS) {
    const v = m[f];
    if (v === undefined || v === null) continue;
    let u: URL | undefined;
    try {
      u = typeof v === 'string' ? new URL(v) : undefined;
    } catch {
      u = undefined;
    }
    if (!u) add('error', f, 'NET-01', 'RFC 8414 §2', `${f} is not a URL (${JSON.stringify(v)}).`);
    else if (u.protocol !== 'https:')
      add(
        'error',
        f,
        f === 'jwks_uri' ? 'META-12' : 'NET-01',
        f === 'jwks_uri' ? `${SP} §5.4.2-1` : `${SP} §5.2.1-1`,
        `${f} is ${v}: FAPI 2.0 endpoints must use TLS (https).`,
      );
  }
  for (const f of PAGE_FIELDS) {
    const v = m[f];
    if (typeof v === 'string' && v.startsWith('http:'))
      add('warning', f, 'NET-01', `${SP} §5.2.1-1`, `${f} is served over plain http (${v}).`);
  }

  // ── required endpoints ──
  if (!has('authorization_endpoint'))
    add('error', 'authorization_endpoint', 'META-01', 'RFC 8414 §2', 'authorization_endpoint is missing.');
  if (!has('token_endpoint'))
    add('error', 'token_endpoint', 'META-01', 'RFC 8414 §2', 'token_endpoint is missing.');
  if (!has('jwks_uri'))
    add(
      'error',
      'jwks_uri',
      'META-12',
      `${SP} §5.4.2; OIDD §3`,
      'jwks_uri is missing: clients cannot verify ID tokens or other JWTs the server signs.',
    );

  // ── META-04: PAR ──
  if (!has('pushed_authorization_request_endpoint')) {
    add(
      'error',
      'pushed_authorization_request_endpoint',
      'META-04',
      `${SP} §5.3.2.2-2; RFC 9126 §5`,
      'pushed_authorization_request_endpoint is missing: FAPI 2.0 requires pushed authorization requests.',
    );
  } else if (
    !badType.has('require_pushed_authorization_requests') &&
    m.require_pushed_authorization_requests !== true
  ) {
    add(
      'warning',
      'require_pushed_authorization_requests',
      'META-04',
      `${SP} §5.3.2.2-3; RFC 9126 §5`,
      `require_pushed_authorization_requests is ${m.require_pushed_authorization_requests === false ? 'false' : 'absent (false)'}: the server does not say it rejects authorization requests sent without PAR (it may still require PAR per client, RFC 9126 §6).`,
    );
  }

  // ── META-05: response types ──
  const responseTypes = arr('response_types_supported');
  if (!has('response_types_supported')) {
    add(
      'error',
      'response_types_supported',
      'META-05',
      'RFC 8414 §2',
      'response_types_supported is missing.',
    );
  } else if (responseTypes) {
    if (!responseTypes.includes('code'))
      add(
        'error',
        'response_types_supported',
        'META-05',
        `${SP} §5.3.2.2-1`,
        'response_types_supported does not include "code".',
      );
    const others = responseTypes.filter((t) => t !== 'code');
    const tokenBearing = others.filter((t) => t.split(' ').some((p) => p === 'token' || p === 'id_token'));
    if (tokenBearing.length)
      add(
        'error',
        'response_types_supported',
        'META-05',
        `${SP} §5.3.2.2-1`,
        `response_types_supported includes ${list(tokenBearing)}: FAPI 2.0 allows only "code" (no implicit or hybrid flows).`,
      );
    const rest = others.filter((t) => !tokenBearing.includes(t));
    if (rest.length)
      add(
        'warning',
        'response_types_supported',
        'META-05',
        `${SP} §5.3.2.2-1`,
        `response_types_supported includes ${list(rest)}; FAPI 2.0 requires response_type "code".`,
      );
  }

  // ── META-06: PKCE ──
  const pkce = arr('code_challenge_methods_supported');
  if (!has('code_challenge_methods_supported')) {
    add(
      'error',
      'code_challenge_methods_supported',
      'META-06',
      `${SP} §5.3.2.2-5; RFC 8414 §2`,
      'code_challenge_methods_supported is absent, which means the server does not support PKCE; FAPI 2.0 requires S256.',
    );
  } else if (pkce) {
    if (!pkce.includes('S256'))
      add(
        'error',
        'code_challenge_methods_supported',
        'META-06',
        `${SP} §5.3.2.2-5; RFC 7636 §4.2`,
        'code_challenge_methods_supported does not include "S256".',
      );
    const weak = pkce.filter((x) => x !== 'S256');
    if (weak.length)
      add(
        'error',
        'code_challenge_methods_supported',
        'META-06',
        `${SP} §5.3.2.2-5`,
        `code_challenge_methods_supported includes ${list(weak)}: PKCE must be S256 only.`,
      );
  }

  // ── META-07: RFC 9207 iss ──
  if (
    !badType.has('authorization_response_iss_parameter_supported') &&
    m.authorization_response_iss_parameter_supported !== true
  )
    add(
      'error',
      'authorization_response_iss_parameter_supported',
      'META-07',
      `${SP} §5.3.2.2-7; RFC 9207 §3`,
      `authorization_response_iss_parameter_supported is ${m.authorization_response_iss_parameter_supported === false ? 'false' : 'absent'}: FAPI 2.0 servers return iss in authorization responses (mix-up defence).`,
    );

  // ── META-08: client authentication ──
  const authMethods = arr('token_endpoint_auth_methods_supported');
  if (!has('token_endpoint_auth_methods_supported')) {
    add(
      'error',
      'token_endpoint_auth_methods_supported',
      'META-08',
      `${SP} §5.3.2.1-6; RFC 8414 §2`,
      'token_endpoint_auth_methods_supported is absent, which means client_secret_basic only; FAPI 2.0 requires private_key_jwt or mTLS.',
    );
  } else if (authMethods) {
    const bad = authMethods.filter((x) => !isClientAuthMethod(x));
    if (bad.length)
      add(
        'error',
        'token_endpoint_auth_methods_supported',
        'META-08',
        `${SP} §5.3.2.1-6`,
        `token_endpoint_auth_methods_supported includes ${list(bad)}: only private_key_jwt, tls_client_auth and self_signed_tls_client_auth are allowed${bad.includes('none') ? ' (and "none" means public clients, §5.3.2.1-3)' : ''}.`,
      );
    if (!authMethods.some((x) => isClientAuthMethod(x)))
      add(
        'error',
        'token_endpoint_auth_methods_supported',
        'META-08',
        `${SP} §5.3.2.1-6`,
        'token_endpoint_auth_methods_supported offers no FAPI 2.0 client authentication method.',
      );
    if (authMethods.includes('private_key_jwt') && !has('token_endpoint_auth_signing_alg_values_supported'))
      add(
        'warning',
        'token_endpoint_auth_signing_alg_values_supported',
        'META-08',
        `${SP} §5.4.1-1; RFC 8414 §2`,
        'private_key_jwt is offered but token_endpoint_auth_signing_alg_values_supported is absent: clients cannot tell which algorithms are accepted.',
      );
  }
  for (const endpointName of ['introspection', 'revocation'] as const) {
    const f = `${endpointName}_endpoint_auth_methods_supported`;
    const methods = arr(f);
    const bad = methods?.filter((x) => !isClientAuthMethod(x)) ?? [];
    if (bad.length)
      add(
        'warning',
        f,
        'META-14',
        `${SP} §5.3.2.1-6`,
        `${f} includes ${list(bad)}: clients of a FAPI 2.0 server authenticate with private_key_jwt or mTLS.`,
      );
  }

  // ── CR-02 / CR-03: signing algorithms everywhere ──
  for (const f of Object.keys(m).sort()) {
    if (!/_signing_alg_values_supported$/.test(f)) continue;
    const algs = arr(f);
    if (!algs) continue;
    const rule = algRule(f);
    const none = algs.filter((a) => a.toLowerCase() === 'none');
    const bad = algs.filter((a) => !FAPI_JWS_ALGS.has(a) && a.toLowerCase() !== 'none');
    if (none.length)
      add(
        'error',
        f,
        'CR-03',
        `${SP} §5.4.1-1.3`,
        `${f} includes "none": unsigned JWTs must never be accepted.`,
      );
    if (bad.length)
      add(
        'error',
        f,
        rule.id,
        rule.spec,
        `${f} includes ${list(bad)}: only PS256, ES256 and EdDSA are allowed.`,
      );
    if (algs.length === 0) add('error', f, rule.id, rule.spec, `${f} is empty.`);
  }

  // ── META-09 / META-10: sender-constrained tokens ──
  const dpopAlgs = arr('dpop_signing_alg_values_supported');
  const dpop = Boolean(dpopAlgs?.some((a) => FAPI_JWS_ALGS.has(a)));
  const mtlsBound = m.tls_client_certificate_bound_access_tokens === true;
  if (!dpop && !mtlsBound)
    add(
      'error',
      'dpop_signing_alg_values_supported',
      dpopAlgs ? 'META-09' : 'META-10',
      `${SP} §5.3.2.1-4/5; RFC 9449 §5.1; RFC 8705 §3.3`,
      'Neither DPoP (dpop_signing_alg_values_supported) nor certificate-bound tokens (tls_client_certificate_bound_access_tokens: true) are advertised: FAPI 2.0 issues only sender-constrained access tokens.',
    );

  // ── mtls_endpoint_aliases (RFC 8705 §5; CL-05) ──
  const aliases = m.mtls_endpoint_aliases;
  const usesMtls =
    mtlsBound ||
    Boolean(authMethods?.some((x) => x === 'tls_client_auth' || x === 'self_signed_tls_client_auth'));
  if (aliases !== undefined && aliases !== null) {
    if (typeof aliases !== 'object' || Array.isArray(aliases)) {
      add(
        'error',
        'mtls_endpoint_aliases',
        'NET-10',
        'RFC 8705 §5',
        'mtls_endpoint_aliases must be a JSON object.',
      );
    } else {
      for (const [k, v] of Object.entries(aliases as Record<string, unknown>)) {
        let ok = false;
        try {
          ok = typeof v === 'string' && new URL(v).protocol === 'https:';
        } catch {
          ok = false;
        }
        if (!ok)
          add(
            'error',
            `mtls_endpoint_aliases.${k}`,
            'NET-10',
            `RFC 8705 §5; ${SP} §5.2.1-1`,
            `mtls_endpoint_aliases.${k} must be an https URL (it is ${JSON.stringify(v)}).`,
          );
      }
    }
  } else if (usesMtls) {
    add(
      'info',
      'mtls_endpoint_aliases',
      'NET-10',
      'RFC 8705 §5',
      'No mtls_endpoint_aliases: mTLS clients present their certificate at the regular endpoints.',
    );
  }

  // ── META-11: grant types ──
  const grants = arr('grant_types_supported');
  if (!has('grant_types_supported')) {
    add(
      'warning',
      'grant_types_supported',
      'META-11',
      `${SP} §5.3.2.1-2; RFC 8414 §2`,
      'grant_types_supported is absent, which by default means ["authorization_code", "implicit"].',
    );
  } else if (grants) {
    const bad = grants.filter((g) => g === 'password' || g === 'implicit');
    if (bad.length)
      add(
        'error',
        'grant_types_supported',
        'META-11',
        bad.includes('password') ? `${SP} §5.3.2.1-2` : `${SP} §5.3.2.2-1`,
        `grant_types_supported includes ${list(bad)}: FAPI 2.0 forbids the password and implicit grants.`,
      );
    if (!grants.includes('authorization_code'))
      add(
        'info',
        'grant_types_supported',
        'META-11',
        'RFC 8414 §2',
        'grant_types_supported does not include "authorization_code": only machine-to-machine grants.',
      );
  }

  // ── META-13: OpenID Connect ──
  const scopes = arr('scopes_supported');
  const oidc =
    Boolean(scopes?.includes('openid')) ||
    has('userinfo_endpoint') ||
    has('id_token_signing_alg_values_supported');
  if (oidc) {
    if (!has('id_token_signing_alg_values_supported'))
      add(
        'error',
        'id_token_signing_alg_values_supported',
        'META-13',
        'OIDD §3',
        'This is an OpenID provider but id_token_signing_alg_values_supported is missing.',
      );
    if (!has('subject_types_supported'))
      add(
        'error',
        'subject_types_supported',
        'META-13',
        'OIDD §3',
        'subject_types_supported is missing (OpenID provider).',
      );
    if (scopes && !scopes.includes('openid'))
      add('warning', 'scopes_supported', 'META-13', 'OIDD §3', 'scopes_supported does not include "openid".');
  }

  // ── META-14: optional endpoints ──
  for (const [f, what] of [
    [
      'registration_endpoint',
      'dynamic client registration (RFC 7591): clients must be registered out of band',
    ],
    ['introspection_endpoint', 'token introspection (RFC 7662)'],
    ['revocation_endpoint', 'token revocation (RFC 7009)'],
  ] as const) {
    if (!has(f)) add('info', f, 'META-14', 'RFC 8414 §2', `No ${f}: no ${what}.`);
  }

  // ── META-15: signed responses need the jwt response mode ──
  if (has('authorization_signing_alg_values_supported')) {
    const modes = arr('response_modes_supported');
    if (modes && !modes.includes('jwt'))
      add(
        'warning',
        'response_modes_supported',
        'META-15',
        'FAPI2-MS §5.4; JARM §4',
        'authorization_signing_alg_values_supported is published but response_modes_supported lacks "jwt".',
      );
  }

  // ── MS-01, MS-10: FAPI 2.0 Message Signing (request objects, signed introspection) ──
  const roAlgs = arr('request_object_signing_alg_values_supported');
  const roRequired = m.require_signed_request_object === true;
  if (roRequired && m.request_parameter_supported === false)
    add(
      'error',
      'require_signed_request_object',
      'MS-01',
      'FAPI2-MS §5.3.1-1; RFC 9101 §10.5',
      'require_signed_request_object is true but request_parameter_supported is false: clients cannot send the request objects it requires.',
    );
  if (roRequired && !has('request_object_signing_alg_values_supported'))
    add(
      'warning',
      'request_object_signing_alg_values_supported',
      'META-15',
      'FAPI2-MS §5.3.1; RFC 9101 §10.5',
      'require_signed_request_object is true but request_object_signing_alg_values_supported is absent: clients cannot tell which algorithms are accepted.',
    );
  if (roAlgs && roAlgs.length > 0 && !roRequired && !badType.has('require_signed_request_object'))
    add(
      'info',
      'require_signed_request_object',
      'MS-01',
      'FAPI2-MS §5.3.1-1; RFC 9101 §10.5',
      'Request objects are offered but not required (require_signed_request_object is not true): a FAPI 2.0 Message Signing server requires them at PAR, and says so here.',
    );
  if (has('introspection_signing_alg_values_supported') && !has('introspection_endpoint'))
    add(
      'warning',
      'introspection_signing_alg_values_supported',
      'MS-10',
      'FAPI2-MS §5.5.1; RFC 9701 §7',
      'introspection_signing_alg_values_supported is published but there is no introspection_endpoint.',
    );

  return out;
}

/** Counts and the verdict. */
export function summarizeLint(findings: LintFinding[]): LintSummary {
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const errors = count('error');
  return { findings, errors, warnings: count('warning'), infos: count('info'), conformant: errors === 0 };
}
