/**
 * src/core/request-object.ts: the request objects fapi makes (MS-07), verified with jose (an
 * implementation nobody here wrote), and the verification rules the lab runs (MS-02..06), each
 * refusing with its catalogue ID. Plus the strict JWS reading they rely on (duplicate members).
 */
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { duplicateMember, decodeJws, JwsError } from '../../../src/core/jws.js';
import {
  REQUEST_OBJECT_TYP,
  RequestObjectError,
  createRequestObject,
  requestObjectForm,
  requestObjectParameters,
  verifyRequestObject,
  type RequestObjectVerifyOptions,
} from '../../../src/core/request-object.js';
import { generateSigningKey } from '../../../src/keys/generate.js';

const ISSUER = 'https://as.example';
const NOW = 1_800_000_000;
const PARAMS = {
  response_type: 'code',
  redirect_uri: 'http://127.0.0.1/callback',
  scope: 'openid accounts',
  state: 'st',
  nonce: 'n',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
  dpop_jkt: undefined,
};

async function setup(alg: 'ES256' | 'PS256' | 'EdDSA' = 'ES256') {
  const key = await generateSigningKey(alg, alg === 'PS256' ? { bits: 2048 } : {});
  const make = (o: Partial<Parameters<typeof createRequestObject>[0]> = {}) =>
    createRequestObject({
      clientId: 'c1',
      audience: ISSUER,
      params: PARAMS,
      privateKey: key.privateKey,
      alg: key.alg,
      kid: key.kid,
      now: NOW,
      ...o,
    });
  const opts = (o: Partial<RequestObjectVerifyOptions> = {}): RequestObjectVerifyOptions => ({
    issuer: ISSUER,
    clientId: 'c1',
    keys: [key.publicJwk],
    now: NOW + 1,
    ...o,
  });
  return { key, make, opts };
}

function refusedWith(fn: () => unknown, check: string, text?: string) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RequestObjectError);
    expect((e as RequestObjectError).check).toBe(check);
    if (text) expect((e as Error).message).toContain(text);
    return;
  }
  throw new Error(`expected a ${check} refusal`);
}

describe('MS-07: the request objects fapi makes', () => {
  for (const alg of ['ES256', 'PS256', 'EdDSA'] as const)
    it(`MS-07: ${alg}: jose verifies it with the client's public key; typ, iss, aud (a string), client_id, iat, nbf, exp (5 min), jti, the parameters, and no sub`, async () => {
      const { key, make } = await setup(alg);
      const jwt = make();
      const header = decodeProtectedHeader(jwt);
      expect(header).toEqual({ alg, typ: REQUEST_OBJECT_TYP, kid: key.kid });
      const { payload } = await jwtVerify(jwt, createLocalJWKSet({ keys: [key.publicJwk as never] }), {
        issuer: 'c1',
        audience: ISSUER,
        typ: REQUEST_OBJECT_TYP,
        algorithms: [alg],
        currentDate: new Date((NOW + 1) * 1000),
      });
      expect(typeof payload.aud).toBe('string');
      expect(payload).toMatchObject({
        iss: 'c1',
        client_id: 'c1',
        iat: NOW,
        nbf: NOW,
        exp: NOW + 300,
        response_type: 'code',
        scope: 'openid accounts',
        code_challenge_method: 'S256',
      });
      expect(typeof payload.jti).toBe('string');
      expect((payload.jti as string).length).toBeGreaterThanOrEqual(16);
      expect(payload).not.toHaveProperty('sub');
      expect(payload).not.toHaveProperty('dpop_jkt');
    });

  it('MS-07: a fresh jti each time; the lifetime is never more than 60 minutes', async () => {
    const { make } = await setup();
    expect(decodeJws(make()).payload.jti).not.toBe(decodeJws(make()).payload.jti);
    const long = decodeJws(make({ lifetime: 7200 })).payload;
    expect((long.exp as number) - (long.nbf as number)).toBe(3600);
  });

  it('MS-07: parameters cannot replace the JWT claims, nor smuggle request, request_uri or sub', async () => {
    const { make } = await setup();
    const p = decodeJws(
      make({
        params: {
          ...PARAMS,
          iss: 'evil',
          aud: 'evil',
          sub: 'c1',
          request_uri: 'urn:x',
          request: 'x',
          exp: '9',
        },
      }),
    ).payload;
    expect(p.iss).toBe('c1');
    expect(p.aud).toBe(ISSUER);
    expect(p.exp).toBe(NOW + 300);
    expect(p).not.toHaveProperty('sub');
    expect(p).not.toHaveProperty('request_uri');
    expect(p).not.toHaveProperty('request');
  });

  it('MS-07: the PAR form is client_id and request, nothing else', () => {
    expect(requestObjectForm('c1', 'a.b.c')).toEqual({ client_id: 'c1', request: 'a.b.c' });
  });
});

