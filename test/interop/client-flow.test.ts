/**
 * Interop: the real `bin/fapi.js` against oidc-provider (a certified FAPI 2.0 OP nobody here
 * wrote): login with a non-interactive BROWSER, call the DPoP-bound userinfo, refresh, introspect,
 * revoke, client credentials; the mTLS variant; and refusals (CL-11, CL-12, wrong aud, redirect
 * URI, Ctrl-C).
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/http/client.js';
import { BIN, ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { startOidcProvider, type OidcProviderHandle } from '../helpers/oidc-provider.js';

const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;

let op: OidcProviderHandle;
const home = tempHome('fapi-interop-');
afterAll(async () => {
  await op?.close();
  home.cleanup();
});

beforeAll(async () => {
  op = await startOidcProvider({ rotateRefreshToken: true });
});

const env = (extra: Record<string, string> = {}) => ({
  BROWSER,
  FAPI_TEST_BROWSER_CA: op.caFile,
  ...extra,
});

async function register(body: Record<string, unknown>): Promise<string> {
  const http = createHttpClient({ ca: [op.ca.certPem] });
  const r = await http({
    method: 'POST',
    url: `${op.issuer}/reg`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 201) throw new Error(`registration failed: ${r.text()}`);
  return String((r.json() as { client_id: string }).client_id);
}

function profileFile(name: string) {
  return path.join(home.dir, 'profiles', name, 'profile.json');
}

function patchProfile(name: string, patch: Record<string, unknown>) {
  const p = JSON.parse(readFileSync(profileFile(name), 'utf8')) as Record<string, unknown>;
  writeFileSync(profileFile(name), JSON.stringify({ ...p, ...patch }, null, 2));
}

function publicJwk(name: string): Record<string, unknown> {
  const jwk = JSON.parse(
    readFileSync(path.join(home.dir, 'profiles', name, 'signing.key.jwk.json'), 'utf8'),
  ) as Record<string, unknown>;
  for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete jwk[k];
  return jwk;
}

const run = (profile: string, args: string[], extra: Record<string, string> = {}) =>
  fapi(['--home', home.dir, '--profile', profile, ...args], { env: env(extra) });

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** A private_key_jwt + DPoP client registered at the OP, in profile `name`. */
async function dpopProfile(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  ok(await fapi(['--home', home.dir, '--profile', name, 'keygen']));
  const clientId = await register({
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [publicJwk(name)] },
    dpop_bound_access_tokens: true,
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    ...extra,
  });
  patchProfile(name, {
    issuer: op.issuer,
    client_id: clientId,
    auth_method: 'private_key_jwt',
    sender: 'dpop',
    ca_file: op.caFile,
  });
  return clientId;
}

