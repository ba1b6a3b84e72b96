/**
 * Interop, FAPI 2.0 Message Signing: the real `bin/fapi.js` against oidc-provider (a certified
 * FAPI 2.0 OP nobody here wrote) with signed request objects required
 * (`features.requestObjects.requireSignedRequestObject`) and JWT introspection responses
 * (`features.jwtIntrospection`, RFC 9701): `fapi register --jar`, `fapi login` pushing a request
 * object (MS-07), `--no-jar` refused (exit 2), a server that refuses the request object shown with
 * its description (exit 5), and `fapi token introspect --signed` verifying oidc-provider's JWT
 * (MS-11).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { startOidcProvider, type OidcProviderHandle } from '../helpers/oidc-provider.js';

const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;

let op: OidcProviderHandle;
const home = tempHome('fapi-interop-ms-');
beforeAll(async () => {
  op = await startOidcProvider({
    configure: (c) => {
      Object.assign(c.features as Record<string, unknown>, {
        requestObjects: { enabled: true, requireSignedRequestObject: true },
        jwtIntrospection: { enabled: true },
      });
    },
  });
});
afterAll(async () => {
  await op?.close();
  home.cleanup();
});

const run = (profile: string, args: string[]) =>
  fapi(['--home', home.dir, '--profile', profile, '--ca', op.caFile, ...args], {
    env: { BROWSER, FAPI_TEST_BROWSER_CA: op.caFile },
  });

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

describe('interop: fapi against oidc-provider with signed request objects and JWT introspection', () => {
  it('MS-07, MS-11: register --jar, login with a request object, introspect --signed', async () => {
    const discover = ok(await run('ms', ['--json', 'discover', op.issuer]));
    const m = (JSON.parse(discover.stdout) as { metadata: Record<string, unknown> }).metadata;
    expect(m.require_signed_request_object).toBe(true);
    expect(m.introspection_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));

    ok(await run('ms', ['keygen']));
    const reg = JSON.parse(
      ok(
        await run('ms', [
          '--json',
          'register',
          '--issuer',
          op.issuer,
          '--jar',
          '--scope',
          'openid offline_access',
        ]),
      ).stdout,
    ) as { metadata: Record<string, unknown> };
    expect(reg.metadata).toMatchObject({
      request_object_signing_alg: 'ES256',
      require_signed_request_object: true,
      // RFC 9701 §6: the server's FAPI algorithm, never its RS256 default.
      introspection_signed_response_alg: expect.stringMatching(/^(PS256|ES256|EdDSA)$/),
    });

    const login = ok(await run('ms', ['-v', 'login']));
    expect(login.stderr).toMatch(/signed request object ES256/);
    expect(login.stderr).toContain('request object (JAR)  header {"typ":"oauth-authz-req+jwt"');
    const par = op.requests.find((r) => r.method === 'POST' && r.url.startsWith('/request'));
    expect(par).toBeDefined();

    const introspection = JSON.parse(
      ok(await run('ms', ['--json', 'token', 'introspect', '--signed'])).stdout,
    ) as {
      active: boolean;
      signed_response: { alg: string; iss: string };
    };
    expect(introspection.active).toBe(true);
    expect(introspection.signed_response.iss).toBe(op.issuer);
    expect(introspection.signed_response.alg).toBe(reg.metadata.introspection_signed_response_alg);
    // The plain answer is still there for who asks for it.
    expect(
      (JSON.parse(ok(await run('ms', ['--json', 'token', 'introspect'])).stdout) as { active: boolean })
        .active,
    ).toBe(true);
  });

  it('MS-07: --no-jar against a server that requires request objects → exit 2, nothing pushed', async () => {
    const before = op.requests.length;
    const r = await run('ms', ['login', '--no-jar']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('requires signed request objects');
    expect(op.requests.slice(before).some((q) => q.url.startsWith('/request'))).toBe(false);
  });

  it("MS-07: a client registered without --jar still sends one (the metadata requires it); oidc-provider's invalid_request_object is shown with its description and a hint (exit 5)", async () => {
    ok(await run('plain', ['keygen']));
    ok(await run('plain', ['register', '--issuer', op.issuer, '--scope', 'openid']));
    expect(ok(await run('plain', ['login'])).stderr).toMatch(/signed request object ES256/);
    // Registered for PS256 request objects while the key is ES256: oidc-provider refuses it.
    const file = path.join(home.dir, 'ps256.json');
    writeFileSync(file, JSON.stringify({ request_object_signing_alg: 'PS256' }));
    ok(await run('refused', ['keygen']));
    ok(await run('refused', ['register', '--issuer', op.issuer, '--scope', 'openid', '--metadata', file]));
    const r = await run('refused', ['login']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('invalid_request_object');
    expect(r.stderr).toContain('the preregistered alg must be used');
    expect(r.stderr).toContain('`fapi -v` shows the decoded request object');
  });
});
