/**
 * The strict lab is a FAPI 2.0 server: `fapi conform server` finds nothing wrong with it, in every
 * variant it offers (private_key_jwt, tls_client_auth and self_signed_tls_client_auth, each with
 * DPoP and with mTLS-bound tokens), the slow checks included (the lab's clock is moved instead of
 * waiting). The only skips are the checks whose subject the lab does not have, each with its reason.
 */
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../../src/conform/checks/index.js';
import type { ConformReport } from '../../src/conform/runner.js';
import type { HttpRequest } from '../../src/http/client.js';
import type { TestLab } from '../lab/helpers.js';
import { conformLab, formOf, label, lines } from './helpers.js';

const VARIANTS = [
  'private_key_jwt+dpop',
  'private_key_jwt+mtls',
  'tls_client_auth+dpop',
  'tls_client_auth+mtls',
  'self_signed_tls_client_auth+dpop',
  'self_signed_tls_client_auth+mtls',
];

describe('fapi conform server against the strict lab', () => {
  let report: ConformReport;
  let lab: TestLab;
  // Every request of the run as it reaches the HTTP layer (the TLS probes aside: handshakes only).
  const sent: HttpRequest[] = [];
  it('passes every check in every variant: 0 failed, 0 warnings', async () => {
    ({ report, lab } = await conformLab(
      {},
      {
        slow: true,
        interpose: (req) => {
          sent.push(req);
          return undefined;
        },
      },
    ));
    expect(report.variants.map(label)).toEqual(VARIANTS);
    expect(lines(report.results.filter((r) => r.result !== 'passed' && r.result !== 'skipped'))).toEqual([]);
    expect(report.summary.failed + report.summary.warnings + report.summary.expected_failures).toBe(0);
  }, 180_000);

  it("talks only to the issuer's origins (the AS and its mTLS aliases, from the metadata) and the --rs origin", () => {
    expect(sent.length).toBeGreaterThan(1000);
    const origins = new Set(sent.map((r) => new URL(r.url).origin));
    expect([...origins].sort()).toEqual(
      [lab.lab.issuer, lab.lab.mtls, lab.lab.rs].map((u) => new URL(u).origin).sort(),
    );
  });

  it('the test clients ask for every scope of scopes_supported (no --scope)', () => {
    const pars = sent.filter((r) => r.method === 'POST' && /^\/par$/.test(new URL(r.url).pathname));
    // The baselines' logins (their checks alter nothing): six variants each.
    const baselines = pars.filter((r) => /^(PAR-01|PAR-16|RS-01) /.test(r.label ?? ''));
    expect(new Set(baselines.map((r) => r.label?.replace(/ .*/, '')))).toEqual(
      new Set(['PAR-01', 'PAR-16', 'RS-01']),
    );
    expect(new Set(baselines.map((r) => formOf(r).get('scope')))).toEqual(
      new Set(['openid offline_access accounts payments']),
    );
  });

  it('skips only what the lab does not do, saying why', () => {
    const skips = report.results
      .filter((r) => r.result === 'skipped')
      .map((r) => `${r.id} [${label(r.variant)}] ${r.detail}`);
    const expected = [
      'AZ-02.user-rejects [server] needs a person to press Cancel or Deny at the login page: run with a browser (--browser CMD, $BROWSER or the system browser), not --browser follow',
      ...VARIANTS.map(
        (v) =>
          `PAR-07 [${v}] the server completed the authorization on the first page load (no login step to come before it)`,
      ),
      ...VARIANTS.map((v) => `RT-02 [${v}] the server does not rotate refresh tokens`),
      ...VARIANTS.filter((v) => v.endsWith('mtls')).map(
        (v) => `attack:dpop-proof-replay [${v}] no attack step could run against this server`,
      ),
      ...VARIANTS.filter((v) => !v.startsWith('private_key_jwt')).map(
        (v) =>
          `attack:client-impersonation [${v}] the profile authenticates with mTLS, not with client assertions`,
      ),
      // The strict lab requires request objects only of clients registered so (MS-01 sees that).
      ...VARIANTS.map(
        (v) =>
          `attack:pushed-request-tampering [${v}] the server does not require signed request objects (require_signed_request_object)`,
      ),
    ];
    expect(skips.sort()).toEqual(expected.sort());
  });

  it('MS-01..06: a lab that requires signed request objects of every client: every pushed request goes as one, every check passes, and pushed-request-tampering runs', async () => {
    const { report: jar } = await conformLab(
      { requireSignedRequestObject: true },
      { auth: ['private_key_jwt', 'tls_client_auth'], sender: ['dpop'] },
    );
    expect(lines(jar.results.filter((r) => r.result !== 'passed' && r.result !== 'skipped'))).toEqual([]);
    const ran = (id: string) => jar.results.filter((r) => r.id === id).map((r) => r.result);
    expect(ran('attack:pushed-request-tampering')).toEqual(['passed', 'passed']);
    expect(ran('MS-01')).toEqual(['passed', 'passed']);
    expect(ran('PAR-08')).toEqual(['passed', 'passed']);
  }, 180_000);

  it('runs every check: once per server, or in each variant it applies to', () => {
    for (const c of ALL_CHECKS) {
      const ran = report.results.filter((r) => r.id === c.id);
      if (c.needs.scope === 'server')
        expect(
          ran.map((r) => label(r.variant)),
          c.id,
        ).toEqual(['server']);
      else {
        const want = VARIANTS.filter((v) => {
          const [auth, sender] = v.split('+');
          return (
            (!c.needs.sender || c.needs.sender === sender) &&
            (!c.needs.auth || c.needs.auth.includes(auth as never))
          );
        });
        expect(
          ran.map((r) => label(r.variant)),
          c.id,
        ).toEqual(want);
      }
    }
  });
});