describe('fapi against oidc-provider (DPoP, private_key_jwt)', () => {
  let clientId: string;
  beforeAll(async () => {
    clientId = await dpopProfile('dpop');
  });

  it('logs in: PAR + PKCE, browser, iss/state, DPoP-bound tokens, ID token checked, saved 0600', async () => {
    const log = path.join(home.dir, 'browser.log');
    const r = ok(await run('dpop', ['--json', 'login'], { FAPI_TEST_BROWSER_LOG: log }));
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      issuer: op.issuer,
      client_id: clientId,
      token_type: 'DPoP',
      has_refresh_token: true,
      sender_constraint: { method: 'dpop', evidence: 'token_type' },
      id_token_claims: { sub: 'alice', iss: op.issuer, aud: clientId },
    });
    // CL-28: no secrets without --show-secrets.
    const secrets = JSON.parse(
      readFileSync(path.join(home.dir, 'profiles', 'dpop', 'tokens.json'), 'utf8'),
    ) as {
      access_token: string;
      refresh_token: string;
      id_token: string;
    };
    for (const v of [secrets.access_token, secrets.refresh_token, secrets.id_token]) {
      expect(r.stdout).not.toContain(v);
      expect(r.stderr).not.toContain(v);
    }
    expect(Object.keys(out)).not.toContain('access_token');
    // CL-08: the authorization request carries only client_id and request_uri.
    const authorize = readFileSync(log, 'utf8').split('\n')[0] as string;
    expect([...new URL(authorize).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    // The DPoP key was created for the login, separate from the signing key.
    const profile = JSON.parse(readFileSync(profileFile('dpop'), 'utf8')) as {
      keys: { signing: { thumbprint: string }; dpop: { thumbprint: string } };
    };
    expect(profile.keys.dpop.thumbprint).not.toBe(profile.keys.signing.thumbprint);
    const tokensFile = path.join(home.dir, 'profiles', 'dpop', 'tokens.json');
    expect(statSync(tokensFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(tokensFile, 'utf8')) as { cnf: { jkt: string } };
    expect(saved.cnf.jkt).toBe(profile.keys.dpop.thumbprint);
    // PAR went through a DPoP nonce demand and a retry (CL-15).
    const pars = op.requests.filter((q) => q.url === '/request');
    expect(pars.length).toBeGreaterThanOrEqual(2);
  });

  it('narrates the steps on stderr, nothing but the result on stdout', async () => {
    const r = ok(await run('dpop', ['login']));
    for (const step of ['discovery', 'PAR', 'browser', 'callback', 'token', 'id_token'])
      expect(r.stderr).toMatch(new RegExp(`✔ ${step}`));
    expect(r.stderr).toContain('iss ok, state ok');
    expect(r.stdout).toMatch(/logged in as alice/);
    expect(r.stdout).toContain('next:');
  });

  it('CL-28: --verbose narrates decoded JWTs and PKCE with secrets redacted', async () => {
    const r = ok(await run('dpop', ['-v', 'login']));
    expect(r.stderr).toContain('code_challenge');
    expect(r.stderr).toContain('«redacted: code_verifier');
    expect(r.stderr).toContain('client assertion');
    expect(r.stderr).toContain('"typ":"dpop+jwt"');
    expect(r.stderr).toContain('"htm":"POST"');
    const saved = JSON.parse(
      readFileSync(path.join(home.dir, 'profiles', 'dpop', 'tokens.json'), 'utf8'),
    ) as {
      access_token: string;
      refresh_token: string;
    };
    expect(r.stderr).not.toContain(saved.access_token);
    expect(r.stderr).not.toContain(saved.refresh_token);
  });

  it('calls the DPoP-bound userinfo endpoint (RS nonce retry), -i shows status and narration', async () => {
    const r = ok(await run('dpop', ['call', `${op.issuer}/me`]));
    expect(JSON.parse(r.stdout)).toMatchObject({ sub: 'alice' });
    const i = ok(await run('dpop', ['call', `${op.issuer}/me`, '-i']));
    expect(i.stdout).toMatch(/^HTTP 200 OK\n/);
    expect(i.stderr).toContain('Authorization: DPoP «token»');
    expect(i.stderr).toContain('ath ok');
    const j = ok(await run('dpop', ['--json', 'call', `${op.issuer}/me`]));
    expect(JSON.parse(j.stdout)).toMatchObject({ status: 200, body: { sub: 'alice' } });
  });

  it('keeps `fapi call` light: no third-party ES module (no listr2, inquirer, jose) is loaded', async () => {
    const log = path.join(home.dir, 'imports.log');
    const hook = pathToFileURL(path.join(ROOT, 'test', 'helpers', 'record-imports.mjs')).href;
    const child = spawn(
      process.execPath,
      ['--import', hook, BIN, '--home', home.dir, '--profile', 'dpop', 'call', `${op.issuer}/me`],
      { env: { ...process.env, CI: 'true', FAPI_TEST_IMPORT_LOG: log } },
    );
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const modules = readFileSync(log, 'utf8').split('\n');
    expect(modules.some((u) => u.endsWith('/dist/src/cli/commands/call.js'))).toBe(true); // the hook sees the call path
    const packages = new Set<string>();
    for (const url of modules) {
      const m = url.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
      if (m) packages.add(m[1] as string);
    }
    // commander is required as CommonJS (not seen by this hook); nothing else may load.
    expect([...packages]).toEqual([]);
  });

  it('CL-19: refreshes twice with rotation; --fail exits 5 on an HTTP error', async () => {
    const before = JSON.parse(
      readFileSync(path.join(home.dir, 'profiles', 'dpop', 'tokens.json'), 'utf8'),
    ) as {
      refresh_token: string;
    };
    const r1 = ok(await run('dpop', ['--json', 'token', 'refresh']));
    expect(JSON.parse(r1.stdout)).toMatchObject({ token_type: 'DPoP', has_refresh_token: true });
    const mid = JSON.parse(readFileSync(path.join(home.dir, 'profiles', 'dpop', 'tokens.json'), 'utf8')) as {
      refresh_token: string;
    };
    expect(mid.refresh_token).not.toBe(before.refresh_token);
    ok(await run('dpop', ['token', 'refresh']));
    ok(await run('dpop', ['call', `${op.issuer}/me`]));
    const bad = await run('dpop', ['call', '--fail', `${op.issuer}/no-such-resource`]);
    expect(bad.code).toBe(5);
  });

  it('refreshes an expired token before calling', async () => {
    const file = path.join(home.dir, 'profiles', 'dpop', 'tokens.json');
    const t = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...t, expires_at: 1 }), { mode: 0o600 });
    const r = ok(await run('dpop', ['call', '-i', `${op.issuer}/me`]));
    expect(r.stderr).toContain('the access token has expired → refreshing it');
    const after = JSON.parse(readFileSync(file, 'utf8')) as { access_token: string };
    expect(after.access_token).not.toBe(t.access_token);
  });

  it('shows, introspects and revokes', async () => {
    const show = JSON.parse(ok(await run('dpop', ['--json', 'token', 'show', '--decode'])).stdout) as Record<
      string,
      unknown
    >;
    expect(show.token_type).toBe('DPoP');
    expect(String(show.access_token)).toMatch(/^«redacted: access_token/);
    expect(show.id_token_decoded).toMatchObject({ claims: { sub: 'alice' } });
    const secrets = JSON.parse(
      ok(await run('dpop', ['--json', 'token', 'show', '--show-secrets'])).stdout,
    ) as {
      access_token: string;
    };
    expect(secrets.access_token).not.toMatch(/redacted/);
    const active = JSON.parse(ok(await run('dpop', ['--json', 'token', 'introspect'])).stdout) as Record<
      string,
      unknown
    >;
    expect(active).toMatchObject({ active: true, client_id: clientId });
    const rev = JSON.parse(ok(await run('dpop', ['--json', 'token', 'revoke', '--keep'])).stdout) as Record<
      string,
      unknown
    >;
    expect(rev.revoked).toEqual(['refresh_token', 'access_token']);
    const inactive = JSON.parse(ok(await run('dpop', ['--json', 'token', 'introspect'])).stdout) as Record<
      string,
      unknown
    >;
    expect(inactive.active).toBe(false);
    ok(await run('dpop', ['token', 'revoke']));
    const none = await run('dpop', ['token', 'show']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('fapi login');
  });

  it('gets a DPoP-bound client-credentials token', async () => {
    const r = ok(await run('dpop', ['--json', 'token', 'client-credentials']));
    expect(JSON.parse(r.stdout)).toMatchObject({ token_type: 'DPoP', sender_constraint: { method: 'dpop' } });
  });

  it('prints a DPoP proof for curl (fapi dpop), with ath for the current token', async () => {
    const r = ok(
      await run('dpop', [
        '--json',
        'dpop',
        '--htm',
        'get',
        '--htu',
        `${op.issuer}/me?x=1`,
        '--for-current-token',
      ]),
    );
    const p = JSON.parse(r.stdout) as {
      proof: string;
      claims: Record<string, unknown>;
      header: { typ: string };
    };
    expect(p.header.typ).toBe('dpop+jwt');
    expect(p.claims).toMatchObject({ htm: 'GET', htu: `${op.issuer}/me` });
    expect(p.claims.ath).toEqual(expect.any(String));
    const plain = ok(
      await run('dpop', ['dpop', '--htm', 'POST', '--htu', `${op.issuer}/token`, '--nonce', 'n1']),
    );
    expect(plain.stdout.trim().split('.')).toHaveLength(3);
  });
});

