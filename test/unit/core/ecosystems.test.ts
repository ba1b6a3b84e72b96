/**
 * The ecosystem presets (src/core/ecosystems.ts): every rule cited and named after its preset, every
 * setting backed by a rule, and the metadata lint finding each rule a server's metadata breaks.
 */
import { describe, expect, it } from 'vitest';
import { ECOSYSTEMS, ECOSYSTEM_NAMES, lintEcosystem } from '../../../src/core/ecosystems.js';
import type { AuthorizationServerMetadata } from '../../../src/core/discovery.js';

describe('the presets', () => {
  it('every rule has a source, an id of its preset, and says what fapi lacks when it is not supported', () => {
    for (const name of ECOSYSTEM_NAMES) {
      const eco = ECOSYSTEMS[name];
      expect(eco.name).toBe(name);
      for (const r of eco.rules) {
        expect(r.id).toBe(`${name}.${r.topic}`);
        expect(r.source.length, r.id).toBeGreaterThan(10);
        if (r.lab === 'no' || r.client === 'no') expect(r.gap, r.id).toBeTruthy();
      }
      // A setting fapi acts on is backed by a rule that cites it.
      for (const topic of Object.keys(eco.settings))
        expect(
          eco.rules.some((r) => r.topic === topic),
          `${name}.${topic}`,
        ).toBe(true);
      expect(new Set(eco.rules.map((r) => r.id)).size, name).toBe(eco.rules.length);
    }
  });

  it('cites the OIDF suite for the certification profiles and the ecosystems\u2019 own pages', () => {
    const all = ECOSYSTEM_NAMES.flatMap((n) => ECOSYSTEMS[n].rules.map((r) => r.source)).join('\n');
    expect(all).toContain('FAPI2MessageSigningFinalTestPlan.java, certificationProfileName()');
    expect(all).toContain(
      'https://openfinanceuae.atlassian.net/wiki/spaces/standardsv1dot2final/pages/277938258',
    );
    expect(all).toContain('https://docs.developer.singpass.gov.sg/');
    expect(ECOSYSTEMS.chile.rules.find((r) => r.topic === 'grantManagement')?.lab).toBe('no');
  });
});

const PLAIN: AuthorizationServerMetadata = {
  issuer: 'https://as.example',
  authorization_endpoint: 'https://as.example/authorize',
  token_endpoint: 'https://as.example/token',
  pushed_authorization_request_endpoint: 'https://as.example/par',
  require_pushed_authorization_requests: true,
  token_endpoint_auth_methods_supported: ['private_key_jwt', 'tls_client_auth'],
  token_endpoint_auth_signing_alg_values_supported: ['ES256'],
  dpop_signing_alg_values_supported: ['ES256'],
  response_modes_supported: ['query', 'jwt'],
  mtls_endpoint_aliases: { token_endpoint: 'https://mtls.as.example/token' },
  scopes_supported: ['accounts'],
} as AuthorizationServerMetadata;

describe('lintEcosystem', () => {
  it('finds each uae rule a plain FAPI 2.0 server breaks, citing it', () => {
    const f = lintEcosystem(ECOSYSTEMS.uae, PLAIN);
    const by = Object.fromEntries(f.map((x) => [`${x.id} ${x.field}`, x.severity]));
    expect(by).toEqual({
      'uae.sender tls_client_certificate_bound_access_tokens': 'error',
      'uae.sender dpop_signing_alg_values_supported': 'warning',
      'uae.authMethods token_endpoint_auth_methods_supported': 'warning',
      'uae.algs token_endpoint_auth_signing_alg_values_supported': 'error',
      'uae.rar authorization_details_types_supported': 'error',
      'uae.jar require_signed_request_object': 'error',
      'uae.jarm response_modes_supported': 'info',
      'uae.mtlsEverywhere mtls_endpoint_aliases': 'warning',
      'uae.openid scopes_supported': 'error',
    });
    expect(f.find((x) => x.id === 'uae.rar')?.spec).toMatch(/Open Finance UAE Standards v1\.2/);
  });

  it('singpass wants DPoP; au-cdr wants JARM and the claims parameter; brazil PS256 ID tokens', () => {
    const noDpop = { ...PLAIN, dpop_signing_alg_values_supported: undefined } as AuthorizationServerMetadata;
    expect(lintEcosystem(ECOSYSTEMS.singpass, noDpop).map((x) => x.id)).toContain('singpass.sender');
    const cdr = lintEcosystem(ECOSYSTEMS['au-cdr'], { ...PLAIN, response_modes_supported: ['query'] }).map(
      (x) => x.id,
    );
    expect(cdr).toEqual(expect.arrayContaining(['au-cdr.jarm', 'au-cdr.claimsParameter']));
    const br = lintEcosystem(ECOSYSTEMS.brazil, {
      ...PLAIN,
      id_token_signing_alg_values_supported: ['ES256'],
    });
    expect(br.map((x) => x.id)).toContain('brazil.idTokenAlgs');
  });

  it('a server that follows the preset gets no finding', () => {
    const uae = {
      ...PLAIN,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['PS256'],
      dpop_signing_alg_values_supported: undefined,
      tls_client_certificate_bound_access_tokens: true,
      authorization_details_types_supported: ['payment_initiation'],
      require_signed_request_object: true,
      response_modes_supported: ['query'],
      mtls_endpoint_aliases: undefined,
      scopes_supported: ['openid', 'accounts'],
    } as AuthorizationServerMetadata;
    expect(lintEcosystem(ECOSYSTEMS.uae, uae)).toEqual([]);
  });
});
