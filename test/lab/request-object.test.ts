/**
 * MS-01..06: signed request objects (JAR, RFC 9101; FAPI2-MS §5.3.1) at the lab's PAR endpoint.
 * The good request objects, and one with a crit header, are made with jose (a dev dependency
 * nobody here wrote), the other broken ones by hand, and each refusal is checked for its status, error, the catalogue ID in the
 * description and the check the request log names. Bad input (not a JWS, a JWE, duplicate claims,
 * 1 MB, crit, an unknown kid) is refused and never a 500; the lab keeps serving.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeChallengeS256, createCodeVerifier } from '../../src/core/pkce.js';
import type { GeneratedKey } from '../../src/keys/generate.js';
import {
  assertion,
  authorize,
  json,
  newDpopKey,
  newKey,
  postForm,
  postJson,
  proof,
  redeem,
  registerClient,
  startTestLab,
  type FlowState,
  type TestClient,
  type TestLab,
} from './helpers.js';

let t: TestLab;
let c: TestClient;
beforeAll(async () => {
  t = await startTestLab();
  c = await registerClient(t);
});
afterAll(() => t.close());

const lastRecord = () => t.lab.ctx.requests.recent(1)[0];
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** The authorization parameters and JWT claims of a good request object for `client`. */
function goodClaims(lab: TestLab, client: TestClient, flow: { verifier: string; state: string }) {
  const now = Math.floor(lab.now());
  return {
    iss: client.clientId,
    aud: lab.lab.issuer,
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: 'openid accounts',
    state: flow.state,
    nonce: 'n-0S6_WzA2Mj',
    code_challenge: codeChallengeS256(flow.verifier),
    code_challenge_method: 'S256',
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
  };
}

/**
 * A request object signed by jose; `crit` lists the extensions jose is told it understands
 * (it signs a crit header naming only those).
 */
async function joseRequestObject(
  claims: Record<string, unknown>,
  key: GeneratedKey,
  header: Record<string, unknown> = {},
  crit?: Record<string, boolean>,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'oauth-authz-req+jwt', kid: key.kid, ...header })
    .sign(key.privateKey, crit ? { crit } : {});
}

interface RoOptions {
  /** Change the claims of the good request object (undefined deletes). */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Sign with this key instead of the client's. */
  key?: GeneratedKey;
  /** A ready-made `request` value. */
  request?: string;
  /** Form parameters beside the request object. */
  form?: Record<string, string | undefined>;
  lab?: TestLab;
  client?: TestClient;
}

/** PAR with a request object (client_id + request + the client assertion) and a DPoP proof. */
async function parRo(o: RoOptions = {}) {
  const lab = o.lab ?? t;
  const client = o.client ?? c;
  const flow: FlowState = {
    verifier: createCodeVerifier(),
    state: `st-${Math.random().toString(36).slice(2)}`,
    nonce: 'n-0S6_WzA2Mj',
    dpop: await newDpopKey(),
  };
  const claims: Record<string, unknown> = { ...goodClaims(lab, client, flow), ...o.claims };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  const request = o.request ?? (await joseRequestObject(claims, o.key ?? client.key, o.header));
  const url = `${lab.lab.issuer}/par`;
  const res = await postForm(
    lab.http,
    url,
    { ...assertion(lab, client), request, ...o.form },
    { dpop: proof(lab, flow.dpop, 'POST', url) },
  );
  return { res, flow, request };
}

/** A 400 with this error, the ID at the start of the description and in the request log. */
function expectRefused(
  res: { status: number; text(): string },
  id: string,
  error = 'invalid_request_object',
) {
  expect(res.status, res.text()).toBe(400);
  const body = JSON.parse(res.text()) as Record<string, string>;
  expect(body.error).toBe(error);
  expect(body.error_description).toMatch(new RegExp(`^${id}: `));
  expect(lastRecord()?.check).toBe(id);
}

