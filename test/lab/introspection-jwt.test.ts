/**
 * MS-10: signed introspection responses (RFC 9701; FAPI2-MS §5.5.1) at the lab AS: asked for with
 * `Accept: application/token-introspection+jwt`, or by a client registered with
 * introspection_signed_response_alg that states no preference. jose (nobody here wrote it) verifies
 * every JWT against the lab's jwks_uri. Plus registration (REG-12), the metadata, and what each
 * introspection-* fault does (the client tests of MS-11).
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../lab/config.js';
import {
  assertion,
  decodeJwt,
  json,
  postForm,
  postJson,
  newKey,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';
import { dpopTokens } from './rs-helpers.js';

const JWT_TYPE = 'application/token-introspection+jwt';
let t: TestLab;
let c: TestClient;
let jwks: ReturnType<typeof createLocalJWKSet>;
beforeAll(async () => {
  t = await startTestLab();
  c = await registerClient(t);
  jwks = createLocalJWKSet(
    json(await t.http({ method: 'GET', url: `${t.lab.issuer}/jwks` })) as unknown as JSONWebKeySet,
  );
});
afterAll(() => t.close());

const introspect = (lab: TestLab, client: TestClient, token: string, accept?: string) =>
  postForm(
    lab.http,
    `${lab.lab.issuer}/introspect`,
    { ...assertion(lab, client), token },
    accept ? { accept } : {},
  );

async function verified(jwt: string, audience: string, lab: TestLab = t) {
  const keys =
    lab === t
      ? jwks
      : createLocalJWKSet(
          json(await lab.http({ method: 'GET', url: `${lab.lab.issuer}/jwks` })) as unknown as JSONWebKeySet,
        );
  return jwtVerify(jwt, keys, {
    issuer: lab.lab.issuer,
    audience,
    typ: 'token-introspection+jwt',
    algorithms: ['ES256'],
  });
}

describe('MS-10: signed introspection responses', () => {
  it('MS-10: the metadata lists introspection_signing_alg_values_supported (RFC 9701 §7)', async () => {
    const m = json(
      await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/oauth-authorization-server` }),
    );
    expect(m.introspection_signing_alg_values_supported).toEqual(['ES256']);
  });

  it('MS-10: Accept application/token-introspection+jwt → a JWT signed by the lab key (jose): typ, iss, aud = the caller, iat, token_introspection', async () => {
    const tk = await dpopTokens(t, c);
    const res = await introspect(t, c, tk.at, JWT_TYPE);
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toContain(JWT_TYPE);
    expect(res.header('cache-control')).toBe('no-store');
    const { payload, protectedHeader } = await verified(res.text(), c.clientId);
    expect(protectedHeader.typ).toBe('token-introspection+jwt');
    expect(typeof payload.iat).toBe('number');
    expect(payload.token_introspection).toMatchObject({
      active: true,
      client_id: c.clientId,
      token_type: 'DPoP',
    });
    expect((payload.token_introspection as { cnf: unknown }).cnf).toEqual({ jkt: expect.any(String) });
    expect(t.lab.ctx.requests.recent(1)[0]?.passed).toContain('MS-10');
  });

  it('MS-10: an inactive token is signed too, with token_introspection {"active":false} only', async () => {
    const res = await introspect(t, c, 'garbage', JWT_TYPE);
    const { payload } = await verified(res.text(), c.clientId);
    expect(payload.token_introspection).toEqual({ active: false });
  });

  it('MS-10: Accept application/json, or no Accept from a client that registered no alg, keeps the plain RFC 7662 answer', async () => {
    const tk = await dpopTokens(t, c);
    for (const accept of ['application/json', undefined]) {
      const res = await introspect(t, c, tk.at, accept);
      expect(res.header('content-type')).toContain('application/json');
      expect(json(res).active).toBe(true);
    }
  });

  it('MS-10: q-values decide (RFC 9110 §12.5.1)', async () => {
    const tk = await dpopTokens(t, c);
    const jwtFirst = await introspect(t, c, tk.at, `application/json;q=0.5, ${JWT_TYPE}`);
    expect(jwtFirst.header('content-type')).toContain(JWT_TYPE);
    const jsonFirst = await introspect(t, c, tk.at, `${JWT_TYPE};q=0.2, application/json`);
    expect(jsonFirst.header('content-type')).toContain('application/json');
  });

  it('MS-10 / REG-12: a client registered with introspection_signed_response_alg ES256 gets a JWT without asking (no Accept, or */*)', async () => {
    const signedClient = await registerClient(t, { introspection_signed_response_alg: 'ES256' });
    expect(signedClient.registered.introspection_signed_response_alg).toBe('ES256');
    const tk = await dpopTokens(t, signedClient);
    for (const accept of [undefined, '*/*']) {
      const res = await introspect(t, signedClient, tk.at, accept);
      expect(res.header('content-type'), String(accept)).toContain(JWT_TYPE);
      await verified(res.text(), signedClient.clientId);
    }
    expect((await introspect(t, signedClient, tk.at, 'application/json')).header('content-type')).toContain(
      'application/json',
    );
  });

  for (const alg of ['RS256', 'none', 'HS256', 'PS256'])
    it(`REG-12: introspection_signed_response_alg ${alg} → 400 invalid_client_metadata`, async () => {
      const k = await newKey();
      const res = await postJson(t.http, `${t.lab.issuer}/register`, {
        redirect_uris: ['https://client.example/cb'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [k.publicJwk] },
        introspection_signed_response_alg: alg,
      });
      expect(res.status).toBe(400);
      expect(json(res).error).toBe('invalid_client_metadata');
    });
});

