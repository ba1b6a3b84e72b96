/** The FAPI 2.0 metadata lint (META-01..15, CR-02/03, NET-01/10) on good and broken metadata. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuthorizationServerMetadata } from '../../../src/core/discovery.js';
import { lintMetadata, summarizeLint, type LintFinding } from '../../../src/core/lint.js';
import { ROOT } from '../../helpers/cli.js';

const fixture = (name: string): AuthorizationServerMetadata =>
  JSON.parse(
    readFileSync(path.join(ROOT, 'test', 'fixtures', 'metadata', `${name}.json`), 'utf8'),
  ) as AuthorizationServerMetadata;
const good = () => fixture('fapi2-good');
const errors = (f: LintFinding[]) => f.filter((x) => x.severity === 'error');
const find = (f: LintFinding[], field: string, id?: string) =>
  f.filter((x) => x.field === field && (!id || x.id === id));

/** Lints a variation of the good metadata. */
function lintWith(change: (m: AuthorizationServerMetadata) => void): LintFinding[] {
  const m = good();
  change(m);
  return lintMetadata(m);
}

describe('FAPI 2.0 metadata lint', () => {
  it('passes conformant metadata with no errors or warnings, and every finding cites a spec and an id', () => {
    const f = lintMetadata(good());
    expect(f.filter((x) => x.severity !== 'info')).toEqual([]);
    const s = summarizeLint(f);
    expect(s.conformant).toBe(true);
    expect(s.errors).toBe(0);
    for (const x of lintMetadata(fixture('legacy-oauth'))) {
      expect(x.id).toMatch(/^(META|CR|NET|MS)-\d\d$/);
      expect(x.spec).toMatch(/FAPI2-|RFC \d+|OIDD|JARM/);
      expect(x.message.length).toBeGreaterThan(10);
    }
  });

  it('finds every problem of a legacy OAuth server', () => {
    const f = lintMetadata(fixture('legacy-oauth'));
    const s = summarizeLint(f);
    expect(s.conformant).toBe(false);
    const fields = new Set(errors(f).map((x) => x.field));
    for (const field of [
      'token_endpoint', // http
      'jwks_uri', // missing
      'pushed_authorization_request_endpoint',
      'response_types_supported',
      'code_challenge_methods_supported',
      'authorization_response_iss_parameter_supported',
      'token_endpoint_auth_methods_supported',
      'token_endpoint_auth_signing_alg_values_supported',
      'id_token_signing_alg_values_supported',
      'request_object_signing_alg_values_supported',
      'dpop_signing_alg_values_supported',
      'grant_types_supported',
    ])
      expect(fields, field).toContain(field);
  });

  it('META-04: a missing PAR endpoint is an error; PAR not required is a warning; a non-boolean flag an error', () => {
    expect(
      errors(lintWith((m) => delete m.pushed_authorization_request_endpoint)).map((x) => x.id),
    ).toContain('META-04');
    const notRequired = lintWith((m) => delete m.require_pushed_authorization_requests);
    expect(find(notRequired, 'require_pushed_authorization_requests')[0]?.severity).toBe('warning');
    expect(errors(notRequired)).toEqual([]);
    const str = lintWith((m) => (m.require_pushed_authorization_requests = 'true' as unknown as boolean));
    expect(find(str, 'require_pushed_authorization_requests', 'META-04')[0]?.severity).toBe('error');
  });

  it('META-05: response types other than code are refused; "code" must be there', () => {
    const f = lintWith((m) => (m.response_types_supported = ['code', 'code id_token']));
    expect(find(f, 'response_types_supported', 'META-05')[0]?.message).toContain('"code id_token"');
    const noCode = lintWith((m) => (m.response_types_supported = ['none']));
    expect(errors(noCode).some((x) => x.message.includes('does not include "code"'))).toBe(true);
  });

  it('META-06: plain PKCE offered, S256 missing, or PKCE absent are errors', () => {
    const plain = lintWith((m) => (m.code_challenge_methods_supported = ['S256', 'plain']));
    expect(find(plain, 'code_challenge_methods_supported', 'META-06')[0]).toMatchObject({
      severity: 'error',
      spec: 'FAPI2-SP §5.3.2.2-5',
    });
    expect(find(plain, 'code_challenge_methods_supported')[0]?.message).toContain('"plain"');
    expect(
      errors(lintWith((m) => (m.code_challenge_methods_supported = ['plain']))).filter(
        (x) => x.id === 'META-06',
      ),
    ).toHaveLength(2);
    expect(errors(lintWith((m) => delete m.code_challenge_methods_supported))[0]?.message).toContain(
      'does not support PKCE',
    );
  });

  it('META-07: iss response parameter false or absent is an error', () => {
    for (const change of [
      (m: AuthorizationServerMetadata) => delete m.authorization_response_iss_parameter_supported,
      (m: AuthorizationServerMetadata) => (m.authorization_response_iss_parameter_supported = false),
    ]) {
      const f = lintWith(change);
      expect(find(f, 'authorization_response_iss_parameter_supported', 'META-07')[0]?.severity).toBe('error');
    }
  });

  it('META-08: non-FAPI auth methods, an absent list, and non-FAPI assertion algorithms are errors', () => {
    const basic = lintWith((m) => m.token_endpoint_auth_methods_supported?.push('client_secret_basic'));
    expect(find(basic, 'token_endpoint_auth_methods_supported', 'META-08')[0]?.message).toContain(
      'client_secret_basic',
    );
    const absent = lintWith((m) => delete m.token_endpoint_auth_methods_supported);
    expect(find(absent, 'token_endpoint_auth_methods_supported')[0]?.message).toContain(
      'client_secret_basic only',
    );
    const rs = lintWith((m) => (m.token_endpoint_auth_signing_alg_values_supported = ['RS256', 'ES256']));
    expect(find(rs, 'token_endpoint_auth_signing_alg_values_supported', 'META-08')[0]?.message).toContain(
      '"RS256"',
    );
    const noAlgs = lintWith((m) => delete m.token_endpoint_auth_signing_alg_values_supported);
    expect(find(noAlgs, 'token_endpoint_auth_signing_alg_values_supported')[0]?.severity).toBe('warning');
  });

  it('CR-02 / CR-03: RS256, HS256 and none are refused in any *_signing_alg_values_supported', () => {
    const f = lintWith((m) => {
      m.userinfo_signing_alg_values_supported = ['HS256'];
      m.id_token_signing_alg_values_supported = ['none', 'ES256'];
      m.introspection_signing_alg_values_supported = ['Ed25519', 'EdDSA'];
    });
    expect(find(f, 'userinfo_signing_alg_values_supported', 'CR-02')[0]?.severity).toBe('error');
    expect(find(f, 'id_token_signing_alg_values_supported', 'CR-03')[0]?.severity).toBe('error');
    // Ed25519 is the fully-specified name of EdDSA with Ed25519: allowed.
    expect(find(f, 'introspection_signing_alg_values_supported')).toEqual([]);
  });

  it('META-09 / META-10: no DPoP algorithms and no mTLS binding is an error; either one is enough', () => {
    const none = lintWith((m) => {
      delete m.dpop_signing_alg_values_supported;
      delete m.tls_client_certificate_bound_access_tokens;
    });
    expect(errors(none).some((x) => x.message.includes('sender-constrained'))).toBe(true);
    expect(
      errors(lintWith((m) => delete m.dpop_signing_alg_values_supported)).filter((x) =>
        x.message.includes('sender-constrained'),
      ),
    ).toEqual([]);
    expect(
      errors(lintWith((m) => delete m.tls_client_certificate_bound_access_tokens)).filter((x) =>
        x.message.includes('sender-constrained'),
      ),
    ).toEqual([]);
    const rsDpop = lintWith((m) => (m.dpop_signing_alg_values_supported = ['RS256']));
    expect(find(rsDpop, 'dpop_signing_alg_values_supported', 'META-09').length).toBeGreaterThan(0);
  });

  it('META-11: password and implicit grants are errors; an absent list is a warning', () => {
    const f = lintWith((m) => m.grant_types_supported?.push('password'));
    expect(find(f, 'grant_types_supported', 'META-11')[0]).toMatchObject({
      severity: 'error',
      spec: 'FAPI2-SP §5.3.2.1-2',
    });
    expect(
      find(
        lintWith((m) => delete m.grant_types_supported),
        'grant_types_supported',
      )[0]?.severity,
    ).toBe('warning');
  });

  it('NET-01 / META-12 / NET-10: http endpoints, a missing jwks_uri and http mTLS aliases are errors', () => {
    const f = lintWith((m) => {
      m.revocation_endpoint = 'http://as.example.com/revoke';
      m.jwks_uri = 'http://as.example.com/jwks';
      m.mtls_endpoint_aliases = { token_endpoint: 'http://mtls.example/token' };
    });
    expect(find(f, 'revocation_endpoint', 'NET-01')[0]?.severity).toBe('error');
    expect(find(f, 'jwks_uri', 'META-12')[0]?.spec).toContain('§5.4.2');
    expect(find(f, 'mtls_endpoint_aliases.token_endpoint', 'NET-10')[0]?.severity).toBe('error');
    expect(
      find(
        lintWith((m) => delete m.jwks_uri),
        'jwks_uri',
        'META-12',
      )[0]?.severity,
    ).toBe('error');
  });

  it('META-03: an issuer with a query or on http is an error', () => {
    expect(
      find(
        lintWith((m) => (m.issuer = 'https://as.example.com?x=1')),
        'issuer',
        'META-03',
      ),
    ).toHaveLength(1);
    expect(
      find(
        lintWith((m) => (m.issuer = 'http://as.example.com')),
        'issuer',
        'META-03',
      ),
    ).toHaveLength(1);
  });

  it('META-13: an OpenID provider needs id_token algorithms and subject types', () => {
    const f = lintWith((m) => {
      delete m.id_token_signing_alg_values_supported;
      delete m.subject_types_supported;
    });
    expect(find(f, 'id_token_signing_alg_values_supported', 'META-13')[0]?.severity).toBe('error');
    expect(find(f, 'subject_types_supported', 'META-13')[0]?.severity).toBe('error');
  });

  it('META-14: missing optional endpoints are infos only', () => {
    const f = lintWith((m) => {
      delete m.registration_endpoint;
      delete m.introspection_endpoint;
    });
    expect(find(f, 'registration_endpoint', 'META-14')[0]?.severity).toBe('info');
    expect(summarizeLint(f).conformant).toBe(true);
  });

  it('MS-01: request objects offered but not required is an info; required without algorithms a warning; required but refused an error', () => {
    const offered = lintWith((m) => {
      m.request_object_signing_alg_values_supported = ['PS256', 'ES256'];
      m.request_parameter_supported = true;
    });
    expect(find(offered, 'require_signed_request_object', 'MS-01')[0]?.severity).toBe('info');
    const required = lintWith((m) => {
      m.request_object_signing_alg_values_supported = ['PS256', 'ES256'];
      m.request_parameter_supported = true;
      m.require_signed_request_object = true;
    });
    expect(required.filter((x) => x.id === 'MS-01' || x.id === 'META-15')).toEqual([]);
    const noAlgs = lintWith((m) => {
      m.require_signed_request_object = true;
      m.request_parameter_supported = true;
    });
    expect(find(noAlgs, 'request_object_signing_alg_values_supported', 'META-15')[0]?.severity).toBe(
      'warning',
    );
    const contradiction = lintWith((m) => {
      m.require_signed_request_object = true;
      m.request_object_signing_alg_values_supported = ['ES256'];
    });
    expect(find(contradiction, 'require_signed_request_object', 'MS-01')[0]?.severity).toBe('error');
    const notBool = lintWith((m) => {
      m.require_signed_request_object = 'yes' as unknown as boolean;
    });
    expect(find(notBool, 'require_signed_request_object')).toHaveLength(1);
  });

  it('META-15 / MS-10: request object and introspection signing algorithms are FAPI-only', () => {
    const f = lintWith((m) => {
      m.request_object_signing_alg_values_supported = ['RS256', 'none', 'ES256'];
      m.introspection_signing_alg_values_supported = ['HS256', 'ES256'];
    });
    expect(find(f, 'request_object_signing_alg_values_supported', 'META-15')[0]?.severity).toBe('error');
    expect(find(f, 'request_object_signing_alg_values_supported', 'CR-03')[0]?.severity).toBe('error');
    expect(find(f, 'introspection_signing_alg_values_supported', 'MS-10')[0]?.severity).toBe('error');
    const noEndpoint = lintWith((m) => {
      m.introspection_signing_alg_values_supported = ['ES256'];
      delete m.introspection_endpoint;
    });
    expect(find(noEndpoint, 'introspection_signing_alg_values_supported', 'MS-10')[0]?.severity).toBe(
      'warning',
    );
  });

  it('reports malformed field types instead of crashing', () => {
    const f = lintWith((m) => {
      m.response_types_supported = 'code' as unknown as string[];
      m.authorization_response_iss_parameter_supported = 'yes' as unknown as boolean;
      m.mtls_endpoint_aliases = ['x'] as unknown as Record<string, string>;
    });
    expect(find(f, 'response_types_supported')[0]?.message).toContain('array of strings');
    expect(find(f, 'authorization_response_iss_parameter_supported')).toHaveLength(1);
    expect(find(f, 'mtls_endpoint_aliases')[0]?.message).toContain('JSON object');
  });
});
