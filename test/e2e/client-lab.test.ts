/**
 * The real `bin/fapi.js` against the lab (in-process, 127.0.0.1 port 0): the whole journey
 * (login, call the RS, refresh, introspect, revoke, client credentials) and every client fault
 * switch (README "Lab fault switches") with the expected refusal or success (CL-03, CL-11, CL-12,
 * CL-15, CL-17..20, CL-23).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabConfig } from '../../lab/config.js';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { postJson, startTestLab, type TestLab } from '../lab/helpers.js';

const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;
const home = tempHome('fapi-client-lab-');
afterAll(() => home.cleanup());

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const profileFile = (name: string) => path.join(home.dir, 'profiles', name, 'profile.json');
const tokensFile = (name: string) => path.join(home.dir, 'profiles', name, 'tokens.json');
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

/** A DPoP + private_key_jwt client of `t`, in profile `name` (keys made once per profile). */
async function client(t: TestLab, name: string): Promise<string> {
  try {
    readFileSync(profileFile(name));
  } catch {
    ok(await fapi(['--home', home.dir, '--profile', name, 'keygen']));
  }
  const jwk = readJson(path.join(home.dir, 'profiles', name, 'signing.key.jwk.json'));
  for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete jwk[k];
  const res = await postJson(t.http, `${t.lab.issuer}/register`, {
    client_name: `fapi e2e ${name}`,
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'private_key_jwt',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    dpop_bound_access_tokens: true,
    scope: 'openid accounts payments',
    jwks: { keys: [jwk] },
  });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${res.text()}`);
  const clientId = String((res.json() as { client_id: string }).client_id);
  writeFileSync(
    profileFile(name),
    JSON.stringify({
      ...readJson(profileFile(name)),
      issuer: t.lab.issuer,
      client_id: clientId,
      auth_method: 'private_key_jwt',
      sender: 'dpop',
      ca_file: t.lab.caFile,
      scope: 'openid accounts',
    }),
  );
  return clientId;
}

const run = (name: string, args: string[], env: Record<string, string> = {}) =>
  fapi(['--home', home.dir, '--profile', name, ...args], { env: { BROWSER, ...env } });

/** The browser also needs the lab CA. */
const browserEnv = (t: TestLab) => ({ FAPI_TEST_BROWSER_CA: t.lab.caFile });

async function withLab<T>(config: Partial<LabConfig>, fn: (t: TestLab) => Promise<T>): Promise<T> {
  const t = await startTestLab(config);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

describe('the journey against the strict lab', () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab();
    await client(t, 'journey');
  });
  afterAll(() => t?.close());

  it('logs in, calls the RS with DPoP, refreshes, introspects, revokes; client credentials', async () => {
    const login = JSON.parse(ok(await run('journey', ['--json', 'login'], browserEnv(t))).stdout) as Record<
      string,
      unknown
    >;
    expect(login).toMatchObject({
      token_type: 'DPoP',
      has_refresh_token: true,
      id_token_claims: { sub: 'alice' },
    });
    const accounts = JSON.parse(ok(await run('journey', ['call', `${t.lab.rs}/accounts`])).stdout) as {
      Data: { Account: unknown[] };
    };
    expect(accounts.Data.Account.length).toBeGreaterThan(0);
    // The response-size cap: --max-size below the answer's size stops reading it (exit 4, named).
    const capped = await run('journey', ['call', '--max-size', '64', `${t.lab.rs}/accounts`]);
    expect(capped.code, capped.stderr).toBe(4);
    expect(capped.stderr).toContain('64 bytes');
    expect((await run('journey', ['call', '--max-size', '0', `${t.lab.rs}/accounts`])).code).toBe(2);
    ok(await run('journey', ['call', '--max-size', '1M', `${t.lab.rs}/accounts`]));
    ok(await run('journey', ['token', 'refresh']));
    // The log the fault tests rely on records PAR and token requests (positive control).
    expect(t.lab.ctx.requests.recent().some((q) => q.path === '/par')).toBe(true);
    expect(t.lab.ctx.requests.recent().some((q) => q.path === '/token')).toBe(true);
    const again = ok(
      await run('journey', ['call', '-i', '--fail', `${t.lab.rs}/accounts`, '-H', 'x-extra: 1']),
    );
    expect(again.stderr).toContain('ath ok');
    // The RS nonce learned by the previous run is reused: one round trip, no use_dpop_nonce retry.
    expect(again.stderr).not.toContain('retrying');
    expect(again.stderr.match(/→ GET /g)).toHaveLength(1);
    const intro = JSON.parse(ok(await run('journey', ['--json', 'token', 'introspect'])).stdout) as Record<
      string,
      unknown
    >;
    expect(intro.active).toBe(true);
    ok(await run('journey', ['token', 'revoke', '--keep']));
    const denied = await run('journey', ['call', '--fail', `${t.lab.rs}/accounts`]);
    expect(denied.code).toBe(5);
    const cc = JSON.parse(
      ok(await run('journey', ['--json', 'token', 'client-credentials', '--scope', 'accounts'])).stdout,
    ) as Record<string, unknown>;
    expect(cc).toMatchObject({ token_type: 'DPoP' });
  });
});

describe('the mTLS journey against the lab (self_signed_tls_client_auth, certificate-bound tokens)', () => {
  it('logs in over the mTLS aliases, calls the RS with Bearer over the certificate, refreshes', async () => {
    await withLab({}, async (t) => {
      ok(
        await fapi(['--home', home.dir, '--profile', 'mtls', 'keygen', '--cert', '--subject', 'CN=fapi-e2e']),
      );
      const jwk = readJson(path.join(home.dir, 'profiles', 'mtls', 'signing.key.jwk.json'));
      for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete jwk[k];
      expect(jwk.x5c).toEqual([expect.any(String)]);
      const res = await postJson(t.http, `${t.lab.issuer}/register`, {
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        grant_types: ['authorization_code', 'refresh_token'],
        tls_client_certificate_bound_access_tokens: true,
        scope: 'openid accounts',
        jwks: { keys: [jwk] },
      });
      expect(res.status, res.text()).toBe(201);
      writeFileSync(
        profileFile('mtls'),
        JSON.stringify({
          ...readJson(profileFile('mtls')),
          issuer: t.lab.issuer,
          client_id: (res.json() as { client_id: string }).client_id,
          auth_method: 'self_signed_tls_client_auth',
          sender: 'mtls',
          ca_file: t.lab.caFile,
          scope: 'openid accounts',
        }),
      );
      const login = JSON.parse(ok(await run('mtls', ['--json', 'login'], browserEnv(t))).stdout) as Record<
        string,
        unknown
      >;
      const cert = readJson(profileFile('mtls')).certificate as { x5t_s256: string };
      expect(login).toMatchObject({
        token_type: 'Bearer',
        sender_constraint: { method: 'mtls', evidence: 'cnf', x5t_s256: cert.x5t_s256 },
      });
      const back = t.lab.ctx.requests.recent().filter((q) => q.path === '/par' || q.path === '/token');
      expect(back.length).toBeGreaterThanOrEqual(2);
      expect(back.every((q) => q.listener === 'mtls')).toBe(true);
      const call = ok(await run('mtls', ['call', '-i', '--fail', `${t.lab.rs}/accounts`]));
      expect(call.stderr).toContain('Authorization: Bearer «token»  (client certificate)');
      ok(await run('mtls', ['token', 'refresh']));
      ok(await run('mtls', ['call', '--fail', `${t.lab.rs}/accounts`]));
    });
  });
});

describe('Appendix A fault switches', () => {
  it('discovery-issuer-mismatch → abort before PAR (exit 6)', async () => {
    await withLab({ faults: ['discovery-issuer-mismatch'] }, async (t) => {
      await client(t, 'faults');
      const r = await run('faults', ['login'], browserEnv(t));
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toContain(`not "${t.lab.issuer}"`);
      expect(t.lab.ctx.requests.recent().some((q) => q.path === '/par')).toBe(false);
    });
  });

  for (const [fault, text] of [
    ['iss-wrong', 'Issuer mismatch'],
    ['iss-missing', 'no iss parameter'],
    ['state-wrong', 'does not match the one fapi sent'],
    ['state-missing', 'no state parameter'],
  ] as const) {
    it(`${fault} → abort, no token request (exit 5)`, async () => {
      await withLab({ faults: [fault] }, async (t) => {
        await client(t, 'faults');
        const r = await run('faults', ['login'], browserEnv(t));
        expect(r.code, r.stderr).toBe(5);
        expect(r.stderr).toContain(text);
        expect(t.lab.ctx.requests.recent().some((q) => q.path.endsWith('/token'))).toBe(false);
      });
    });
  }

  for (const fault of [
    'idtoken-iss',
    'idtoken-aud',
    'idtoken-secondary-aud',
    'idtoken-alg-none',
    'idtoken-alg-rs256',
    'idtoken-exp-expired',
    'idtoken-exp-missing',
    'idtoken-aud-missing',
    'idtoken-iss-missing',
    'idtoken-nonce-wrong',
    'idtoken-nonce-missing',
  ] as const) {
    it(`${fault} → the ID token is refused (exit 5), no tokens saved`, async () => {
      await withLab({ faults: [fault] }, async (t) => {
        await client(t, 'faults');
        writeFileSync(tokensFile('faults'), '{}');
        const r = await run('faults', ['login'], browserEnv(t));
        expect(r.code, r.stderr).toBe(5);
        expect(r.stderr).toContain('The ID token was refused');
        expect(readFileSync(tokensFile('faults'), 'utf8')).toBe('{}');
      });
    });
  }

  it('tolerated: token-type-case, no-expires-in, idtoken-aud-array, dpop-nonce-rotate, rs-scheme-case', async () => {
    await withLab(
      {
        faults: [
          'token-type-case',
          'no-expires-in',
          'idtoken-aud-array',
          'dpop-nonce-rotate',
          'rs-scheme-case',
        ],
      },
      async (t) => {
        await client(t, 'tolerant');
        const login = ok(await run('tolerant', ['-v', '--json', 'login'], browserEnv(t)));
        expect(JSON.parse(login.stdout)).toMatchObject({ token_type: 'DPoP', expires_in: null });
        // The faults did happen: the trace shows the server's answers.
        const at = login.stderr.indexOf('"token_type": "dPoP"');
        expect(at).toBeGreaterThan(0);
        const tokenResponse = login.stderr.slice(
          login.stderr.lastIndexOf('{', at),
          login.stderr.indexOf('}', at),
        );
        expect(tokenResponse).toContain('"access_token"');
        expect(tokenResponse).not.toContain('"expires_in"');
        expect(login.stderr).toMatch(/id_token \(JWT[^\n]*\n[^\n]*"aud":\["/);
        const call = ok(await run('tolerant', ['call', '-i', `${t.lab.rs}/accounts`]));
        expect(call.stdout).toMatch(/^HTTP 200/);
        expect(call.stderr).toMatch(/WWW-Authenticate: dpop [^\n]*use_dpop_nonce/);
        ok(await run('tolerant', ['token', 'refresh']));
        ok(await run('tolerant', ['call', `${t.lab.rs}/accounts`]));
      },
    );
  });

  it('rotate-rt → repeated refreshes succeed, each storing the new refresh token (CL-19)', async () => {
    await withLab({ relax: ['rotate-rt'] }, async (t) => {
      await client(t, 'rotate');
      ok(await run('rotate', ['login'], browserEnv(t)));
      const seen = new Set([readJson(tokensFile('rotate')).refresh_token]);
      for (let i = 0; i < 2; i++) {
        ok(await run('rotate', ['token', 'refresh']));
        seen.add(readJson(tokensFile('rotate')).refresh_token);
      }
      expect(seen.size).toBe(3);
      ok(await run('rotate', ['call', '--fail', `${t.lab.rs}/accounts`]));
    });
  });

  it('clock-skew (+120 s) → fails with --no-sync-clock, succeeds by default (CL-23)', async () => {
    await withLab({ faults: ['clock-skew'], clockSkewSeconds: 120 }, async (t) => {
      await client(t, 'skew');
      const strict = await run('skew', ['login', '--no-sync-clock'], browserEnv(t));
      expect(strict.code, strict.stderr).toBe(5);
      const r = ok(await run('skew', ['login'], browserEnv(t)));
      expect(r.stderr).toContain('the server clock is 120 s ahead');
      ok(await run('skew', ['call', '--fail', `${t.lab.rs}/accounts`]));
    });
  });
});

describe('MS-09: fapi login --jarm against the lab (JARM, response_mode=jwt)', () => {
  it('happy path: the JARM response is verified, the code redeemed, the RS called', async () => {
    await withLab({}, async (t) => {
      await client(t, 'jarm');
      const r = ok(await run('jarm', ['-v', '--json', 'login', '--jarm'], browserEnv(t)));
      expect(JSON.parse(r.stdout)).toMatchObject({ token_type: 'DPoP', id_token_claims: { sub: 'alice' } });
      // The lab saw response_mode=jwt at PAR and answered with a JARM response (MS-08).
      const par = t.lab.ctx.requests.recent().find((q) => q.path === '/par' && q.status === 201);
      expect(par?.passed).toContain('MS-08');
      const authz = t.lab.ctx.requests.recent().find((q) => q.path === '/authorize');
      expect(authz?.passed).toContain('MS-08');
      // Narrated with the code redacted.
      expect(r.stderr).toMatch(/JARM response \(JWT[^\n]*\n[^\n]*"code":"«redacted: code/);
      const saved = readJson(tokensFile('jarm'));
      expect(r.stderr).not.toContain(String(saved.access_token));
      ok(await run('jarm', ['call', '--fail', `${t.lab.rs}/accounts`]));
      const human = ok(await run('jarm', ['login', '--jarm'], browserEnv(t)));
      expect(human.stderr).toMatch(
        /✔ callback +JARM signature ES256 \(kid [^)]+\), iss, aud, exp ok, state ok/,
      );
    });
  });

  for (const [fault, check, text] of [
    ['jarm-iss-missing', 'iss', 'it has no iss'],
    ['jarm-iss-wrong', 'iss', 'is not the issuer'],
    ['jarm-aud-missing', 'aud', 'it has no aud'],
    ['jarm-aud-wrong', 'aud', 'is not the client_id'],
    ['jarm-exp-missing', 'exp', 'it has no exp'],
    ['jarm-exp-expired', 'exp', 'it expired at'],
    ['jarm-sig-invalid', 'signature', 'signature does not verify'],
    ['jarm-alg-none', 'alg', 'alg "none" is not allowed'],
  ] as const) {
    it(`${fault} → login --jarm aborts at the callback, no token request (exit 5)`, async () => {
      await withLab({ faults: [fault] }, async (t) => {
        await client(t, 'jarm-faults');
        writeFileSync(tokensFile('jarm-faults'), '{}');
        const r = await run('jarm-faults', ['login', '--jarm'], browserEnv(t));
        expect(r.code, r.stderr).toBe(5);
        expect(r.stderr).toContain(`✖ The JARM authorization response was refused (${check} check): `);
        expect(r.stderr).toContain(text);
        expect(r.stderr).toContain('fapi stopped before the token request');
        expect(r.stderr).toMatch(/\n {2}hint: \S/);
        expect(r.stderr).toContain('✖ callback');
        // The response reached fapi (positive control), and no token request followed.
        expect(t.lab.ctx.requests.recent().some((q) => q.path === '/authorize' && q.status === 303)).toBe(
          true,
        );
        expect(t.lab.ctx.requests.recent().some((q) => q.path.endsWith('/token'))).toBe(false);
        expect(readFileSync(tokensFile('jarm-faults'), 'utf8')).toBe('{}');
        // --json: the failed check by name.
        const j = await run('jarm-faults', ['--json', 'login', '--jarm'], browserEnv(t));
        expect(j.code).toBe(5);
        expect(JSON.parse(j.stderr.trim().split('\n').pop() as string)).toMatchObject({
          error: { code: `E_JARM_${check.toUpperCase()}`, exit_code: 5, details: { check } },
        });
        // The same lab without --jarm: the plain response is untouched by the jarm-* fault.
        ok(await run('jarm-faults', ['login'], browserEnv(t)));
      });
    });
  }
});
