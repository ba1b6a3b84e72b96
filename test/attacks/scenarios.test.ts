/**
 * Every scenario of `fapi lab attack` against the lab: where its defence is relaxed the
 * attack works, and under FAPI 2.0 each attempt is refused by the rule the scenario names: the
 * status, the OAuth error and the lab check that decided are asserted for both modes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAXATION_NAMES } from '../../lab/config.js';
import { SCENARIOS, findScenario } from '../../src/attacks/index.js';
import type { ScenarioResult } from '../../src/attacks/types.js';
import { attacks, explain, startAttackLabs, type AttackTestLabs } from './helpers.js';

let t: AttackTestLabs;
beforeAll(async () => {
  t = startAttackLabs();
  await t.labs.prepare(SCENARIOS.map((s) => s.relax));
}, 30_000);
afterAll(async () => {
  await t.close();
});

type Row = [status: number | undefined, error: string | undefined, check: string | undefined];

async function run(id: string): Promise<ScenarioResult> {
  const s = findScenario(id);
  if (!s) throw new Error(`no scenario ${id}`);
  const r = await s.run(t.env);
  expect(r.ok, explain(r)).toBe(true);
  expect(r.relaxed.verdict).toBe('attack-worked');
  expect(r.fapi2.verdict).toBe('defence-held');
  return r;
}

const rows = (r: ScenarioResult, mode: 'relaxed' | 'fapi2'): Row[] =>
  attacks(r, mode).map((s) => [s.status, s.error, s.check]);
const statuses = (r: ScenarioResult, mode: 'relaxed' | 'fapi2') => attacks(r, mode).map((s) => s.status);

describe('the scenarios', () => {
  it('each names an attacker, a defence with catalogue rules, and relaxations the lab has', () => {
    expect(SCENARIOS.map((s) => s.id)).toEqual([
      'evil-twin',
      'dpop-proof-replay',
      'stolen-refresh-token',
      'code-injection',
      'pkce-downgrade',
      'request-tampering',
      'pushed-request-tampering',
      'redirect-uri-swap',
      'mix-up',
      'client-impersonation',
      'token-in-url',
      'payment-overreach',
    ]);
    for (const s of SCENARIOS) {
      expect(s.rules.length, s.id).toBeGreaterThan(0);
      for (const r of s.rules) expect(r.id, s.id).toMatch(/^[A-Z]{2,3}-\d\d$/);
      expect(s.relax.length, s.id).toBeGreaterThan(0);
      for (const r of s.relax) expect(RELAXATION_NAMES, s.id).toContain(r);
    }
    // --issuer runs exactly the scenarios that need only a registered client.
    expect(SCENARIOS.filter((s) => s.external).map((s) => s.id)).toEqual([
      'evil-twin',
      'dpop-proof-replay',
      'pkce-downgrade',
      'request-tampering',
      'pushed-request-tampering',
      'redirect-uri-swap',
      'client-impersonation',
      'token-in-url',
    ]);
  });
});

describe('evil-twin (DP-14, DP-21, MT-07)', () => {
  it('a stolen bearer token works from another machine; DPoP- and certificate-bound ones do not', async () => {
    const r = await run('evil-twin');
    expect(statuses(r, 'relaxed')).toEqual([200]);
    expect(rows(r, 'fapi2')).toEqual([
      [401, 'invalid_dpop_proof', 'DP-03'],
      [401, 'invalid_token', 'DP-21'],
      [401, 'invalid_token', 'DP-14'],
      [401, 'invalid_token', 'MT-07'],
      [401, 'invalid_token', 'MT-07'],
    ]);
  });
});

describe('dpop-proof-replay (DP-12, DP-08, DP-10)', () => {
  it('a captured request replays where jtis are not remembered; under FAPI 2.0 the proof is single-use', async () => {
    const r = await run('dpop-proof-replay');
    expect(statuses(r, 'relaxed')).toEqual([200]);
    expect(rows(r, 'fapi2')).toEqual([
      [401, 'invalid_dpop_proof', 'DP-12'],
      [401, 'invalid_dpop_proof', 'DP-08'],
      [401, 'use_dpop_nonce', 'DP-10'],
    ]);
  });
});

describe('stolen-refresh-token (RT-04, RT-03)', () => {
  it('a refresh token alone buys fresh tokens where client authentication is relaxed, not under FAPI 2.0', async () => {
    const r = await run('stolen-refresh-token');
    expect(statuses(r, 'relaxed')).toEqual([200, 200]);
    expect(rows(r, 'fapi2')).toEqual([
      [401, 'invalid_client', 'CA-11'],
      [400, 'invalid_grant', 'RT-03'],
    ]);
  });
});

describe('code-injection (TK-06, TK-04, TK-03)', () => {
  it('an injected code is redeemed without PKCE; under FAPI 2.0 it is refused and a replay revokes', async () => {
    const r = await run('code-injection');
    expect(statuses(r, 'relaxed')).toEqual([200]);
    expect(rows(r, 'fapi2')).toEqual([
      [400, 'invalid_grant', 'TK-06'],
      [400, 'invalid_grant', 'TK-04'],
      [400, 'invalid_grant', 'TK-03'],
      // The victim's tokens from the replayed code are revoked (RFC 6749 §4.1.2).
      [401, 'invalid_token', 'RS-03'],
    ]);
  });
});

describe('pkce-downgrade (PAR-11)', () => {
  it('plain and missing PKCE are accepted where relaxed, refused at PAR under FAPI 2.0', async () => {
    const r = await run('pkce-downgrade');
    expect(statuses(r, 'relaxed')).toEqual([201, 201, 200]);
    expect(rows(r, 'fapi2')).toEqual([
      [400, 'invalid_request', 'PAR-11'],
      [400, 'invalid_request', 'PAR-11'],
      [400, 'invalid_request', 'PAR-11'],
    ]);
  });
});

describe('request-tampering (AZ-01, AZ-06)', () => {
  it('a widened front-channel scope is honoured without PAR; with PAR only the pushed scope counts', async () => {
    const r = await run('request-tampering');
    expect(attacks(r, 'relaxed')[0]?.summary).toMatch(/payments/);
    expect(rows(r, 'fapi2')).toEqual([
      [400, 'invalid_request', 'AZ-01'],
      [303, undefined, 'AZ-06'],
    ]);
  });
});

describe('pushed-request-tampering (MS-01, MS-05, MS-06)', () => {
  it('a proxy that rewrites the pushed request widens the scope where request objects are not enforced; under FAPI 2.0 Message Signing it is refused or ignored', async () => {
    const r = await run('pushed-request-tampering');
    expect(rows(r, 'relaxed')).toEqual([[201, undefined, undefined]]);
    expect(attacks(r, 'relaxed')[0]?.summary).toMatch(/token scope "openid accounts payments"/);
    expect(rows(r, 'fapi2')).toEqual([
      [400, 'invalid_request', 'MS-01'],
      [400, 'invalid_request_object', 'MS-05'],
      [201, undefined, 'MS-06'],
    ]);
    expect(r.stoppedBy).toEqual(['MS-01', 'MS-05', 'MS-06']);
  });

  it('its story states the attacker model plainly: an intermediary before TLS, not a TLS break', () => {
    const s = findScenario('pushed-request-tampering');
    expect(s?.story).toMatch(/not a TLS break/);
    expect(s?.story).toMatch(/non-repudiation/);
    expect(s?.relax).toEqual(['unsigned-request-object']);
  });
});

describe('redirect-uri-swap (AZ-01, PAR-13)', () => {
  it("the victim's code goes to the attacker where relaxed; under FAPI 2.0 nothing redirects there", async () => {
    const r = await run('redirect-uri-swap');
    expect(statuses(r, 'relaxed')).toEqual([303]);
    expect(attacks(r, 'relaxed')[0]?.summary).toMatch(/attacker\.fapi-lab\.example/);
    expect(rows(r, 'fapi2')).toEqual([
      [400, 'invalid_request', 'AZ-01'],
      [400, 'invalid_request', 'PAR-13'],
    ]);
  });
});

describe('mix-up (CL-11)', () => {
  it('without iss the client takes the response for the attacker’s; with iss it stops', async () => {
    const r = await run('mix-up');
    expect(attacks(r, 'relaxed')[0]?.summary).toMatch(/would send the code/);
    expect(rows(r, 'fapi2')).toEqual([[undefined, 'E_ISS_MISMATCH', 'CL-11']]);
  });
});

describe('client-impersonation (CA-02, CA-06)', () => {
  it('assertions for other audiences and replays pass where relaxed, are refused under FAPI 2.0', async () => {
    const r = await run('client-impersonation');
    expect(statuses(r, 'relaxed')).toEqual([201, 201, 201, 201]);
    expect(rows(r, 'fapi2')).toEqual([
      [401, 'invalid_client', 'CA-02'],
      [401, 'invalid_client', 'CA-02'],
      [401, 'invalid_client', 'CA-02'],
      [401, 'invalid_client', 'CA-06'],
    ]);
  });
});

describe('token-in-url (RS-02)', () => {
  it('a logged URL with the token replays where accepted; a FAPI 2.0 RS refuses tokens in the query', async () => {
    const r = await run('token-in-url');
    expect(statuses(r, 'relaxed')).toEqual([200]);
    expect(rows(r, 'fapi2')).toEqual([
      [400, 'invalid_request', 'RS-02'],
      [400, 'invalid_request', 'RS-02'],
    ]);
  });
});

describe('payment-overreach (RAR-08, RAR-09)', () => {
  it('a token for one 10.00 EUR payment pays 10,000.00 EUR elsewhere and twice on scope alone; RAR executes only the consented payment, once', async () => {
    const r = await run('payment-overreach');
    expect(statuses(r, 'relaxed')).toEqual([201, 201]);
    expect(rows(r, 'fapi2')).toEqual([
      [403, 'insufficient_authorization_details', 'RAR-08'],
      [403, 'insufficient_authorization_details', 'RAR-09'],
    ]);
  });
});