describe('refusals', () => {
  beforeAll(async () => {
    await dpopProfile('bad');
  });

  for (const [fault, code] of [
    [`iss=${encodeURIComponent('https://evil.example')}`, 'Issuer mismatch'],
    ['iss=', 'no iss parameter'],
    ['state=forged', 'state in the authorization response does not match'],
    ['state=', 'no state parameter'],
  ] as const) {
    it(`CL-11/CL-12: ${fault || 'missing'} → exit 5 before any token request`, async () => {
      const [k, v] = fault.split('=') as [string, string];
      const tokenCalls = op.requests.filter((q) => q.url === '/token').length;
      const r = await run('bad', ['login'], { FAPI_TEST_BROWSER_REWRITE: `${k}=${decodeURIComponent(v)}` });
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain(code);
      expect(r.stderr).toContain('stopped before the token request');
      expect(op.requests.filter((q) => q.url === '/token').length).toBe(tokenCalls);
    });
  }

  it('invalid_client with a hint naming the aud when the assertion audience is not the issuer', async () => {
    patchProfile('bad', { assertion_audience: `${op.issuer}/request` });
    try {
      const r = await run('bad', ['login']);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('invalid_client');
      expect(r.stderr).toContain(`"${op.issuer}/request"`);
      expect(r.stderr).toContain('FAPI2-SP §5.3.2.1-8');
      expect(r.stderr).toMatch(/✖ PAR/);
    } finally {
      const p = JSON.parse(readFileSync(profileFile('bad'), 'utf8')) as Record<string, unknown>;
      delete p.assertion_audience;
      writeFileSync(profileFile('bad'), JSON.stringify(p));
    }
  });

  it('names an unregistered redirect URI', async () => {
    const r = await run('bad', ['login', '--redirect-uri', 'http://127.0.0.1/elsewhere']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('http://127.0.0.1:');
    expect(r.stderr).toMatch(/redirect/i);
  });

  it('--no-browser prints the URL and waits; the second callback hit is refused', async () => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', home.dir, '--profile', 'bad', 'login', '--no-browser'],
      {
        env: { ...process.env, CI: 'true' },
      },
    );
    let stderr = '';
    const url = await new Promise<string>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /open this URL in a browser: (\S+)/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
    });
    const log = path.join(home.dir, 'twice.log');
    const browser = spawn(process.execPath, [path.join(ROOT, 'test', 'helpers', 'browser.mjs'), url], {
      env: {
        ...process.env,
        FAPI_TEST_BROWSER_CA: op.caFile,
        FAPI_TEST_BROWSER_MODE: 'twice',
        FAPI_TEST_BROWSER_LOG: log,
      },
    });
    await new Promise((resolve) => browser.on('close', resolve));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/second hit: (400|refused)/);
  });

  it('Ctrl-C while waiting for the browser exits 130 (the URL is printed even with --json)', async () => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', home.dir, '--profile', 'bad', '--json', 'login', '--no-browser'],
      {
        env: { ...process.env, CI: 'true' },
      },
    );
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('open this URL')) resolve();
      });
    });
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
  });

  it('prints the URL when the BROWSER command fails, and keeps waiting', async () => {
    const r = await run('bad', ['login', '--timeout', '2s'], { BROWSER: 'false' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /the browser did not start \(exited with 1\); open this URL by hand: https:\/\/127\.0\.0\.1:\d+\/auth\?client_id=/,
    );
  });

  it('times out with exit 4 and a hint', async () => {
    const r = await run('bad', ['login', '--no-browser', '--timeout', '1s']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('No authorization response arrived');
    expect(r.stderr).toContain('--timeout');
  });
});