/** A hand-made compact JWS with the client's ES256 key over exactly these header and payload texts. */
function rawJws(headerText: string, payloadText: string, key: GeneratedKey = c.key): string {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  const sig = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

describe('MS-01..06 discovery and registration (META-15, REG-12)', () => {
  it('META-15 / MS-01: the metadata offers request objects with the FAPI algorithms, not required by default', async () => {
    for (const doc of ['openid-configuration', 'oauth-authorization-server']) {
      const m = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/${doc}` }));
      expect(m.request_parameter_supported, doc).toBe(true);
      expect(m.request_object_signing_alg_values_supported, doc).toEqual(['PS256', 'ES256', 'EdDSA']);
      expect(m.require_signed_request_object, doc).toBe(false);
    }
  });

  it('REG-12: request_object_signing_alg ES256 and require_signed_request_object are registered and returned', async () => {
    const r = await registerClient(t, {
      request_object_signing_alg: 'ES256',
      require_signed_request_object: true,
    });
    expect(r.registered.request_object_signing_alg).toBe('ES256');
    expect(r.registered.require_signed_request_object).toBe(true);
  });

  for (const [field, value] of [
    ['request_object_signing_alg', 'none'],
    ['request_object_signing_alg', 'RS256'],
    ['request_object_signing_alg', 'HS256'],
    ['request_object_signing_alg', 42],
    ['require_signed_request_object', 'yes'],
  ] as const) {
    it(`REG-12: ${field} ${JSON.stringify(value)} → 400 invalid_client_metadata`, async () => {
      const k = await newKey();
      const res = await postJson(t.http, `${t.lab.issuer}/register`, {
        redirect_uris: ['https://client.example/cb'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [k.publicJwk] },
        [field]: value,
      });
      expect(res.status).toBe(400);
      expect(json(res).error).toBe('invalid_client_metadata');
      expect(String(json(res).error_description)).toContain(field);
    });
  }
});

describe('MS-05: the request object is a JWS signed by the client, with a FAPI algorithm', () => {
  for (const alg of ['ES256', 'PS256', 'EdDSA'] as const)
    it(`MS-05: a request object signed ${alg} by the client's registered key (jose) → 201, and the flow completes`, async () => {
      const key = await newKey(alg);
      const client = await registerClient(t, {}, key);
      const { res, flow } = await parRo({ client });
      expect(res.status, res.text()).toBe(201);
      expect(lastRecord()?.passed).toEqual(
        expect.arrayContaining(['MS-05', 'MS-06', 'MS-02', 'MS-03', 'MS-04', 'PAR-11']),
      );
      const a = await authorize(t, client.clientId, json(res).request_uri as string);
      expect(a.params.get('state')).toBe(flow.state);
      const tok = await redeem(t, client, a.params.get('code') as string, flow);
      expect(tok.status, tok.text()).toBe(200);
    });

  it('MS-05: without typ the request object is accepted (RFC 9101 §4 RECOMMENDS it)', async () => {
    const { res } = await parRo({ header: { typ: undefined } });
    expect(res.status, res.text()).toBe(201);
  });

  it('MS-05: typ JWT is refused (RFC 8725 §3.11: explicit typing)', async () => {
    expectRefused((await parRo({ header: { typ: 'JWT' } })).res, 'MS-05');
  });

  it('MS-05: signed with RS256 → 400 invalid_request_object [CS: ensure-signed-request-object-with-RS256-fails]', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const request = await new SignJWT(goodClaims(t, c, { verifier: createCodeVerifier(), state: 's' }))
      .setProtectedHeader({ alg: 'RS256', typ: 'oauth-authz-req+jwt', kid: c.key.kid })
      .sign(rsa.privateKey);
    expectRefused((await parRo({ request })).res, 'MS-05');
  });

  it('MS-05: alg none → 400 invalid_request_object [CS: ensure-request-object-signature-algorithm-is-not-none]', async () => {
    const claims = goodClaims(t, c, { verifier: createCodeVerifier(), state: 's' });
    const request = `${b64({ alg: 'none', typ: 'oauth-authz-req+jwt' })}.${b64(claims)}.`;
    expectRefused((await parRo({ request })).res, 'MS-05');
  });

  it('MS-05: alg HS256 → 400 invalid_request_object', async () => {
    const claims = goodClaims(t, c, { verifier: createCodeVerifier(), state: 's' });
    const request = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'oauth-authz-req+jwt' })
      .sign(new Uint8Array(32));
    expectRefused((await parRo({ request })).res, 'MS-05');
  });

  it('MS-05: a signature that does not verify → 400 invalid_request_object [CS: ensure-request-object-with-invalid-signature-fails]', async () => {
    const { request } = await parRo();
    const dot = request.lastIndexOf('.');
    const sig = Buffer.from(request.slice(dot + 1), 'base64url');
    sig[0] = (sig[0] ?? 0) ^ 0xff;
    expectRefused(
      (await parRo({ request: `${request.slice(0, dot + 1)}${sig.toString('base64url')}` })).res,
      'MS-05',
    );
  });

  it("MS-05: signed by another client's key → 400 invalid_request_object [CS: ensure-matching-key-in-authorization-request]", async () => {
    const other = await registerClient(t);
    expectRefused((await parRo({ key: other.key })).res, 'MS-05');
  });

  it('MS-05: a kid the client never registered → 400 invalid_request_object', async () => {
    const { res } = await parRo({ header: { kid: 'never-registered' } });
    expectRefused(res, 'MS-05');
    expect(json(res).error_description).toContain('never registered');
  });

  it('MS-05: a jose-made request object with a crit header naming an unknown parameter → 400 invalid_request_object (RFC 7515 §4.1.11)', async () => {
    const claims = goodClaims(t, c, { verifier: createCodeVerifier(), state: 's' });
    // The same claims, key, alg, typ and kid without crit are accepted: only crit is refused.
    expect((await parRo({ request: await joseRequestObject(claims, c.key) })).res.status).toBe(201);
    const request = await joseRequestObject(
      { ...claims, jti: `${claims.jti}-crit` },
      c.key,
      { crit: ['x-unknown'], 'x-unknown': 1 },
      { 'x-unknown': true },
    );
    const { res } = await parRo({ request });
    expectRefused(res, 'MS-05');
    expect(json(res).error_description).toMatch(/crit header \["x-unknown"\].*RFC 7515 §4\.1\.11/);
  });

  it('MS-05: a registered request_object_signing_alg is the only one accepted', async () => {
    const key = await newKey('ES256');
    const client = await registerClient(t, { request_object_signing_alg: 'PS256' }, key);
    expectRefused((await parRo({ client })).res, 'MS-05');
  });
});

