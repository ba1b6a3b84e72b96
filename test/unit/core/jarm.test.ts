/**
 * MS-09: the client's JARM checks (JARM §2.4) with a frozen clock: one refusal per lab fault
 * (the jarm-* fault switches, made by the lab's own fault hook), the accepted shapes, the clock-skew
 * leeway, and the whole authorization response (state, then code or error, inside the JWT).
 */
import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../../lab/config.js';
import { signAuthorizationResponse } from '../../../lab/faults.js';
import { validateJarmAuthorizationResponse } from '../../../src/core/authorization-response.js';
import { ServerClock } from '../../../src/core/server-clock.js';
import type { AuthorizationServerMetadata } from '../../../src/core/discovery.js';
import { checkJarmSupported, validateJarmResponse, type JarmCheck } from '../../../src/core/jarm.js';
import type { Jwk } from '../../../src/core/jwk.js';
import { signJws } from '../../../src/core/jws.js';
import type { FapiError } from '../../../src/errors.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const ISS = 'https://as.example';
const NOW = 1_800_000_000;
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWK: Jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as Jwk), kid: 'as-1', use: 'sig' };
const KEY = { kid: 'as-1', alg: 'ES256' as const, privateKey: pair.privateKey };
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISS,
  aud: 'client-1',
  exp: NOW + 300,
  iat: NOW,
  code: 'c-1',
  state: 'st-1',
  ...extra,
});
const sign = (c: Record<string, unknown>, header: Record<string, unknown> = { kid: 'as-1' }) =>
  signJws(header, c, pair.privateKey, 'ES256');
const withFault = (fault: Fault | undefined, c = claims()) =>
  signAuthorizationResponse((f) => f === fault, c, KEY, NOW);

const check = (extra: Partial<JarmCheck> = {}): JarmCheck => ({
  issuer: ISS,
  clientId: 'client-1',
  now: NOW,
  jwks: async () => [JWK],
  ...extra,
});

async function refused(jwt: string, code: string, contains: string, o = check()): Promise<FapiError> {
  const f = await expectFapiError(validateJarmResponse(jwt, o), { code, exitCode: 5, message: contains });
  expect(f.message).toContain('stopped before the token request');
  expect(f.hint).toBeTruthy();
  return f;
}