describe('MS-16: no confusion of callers, no response encryption', () => {
  it("MS-16 / IN-04: in a signed response too, another client's token is inactive, and aud names the caller", async () => {
    const other = await registerClient(t);
    const tk = await dpopTokens(t, c);
    const res = await introspect(t, other, tk.at, JWT_TYPE);
    const { payload } = await verified(res.text(), other.clientId);
    expect(payload.token_introspection).toEqual({ active: false });
  });

  it('MS-16: the lab offers no response encryption (not needed, not recommended by FAPI2-MS §6)', async () => {
    const m = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/openid-configuration` }));
    expect(Object.keys(m).filter((k) => k.includes('encryption'))).toEqual([]);
  });
});

describe('MS-10 / MS-11: the introspection-* faults', () => {
  const cases: [
    Fault,
    (
      res: { text(): string; header(n: string): string | undefined },
      clientId: string,
      lab: TestLab,
    ) => Promise<void>,
  ][] = [
    [
      'introspection-sig-invalid',
      async (res, clientId, lab) => {
        await expect(verified(res.text(), clientId, lab)).rejects.toThrow(/signature/);
      },
    ],
    [
      'introspection-typ-wrong',
      async (res) => {
        expect(decodeProtectedHeader(res.text()).typ).toBe('JWT');
      },
    ],
    [
      'introspection-aud-wrong',
      async (res, clientId) => {
        expect(decodeJwt(res.text()).payload.aud).toBe(`not-${clientId}`);
      },
    ],
    [
      'introspection-unsigned',
      async (res) => {
        expect(res.header('content-type')).toContain('application/json');
        expect(JSON.parse(res.text()).active).toBe(true);
      },
    ],
  ];
  for (const [fault, check] of cases)
    it(`${fault}: the signed introspection response has the defect, announced in x-fapi-lab-warning`, async () => {
      const lab = await startTestLab({ faults: [fault] });
      try {
        const client = await registerClient(lab);
        const tk = await dpopTokens(lab, client);
        const res = await introspect(lab, client, tk.at, JWT_TYPE);
        expect(res.status).toBe(200);
        expect(res.header('x-fapi-lab-warning')).toContain(`fault=${fault}`);
        await check(res, client.clientId, lab);
        // A plain request is untouched.
        expect(json(await introspect(lab, client, tk.at, 'application/json')).active).toBe(true);
      } finally {
        await lab.close();
      }
    });
});
