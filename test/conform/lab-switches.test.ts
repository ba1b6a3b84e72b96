/**
 * Every lab relaxation and fault switch is a ready-made faulty server: `fapi conform server`
 * against it must fail (or warn about) exactly the checks of the rule the switch breaks, and
 * nothing else. The switches that model legal server behaviour (a case-varied token_type, an aud
 * array in the ID token, no DPoP nonces, a nonce rotated on every request, a clock running ahead)
 * must leave every check passing; each such decision is written next to its entry.
 *
 * One variant per switch (private_key_jwt + DPoP unless the rule needs another), every check but
 * the slow ones, with the lab RS as --rs and its /payments as --rs-payment (./helpers.ts); the
 * skipped checks must be those of the strict lab in the same variant, so a switch cannot hide a
 * failure behind a skip.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabConfig } from '../../lab/config.js';
import { FAULT_NAMES, RELAXATION_NAMES } from '../../lab/switches.js';
import type { ConformReport } from '../../src/conform/runner.js';
import type { ResultWord, Variant } from '../../src/conform/types.js';
import { expectFapiError } from '../helpers/expect-error.js';
import { conformLab, conformOptions, label, lines } from './helpers.js';
import { startTestLab } from '../lab/helpers.js';
import { runConformance } from '../../src/conform/runner.js';

type Outcomes = Record<string, Exclude<ResultWord, 'passed' | 'skipped'>>;

interface Case {
  config: Partial<LabConfig>;
  variants?: Variant[];
  /** The checks that must not pass (and their result): exactly these. */
  expect: Outcomes;
  /** Checks that skip here but not on the strict lab (the switch removes what they test). */
  alsoSkipped?: string[];
  slow?: boolean;
  only?: string[];
}

const PKJWT_DPOP: Variant = { auth: 'private_key_jwt', sender: 'dpop' };
const PKJWT_MTLS: Variant = { auth: 'private_key_jwt', sender: 'mtls' };
const failed = (...ids: string[]): Outcomes => Object.fromEntries(ids.map((id) => [id, 'failed']));

const RELAXED: Record<(typeof RELAXATION_NAMES)[number], Case> = {
  // FAPI2-SP §5.3.2.1-4: no unbound token, not even to a client that did not ask for binding
  // (TK-08, MT-06); with mTLS, nor for client_credentials (TK-13) or a refresh (RT-05) without the
  // certificate. A DPoP client registered with dpop_bound_access_tokens still needs its proof.
  'bearer-tokens': {
    config: {},
    variants: [PKJWT_DPOP, PKJWT_MTLS],
    expect: failed('TK-08', 'MT-06', 'TK-13', 'RT-05'),
  },
  // The metadata says PAR is optional (a warning: RFC 9126 §6 lets it be per client); a client
  // registered without require_pushed_authorization_requests gets a code without PAR (AZ-01).
  'no-par': { config: {}, expect: { 'META-04': 'warning', 'AZ-01': 'failed' } },
  'plain-pkce': { config: {}, expect: failed('META-06', 'PAR-11.plain', 'attack:pkce-downgrade') },
  // Legal: DPoP server nonces are optional (RFC 9449 §8, §9). The nonce checks skip, saying so.
  'no-dpop-nonce': { config: {}, expect: {}, alsoSkipped: ['TK-10', 'DP-10.par', 'DP-10.rs'] },
  'no-iss': { config: {}, expect: failed('META-07', 'AZ-02') },
  // FAPI2-SP §5.3.2.1-9 forbids rotation (RT-01); the lab keeps the old token usable for a
  // retry, which RT-02 (with --slow) checks: rotating servers must do that.
  'rotate-rt': { config: {}, expect: failed('RT-01'), slow: true, only: ['RT-', 'PAR-01', 'PAR-16'] },
  'no-pkce': { config: {}, expect: failed('PAR-11', 'attack:pkce-downgrade') },
  // DP-12 is a SHOULD (RFC 9449 §11.1): warnings, at PAR, at the token endpoint (the same proof
  // redeeming a second code) and at the RS; the attack scenario shows the replay working.
  'dpop-replay': {
    config: {},
    expect: {
      'DP-12.par': 'warning',
      'DP-12.token': 'warning',
      'DP-12.rs': 'warning',
      'attack:dpop-proof-replay': 'failed',
    },
  },
  'refresh-without-client-auth': { config: {}, expect: failed('RT-04') },
  'unregistered-redirect-uri': { config: {}, expect: failed('PAR-13', 'attack:redirect-uri-swap') },
  // The token and PAR URLs and arrays are accepted; another server still is not (CA-02.other-server).
  'lax-assertion-aud': {
    config: {},
    expect: failed(
      'CA-02.token-url',
      'CA-02.par-url',
      'CA-02.array',
      'CA-02.issuer-array',
      'CA-02.token-request',
      'attack:client-impersonation',
    ),
  },
  'assertion-replay': { config: {}, expect: failed('CA-06', 'attack:client-impersonation') },
  // The lab reads a query token as if it came in the header: DPoP when a proof comes with it,
  // else Bearer; RS-02 sends the token in the query with its proof, or over its certificate.
  'token-in-query': { config: {}, variants: [PKJWT_DPOP, PKJWT_MTLS], expect: failed('RS-02') },
  // A client registered with require_signed_request_object still gets a plain PAR through (MS-01).
  'unsigned-request-object': { config: {}, expect: failed('MS-01') },
  // RFC 9396 §9 at the RS (--rs-payment, the lab's /payments): a payments-scope token pays
  // anything, as often as asked. The baseline payment (RAR-08) still passes; the AS side of RAR
  // (RAR-02..06) is untouched.
  'scope-only-payments': {
    config: {},
    expect: failed('RAR-08.scope-only', 'RAR-08.other-amount', 'RAR-09'),
  },
};