describe('fapi against oidc-provider (mTLS: tls_client_auth, certificate-bound tokens)', () => {
  let clientId: string;
  beforeAll(async () => {
    const caCert = path.join(home.dir, 'op-ca.pem');
    const caKey = path.join(home.dir, 'op-ca.key');
    writeFileSync(caCert, op.ca.certPem);
    writeFileSync(caKey, op.ca.keyPem, { mode: 0o600 });
    ok(
      await fapi([
        '--home',
        home.dir,
        '--profile',
        'mtls',
        'keygen',
        '--cert',
        '--subject',
        'CN=fapi-mtls,O=fapi tests',
        '--ca-cert',
        caCert,
        '--ca-key',
        caKey,
      ]),
    );
    clientId = await register({
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=fapi-mtls,O=fapi tests',
      tls_client_certificate_bound_access_tokens: true,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
    });
    patchProfile('mtls', {
      issuer: op.issuer,
      client_id: clientId,
      auth_method: 'tls_client_auth',
      sender: 'mtls',
      ca_file: op.caFile,
    });
  });

  it('CL-05/CL-07: logs in over the mTLS aliases and gets a Bearer token bound to the certificate', async () => {
    const before = op.requests.length;
    const r = ok(await run('mtls', ['--json', 'login']));
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      client_id: clientId,
      token_type: 'Bearer',
      sender_constraint: { method: 'mtls' },
      id_token_claims: { sub: 'alice' },
    });
    const mine = op.requests.slice(before);
    const backChannel = mine.filter((q) => q.method === 'POST');
    expect(backChannel.length).toBeGreaterThanOrEqual(2);
    for (const q of backChannel) {
      expect(q.listener).toBe('mtls');
      expect(q.clientCert).toBe(true);
      expect(q.headers.dpop).toBeUndefined();
    }
    const saved = JSON.parse(
      readFileSync(path.join(home.dir, 'profiles', 'mtls', 'tokens.json'), 'utf8'),
    ) as {
      cnf: Record<string, string>;
    };
    const profile = JSON.parse(readFileSync(profileFile('mtls'), 'utf8')) as {
      certificate: { x5t_s256: string };
    };
    expect(saved.cnf['x5t#S256']).toBe(profile.certificate.x5t_s256);
  });

  it('CL-16: calls userinfo at the alias with Bearer over the certificate; refreshes; client credentials', async () => {
    const r = ok(await run('mtls', ['call', '-i', `${op.mtlsOrigin}/me`]));
    expect(r.stdout).toContain('"sub":"alice"');
    expect(r.stderr).toContain('Authorization: Bearer «token»  (client certificate)');
    ok(await run('mtls', ['token', 'refresh']));
    const cc = ok(await run('mtls', ['--json', 'token', 'client-credentials']));
    expect(JSON.parse(cc.stdout)).toMatchObject({
      token_type: 'Bearer',
      sender_constraint: { method: 'mtls' },
    });
    const intro = ok(await run('mtls', ['--json', 'token', 'introspect']));
    expect(JSON.parse(intro.stdout)).toMatchObject({ active: true, cnf: { 'x5t#S256': expect.any(String) } });
  });
});