describe('MS-05: bad input is invalid_request_object, never a 500, and the lab keeps serving', () => {
  const cases: [string, () => string][] = [
    ['not a JWS', () => 'garbage'],
    ['a JWE (5 parts)', () => `${b64({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })}.a.b.c.d`],
    [
      'duplicate claims',
      () =>
        rawJws(
          JSON.stringify({ alg: 'ES256', typ: 'oauth-authz-req+jwt', kid: c.key.kid }),
          JSON.stringify(goodClaims(t, c, { verifier: createCodeVerifier(), state: 's' })).replace(
            /}$/,
            ',"scope":"openid accounts payments"}',
          ),
        ),
    ],
    [
      'a duplicate header parameter',
      () =>
        rawJws(
          `{"alg":"ES256","typ":"oauth-authz-req+jwt","kid":${JSON.stringify(c.key.kid)},"alg":"ES256"}`,
          JSON.stringify(goodClaims(t, c, { verifier: createCodeVerifier(), state: 's' })),
        ),
    ],
    ['a header that is not JSON', () => `${b64('{nope')}.${b64({})}.AAAA`],
    ['a payload that is an array', () => rawJws(JSON.stringify({ alg: 'ES256', kid: c.key.kid }), '[1,2]')],
    ['20 KB long', () => `${b64({ alg: 'ES256' })}.${'A'.repeat(20_000)}.AAAA`],
  ];
  for (const [what, request] of cases)
    it(`MS-05: ${what} → 400 invalid_request_object`, async () => {
      const { res } = await parRo({ request: request() });
      expectRefused(res, 'MS-05');
    });

  it('MS-05: an empty request parameter → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ request: '' })).res, 'MS-05');
  });

  it('MS-05: a 1 MB request object → 400 invalid_request_object at the default limits (the PAR endpoint reads up to 4 MiB), nothing stored, never a 500', async () => {
    const huge = `${b64({ alg: 'ES256', kid: c.key.kid })}.${'A'.repeat(1024 * 1024)}.AAAA`;
    const before = t.lab.ctx.requestUris.size;
    const { res } = await parRo({ request: huge });
    expectRefused(res, 'MS-05');
    expect(json(res).error_description).toMatch(/is 1048\d{3} characters long; at most 16384 are accepted/);
    expect(t.lab.ctx.requestUris.size).toBe(before);
    // The request log does not keep a value longer than bodyLimit (its memory stays bounded).
    expect(lastRecord()?.credentials?.requestObject).toBeUndefined();
    expect((await parRo()).res.status).toBe(201);
  });

  it('the lab still serves a good request object after all of them', async () => {
    expect((await parRo()).res.status).toBe(201);
  });
});