const FAULTS: Partial<Record<(typeof FAULT_NAMES)[number], Case>> = {
  'iss-wrong': { config: {}, expect: failed('AZ-02', 'MS-08') },
  'iss-missing': { config: {}, expect: failed('AZ-02', 'MS-08') },
  'state-wrong': {
    config: {},
    expect: failed('AZ-06', 'AZ-06.outside-only', 'AZ-08', 'AZ-08.without-state', 'MS-08'),
  },
  'state-missing': { config: {}, expect: failed('AZ-06', 'AZ-08', 'MS-08') },
  // Legal: a server may hand out a new nonce at any time (RFC 9449 §8). fapi retries, and after a
  // second demand in a row sends its DPoP requests to that server one at a time.
  'dpop-nonce-rotate': { config: {}, expect: {} },
  // Legal: the WWW-Authenticate scheme is case-insensitive (RFC 9110 §11.1).
  'rs-scheme-case': { config: {}, expect: {} },
  // Legal: token_type is case-insensitive (RFC 6749 §5.1).
  'token-type-case': { config: {}, expect: {} },
  // expires_in is RECOMMENDED (RFC 6749 §5.1): a warning.
  'no-expires-in': { config: {}, expect: { 'TK-09.expires-in': 'warning' } },
  // Rotation breaks RT-01 (FAPI2-SP §5.3.2.1-9); without a retry window RT-02 fails too.
  'rotate-rt-no-grace': {
    config: {},
    expect: failed('RT-01', 'RT-02'),
    slow: true,
    only: ['RT-', 'PAR-01', 'PAR-16'],
  },
  'idtoken-iss': { config: {}, expect: failed('TK-14.claims') },
  'idtoken-aud': { config: {}, expect: failed('TK-14.claims') },
  // OIDC Core §2 lets an ID token name other audiences; FAPI clients refuse them (CL-20): a warning.
  'idtoken-secondary-aud': { config: {}, expect: { 'TK-14.claims': 'warning' } },
  // The signature is TK-14's; TK-14.claims skips rather than fail twice.
  'idtoken-alg-none': { config: {}, expect: failed('TK-14'), alsoSkipped: ['TK-14.claims'] },
  'idtoken-alg-rs256': { config: {}, expect: failed('TK-14'), alsoSkipped: ['TK-14.claims'] },
  'idtoken-sig-invalid': { config: {}, expect: failed('TK-14'), alsoSkipped: ['TK-14.claims'] },
  'idtoken-kid-unknown': { config: {}, expect: failed('TK-14'), alsoSkipped: ['TK-14.claims'] },
  'idtoken-exp-expired': { config: {}, expect: failed('TK-14.claims') },
  'idtoken-exp-missing': { config: {}, expect: failed('TK-14.claims') },
  'idtoken-aud-missing': { config: {}, expect: failed('TK-14.claims') },
  'idtoken-iss-missing': { config: {}, expect: failed('TK-14.claims') },
  // The ID token's nonce is not the pushed one: every nonce check fails, also the one that sent
  // no nonce (an ID token must not carry one the client did not send).
  'idtoken-nonce-wrong': {
    config: {},
    expect: failed('AZ-06.nonce', 'AZ-07', 'AZ-07.long', 'AZ-07.without-nonce'),
  },
  'idtoken-nonce-missing': { config: {}, expect: failed('AZ-06.nonce', 'AZ-07', 'AZ-07.long') },
  // Legal: aud may be an array holding the client_id (OIDC Core §2).
  'idtoken-aud-array': { config: {}, expect: {} },
  // A server clock 120 s ahead shows in its Date header; fapi corrects its iat values from it, as
  // FAPI2-SP §5.3.3.1 Note 1 asks clients to, so every check still judges the server's rules.
  'clock-skew': { config: {}, expect: {} },
  'jarm-iss-missing': { config: {}, expect: failed('MS-08') },
  'jarm-iss-wrong': { config: {}, expect: failed('MS-08') },
  'jarm-aud-missing': { config: {}, expect: failed('MS-08') },
  'jarm-aud-wrong': { config: {}, expect: failed('MS-08') },
  'jarm-exp-missing': { config: {}, expect: failed('MS-08') },
  'jarm-exp-expired': { config: {}, expect: failed('MS-08') },
  'jarm-sig-invalid': { config: {}, expect: failed('MS-08') },
  'jarm-alg-none': { config: {}, expect: failed('MS-08') },
  'introspection-sig-invalid': { config: {}, expect: failed('MS-10') },
  'introspection-typ-wrong': { config: {}, expect: failed('MS-10') },
  'introspection-aud-wrong': { config: {}, expect: failed('MS-10') },
  'introspection-unsigned': { config: {}, expect: failed('MS-10') },
};