describe('MS-09: JARM against oidc-provider (jwtResponseModes)', () => {
  let jarmOp: OidcProviderHandle;
  beforeAll(async () => {
    jarmOp = await startOidcProvider({
      configure: (config) => {
        (config.features as Record<string, unknown>).jwtResponseModes = { enabled: true };
      },
    });
  });
  afterAll(() => jarmOp?.close());

  it('register --jarm, then login --jarm: the OP signs the response, fapi verifies it and logs in', async () => {
    const log = path.join(home.dir, 'jarm-browser.log');
    const j = (args: string[]) =>
      fapi(['--home', home.dir, '--profile', 'jarm', '--ca', jarmOp.caFile, ...args], {
        env: { BROWSER, FAPI_TEST_BROWSER_CA: jarmOp.caFile, FAPI_TEST_BROWSER_LOG: log },
      });
    ok(await j(['keygen']));
    const reg = JSON.parse(
      ok(await j(['--json', 'register', '--issuer', jarmOp.issuer, '--scope', 'openid', '--jarm'])).stdout,
    ) as { metadata: Record<string, unknown> };
    // The OP's first FAPI algorithm for JARM (PS256, ES256, EdDSA are enabled there), never RS256.
    const alg = String(reg.metadata.authorization_signed_response_alg);
    expect(['PS256', 'ES256', 'EdDSA']).toContain(alg);
    const r = ok(await j(['login', '--jarm']));
    expect(r.stderr).toContain(`✔ callback       JARM signature ${alg} (kid op-${alg.toLowerCase()})`);
    expect(r.stderr).toContain('iss, aud, exp ok, state ok');
    expect(r.stdout).toMatch(/logged in as alice/);
    // It was a JARM response: the browser brought `response` (and no code) to the redirect URI.
    const visited = readFileSync(log, 'utf8').trim().split('\n');
    const callback = new URL(visited[visited.length - 1] as string);
    expect(callback.origin).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect(callback.searchParams.get('response')).toMatch(/^eyJ/);
    expect(callback.searchParams.has('code')).toBe(false);
    ok(await j(['call', `${jarmOp.issuer}/me`]));
  });

  it('login --jarm against an OP without JARM: refused before PAR (exit 2), plain login still works', async () => {
    await dpopProfile('no-jarm');
    const before = op.requests.filter((q) => q.url === '/request').length;
    const r = await run('no-jarm', ['login', '--jarm']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('does not offer JARM');
    expect(r.stderr).toContain('without "jwt"');
    expect(op.requests.filter((q) => q.url === '/request').length).toBe(before);
    ok(await run('no-jarm', ['login']));
  });
});
