/**
 * MS-08: JARM (JWT Secured Authorization Response Mode) at the lab AS, when the client asks for it
 * with `response_mode=jwt` (or `query.jwt`) in PAR: the success and the error responses are
 * `?response=<JWT>` signed by the lab key, with iss, aud, exp, and nothing at the top level.
 * jose (a dev dependency nobody here wrote) verifies every JWT against the lab's jwks_uri, as the
 * tests' independent cross-check. Plus discovery, registration of authorization_signed_response_alg,
 * the refused response modes, and what each jarm-* fault does to the JWT.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../lab/config.js';
import { WRONG_ISSUER } from '../../lab/faults.js';
import {
  authorize,
  decodeJwt,
  form,
  json,
  par,
  postJson,
  redeem,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';

let t: TestLab;
let c: TestClient;
let jwks: ReturnType<typeof createLocalJWKSet>;
beforeAll(async () => {
  t = await startTestLab();
  c = await registerClient(t, { authorization_signed_response_alg: 'ES256' });
  const res = await t.http({ method: 'GET', url: `${t.lab.issuer}/jwks` });
  jwks = createLocalJWKSet(json(res) as unknown as JSONWebKeySet);
});
afterAll(() => t.close());

const lastCheck = () => t.lab.ctx.requests.recent(1)[0]?.check;

/** PAR with a response_mode, then the auto-approved authorization: the redirect's parameters. */
async function jarmFlow(lab: TestLab, client: TestClient, mode: string | undefined) {
  const { res, flow } = await par(lab, client, { params: { response_mode: mode } });
  expect(res.status, res.text()).toBe(201);
  const a = await authorize(lab, client.clientId, json(res).request_uri as string);
  expect(a.res.status).toBe(303);
  return { ...a, flow };
}

describe('MS-08 discovery and registration', () => {
  it('MS-08: the metadata offers response_mode jwt and the lab signing algorithm (JARM §4)', async () => {
    const m = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/openid-configuration` }));
    expect(m.response_modes_supported).toEqual(['query', 'jwt', 'query.jwt']);
    expect(m.authorization_signing_alg_values_supported).toEqual(['ES256']);
  });

  it('META-15: with JARM on, both metadata documents list jwt and only FAPI signing algorithms, for JARM and for request objects', async () => {
    for (const doc of ['openid-configuration', 'oauth-authorization-server']) {
      const m = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/${doc}` }));
      expect(m.response_modes_supported, doc).toContain('jwt');
      const algs = m.authorization_signing_alg_values_supported as string[];
      expect(algs.length, doc).toBeGreaterThan(0);
      for (const alg of algs) expect(['PS256', 'ES256', 'EdDSA'], doc).toContain(alg);
      // Request objects (JAR, MS-05): FAPI algorithms only too.
      for (const alg of m.request_object_signing_alg_values_supported as string[])
        expect(['PS256', 'ES256', 'EdDSA'], doc).toContain(alg);
    }
  });

  it('MS-08: authorization_signed_response_alg ES256 is registered and returned', () => {
    expect(c.registered.authorization_signed_response_alg).toBe('ES256');
  });

  for (const [alg, why] of [
    ['none', 'is not allowed'],
    ['RS256', 'is not allowed'],
    ['HS256', 'is not allowed'],
    ['PS256', 'is not offered'],
    [42, 'is not allowed'],
  ] as const) {
    it(`MS-08: authorization_signed_response_alg ${JSON.stringify(alg)} → 400 invalid_client_metadata`, async () => {
      const res = await postJson(t.http, `${t.lab.issuer}/register`, {
        redirect_uris: ['https://client.example/cb'],
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['authorization_code'],
        jwks: { keys: [c.key.publicJwk] },
        authorization_signed_response_alg: alg,
      });
      expect(res.status).toBe(400);
      expect(json(res).error).toBe('invalid_client_metadata');
      expect(String(json(res).error_description)).toContain(why);
    });
  }
});