/** The switches whose server cannot be tested at all: the run stops with the reason (exit 4 or 6). */
const FATAL = ['discovery-issuer-mismatch', 'tls-wrong-host', 'tls12-dhe-only'] as const;

const key = (vs: Variant[]) => vs.map(label).join(',');
const strictSkips = new Map<string, Set<string>>();

async function skipsOf(variants: Variant[]): Promise<Set<string>> {
  const k = key(variants);
  let s = strictSkips.get(k);
  if (!s) {
    const { report } = await conformLab(
      {},
      { auth: variants.map((v) => v.auth), sender: variants.map((v) => v.sender) },
    );
    expect(lines(report.results.filter((r) => r.result !== 'passed' && r.result !== 'skipped'))).toEqual([]);
    s = new Set(
      report.results.filter((r) => r.result === 'skipped').map((r) => `${r.id} [${label(r.variant)}]`),
    );
    strictSkips.set(k, s);
  }
  return s;
}

function outcomes(report: ConformReport): Outcomes {
  const out: Outcomes = {};
  for (const r of report.results) if (r.result !== 'passed' && r.result !== 'skipped') out[r.id] = r.result;
  return out;
}

async function check(name: string, c: Case): Promise<void> {
  const variants = c.variants ?? [PKJWT_DPOP];
  const { report } = await conformLab(c.config, {
    auth: [...new Set(variants.map((v) => v.auth))],
    sender: [...new Set(variants.map((v) => v.sender))],
    ...(c.slow ? { slow: true } : {}),
    ...(c.only ? { only: c.only } : {}),
  });
  const bad = report.results.filter((r) => r.result !== 'passed' && r.result !== 'skipped');
  expect(outcomes(report), `${name}:\n${lines(bad).join('\n')}`).toEqual(c.expect);
  if (c.only) return;
  const strict = await skipsOf(variants);
  const skipped = report.results
    .filter((r) => r.result === 'skipped')
    .map((r) => `${r.id} [${label(r.variant)}]`);
  const extra = skipped.filter((s) => !strict.has(s) && !c.alsoSkipped?.includes(s.split(' ')[0] as string));
  expect(extra, `${name}: skipped here, not on the strict lab`).toEqual([]);
}

describe('fapi conform server against each lab relaxation', () => {
  beforeAll(() => skipsOf([PKJWT_DPOP]), 120_000);
  it('covers every relaxation', () =>
    expect(Object.keys(RELAXED).sort()).toEqual([...RELAXATION_NAMES].sort()));
  for (const [name, c] of Object.entries(RELAXED))
    it(
      `relax ${name}: ${Object.keys(c.expect).join(', ') || 'every check passes'}`,
      () => check(name, { ...c, config: { relax: [name as (typeof RELAXATION_NAMES)[number]] } }),
      120_000,
    );
});

describe('fapi conform server against each lab fault', () => {
  it('covers every fault', () =>
    expect([...Object.keys(FAULTS), ...FATAL].sort()).toEqual([...FAULT_NAMES].sort()));
  for (const [name, c] of Object.entries(FAULTS))
    it(
      `fault ${name}: ${Object.keys(c.expect).join(', ') || 'every check passes'}`,
      () => check(name, { ...c, config: { faults: [name as (typeof FAULT_NAMES)[number]] } }),
      120_000,
    );

  const fatal = async (fault: (typeof FATAL)[number]) => {
    const t = await startTestLab({ faults: [fault] });
    try {
      return await expectFapiError(() => runConformance(conformOptions(t)));
    } finally {
      await t.close();
    }
  };
  it('fault discovery-issuer-mismatch: the run stops at discovery, META-02 failed (exit 6)', async () => {
    const e = await fatal('discovery-issuer-mismatch');
    expect([e.code, e.exitCode, e.details?.failed]).toEqual(['E_CONFORM_NOT_OAUTH', 6, ['META-02']]);
    expect(e.message).toMatch(/^META-02 failed: .*issuer "https:\/\/localhost:\d+"/);
  });
  it('fault tls12-dhe-only: the run stops at the TLS handshake, NET-04 failed (exit 6)', async () => {
    const e = await fatal('tls12-dhe-only');
    expect([e.code, e.exitCode, e.details?.failed]).toEqual(['E_CONFORM_TLS', 6, ['NET-04']]);
    expect(e.message).toContain('DHE');
  });
  it('fault tls-wrong-host: the server cannot be reached over verified TLS (exit 4)', async () => {
    const e = await fatal('tls-wrong-host');
    expect([e.code, e.exitCode]).toEqual(['E_CONFORM_UNREACHABLE', 4]);
    expect(e.message).toMatch(/^Cannot reach https:\/\/127\.0\.0\.1:\d+: .*not valid for the host/);
  });
});