describe('MS-06: the request object names the client, and only its parameters count', () => {
  it('MS-06: iss is not the client → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ claims: { iss: 'someone-else' } })).res, 'MS-06');
  });

  it('MS-06: the client_id claim is not the client → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ claims: { client_id: 'someone-else' } })).res, 'MS-06');
  });

  it('MS-06: no client_id claim → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ claims: { client_id: undefined } })).res, 'MS-06');
  });

  it('MS-06: a request_uri inside the request object → 400 invalid_request_object [CS: par-authorization-request-containing-request_uri]', async () => {
    expectRefused(
      (await parRo({ claims: { request_uri: 'urn:ietf:params:oauth:request_uri:x' } })).res,
      'MS-06',
    );
  });

  it('MS-06: a request inside the request object → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ claims: { request: 'eyJ.eyJ.x' } })).res, 'MS-06');
  });

  it('MS-06: parameters beside the request object are ignored: scope, state and redirect_uri come from the request object [CS: ensure-different-state-inside-and-outside-request-object]', async () => {
    const { res, flow } = await parRo({
      form: {
        scope: 'openid accounts payments',
        state: 'outside',
        redirect_uri: 'https://attacker.example/cb',
      },
    });
    expect(res.status, res.text()).toBe(201);
    const pushed = t.lab.ctx.requestUris.peek(json(res).request_uri as string)?.value;
    expect(pushed?.scope).toEqual(['openid', 'accounts']);
    expect(pushed?.state).toBe(flow.state);
    expect(pushed?.redirectUri).toBe(c.redirectUri);
    expect(pushed?.extra).toEqual({});
  });

  it('MS-06: a client_id form parameter of another client is refused before the request object is read (CA-12: 401 invalid_client)', async () => {
    const other = await registerClient(t);
    const { res } = await parRo({ form: { client_id: other.clientId } });
    expect(res.status).toBe(401);
    expect(json(res).error).toBe('invalid_client');
    expect(lastRecord()?.check).toBe('CA-12');
  });

  it('MS-06: the pushed parameters are validated as usual: plain PKCE inside the request object → PAR-11', async () => {
    const { res } = await parRo({ claims: { code_challenge_method: 'plain' } });
    expect(res.status).toBe(400);
    expect(lastRecord()?.check).toBe('PAR-11');
  });

  it('MS-06: JSON values inside the request object (claims, max_age) are kept as strings', async () => {
    const { res } = await parRo({ claims: { claims: { id_token: { acr: null } }, max_age: 300 } });
    expect(res.status, res.text()).toBe(201);
    const pushed = t.lab.ctx.requestUris.peek(json(res).request_uri as string)?.value;
    expect(pushed?.extra).toEqual({ claims: '{"id_token":{"acr":null}}', max_age: '300' });
  });
});

