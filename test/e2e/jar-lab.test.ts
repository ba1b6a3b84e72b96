/**
 * MS-07 with the real `bin/fapi.js` against the lab (in-process, 127.0.0.1 port 0): `fapi register
 * --jar`, `fapi init --jar`, `fapi login --jar` and the default JAR when the server or the
 * registration requires it, `--no-jar` refused there (exit 2), `-v` showing the decoded request
 * object, the server's invalid_request_object shown with its description and a hint (exit 5), no
 * signing key (exit 3). The request object fapi sent is taken from its own `-v` trace and
 * verified with jose (a JOSE implementation nobody here wrote) against the profile's public key.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabConfig } from '../../lab/config.js';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { labUpProcess } from '../helpers/lab-process.js';
import { createHttpClient } from '../../src/http/client.js';
import { postJson, startTestLab, type TestLab } from '../lab/helpers.js';

const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;
const home = tempHome('fapi-jar-e2e-');
afterAll(() => home.cleanup());

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const profileFile = (name: string) => path.join(home.dir, 'profiles', name, 'profile.json');
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
const publicJwk = (name: string) => {
  const jwk = readJson(path.join(home.dir, 'profiles', name, 'signing.key.jwk.json'));
  for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete jwk[k];
  return jwk;
};

const run = (t: TestLab, name: string, args: string[]) =>
  fapi(['--home', home.dir, '--profile', name, '--ca', t.lab.caFile, ...args], {
    env: { BROWSER, FAPI_TEST_BROWSER_CA: t.lab.caFile },
  });

async function withLab<T>(config: Partial<LabConfig>, fn: (t: TestLab) => Promise<T>): Promise<T> {
  const t = await startTestLab(config);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

/** keygen + register (extra flags) in profile `name`; returns the registered metadata. */
async function registered(t: TestLab, name: string, flags: string[] = []) {
  ok(await run(t, name, ['keygen', ...(flags.includes('--sender') ? ['--cert'] : [])]));
  const out = JSON.parse(
    ok(
      await run(t, name, [
        '--json',
        'register',
        '--issuer',
        t.lab.issuer,
        '--scope',
        'openid accounts',
        ...flags,
      ]),
    ).stdout,
  ) as { client_id: string; metadata: Record<string, unknown> };
  return out;
}

/** The PAR form bodies of a `-v` trace (the form is printed with secrets redacted). */
function parBodies(stderr: string): URLSearchParams[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('client_id=') && l.includes('&request='))
    .map((l) => new URLSearchParams(l.replace(/«[^»]*»/g, 'x')));
}

