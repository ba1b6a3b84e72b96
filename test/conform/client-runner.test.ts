/**
 * The client-test runner with the lab in process (src/conform/client/runner.ts over
 * lab/conform-client.ts), no build needed: the Python example client through a plain BROWSER
 * script; the lab switched per module in under 50 ms and each verdict judged in under 20 ms; the
 * failed TLS handshakes seen; the lab's state put back between modules.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformClientLab, type ConformClientLab } from '../../lab/conform-client.js';
import { CLIENT_MODULES } from '../../src/conform/client/modules.js';
import { contractEnv } from '../../src/conform/client/contract.js';
import { judgeModule } from '../../src/conform/client/judge.js';
import { runClientConformance } from '../../src/conform/client/runner.js';
import { JWT_BEARER, createClientAssertion } from '../../src/core/client-auth.js';
import { codeChallengeS256, createCodeVerifier } from '../../src/core/pkce.js';
import { createRequestObject } from '../../src/core/request-object.js';
import { createHttpClient } from '../../src/http/client.js';
import { generateSigningKey } from '../../src/keys/generate.js';
import { ROOT } from '../helpers/cli.js';

let lab: ConformClientLab;
beforeAll(async () => {
  lab = await startConformClientLab({ warmTls: true });
});
afterAll(() => lab.close());

const PYTHON = path.join(ROOT, 'examples/conform-client/python-client.py');
const FOLLOW = path.join(ROOT, 'test/fixtures/conform-client/follow.mjs');

const envOf = () => ({
  PATH: process.env.PATH,
  ...contractEnv({
    issuer: lab.issuer,
    caFile: lab.caFile,
    resource: lab.resource,
    scope: lab.scope,
    browser: `${process.execPath} ${FOLLOW}`,
    auth: 'private_key_jwt',
    sender: 'dpop',
    jarm: false,
  }),
});

describe('runClientConformance with the lab in process', () => {
  it('judges a real client module by module, switching in < 50 ms and judging in < 20 ms', async () => {
    const ids = ['happy-path', 'CL-11.iss-wrong', 'CL-20.kid-unknown', 'CL-19.no-grace', 'CL-01', 'CL-02'];
    const report = await runClientConformance({
      lab,
      command: 'python3',
      args: [PYTHON],
      env: envOf(),
      variant: { auth: 'private_key_jwt', sender: 'dpop' },
      jarm: false,
      modules: CLIENT_MODULES.filter((m) => ids.includes(m.id)),
      timeoutMs: 30_000,
    });
    const lines = report.results.map((r) => `${r.id} ${r.result}: ${r.detail}`);
    expect(
      report.results.map((r) => [r.id, r.result]),
      lines.join('\n'),
    ).toEqual(ids.map((id) => [id, 'passed']));
    expect(report.overhead.switchMs).toBeLessThan(50);
    expect(report.overhead.judgeMs).toBeLessThan(20);
    const tls = report.results.find((r) => r.id === 'CL-01');
    expect(tls?.verdict?.requests).toEqual([expect.stringMatching(/^1 TLS handshake refused \(/)]);
  }, 120_000);

  it('puts the lab back between modules: no switch, no pending failure left over', async () => {
    await lab.apply({ faults: ['iss-wrong', 'tls-wrong-host'], relax: ['rotate-rt'], rsRefusals: 3 });
    await lab.apply({});
    const ca = readFileSync(lab.caFile);
    const get = (url: string) =>
      new Promise<{ status: number; warning: unknown }>((resolve, reject) =>
        https
          .get(url, { ca }, (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, warning: res.headers['x-fapi-lab-warning'] });
          })
          .on('error', reject),
      );
    const mark = lab.mark();
    expect(await get(`${lab.issuer}/.well-known/openid-configuration`)).toEqual({
      status: 200,
      warning: undefined,
    });
    expect((await get(lab.resource)).status).toBe(401);
    const seen = lab.observe(mark);
    expect(seen.requests.map((r) => [r.path, r.status, r.check ?? null])).toEqual([
      ['/.well-known/openid-configuration', 200, null],
      ['/accounts', 401, 'DP-23'], // the RS's own check (no token), not a pending failure (FAIL-NEXT)
    ]);
    expect(seen.handshakeFailures).toBe(0);
    await expect(lab.apply({ faults: ['no-such-fault'] })).rejects.toMatchObject({
      code: 'E_LAB_UNKNOWN_FAULT',
    });
  });
});

describe('--jar: the pushed request objects as the judge reads them (MS-07)', () => {
  let jarLab: ConformClientLab;
  beforeAll(async () => {
    jarLab = await startConformClientLab({ requireRequestObjects: true });
  });
  afterAll(() => jarLab.close());

  it('decodes what the client pushed; the lab accepts an aud array, a sub and extra form parameters, MS-07 does not', async () => {
    const key = await generateSigningKey('ES256');
    const clientId = await jarLab.register(
      {
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        jwks: { keys: [key.publicJwk] },
        dpop_bound_access_tokens: true,
      },
      'metadata.json',
    );
    const http = createHttpClient({ ca: [readFileSync(jarLab.caFile, 'utf8')] });
    const push = async (claims: Record<string, unknown>, extra: Record<string, string> = {}) => {
      const request = createRequestObject({
        clientId,
        audience: jarLab.issuer,
        params: {
          response_type: 'code',
          redirect_uri: 'http://127.0.0.1:5000/callback',
          scope: 'openid',
          code_challenge: codeChallengeS256(createCodeVerifier()),
          code_challenge_method: 'S256',
        },
        privateKey: key.privateKey,
        alg: 'ES256',
        kid: key.kid,
        claims,
      });
      const assertion = createClientAssertion({
        clientId,
        audience: jarLab.issuer,
        privateKey: key.privateKey,
        alg: 'ES256',
        kid: key.kid,
      });
      const body = new URLSearchParams({
        client_id: clientId,
        request,
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
        ...extra,
      });
      return http({
        method: 'POST',
        url: `${jarLab.issuer}/par`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
    };
    const mark = jarLab.mark();
    expect((await push({})).status).toBe(201);
    expect(
      (await push({ aud: [jarLab.issuer, 'https://other.example'], sub: clientId }, { scope: 'payments' }))
        .status,
    ).toBe(201);
    const [good, lax] = jarLab.observe(mark).requests;
    expect(good?.requestObject).toEqual({
      typ: 'oauth-authz-req+jwt',
      aud: 'string',
      sub: false,
      params: ['client_id', 'request', 'client_assertion_type', 'client_assertion'],
    });
    expect(lax?.requestObject).toMatchObject({ aud: 'array', sub: true });
    expect(lax?.requestObject?.params).toContain('scope');

    // The judge, on a run whose pushed request was the lax one (the rest of the flow complete).
    const ms07 = CLIENT_MODULES.find((m) => m.id === 'MS-07')!;
    const flow = (par: typeof lax) => ({
      requests: [
        par!,
        {
          ...par!,
          id: 1000,
          method: 'POST',
          path: '/token',
          grantType: 'authorization_code',
          status: 200,
          dpop: true,
          requestObject: undefined,
        },
        {
          ...par!,
          id: 1001,
          listener: 'rs' as const,
          method: 'GET',
          path: '/accounts',
          status: 200,
          requestObject: undefined,
        },
      ],
      total: 3,
      handshakeFailures: 0,
      handshakeReasons: [],
      clients: {},
    });
    const exit0 = { code: 0, signal: null, timedOut: false, ms: 1, stderr: [] };
    const variant = { auth: 'private_key_jwt', sender: 'dpop' } as const;
    expect(judgeModule(ms07, flow(good), exit0, variant).reason).toMatch(
      /^complete: .*every pushed request a request object/,
    );
    expect(judgeModule(ms07, flow(lax), exit0, variant).reason).toMatch(
      /^the request object aud is an array/,
    );
  });
});

describe('--introspection: the introspection requests as the judge reads them (MS-11)', () => {
  it('records whether each asked for a signed answer: the Accept header, or the registered alg with no preference', async () => {
    const key = await generateSigningKey('ES256');
    const register = (extra: Record<string, unknown> = {}) =>
      lab.register(
        {
          redirect_uris: ['http://127.0.0.1/callback'],
          token_endpoint_auth_method: 'private_key_jwt',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          jwks: { keys: [key.publicJwk] },
          dpop_bound_access_tokens: true,
          ...extra,
        },
        'metadata.json',
      );
    const plain = await register();
    const registered = await register({ introspection_signed_response_alg: 'ES256' });
    const http = createHttpClient({ ca: [readFileSync(lab.caFile, 'utf8')] });
    const introspect = (clientId: string, accept?: string) =>
      http({
        method: 'POST',
        url: `${lab.issuer}/introspect`,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(accept !== undefined ? { accept } : {}),
        },
        body: new URLSearchParams({
          token: 'not-a-token-of-the-lab',
          client_assertion_type: JWT_BEARER,
          client_assertion: createClientAssertion({
            clientId,
            audience: lab.issuer,
            privateKey: key.privateKey,
            alg: 'ES256',
            kid: key.kid,
          }),
        }).toString(),
      });
    const mark = lab.mark();
    const answers = [
      await introspect(plain, 'application/token-introspection+jwt'),
      await introspect(plain, 'application/json'),
      await introspect(plain),
      await introspect(registered),
      await introspect(registered, 'application/json'),
    ];
    expect(answers.map((a) => [a.status, a.header('content-type')?.split(';')[0]])).toEqual([
      [200, 'application/token-introspection+jwt'],
      [200, 'application/json'],
      [200, 'application/json'],
      [200, 'application/token-introspection+jwt'],
      [200, 'application/json'],
    ]);
    const seen = lab.observe(mark).requests;
    expect(seen.map((r) => [r.path, r.introspectionJwt])).toEqual([
      ['/introspect', true],
      ['/introspect', false],
      ['/introspect', false],
      ['/introspect', true],
      ['/introspect', false],
    ]);
  });
});