describe('MS-02: aud is the issuer or an array containing it', () => {
  it('MS-02: aud another server → 400 invalid_request_object [CS: ensure-request-object-with-bad-aud-fails]', async () => {
    expectRefused((await parRo({ claims: { aud: 'https://other.example' } })).res, 'MS-02');
  });

  it('MS-02: aud the PAR endpoint URL → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ claims: { aud: `${t.lab.issuer}/par` } })).res, 'MS-02');
  });

  it('MS-02: no aud → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ claims: { aud: undefined } })).res, 'MS-02');
  });

  it('MS-02: aud [issuer, "x"] → 201 [CS: ensure-request-object-with-multiple-aud-succeeds]', async () => {
    const { res } = await parRo({ claims: { aud: [t.lab.issuer, 'https://x.example'] } });
    expect(res.status, res.text()).toBe(201);
  });
});

describe('MS-03: nbf is required and at most 60 minutes old', () => {
  it('MS-03: no nbf → 400 invalid_request_object [CS: ensure-request-object-without-nbf-fails]', async () => {
    expectRefused((await parRo({ claims: { nbf: undefined } })).res, 'MS-03');
  });

  it('MS-03: nbf 70 minutes ago → 400 invalid_request_object [CS: ensure-request-object-with-nbf-over-60-fails]', async () => {
    const now = Math.floor(t.now());
    expectRefused(
      (await parRo({ claims: { nbf: now - 70 * 60, iat: now - 70 * 60, exp: now + 60 } })).res,
      'MS-03',
    );
  });

  it('MS-03: nbf 8 s in the future → 201 [CS: ensure-request-object-with-nbf-8-seconds-in-the-future-is-accepted]', async () => {
    const now = Math.floor(t.now());
    const { res } = await parRo({ claims: { nbf: now + 8, iat: now + 8, exp: now + 300 } });
    expect(res.status, res.text()).toBe(201);
  });

  it('MS-03: nbf 70 s in the future → 400 invalid_request_object (FAPI2-SP §5.3.2.1-13)', async () => {
    const now = Math.floor(t.now());
    expectRefused((await parRo({ claims: { nbf: now + 70, exp: now + 300 } })).res, 'MS-03');
  });

  it('MS-03: nbf that is not a number → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ claims: { nbf: 'now' } })).res, 'MS-03');
  });
});

describe('MS-04: exp is required, at most 60 minutes after nbf, not passed; the request object is used once', () => {
  it('MS-04: no exp → 400 invalid_request_object [CS: ensure-request-object-without-exp-fails]', async () => {
    expectRefused((await parRo({ claims: { exp: undefined } })).res, 'MS-04');
  });

  it('MS-04: exp 70 minutes after nbf → 400 invalid_request_object [CS: ensure-request-object-with-exp-over-60-fails]', async () => {
    const now = Math.floor(t.now());
    expectRefused((await parRo({ claims: { exp: now + 70 * 60 } })).res, 'MS-04');
  });

  it('MS-04: exp exactly 60 minutes after nbf → 201', async () => {
    const now = Math.floor(t.now());
    const { res } = await parRo({ claims: { nbf: now, exp: now + 3600 } });
    expect(res.status, res.text()).toBe(201);
  });

  it('MS-04: expired → 400 invalid_request_object [CS: ensure-expired-request-object-fails]', async () => {
    const now = Math.floor(t.now());
    expectRefused((await parRo({ claims: { nbf: now - 600, iat: now - 600, exp: now - 300 } })).res, 'MS-04');
  });

  it('MS-04: the same request object twice → the second is 400 invalid_request_object (jti replay)', async () => {
    const { res, request } = await parRo();
    expect(res.status).toBe(201);
    const again = await parRo({ request });
    expectRefused(again.res, 'MS-04');
    expect(json(again.res).error_description).toContain('replay');
  });

  it('MS-04: no jti → 400 invalid_request_object', async () => {
    expectRefused((await parRo({ claims: { jti: undefined } })).res, 'MS-04');
  });
});