describe('MS-07: fapi register --jar and fapi login against the lab', () => {
  it('MS-07: register --jar registers request_object_signing_alg and require_signed_request_object; login sends a request object jose verifies, and -v shows it decoded', async () => {
    await withLab({}, async (t) => {
      const reg = await registered(t, 'jar', ['--jar']);
      expect(reg.metadata).toMatchObject({
        request_object_signing_alg: 'ES256',
        require_signed_request_object: true,
      });
      const login = ok(await run(t, 'jar', ['-v', 'login']));
      expect(login.stderr).toContain('JAR');
      expect(login.stderr).toMatch(/PAR\s+.*signed request object ES256/);
      expect(login.stderr).toContain('request object (JAR)  header {"typ":"oauth-authz-req+jwt"');
      // The lab verified it: the PAR request passed the request-object checks.
      const par = t.lab.ctx.requests.recent().filter((q) => q.path === '/par' && q.status === 201);
      expect(par[0]?.passed).toEqual(expect.arrayContaining(['MS-05', 'MS-06', 'MS-02', 'MS-03', 'MS-04']));

      // The form carried client_id and request (and the client assertion), nothing else.
      const bodies = parBodies(login.stderr);
      expect(bodies.length).toBeGreaterThan(0);
      const form = bodies.at(-1) as URLSearchParams;
      expect([...form.keys()].sort()).toEqual([
        'client_assertion',
        'client_assertion_type',
        'client_id',
        'request',
      ]);
      const jws = form.get('request') as string;
      // jose: signature by the profile key, typ, alg, iss, aud (a string), client_id, nbf, exp ≤ nbf + 5 min, jti, no sub.
      const jwk = publicJwk('jar') as JWK;
      const { payload, protectedHeader } = await jwtVerify(jws, createLocalJWKSet({ keys: [jwk] }), {
        issuer: reg.client_id,
        audience: t.lab.issuer,
        typ: 'oauth-authz-req+jwt',
        algorithms: ['ES256'],
      });
      expect(protectedHeader.kid).toBe(jwk.kid);
      expect(typeof payload.aud).toBe('string');
      expect(payload.client_id).toBe(reg.client_id);
      expect((payload.exp as number) - (payload.nbf as number)).toBe(300);
      expect(typeof payload.jti).toBe('string');
      expect(typeof payload.iat).toBe('number');
      expect(payload).not.toHaveProperty('sub');
      expect(payload).toMatchObject({
        response_type: 'code',
        code_challenge_method: 'S256',
        scope: 'openid accounts',
        redirect_uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/),
      });
      // The next call works with the tokens of that login.
      ok(await run(t, 'jar', ['call', '--fail', `${t.lab.rs}/accounts`]));
    });
  });

  it('MS-07: --no-jar for a client registered to require request objects → exit 2, nothing pushed', async () => {
    await withLab({}, async (t) => {
      await registered(t, 'jar-required', ['--jar']);
      const r = await run(t, 'jar-required', ['login', '--no-jar']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('requires signed request objects');
      expect(r.stderr).toContain('--no-jar');
      expect(t.lab.ctx.requests.recent().some((q) => q.path === '/par')).toBe(false);
    });
  });

  it('MS-07: a lab that requires request objects (--require-jar): login uses JAR by default, --no-jar → exit 2', async () => {
    await withLab({ requireSignedRequestObject: true }, async (t) => {
      await registered(t, 'lab-requires');
      const login = ok(await run(t, 'lab-requires', ['login']));
      expect(login.stderr).toMatch(/signed request object ES256/);
      const r = await run(t, 'lab-requires', ['--json', 'login', '--no-jar']);
      expect(r.code).toBe(2);
      expect((JSON.parse(r.stderr) as { error: { code: string } }).error.code).toBe('E_JAR_REQUIRED');
    });
  });

  it('MS-07: a plain client logs in without JAR; with --jar it sends one (any FAPI algorithm the lab offers)', async () => {
    await withLab({}, async (t) => {
      ok(await run(t, 'plain', ['keygen', '--alg', 'EdDSA']));
      ok(await run(t, 'plain', ['register', '--issuer', t.lab.issuer, '--scope', 'openid accounts']));
      const plain = ok(await run(t, 'plain', ['login']));
      expect(plain.stderr).not.toContain('signed request object');
      const jar = ok(await run(t, 'plain', ['login', '--jar']));
      expect(jar.stderr).toMatch(/signed request object EdDSA/);
    });
  });

  it('MS-07: an mTLS client (self_signed_tls_client_auth) signs its request objects with its key', async () => {
    await withLab({}, async (t) => {
      const reg = await registered(t, 'mtls-jar', [
        '--jar',
        '--auth',
        'self_signed_tls_client_auth',
        '--sender',
        'mtls',
      ]);
      expect(reg.metadata.request_object_signing_alg).toBe('ES256');
      const login = ok(await run(t, 'mtls-jar', ['login']));
      expect(login.stderr).toMatch(/signed request object ES256/);
      const par = t.lab.ctx.requests.recent().filter((q) => q.path === '/par' && q.status === 201);
      expect(par[0]?.listener).toBe('mtls');
      expect(par[0]?.passed).toEqual(expect.arrayContaining(['MT-04', 'MS-05']));
    });
  });

  it("MS-07: the server's invalid_request_object is shown with its description and a hint (exit 5)", async () => {
    await withLab({}, async (t) => {
      ok(await run(t, 'refused', ['keygen']));
      // Registered by hand for PS256 request objects while the key is ES256: the lab refuses (MS-05).
      const res = await postJson(t.http, `${t.lab.issuer}/register`, {
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'private_key_jwt',
        dpop_bound_access_tokens: true,
        request_object_signing_alg: 'PS256',
        jwks: { keys: [publicJwk('refused')] },
      });
      writeFileSync(
        profileFile('refused'),
        JSON.stringify({
          ...readJson(profileFile('refused')),
          issuer: t.lab.issuer,
          client_id: (res.json() as { client_id: string }).client_id,
          auth_method: 'private_key_jwt',
          sender: 'dpop',
          registration: { metadata: { request_object_signing_alg: 'PS256' } },
        }),
      );
      const r = await run(t, 'refused', ['login']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain('invalid_request_object');
      expect(r.stderr).toContain('MS-05: the request object alg "ES256" is not allowed');
      expect(r.stderr).toContain('fapi -v` shows the decoded request object');
      const json = await run(t, 'refused', ['--json', 'login']);
      expect((JSON.parse(json.stderr) as { error: { code: string } }).error.code).toBe(
        'E_OAUTH_INVALID_REQUEST_OBJECT',
      );
    });
  });

  it('MS-07: login --jar without a signing key → exit 3 naming the command that makes one', async () => {
    await withLab({}, async (t) => {
      await registered(t, 'nokey');
      const p = readJson(profileFile('nokey'));
      const keys = { ...(p.keys as Record<string, unknown>) };
      delete keys.signing;
      writeFileSync(profileFile('nokey'), JSON.stringify({ ...p, keys }));
      const r = await run(t, 'nokey', ['login', '--jar']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('fapi keygen --profile nokey');
    });
  });

  it('MS-07: init --jar registers for request objects, and the next login sends one', async () => {
    await withLab({}, async (t) => {
      ok(
        await run(t, 'init-jar', [
          'init',
          '--issuer',
          t.lab.issuer,
          '--yes',
          '--jar',
          '--scope',
          'openid accounts',
        ]),
      );
      const md = (readJson(profileFile('init-jar')).registration as { metadata: Record<string, unknown> })
        .metadata;
      expect(md).toMatchObject({ request_object_signing_alg: 'ES256', require_signed_request_object: true });
      const login = ok(await run(t, 'init-jar', ['login']));
      expect(login.stderr).toMatch(/signed request object ES256/);
      // The decoded request object is printed with -v only.
      expect(login.stderr).not.toContain('request object (JAR)');
    });
  });

  it('MS-01: `fapi lab up --require-jar` (a real process) advertises require_signed_request_object', async () => {
    const labHome = tempHome('fapi-jar-lab-up-');
    const lab = await labUpProcess(labHome.dir, ['--require-jar']);
    try {
      const http = createHttpClient({ ca: [readFileSync(lab.ca, 'utf8')] });
      const res = await http({ method: 'GET', url: `${lab.issuer}/.well-known/oauth-authorization-server` });
      expect((res.json() as Record<string, unknown>).require_signed_request_object).toBe(true);
    } finally {
      await lab.stop();
      labHome.cleanup();
    }
  });
});