describe('MS-08 JARM authorization responses', () => {
  it('MS-08: response_mode=jwt → ?response=<JWT> only, signed by the lab key (jose), with iss, aud, exp, code, state', async () => {
    const { location, params, flow } = await jarmFlow(t, c, 'jwt');
    // FAPI2-MS §5.4.1 Note: iss (and code, state) only inside the JWT.
    expect([...params.keys()]).toEqual(['response']);
    expect(location?.origin + (location?.pathname ?? '')).toBe(c.redirectUri);
    const jwt = params.get('response') as string;
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
      issuer: t.lab.issuer,
      audience: c.clientId,
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBe(t.lab.ctx.keys.signing.kid);
    expect(payload.state).toBe(flow.state);
    expect(payload.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(payload.aud).toBe(c.clientId);
    // JARM §2.1: a short lifetime (at most 10 minutes recommended).
    expect((payload.exp as number) - (payload.iat as number)).toBeGreaterThan(0);
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(600);
    expect(t.lab.ctx.requests.recent(1)[0]?.passed).toContain('MS-08');
    // The code inside the JWT is a real one.
    const tokens = await redeem(t, c, payload.code as string, flow);
    expect(tokens.status, tokens.text()).toBe(200);
  });

  it('MS-08: response_mode=query.jwt is the same (JARM §2.3.4: jwt means query.jwt for code)', async () => {
    const { params } = await jarmFlow(t, c, 'query.jwt');
    expect([...params.keys()]).toEqual(['response']);
    const { payload } = await jwtVerify(params.get('response') as string, jwks, {
      issuer: t.lab.issuer,
      audience: c.clientId,
    });
    expect(payload.code).toBeTruthy();
  });

  it('MS-08: a client that registered no authorization_signed_response_alg still gets ES256, never RS256', async () => {
    const plain = await registerClient(t);
    const { params } = await jarmFlow(t, plain, 'jwt');
    const jwt = params.get('response') as string;
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256');
    await expect(
      jwtVerify(jwt, jwks, { issuer: t.lab.issuer, audience: plain.clientId }),
    ).resolves.toBeTruthy();
  });

  it('MS-08: without response_mode (or with query) the plain response with iss is unchanged', async () => {
    for (const mode of [undefined, 'query']) {
      const { params } = await jarmFlow(t, c, mode);
      expect(params.get('response')).toBeNull();
      expect(params.get('code')).toBeTruthy();
      expect(params.get('iss')).toBe(t.lab.issuer);
    }
  });

  it('MS-08: the registered redirect URI keeps its own query next to response (AZ-05)', async () => {
    const dummy = await registerClient(t, { redirect_uris: ['https://client.example/cb?dummy1=lorem'] });
    const { params } = await jarmFlow(t, dummy, 'jwt');
    expect([...params.keys()]).toEqual(['dummy1', 'response']);
  });

  for (const mode of ['fragment', 'form_post', 'fragment.jwt', 'form_post.jwt', 'JWT', 'bogus']) {
    it(`MS-08: response_mode=${mode} → 400 invalid_request`, async () => {
      const { res } = await par(t, c, { params: { response_mode: mode } });
      expect(res.status).toBe(400);
      expect(json(res).error).toBe('invalid_request');
      expect(String(json(res).error_description)).toContain('response_mode');
      expect(lastCheck()).toBe('MS-08');
    });
  }

  it('MS-08: the error response (access_denied) is a JWT too, with error, error_description, state', async () => {
    const manual = await startTestLab({ autoApprove: false });
    try {
      const client = await registerClient(manual);
      const { res, flow } = await par(manual, client, { params: { response_mode: 'jwt' } });
      expect(res.status).toBe(201);
      const url = `${manual.lab.issuer}/authorize?${form({ client_id: client.clientId, request_uri: json(res).request_uri as string })}`;
      const page = await manual.http({ method: 'GET', url });
      expect(page.status).toBe(200);
      const interaction = /name="interaction" value="([^"]+)"/.exec(page.text())?.[1] as string;
      const cookie = (page.header('set-cookie') ?? '').split(';')[0] as string;
      const denied = await manual.http({
        method: 'POST',
        url: `${manual.lab.issuer}/authorize/decision`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: form({ interaction, decision: 'deny' }),
      });
      expect(denied.status).toBe(303);
      const params = new URL(denied.header('location') as string).searchParams;
      expect([...params.keys()]).toEqual(['response']);
      const keys = createLocalJWKSet(
        json(
          await manual.http({ method: 'GET', url: `${manual.lab.issuer}/jwks` }),
        ) as unknown as JSONWebKeySet,
      );
      const { payload } = await jwtVerify(params.get('response') as string, keys, {
        issuer: manual.lab.issuer,
        audience: client.clientId,
      });
      expect(payload).toMatchObject({ error: 'access_denied', state: flow.state });
      expect(payload.error_description).toBeTruthy();
      expect(payload.code).toBeUndefined();
    } finally {
      await manual.close();
    }
  });
});

describe('MS-08 / MS-09: the jarm-* faults', () => {
  const cases: [Fault, (jwt: string, lab: TestLab, client: TestClient) => Promise<void> | void][] = [
    ['jarm-iss-missing', (jwt) => expect(decodeJwt(jwt).payload.iss).toBeUndefined()],
    ['jarm-iss-wrong', (jwt) => expect(decodeJwt(jwt).payload.iss).toBe(WRONG_ISSUER)],
    ['jarm-aud-missing', (jwt) => expect(decodeJwt(jwt).payload.aud).toBeUndefined()],
    [
      'jarm-aud-wrong',
      (jwt, _lab, client) => {
        expect(decodeJwt(jwt).payload.aud).toEqual(expect.any(String));
        expect(decodeJwt(jwt).payload.aud).not.toBe(client.clientId);
      },
    ],
    ['jarm-exp-missing', (jwt) => expect(decodeJwt(jwt).payload.exp).toBeUndefined()],
    [
      'jarm-exp-expired',
      (jwt, lab) => expect(decodeJwt(jwt).payload.exp as number).toBeLessThan(lab.now() - 300),
    ],
    ['jarm-alg-none', (jwt) => expect(decodeJwt(jwt).header.alg).toBe('none')],
    [
      'jarm-sig-invalid',
      async (jwt, lab) => {
        const keys = createLocalJWKSet(
          json(await lab.http({ method: 'GET', url: `${lab.lab.issuer}/jwks` })) as unknown as JSONWebKeySet,
        );
        await expect(jwtVerify(jwt, keys)).rejects.toThrow(/signature verification failed/);
      },
    ],
  ];
  for (const [fault, check] of cases) {
    it(`${fault}: the JARM response has the defect, announced in x-fapi-lab-warning; plain responses are untouched`, async () => {
      const lab = await startTestLab({ faults: [fault] });
      try {
        const client = await registerClient(lab);
        const { res, params, flow } = await jarmFlow(lab, client, 'jwt');
        expect(res.header('x-fapi-lab-warning')).toContain(`fault=${fault}`);
        const jwt = params.get('response') as string;
        await check(jwt, lab, client);
        // Only the named defect: the rest of the JWT is intact.
        expect(decodeJwt(jwt).payload.state).toBe(flow.state);
        expect(decodeJwt(jwt).payload.code).toBeTruthy();
        const plain = await jarmFlow(lab, client, undefined);
        expect(plain.params.get('iss')).toBe(lab.lab.issuer);
        expect(plain.params.get('code')).toBeTruthy();
      } finally {
        await lab.close();
      }
    });
  }
});