describe('MS-09 JARM response checks (JARM §2.4)', () => {
  it('accepts a response signed by the issuer key, and returns its parameters only', async () => {
    const v = await validateJarmResponse(withFault(undefined), check());
    expect(v.alg).toBe('ES256');
    expect(v.kid).toBe('as-1');
    expect(Object.fromEntries(v.params)).toEqual({ iss: ISS, code: 'c-1', state: 'st-1' });
    // aud as an array that contains the client_id is accepted too.
    await validateJarmResponse(sign(claims({ aud: ['client-1', 'other'] })), check());
  });

  const faults: [Fault, string, string][] = [
    ['jarm-iss-missing', 'E_JARM_ISS', 'no iss'],
    ['jarm-iss-wrong', 'E_JARM_ISS', 'is not the issuer'],
    ['jarm-aud-missing', 'E_JARM_AUD', 'no aud'],
    ['jarm-aud-wrong', 'E_JARM_AUD', 'is not the client_id client-1'],
    ['jarm-exp-missing', 'E_JARM_EXP', 'no exp'],
    ['jarm-exp-expired', 'E_JARM_EXP', 'expired at'],
    ['jarm-sig-invalid', 'E_JARM_SIGNATURE', 'signature does not verify'],
    ['jarm-alg-none', 'E_JARM_ALG', 'alg "none" is not allowed'],
  ];
  for (const [fault, code, text] of faults) {
    it(`${fault} → ${code}`, async () => {
      const e = await refused(withFault(fault), code, text);
      expect(e.details).toEqual({ check: code.slice('E_JARM_'.length).toLowerCase() });
    });
  }

  it('refuses RS256 and HS256 (not FAPI algorithms), and a JWT signed by another key', async () => {
    const body = Buffer.from(JSON.stringify(claims())).toString('base64url');
    for (const alg of ['RS256', 'HS256']) {
      const h = Buffer.from(JSON.stringify({ alg, kid: 'as-1' })).toString('base64url');
      await refused(`${h}.${body}.${Buffer.alloc(32).toString('base64url')}`, 'E_JARM_ALG', alg);
    }
    await refused(
      signJws({ kid: 'as-1' }, claims(), other.privateKey, 'ES256'),
      'E_JARM_SIGNATURE',
      'does not verify',
    );
    await refused('not-a-jwt', 'E_JARM_RESPONSE', 'not a signed JWT');
  });

  it('refuses a jose-made response with a crit header (RFC 7515 §4.1.11), or one carrying its own jwk', async () => {
    const signed = (extra: Record<string, unknown>, crit?: Record<string, boolean>) =>
      new jose.SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', kid: 'as-1', ...extra })
        .sign(pair.privateKey, crit ? { crit } : {});
    expect((await validateJarmResponse(await signed({}), check())).params.get('code')).toBe('c-1');
    await refused(await signed({ crit: ['b64'], b64: true }), 'E_JARM_SIGNATURE', 'crit');
    const e = await refused(
      await signed({ crit: ['exp-x'], 'exp-x': 1 }, { 'exp-x': true }),
      'E_JARM_SIGNATURE',
      'crit',
    );
    // Not a forgery: the hint says what the server does wrong.
    expect(e.hint).toMatch(/^Its JWS header lists crit extensions/);
    // A jwk header is never used: the issuer's own key there changes nothing, another key is refused.
    expect(
      (await validateJarmResponse(sign(claims(), { kid: 'as-1', jwk: JWK }), check())).params.get('code'),
    ).toBe('c-1');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new jose.SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: 'as-1', jwk: other.publicKey.export({ format: 'jwk' }) })
      .sign(other.privateKey);
    await refused(forged, 'E_JARM_SIGNATURE', 'signature');
  });

  it('an unknown kid is looked up again once (key rotation), then refused', async () => {
    const calls: boolean[] = [];
    await refused(
      sign(claims(), { kid: 'rotated' }),
      'E_JARM_SIGNATURE',
      'no key',
      check({ jwks: async (r) => (calls.push(r), [JWK]) }),
    );
    expect(calls).toEqual([false, true]);
  });

  it('exp: 60 s of leeway for clock skew, no more; a future nbf is refused', async () => {
    await validateJarmResponse(sign(claims({ exp: NOW - 59 })), check());
    await refused(sign(claims({ exp: NOW - 60 })), 'E_JARM_EXP', 'expired');
    await refused(sign(claims({ exp: String(NOW + 300) })), 'E_JARM_EXP', 'not a number');
    await refused(sign(claims({ nbf: NOW + 120 })), 'E_JARM_EXP', 'nbf');
  });

  it("uses the client's skew-corrected clock: a server 10 min behind is fine unless --no-sync-clock", async () => {
    const localMs = NOW * 1000;
    const serverNow = NOW - 600;
    const jwt = sign(claims({ iat: serverNow, exp: serverNow + 300 }));
    const synced = new ServerClock(() => localMs, true);
    synced.learn('https://as.example', new Date(serverNow * 1000).toUTCString());
    await validateJarmResponse(jwt, check({ now: synced.now('https://as.example') }));
    const unsynced = new ServerClock(() => localMs, false);
    unsynced.learn('https://as.example', new Date(serverNow * 1000).toUTCString());
    await refused(jwt, 'E_JARM_EXP', 'expired', check({ now: unsynced.now('https://as.example') }));
  });

  it('refuses response parameters that are not strings', async () => {
    await refused(sign(claims({ code: 42 })), 'E_JARM_RESPONSE', 'its code is 42');
  });
});