describe('MS-01: signed request objects required', () => {
  const plainPar = (lab: TestLab, client: TestClient) => {
    const url = `${lab.lab.issuer}/par`;
    return newDpopKey().then((dpop) =>
      postForm(
        lab.http,
        url,
        {
          ...assertion(lab, client),
          response_type: 'code',
          redirect_uri: client.redirectUri,
          scope: 'openid',
          code_challenge: codeChallengeS256(createCodeVerifier()),
          code_challenge_method: 'S256',
        },
        { dpop: proof(lab, dpop, 'POST', url) },
      ),
    );
  };

  it('MS-01: a client registered with require_signed_request_object: a plain PAR → 400 invalid_request [CS: ensure-unsigned-request-at-par-endpoint-fails]; other clients unchanged', async () => {
    const strict = await registerClient(t, { require_signed_request_object: true });
    const res = await plainPar(t, strict);
    expectRefused(res, 'MS-01', 'invalid_request');
    expect((await parRo({ client: strict })).res.status).toBe(201);
    expect((await plainPar(t, c)).status).toBe(201);
  });

  it('MS-01: requireSignedRequestObject: the metadata says so, and every plain PAR → 400 invalid_request', async () => {
    const lab = await startTestLab({ requireSignedRequestObject: true });
    try {
      const m = json(
        await lab.http({ method: 'GET', url: `${lab.lab.issuer}/.well-known/openid-configuration` }),
      );
      expect(m.require_signed_request_object).toBe(true);
      const client = await registerClient(lab);
      const res = await plainPar(lab, client);
      expect(res.status).toBe(400);
      expect(json(res).error).toBe('invalid_request');
      expect(json(res).error_description).toMatch(/^MS-01: /);
      expect((await parRo({ lab, client })).res.status).toBe(201);
    } finally {
      await lab.close();
    }
  });

  it('MS-01 relaxed (unsigned-request-object): plain PAR is accepted where required, loudly; request objects are still verified', async () => {
    const lab = await startTestLab({ requireSignedRequestObject: true, relax: ['unsigned-request-object'] });
    try {
      const m = json(
        await lab.http({ method: 'GET', url: `${lab.lab.issuer}/.well-known/openid-configuration` }),
      );
      expect(m.require_signed_request_object).toBe(false);
      const client = await registerClient(lab, { require_signed_request_object: true });
      const res = await plainPar(lab, client);
      expect(res.status, res.text()).toBe(201);
      expect(res.header('x-fapi-lab-warning')).toContain('relaxed=unsigned-request-object');
      const r = await parRo({ lab, client, claims: { aud: 'https://other.example' } });
      expect(json(r.res).error).toBe('invalid_request_object');
    } finally {
      await lab.close();
    }
  });
});

describe('MS-05..06 with the rest of the flow', () => {
  it('MS-06: dpop_jkt and response_mode jwt inside the request object are honoured (PAR-15, MS-08)', async () => {
    const k = await newKey();
    const client = await registerClient(t, { authorization_signed_response_alg: 'ES256' }, k);
    const other = await newDpopKey();
    const { jwkThumbprint } = await import('../../src/core/jwk.js');
    const mismatch = await parRo({ client, claims: { dpop_jkt: jwkThumbprint(other.publicJwk) } });
    expect(mismatch.res.status).toBe(400);
    expect(json(mismatch.res).error).toBe('invalid_dpop_proof');
    const { res } = await parRo({ client, claims: { response_mode: 'jwt' } });
    expect(res.status, res.text()).toBe(201);
    const a = await authorize(t, client.clientId, json(res).request_uri as string);
    expect([...a.params.keys()]).toEqual(['response']);
  });
});
