/**
 * MS-11 with the real `bin/fapi.js` against the lab (in-process, 127.0.0.1 port 0): `fapi token
 * introspect --signed` asks for a signed answer and verifies it before showing it; each
 * introspection-* fault of the lab makes it stop with exit 5 naming the check, while the plain
 * `fapi token introspect` is unchanged. `fapi register` registers the server's FAPI algorithm for
 * signed introspection (RFC 9701 §6: never the RS256 default).
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../lab/config.js';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { startTestLab, type TestLab } from '../lab/helpers.js';

const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;
const homes: { cleanup(): void }[] = [];
afterAll(() => {
  for (const h of homes) h.cleanup();
});

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** A lab (with `faults`), a fresh home with a registered, logged-in client; `run` runs fapi there. */
async function loggedIn(faults: Fault[] = []) {
  const t: TestLab = await startTestLab({ faults });
  const home = tempHome('fapi-introspection-e2e-');
  homes.push(home);
  const run = (args: string[]) =>
    fapi(['--home', home.dir, '--ca', t.lab.caFile, ...args], {
      env: { BROWSER, FAPI_TEST_BROWSER_CA: t.lab.caFile },
    });
  ok(await run(['keygen']));
  const reg = JSON.parse(
    ok(await run(['--json', 'register', '--issuer', t.lab.issuer, '--scope', 'openid accounts'])).stdout,
  ) as { metadata: Record<string, unknown> };
  ok(await run(['login']));
  return { t, run, reg };
}

describe('MS-11: fapi token introspect --signed against the lab', () => {
  it('MS-11: the signed answer is verified and shown; --json adds signed_response; register chose ES256 for it', async () => {
    const { t, run, reg } = await loggedIn();
    try {
      expect(reg.metadata.introspection_signed_response_alg).toBe('ES256');
      const human = ok(await run(['-v', 'token', 'introspect', '--signed']));
      expect(human.stdout).toMatch(
        /active access token \(signed response: ES256 kid \S+; typ, iss, aud, iat ok\)/,
      );
      expect(human.stderr).toContain('accept: application/token-introspection+jwt');
      expect(human.stderr).toContain(
        'introspection response (JWT, signature not shown)  header {"typ":"token-introspection+jwt"',
      );
      const data = JSON.parse(ok(await run(['--json', 'token', 'introspect', '--signed'])).stdout) as Record<
        string,
        unknown
      >;
      expect(data).toMatchObject({
        active: true,
        token_type: 'DPoP',
        signed_response: { alg: 'ES256', iss: t.lab.issuer },
      });
      // Without --signed: the plain answer, as before.
      const plain = JSON.parse(ok(await run(['--json', 'token', 'introspect'])).stdout) as Record<
        string,
        unknown
      >;
      expect(plain.active).toBe(true);
      expect(plain).not.toHaveProperty('signed_response');
    } finally {
      await t.close();
    }
  });

  for (const [fault, check, text] of [
    ['introspection-sig-invalid', 'signature', 'signature does not verify'],
    ['introspection-typ-wrong', 'typ', 'typ is "JWT"'],
    ['introspection-aud-wrong', 'aud', 'is not the client_id'],
    ['introspection-unsigned', 'response', 'answered plain JSON where a signed response'],
  ] as const)
    it(`MS-11: ${fault} → exit 5 naming the ${check} check; the plain introspection still works`, async () => {
      const { t, run } = await loggedIn([fault]);
      try {
        const r = await run(['token', 'introspect', '--signed']);
        expect(r.code, r.stderr).toBe(5);
        expect(r.stderr).toContain(`The signed introspection response was refused (${check} check)`);
        expect(r.stderr).toContain(text);
        expect(r.stdout).toBe('');
        const j = await run(['--json', 'token', 'introspect', '--signed']);
        const e = (JSON.parse(j.stderr) as { error: { code: string; details: { check: string } } }).error;
        expect(e.code).toBe(`E_INTROSPECTION_${check.toUpperCase()}`);
        expect(e.details.check).toBe(check);
        ok(await run(['token', 'introspect']));
      } finally {
        await t.close();
      }
    });
});
