/**
 * Interop, Rich Authorization Requests (RFC 9396): the real `bin/fapi.js` against oidc-provider
 * with its `richAuthorizationRequests` feature (a certified FAPI 2.0 OP nobody here wrote):
 * `fapi login --authorization-details` pushes the details at PAR, the test user approves them, and
 * the granted details are shown, saved and listed by `fapi token show`; `fapi token
 * client-credentials --authorization-details` too; a type the OP does not list in
 * authorization_details_types_supported is refused before anything is sent (exit 2). And `fapi
 * conform server`'s RAR checks (RAR-02..06) against it: oidc-provider leaves the RFC 9396 policy to
 * the deployment's callbacks, and the checks judge the deployment.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/authorization-details.js';
import { ALL_CHECKS } from '../../src/conform/checks/index.js';
import { runConformance } from '../../src/conform/runner.js';
import { selectChecks } from '../../src/conform/select.js';
import { createHttpClient } from '../../src/http/client.js';
import { httpTrusting, lines } from '../conform/helpers.js';
import { ROOT, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { startOidcProvider, type OidcProviderHandle } from '../helpers/oidc-provider.js';

const BROWSER = `"${process.execPath}" "${path.join(ROOT, 'test', 'helpers', 'browser.mjs')}"`;

type Detail = Record<string, unknown> & { type: string };
type Ctx = { oidc: { params: Record<string, unknown>; grant?: { rar?: Detail[] } } };

const PAY: Detail = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '10.00' },
  creditorName: 'Bob Example',
  creditorAccount: { iban: 'DE02100100109307118603' },
};
const ACCOUNTS: Detail = { type: 'account_information', actions: ['list_accounts'] };

let op: OidcProviderHandle;
const home = tempHome('fapi-interop-rar-');
beforeAll(async () => {
  op = await startOidcProvider({
    configure(config) {
      const requested = (ctx: Ctx) =>
        typeof ctx.oidc.params.authorization_details === 'string'
          ? (JSON.parse(ctx.oidc.params.authorization_details) as Detail[])
          : undefined;
      // oidc-provider ties RAR to resource indicators (RFC 8707): one default resource server.
      (config.features as Record<string, unknown>).resourceIndicators = {
        enabled: true,
        defaultResource: () => 'https://rs.example/',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'payments accounts', accessTokenFormat: 'opaque' }),
      };
      (config.features as Record<string, unknown>).richAuthorizationRequests = {
        enabled: true,
        types: {
          payment_initiation: {
            // RFC 9396 §5: a refusal is invalid_authorization_details (a plain Error is a 500:
            // `fapi conform server` found that in this file's first version, RAR-03).
            validate(_ctx: unknown, detail: Detail) {
              const amount = detail.instructedAmount as { amount?: unknown } | undefined;
              if (typeof amount?.amount !== 'string')
                throw new errors.InvalidAuthorizationDetails('instructedAmount.amount is required');
            },
          },
          account_information: { validate() {} },
        },
        // The code carries what the user approved (the grant); tokens carry the code's details, or
        // what a token request names, within them (RFC 9396 §6, §6.1: here, identical details;
        // returning the request as it was widened the grant: `fapi conform server` RAR-06).
        authorizationDetailsForGrantSource: (ctx: Ctx) => ctx.oidc.grant?.rar ?? [],
        authorizationDetailsForAccessToken: (ctx: Ctx, _token: unknown, source?: { rar?: Detail[] }) => {
          const asked = requested(ctx);
          const granted = source?.rar;
          if (asked && granted) {
            const extra = asked.find((d) => !granted.some((g) => canonicalJson(g) === canonicalJson(d)));
            if (extra)
              throw new errors.InvalidAuthorizationDetails(`${extra.type} was not granted: never widened`);
          }
          return asked ?? granted ?? [];
        },
        authorizationDetailsForIntrospection: (_ctx: unknown, token: { rar?: Detail[] }) => token.rar,
      };
    },
  });
}, 60_000);
afterAll(async () => {
  await op?.close();
  home.cleanup();
});

const run = (args: string[]) =>
  fapi(['--home', home.dir, '--profile', 'rar', ...args], {
    env: { BROWSER, FAPI_TEST_BROWSER_CA: op.caFile },
    timeoutMs: 60_000,
  });
function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

async function setUp(): Promise<void> {
  ok(await fapi(['--home', home.dir, '--profile', 'rar', 'keygen']));
  const dir = path.join(home.dir, 'profiles', 'rar');
  const jwk = JSON.parse(readFileSync(path.join(dir, 'signing.key.jwk.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete jwk[k];
  const http = createHttpClient({ ca: [op.ca.certPem] });
  const r = await http({
    method: 'POST',
    url: `${op.issuer}/reg`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [jwk] },
      dpop_bound_access_tokens: true,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      // oidc-provider allows only the registered types (RFC 9396 §10), none by default.
      authorization_details_types: ['payment_initiation', 'account_information'],
    }),
  });
  if (r.status !== 201) throw new Error(`registration failed: ${r.text()}`);
  const file = path.join(dir, 'profile.json');
  const p = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    file,
    JSON.stringify({
      ...p,
      issuer: op.issuer,
      client_id: (r.json() as { client_id: string }).client_id,
      auth_method: 'private_key_jwt',
      sender: 'dpop',
      ca_file: op.caFile,
    }),
  );
}

describe('fapi against oidc-provider with Rich Authorization Requests', () => {
  beforeAll(setUp, 60_000);

  it('RFC 9396 §10: discover shows the supported types', async () => {
    const d = JSON.parse(ok(await run(['--json', 'discover'])).stdout) as {
      metadata: Record<string, unknown>;
    };
    expect(d.metadata.authorization_details_types_supported).toEqual([
      'payment_initiation',
      'account_information',
    ]);
  });

  it('RFC 9396 §3, §7: login pushes the details; the granted ones are shown, saved and listed', async () => {
    const r = ok(
      await run([
        '--json',
        '-v',
        'login',
        '--scope',
        'openid',
        '--authorization-details',
        JSON.stringify([PAY]),
      ]),
    );
    expect(r.stderr).toContain('authorization_details=');
    expect(JSON.parse(r.stdout)).toMatchObject({ token_type: 'DPoP', authorization_details: [PAY] });
    const shown = ok(await run(['token', 'show']));
    expect(shown.stdout).toContain(
      'authorized   Pay 10.00 EUR to Bob Example (IBAN DE02100100109307118603), once',
    );
    const intro = JSON.parse(ok(await run(['--json', 'token', 'introspect'])).stdout) as Record<
      string,
      unknown
    >;
    expect(intro.authorization_details).toEqual([PAY]);
  });

  it('RFC 9396 §6: client credentials with authorization details', async () => {
    const r = ok(
      await run([
        '--json',
        'token',
        'client-credentials',
        '--authorization-details',
        JSON.stringify([ACCOUNTS]),
      ]),
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ authorization_details: [ACCOUNTS] });
  });

  it('RFC 9396 §5, §10: an unsupported type is refused before anything is sent (exit 2 naming it)', async () => {
    const before = op.requests.length;
    const r = await run(['login', '--authorization-details', '[{"type":"tax_return"}]', '--no-browser']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the type "tax_return" is not supported by');
    expect(op.requests.slice(before).some((q) => q.url.startsWith('/request'))).toBe(false);
  });
});

describe('fapi conform server: the RAR checks against oidc-provider', () => {
  it('RAR-02, RAR-03, RAR-05, RAR-05.refresh and RAR-06 pass; the test clients register the type (oidc-provider allows only registered types); no --rs-payment, no payment', async () => {
    const report = await runConformance({
      issuer: op.issuer,
      http: httpTrusting(op.ca.certPem),
      redirectUri: 'http://127.0.0.1:49152/callback',
      auth: ['private_key_jwt'],
      sender: ['dpop'],
      checks: selectChecks(ALL_CHECKS, { only: ['RAR-'] }),
      allChecks: ALL_CHECKS,
      timeoutMs: 10_000,
    });
    expect(lines(report.results).map((l) => l.replace(/: .*/s, ''))).toEqual([
      'RAR-02 [private_key_jwt+dpop] passed',
      'RAR-03 [private_key_jwt+dpop] passed',
      'RAR-05 [private_key_jwt+dpop] passed',
      'RAR-05.refresh [private_key_jwt+dpop] passed',
      'RAR-06 [private_key_jwt+dpop] passed',
      'RAR-08 [private_key_jwt+dpop] skipped',
      'RAR-08.scope-only [private_key_jwt+dpop] skipped',
      'RAR-08.other-amount [private_key_jwt+dpop] skipped',
      'RAR-09 [private_key_jwt+dpop] skipped',
    ]);
    expect(report.results.find((r) => r.id === 'RAR-09')?.detail).toMatch(/pass --rs-payment URL/);
  }, 60_000);
});
