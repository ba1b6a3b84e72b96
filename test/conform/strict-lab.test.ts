/**
 * The strict lab is a FAPI 2.0 server: `fapi conform server` finds nothing wrong with it, in every
 * variant it offers (private_key_jwt, tls_client_auth and self_signed_tls_client_auth, each with
 * DPoP and with mTLS-bound tokens), the slow checks included (the lab's clock is moved instead of
 * waiting), and the Rich Authorization Requests checks with the lab RS's /payments as --rs-payment
 * (./helpers.ts: real payments of 1.00 EUR to Bob Example). The only skips are the checks whose
 * subject the lab does not have, each with its reason; a lab whose metadata does not advertise
 * RAR skips the RAR checks, saying why.
 */
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS } from '../../src/conform/checks/index.js';
import { RAR_CHECKS } from '../../src/conform/checks/rar.js';
import type { ConformReport, RunEvent } from '../../src/conform/runner.js';
import type { HttpRequest } from '../../src/http/client.js';
import type { TestLab } from '../lab/helpers.js';
import { conformLab, formOf, jsonAnswer, label, lines } from './helpers.js';

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
  let plan: Extract<RunEvent, { type: 'plan' }> | undefined;
  let lab: TestLab;
  // Every request of the run as it reaches the HTTP layer (the TLS probes aside: handshakes only).
  const sent: HttpRequest[] = [];
  it('passes every check in every variant: 0 failed, 0 warnings', async () => {
    ({ report, lab } = await conformLab(
      {},
      {
        slow: true,
        onEvent: (e) => void (e.type === 'plan' && (plan = e)),
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

  it('RAR-02..09: every RAR check passes in every variant, and the payments are announced before the run', () => {
    for (const c of RAR_CHECKS)
      expect(
        report.results.filter((r) => r.id === c.id).map((r) => r.result),
        c.id,
      ).toEqual(VARIANTS.map(() => 'passed'));
    // Per variant: RAR-08, its two refusals and RAR-09's two payments; RAR-08 and RAR-09 execute one each.
    expect(plan?.payments).toEqual({
      url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/payments$/) as unknown,
      sent: 5 * VARIANTS.length,
      executed: 2 * VARIANTS.length,
      each: '1.00 EUR to Bob Example',
    });
  });

  it('RAR-*: a lab whose metadata does not advertise authorization_details_types_supported skips them all, saying why, and announces no payment', async () => {
    let noRar: Extract<RunEvent, { type: 'plan' }> | undefined;
    const { report: r } = await conformLab(
      {},
      {
        only: ['RAR-'],
        auth: ['private_key_jwt'],
        sender: ['dpop'],
        onEvent: (e) => void (e.type === 'plan' && (noRar = e)),
        // The discovery documents without the RFC 9396 §10 metadata.
        interpose: (req, send) => {
          if (req.method !== 'GET' || !new URL(req.url).pathname.startsWith('/.well-known/'))
            return undefined;
          return send(req).then((res) => {
            if (res.status !== 200) return res;
            const md = res.json() as Record<string, unknown>;
            delete md.authorization_details_types_supported;
            return jsonAnswer(req, 200, md, { date: res.header('date') ?? new Date().toUTCString() });
          });
        },
      },
    );
    expect(lines(r.results)).toEqual(
      RAR_CHECKS.map(
        (c) =>
          `${c.id} [private_key_jwt+dpop] skipped: the server does not advertise payment_initiation in authorization_details_types_supported (RFC 9396 §10)`,
      ),
    );
    expect(noRar?.payments).toBeUndefined();
  }, 60_000);

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