describe('MS-02..06: verifying a request object', () => {
  it('MS-05, MS-06: a good one verifies and yields its parameters only', async () => {
    const { make, opts } = await setup();
    const v = verifyRequestObject(make(), opts({ once: () => true }));
    expect(v.params).toEqual({
      ...Object.fromEntries(Object.entries(PARAMS).filter(([, x]) => x)),
      client_id: 'c1',
    });
    expect(v.alg).toBe('ES256');
  });

  it('MS-05: another key, an unknown kid, a registered alg that differs, a bad typ, crit', async () => {
    const { make, opts } = await setup();
    const other = await generateSigningKey('ES256');
    refusedWith(
      () => verifyRequestObject(make({ privateKey: other.privateKey }), opts()),
      'MS-05',
      'does not verify',
    );
    refusedWith(() => verifyRequestObject(make({ kid: 'nope' }), opts()), 'MS-05', 'never registered');
    refusedWith(() => verifyRequestObject(make(), opts({ allowedAlgs: ['PS256'] })), 'MS-05', 'alg');
    refusedWith(() => verifyRequestObject(make({ header: { typ: 'JWT' } }), opts()), 'MS-05', 'typ');
    refusedWith(() => verifyRequestObject(make({ header: { crit: ['x'] } }), opts()), 'MS-05', 'crit');
  });

  it('MS-05: a jose-made request object with a crit header naming an unknown parameter (RFC 7515 §4.1.11)', async () => {
    const { key, make, opts } = await setup();
    const claims = decodeJws(make()).payload;
    const signed = (extra: Record<string, unknown>, crit?: Record<string, boolean>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: REQUEST_OBJECT_TYP, kid: key.kid, ...extra })
        .sign(key.privateKey, crit ? { crit } : {});
    // The same claims, key and header without crit verify: only crit is refused.
    expect(verifyRequestObject(await signed({}), opts()).alg).toBe('ES256');
    const critical = await signed({ crit: ['x-unknown'], 'x-unknown': 1 }, { 'x-unknown': true });
    refusedWith(() => verifyRequestObject(critical, opts()), 'MS-05', 'crit header ["x-unknown"]');
    refusedWith(() => verifyRequestObject(critical, opts()), 'MS-05', 'RFC 7515 §4.1.11');
  });

  it('MS-05: a JWE, a duplicate claim, too long, not a JWS', async () => {
    const { make, opts } = await setup();
    refusedWith(() => verifyRequestObject('a.b.c.d.e', opts()), 'MS-05', 'JWE');
    refusedWith(() => verifyRequestObject('garbage', opts()), 'MS-05', 'not a signed JWT');
    refusedWith(() => verifyRequestObject(make(), opts({ maxLength: 100 })), 'MS-05', 'characters');
    const good = make();
    const [h, p, s] = good.split('.') as [string, string, string];
    const dup = Buffer.from(
      Buffer.from(p, 'base64url').toString().replace(/}$/, ',"scope":"openid payments"}'),
    ).toString('base64url');
    refusedWith(() => verifyRequestObject(`${h}.${dup}.${s}`, opts()), 'MS-05', 'appears twice');
  });

  it('MS-06: iss, client_id, the client_id parameter; request_uri and request inside', async () => {
    const { make, opts } = await setup();
    refusedWith(() => verifyRequestObject(make({ claims: { iss: 'c2' } }), opts()), 'MS-06', 'iss');
    refusedWith(
      () => verifyRequestObject(make({ claims: { client_id: 'c2' } }), opts()),
      'MS-06',
      'client_id',
    );
    refusedWith(
      () => verifyRequestObject(make(), opts({ clientIdParam: 'c2' })),
      'MS-06',
      'client_id parameter',
    );
    refusedWith(
      () => verifyRequestObject(make({ claims: { request_uri: 'urn:x' } }), opts()),
      'MS-06',
      'request_uri',
    );
    refusedWith(() => verifyRequestObject(make({ claims: { request: 'x' } }), opts()), 'MS-06', 'request');
  });

  it('MS-02: aud another server or missing is refused; an array with the issuer is accepted', async () => {
    const { make, opts } = await setup();
    refusedWith(() => verifyRequestObject(make({ audience: 'https://other' }), opts()), 'MS-02');
    refusedWith(() => verifyRequestObject(make({ claims: { aud: undefined } }), opts()), 'MS-02');
    expect(verifyRequestObject(make({ claims: { aud: [ISSUER, 'x'] } }), opts()).alg).toBe('ES256');
  });

  it('MS-03: nbf missing, over 60 minutes old, more than 10 s ahead; 8 s ahead is fine', async () => {
    const { make, opts } = await setup();
    refusedWith(() => verifyRequestObject(make({ claims: { nbf: undefined } }), opts()), 'MS-03', 'no nbf');
    refusedWith(
      () => verifyRequestObject(make({ now: NOW - 4300, claims: { exp: NOW + 60 } }), opts()),
      'MS-03',
      'in the past',
    );
    refusedWith(() => verifyRequestObject(make({ now: NOW + 30 }), opts()), 'MS-03', 'future');
    expect(verifyRequestObject(make({ now: NOW + 9 }), opts()).alg).toBe('ES256');
  });

  it('MS-04: exp missing, more than 60 minutes after nbf, expired; the jti once', async () => {
    const { make, opts } = await setup();
    refusedWith(() => verifyRequestObject(make({ claims: { exp: undefined } }), opts()), 'MS-04', 'no exp');
    refusedWith(() => verifyRequestObject(make({ claims: { exp: NOW + 3601 } }), opts()), 'MS-04', '60 min');
    refusedWith(() => verifyRequestObject(make(), opts({ now: NOW + 320 })), 'MS-04', 'expired');
    const seen = new Set<string>();
    const once = (k: string) => !seen.has(k) && Boolean(seen.add(k));
    const jwt = make();
    verifyRequestObject(jwt, opts({ once }));
    refusedWith(() => verifyRequestObject(jwt, opts({ once })), 'MS-04', 'replay');
    refusedWith(
      () => verifyRequestObject(make({ claims: { jti: undefined } }), opts({ once })),
      'MS-04',
      'no jti',
    );
  });

  it('MS-06: object and number values become JSON and strings; JWT claims and nulls are dropped', () => {
    expect(
      requestObjectParameters({
        iss: 'c',
        aud: 'a',
        exp: 1,
        nbf: 1,
        iat: 1,
        jti: 'j',
        sub: 's',
        claims: { id_token: { acr: null } },
        authorization_details: [{ type: 'x' }],
        max_age: 60,
        prompt: null,
        scope: 'openid',
      }),
    ).toEqual({
      claims: '{"id_token":{"acr":null}}',
      authorization_details: '[{"type":"x"}]',
      max_age: '60',
      scope: 'openid',
    });
  });
});

describe('duplicate JSON members (RFC 7515 §5.2, RFC 7519 §4)', () => {
  it('finds a repeated top-level name, escaped or not; ignores nested objects, arrays and values', () => {
    expect(duplicateMember('{"a":1,"b":2,"a":3}')).toBe('a');
    expect(duplicateMember('{"a":1,"\\u0061":2}')).toBe('a');
    expect(duplicateMember('{"a":{"a":1,"a":2},"b":["a","a"],"c":"a"}')).toBeUndefined();
    expect(duplicateMember('{"a\\"":1 , "b" :2,"a\\"" : 3}')).toBe('a"');
    expect(duplicateMember('{}')).toBeUndefined();
  });

  it('decodeJws refuses them only when asked (uniqueMembers)', () => {
    const jws = `${Buffer.from('{"alg":"ES256","alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.AA`;
    expect(decodeJws(jws).header.alg).toBe('none');
    expect(() => decodeJws(jws, { uniqueMembers: true })).toThrow(JwsError);
  });
});
