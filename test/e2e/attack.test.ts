/**
 * The real `bin/fapi.js lab attack`: the evil-twin scenario against the labs it starts
 * itself, the human and JSON outputs, usage errors, and `--issuer` against a server it did not
 * start (a lab here): every defence held → exit 0; a server that accepts PKCE plain → exit 6.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabConfig } from '../../lab/config.js';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { postJson, startTestLab, type TestLab } from '../lab/helpers.js';

const home = tempHome('fapi-attack-e2e-');
afterAll(() => home.cleanup());

interface Report {
  ok: boolean;
  ms: number;
  fapi2_target: string;
  scenarios: {
    id: string;
    ok: boolean;
    relaxed: { verdict: string };
    fapi2: { verdict: string; reason?: string };
    stopped_by: string[];
    steps: { mode: string; kind: string; party: string; summary: string; check?: string; error?: string }[];
  }[];
}

describe('fapi lab attack against its own labs', () => {
  it('evil-twin --json: the attack works with bearer tokens and is stopped by DPoP and mTLS (exit 0)', async () => {
    const r = await fapi(['--home', home.dir, 'lab', 'attack', 'evil-twin', '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report; // exactly one JSON value on stdout
    expect(report.ok).toBe(true);
    expect(report.scenarios.map((s) => s.id)).toEqual(['evil-twin']);
    const s = report.scenarios[0]!;
    expect([s.relaxed.verdict, s.fapi2.verdict]).toEqual(['attack-worked', 'defence-held']);
    expect(s.stopped_by).toEqual(['DP-03', 'DP-21', 'DP-14', 'MT-07']);
    // The honest party's secrets never reach the report.
    expect(r.stdout).not.toMatch(/eyJ[\w-]{20,}\.[\w-]{20,}\./);
    expect(r.stderr).toBe('');
  });

  it('prints the steps on stderr and the table on stdout', async () => {
    const r = await fapi(['--home', home.dir, 'lab', 'attack', 'token-in-url', 'pkce-downgrade'], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('token-in-url: the access token in a query string');
    expect(r.stderr).toMatch(/✔ attacker replays the URL from the log\s+200 .*← the attack works/);
    expect(r.stderr).toMatch(/400 invalid_request \(RS-02\)\s+← stopped/);
    expect(r.stderr).toContain('stopped by: PKCE with S256 only');
    expect(r.stdout).toMatch(
      /^scenario\s+what the attacker tried\s+defence relaxed\s+under FAPI 2.0\s+stopped by/,
    );
    expect(r.stdout).toMatch(/pkce-downgrade\s+.*worked \(201, 200\)\s+stopped \(400\)\s+PAR-11/);
    expect(r.stdout).toContain(
      '2 of 2 attacks worked with the defence relaxed and were stopped under FAPI 2.0',
    );
  });

  it('--verbose shows both parties’ exchanges with the secrets redacted', async () => {
    const r = await fapi(['--home', home.dir, '-v', 'lab', 'attack', 'dpop-proof-replay'], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /\[relaxed lab \(dpop-replay, no-dpop-nonce\)\] attacker → GET https:\/\/127\.0\.0\.1:\d+\/accounts/,
    );
    expect(r.stderr).toMatch(/\[FAPI 2\.0 lab\] honest client → POST https:\/\/127\.0\.0\.1:\d+\/par/);
    expect(r.stderr).toContain('authorization: DPoP «redacted: token');
    expect(r.stderr).toContain('client_assertion=«redacted: client_assertion');
    expect(r.stderr).not.toMatch(/eyJ[\w-]{20,}\.[\w-]{20,}\.[\w-]{20,}/);
  });

  it('--list describes every scenario; unknown scenarios are usage errors', async () => {
    const list = await fapi(['--home', home.dir, 'lab', 'attack', '--list', '--json']);
    expect(list.code).toBe(0);
    const { scenarios } = JSON.parse(list.stdout) as { scenarios: { id: string; attacker: string }[] };
    expect(scenarios).toHaveLength(12);
    expect(scenarios.find((s) => s.id === 'mix-up')?.attacker).toBe('A1a');
    const human = await fapi(['--home', home.dir, 'lab', 'attack', '--list', 'evil-twin']);
    expect(human.stdout).toContain('attacker  A7: reads resource requests');
    const bad = await fapi(['--home', home.dir, 'lab', 'attack', 'evil-twins']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown attack scenario: evil-twins');
    const labOnly = await fapi([
      '--home',
      home.dir,
      'lab',
      'attack',
      'mix-up',
      '--issuer',
      'https://127.0.0.1:9',
    ]);
    expect(labOnly.code).toBe(2);
    expect(labOnly.stderr).toContain('mix-up needs the lab');
  });
});

describe('fapi lab attack --issuer (a server it did not start)', () => {
  const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;
  const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

  /** A registered, logged-in DPoP profile at `t` (the honest party of an external run). */
  async function profile(t: TestLab, name: string): Promise<void> {
    const ok = (r: RunResult) => {
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
    };
    ok(await fapi(['--home', home.dir, '--profile', name, 'keygen']));
    const dir = path.join(home.dir, 'profiles', name);
    const jwk = readJson(path.join(dir, 'signing.key.jwk.json'));
    for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete jwk[k];
    const res = await postJson(t.http, `${t.lab.issuer}/register`, {
      client_name: `attack e2e ${name}`,
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['authorization_code', 'refresh_token'],
      dpop_bound_access_tokens: true,
      jwks: { keys: [jwk] },
    });
    if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${res.text()}`);
    writeFileSync(
      path.join(dir, 'profile.json'),
      JSON.stringify({
        ...readJson(path.join(dir, 'profile.json')),
        issuer: t.lab.issuer,
        client_id: (res.json() as { client_id: string }).client_id,
        auth_method: 'private_key_jwt',
        sender: 'dpop',
        ca_file: t.lab.caFile,
        redirect_uri: 'http://127.0.0.1/callback',
        scope: 'openid accounts',
      }),
    );
    ok(
      await fapi(['--home', home.dir, '--profile', name, 'login'], {
        env: { BROWSER, FAPI_TEST_BROWSER_CA: t.lab.caFile },
      }),
    );
  }

  async function attack(
    config: Partial<LabConfig>,
    name: string,
    scenarios: string[] = [],
  ): Promise<{ r: RunResult; report: Report }> {
    const t = await startTestLab(config);
    try {
      await profile(t, name);
      const r = await fapi(
        [
          '--home',
          home.dir,
          '--profile',
          name,
          'lab',
          'attack',
          ...scenarios,
          '--issuer',
          t.lab.issuer,
          '--resource',
          `${t.lab.rs}/accounts`,
          '--json',
        ],
        { timeoutMs: 90_000 },
      );
      return { r, report: JSON.parse(r.stdout) as Report };
    } finally {
      await t.close();
    }
  }

  it('a FAPI 2.0 server: the seven profile-only scenarios hold, the lab-only ones are skipped (exit 0)', async () => {
    const { r, report } = await attack({}, 'strict');
    expect(r.code, r.stderr).toBe(0);
    expect(report.ok).toBe(true);
    const verdict = Object.fromEntries(report.scenarios.map((s) => [s.id, s.fapi2.verdict]));
    expect(verdict).toEqual({
      'evil-twin': 'defence-held',
      'dpop-proof-replay': 'defence-held',
      'stolen-refresh-token': 'skipped',
      'code-injection': 'skipped',
      'pkce-downgrade': 'defence-held',
      'request-tampering': 'defence-held',
      // The lab does not require signed request objects unless started with --require-jar.
      'pushed-request-tampering': 'skipped',
      'redirect-uri-swap': 'defence-held',
      'mix-up': 'skipped',
      'client-impersonation': 'defence-held',
      'token-in-url': 'defence-held',
      'payment-overreach': 'skipped',
    });
    expect(report.scenarios.find((s) => s.id === 'mix-up')?.fapi2.reason).toMatch(/needs the lab/);
    // What an external server cannot do is said, not silently dropped.
    const replay = report.scenarios.find((s) => s.id === 'dpop-proof-replay')!;
    expect(replay.steps.find((s) => s.kind === 'skipped')?.summary).toBe('needs the lab clock');
    // The relaxed half still runs against the lab: each attack is shown to work.
    for (const s of report.scenarios.filter((x) => x.fapi2.verdict !== 'skipped'))
      expect(s.relaxed.verdict, s.id).toBe('attack-worked');
  }, 120_000);

  it('MS-01, MS-05: a server that requires signed request objects: pushed-request-tampering holds against it (exit 0)', async () => {
    const { r, report } = await attack({ requireSignedRequestObject: true }, 'jar', [
      'pushed-request-tampering',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = report.scenarios[0]!;
    expect(s.fapi2.verdict).toBe('defence-held');
    expect(s.steps.filter((x) => x.mode === 'fapi2' && x.kind === 'attack').map((x) => x.error)).toEqual([
      'invalid_request',
      'invalid_request_object',
    ]);
    expect(s.steps.find((x) => x.mode === 'fapi2' && x.kind === 'skipped')?.summary).toMatch(/needs the lab/);
  }, 120_000);

  it('a server that accepts PKCE plain: pkce-downgrade is not stopped (exit 6)', async () => {
    const { r, report } = await attack({ relax: ['plain-pkce'] }, 'plain', [
      'pkce-downgrade',
      'client-impersonation',
    ]);
    expect(r.code).toBe(6);
    expect(report.ok).toBe(false);
    const s = report.scenarios.find((x) => x.id === 'pkce-downgrade')!;
    expect(s.fapi2.verdict).toBe('defence-failed');
    expect(s.steps.find((x) => x.mode === 'fapi2' && x.kind === 'attack')?.summary).toMatch(/^201/);
    expect(report.scenarios.filter((x) => !x.ok && x.fapi2.verdict !== 'skipped').map((x) => x.id)).toEqual([
      'pkce-downgrade',
    ]);
    const err = JSON.parse(r.stderr) as { error: { code: string; exit_code: number } };
    expect(err.error).toMatchObject({ code: 'E_ATTACK_NOT_STOPPED', exit_code: 6 });
  }, 120_000);
});