describe('MS-09 the JARM authorization response as a whole', () => {
  const o = { ...check(), state: 'st-1' };
  const q = (jwt: string, extra = '') => new URLSearchParams(`response=${jwt}${extra}`);

  it('accepts the code once every check passed; ignores top-level parameters', async () => {
    const r = await validateJarmAuthorizationResponse(q(withFault(undefined), '&code=evil&iss=x'), o);
    expect(r).toEqual({ code: 'c-1', iss_checked: true, jarm: { alg: 'ES256', kid: 'as-1' } });
  });

  it('checks state inside the JWT (CL-12) after the JARM checks', async () => {
    await expect(
      validateJarmAuthorizationResponse(q(withFault(undefined, claims({ state: 'other' }))), o),
    ).rejects.toMatchObject({ code: 'E_STATE_MISMATCH' });
    await expect(
      validateJarmAuthorizationResponse(q(withFault(undefined, claims({ state: undefined }))), o),
    ).rejects.toMatchObject({ code: 'E_STATE_MISSING' });
    // A wrong state in a forged JWT is reported as the forgery, not as the state.
    await expect(
      validateJarmAuthorizationResponse(q(withFault('jarm-sig-invalid', claims({ state: 'x' }))), o),
    ).rejects.toMatchObject({ code: 'E_JARM_SIGNATURE' });
  });

  it('an error inside the JWT is the usual OAuth error (exit 5, error and description verbatim)', async () => {
    const jwt = withFault(
      undefined,
      claims({ code: undefined, error: 'access_denied', error_description: 'the user said no' }),
    );
    await expect(validateJarmAuthorizationResponse(q(jwt), o)).rejects.toMatchObject({
      code: 'E_OAUTH_ACCESS_DENIED',
      kind: 'server',
      oauth: { error: 'access_denied', error_description: 'the user said no' },
    });
  });

  it('refuses a plain (unsigned) response or error where JARM was asked for, and a repeated response', async () => {
    await expect(
      validateJarmAuthorizationResponse(new URLSearchParams(`code=c-1&state=st-1&iss=${ISS}`), o),
    ).rejects.toMatchObject({ code: 'E_JARM_RESPONSE' });
    await expectFapiError(
      validateJarmAuthorizationResponse(new URLSearchParams('error=access_denied&state=st-1'), o),
      {
        code: 'E_JARM_RESPONSE',
        message: 'unsigned error response (error "access_denied"',
      },
    );
    const jwt = withFault(undefined);
    await expect(validateJarmAuthorizationResponse(q(jwt, `&response=${jwt}`), o)).rejects.toMatchObject({
      code: 'E_AUTHZ_RESPONSE_DUPLICATE',
    });
  });
});

describe('checkJarmSupported (fapi login --jarm)', () => {
  const m = (extra: Record<string, unknown>) =>
    ({ issuer: ISS, ...extra }) as unknown as AuthorizationServerMetadata;
  it('accepts a server with jwt in response_modes_supported', () => {
    expect(checkJarmSupported(m({ response_modes_supported: ['query', 'jwt'] }))).toEqual({});
    expect(
      checkJarmSupported(
        m({
          response_modes_supported: ['jwt'],
          authorization_signing_alg_values_supported: ['RS256', 'PS256'],
        }),
      ),
    ).toEqual({ algs: ['RS256', 'PS256'] });
  });
  it('refuses (exit 2) a server without jwt, or whose JARM algorithms are not FAPI ones', () => {
    for (const extra of [
      {},
      { response_modes_supported: ['query', 'query.jwt'] },
      { response_modes_supported: ['jwt'], authorization_signing_alg_values_supported: ['RS256'] },
    ]) {
      expectFapiError(() => checkJarmSupported(m(extra)), {
        code: 'E_JARM_UNSUPPORTED',
        exitCode: 2,
        label: JSON.stringify(extra),
      });
    }
  });
});
