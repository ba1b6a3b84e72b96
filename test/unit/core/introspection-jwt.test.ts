/**
 * src/core/introspection-jwt.ts: what a signed introspection response is made of (MS-10), when a
 * caller gets one (RFC 9701 §4, §6), and the client's checks of it (MS-11), each refusal naming
 * its check (E_INTROSPECTION_<CHECK>, exit 5). JWTs for the negative cases are made by hand.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  introspectionJwtClaims,
  processSignedIntrospectionResponse,
  signIntrospectionJwt,
  verifyIntrospectionJwt,
  wantsIntrospectionJwt,
} from '../../../src/core/introspection-jwt.js';
import type { Exchange } from '../../../src/core/client.js';
import type { Jwk } from '../../../src/core/jwk.js';
import { ExitCode } from '../../../src/errors.js';
import { makeResponse } from '../../../src/http/client.js';
import { generateSigningKey } from '../../../src/keys/generate.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const ISSUER = 'https://as.example';
const NOW = 1_800_000_000;
const JWT_TYPE = 'application/token-introspection+jwt';

async function setup() {
  const key = await generateSigningKey('ES256');
  const jwk: Jwk = { ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' };
  const sk = { privateKey: key.privateKey, alg: key.alg, kid: key.kid };
  const claims = (o: Partial<Record<string, unknown>> = {}) => ({
    ...introspectionJwtClaims({
      issuer: ISSUER,
      audience: 'c1',
      now: NOW,
      response: { active: true, scope: 'openid' },
    }),
    ...o,
  });
  const check = { issuer: ISSUER, clientId: 'c1', now: NOW + 1, jwks: async () => [jwk] };
  return { key, sk, claims, check };
}

async function refused(p: Promise<unknown>, check: string) {
  const e = await expectFapiError(p, {
    code: `E_INTROSPECTION_${check.toUpperCase()}`,
    exitCode: ExitCode.server,
    label: check,
  });
  expect(e.details?.check).toBe(check);
  return e;
}

describe('MS-10: the signed introspection response', () => {
  it('MS-10: claims iss, aud (the caller), iat, token_introspection; header typ token-introspection+jwt, kid', async () => {
    const { sk, claims } = await setup();
    expect(claims()).toEqual({
      iss: ISSUER,
      aud: 'c1',
      iat: NOW,
      token_introspection: { active: true, scope: 'openid' },
    });
    const jwt = signIntrospectionJwt(claims(), sk);
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()) as Record<
      string,
      string
    >;
    expect(header).toEqual({ typ: 'token-introspection+jwt', kid: sk.kid, alg: 'ES256' });
  });

  it('MS-10: who gets a JWT (RFC 9701 §4, §6)', () => {
    expect(wantsIntrospectionJwt(JWT_TYPE)).toBe(true);
    expect(wantsIntrospectionJwt(`${JWT_TYPE}; charset=utf-8`)).toBe(true);
    expect(wantsIntrospectionJwt('application/json')).toBe(false);
    expect(wantsIntrospectionJwt('application/json', 'ES256')).toBe(false);
    expect(wantsIntrospectionJwt(undefined)).toBe(false);
    expect(wantsIntrospectionJwt(undefined, 'ES256')).toBe(true);
    expect(wantsIntrospectionJwt('*/*', 'ES256')).toBe(true);
    expect(wantsIntrospectionJwt('text/html', 'ES256')).toBe(false);
    expect(wantsIntrospectionJwt(`application/json;q=0.9, ${JWT_TYPE}`)).toBe(true);
    expect(wantsIntrospectionJwt(`${JWT_TYPE};q=0.1, application/json`)).toBe(false);
    expect(wantsIntrospectionJwt(`${JWT_TYPE};q=0`)).toBe(false);
  });
});

describe('MS-11: the client verifies it', () => {
  it('MS-11: a good one (made by jose) verifies and yields the RFC 7662 response inside', async () => {
    const { key, claims, check } = await setup();
    const jwt = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', typ: 'token-introspection+jwt', kid: key.kid })
      .sign(key.privateKey);
    const v = await verifyIntrospectionJwt(jwt, check);
    expect(v.introspection).toEqual({ active: true, scope: 'openid' });
    expect(v.alg).toBe('ES256');
    expect(v.kid).toBe(key.kid);
  });

  it('MS-11: typ missing or wrong, alg none or RS256, a bad signature, another key', async () => {
    const { sk, claims, check } = await setup();
    await refused(verifyIntrospectionJwt(signIntrospectionJwt(claims(), sk, { typ: 'JWT' }), check), 'typ');
    await refused(
      verifyIntrospectionJwt(signIntrospectionJwt(claims(), sk, { typ: undefined }), check),
      'typ',
    );
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    await refused(
      verifyIntrospectionJwt(
        `${b64({ alg: 'none', typ: 'token-introspection+jwt' })}.${b64(claims())}.`,
        check,
      ),
      'alg',
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const input = `${b64({ alg: 'RS256', typ: 'token-introspection+jwt', kid: sk.kid })}.${b64(claims())}`;
    const rs = `${input}.${sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`;
    await refused(verifyIntrospectionJwt(rs, check), 'alg');
    const good = signIntrospectionJwt(claims(), sk);
    const tampered = good.replace(
      /\.[^.]+\./,
      `.${b64(claims({ token_introspection: { active: true, scope: 'admin' } }))}.`,
    );
    await refused(verifyIntrospectionJwt(tampered, check), 'signature');
    const other = await generateSigningKey('ES256');
    await refused(
      verifyIntrospectionJwt(signIntrospectionJwt(claims(), { ...sk, privateKey: other.privateKey }), check),
      'signature',
    );
    await refused(verifyIntrospectionJwt('not-a-jwt', check), 'response');
  });

  it('MS-11: a jose-made response with the right key, typ, iss and aud but a crit header naming an unknown parameter is refused (RFC 7515 §4.1.11)', async () => {
    const { key, claims, check } = await setup();
    const signed = (extra: Record<string, unknown>, crit?: Record<string, boolean>) =>
      new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', typ: 'token-introspection+jwt', kid: key.kid, ...extra })
        .sign(key.privateKey, crit ? { crit } : {});
    // The same response without crit verifies: only crit is refused.
    expect((await verifyIntrospectionJwt(await signed({}), check)).introspection.active).toBe(true);
    const critical = await signed({ crit: ['x-unknown'], 'x-unknown': 1 }, { 'x-unknown': true });
    // The JWS header check refuses it; fapi's checks of a signed introspection response report it
    // under "signature" (the JWS could not be verified), the message naming crit.
    const e = await refused(verifyIntrospectionJwt(critical, check), 'signature');
    expect(e.message).toMatch(/crit header \["x-unknown"\].*RFC 7515 §4\.1\.11/);
    // Not a forgery: the hint says what the server does wrong.
    expect(e.hint).toMatch(/^Its JWS header lists crit extensions/);
    expect(e.hint).not.toMatch(/forged/);
  });

  it('MS-11: iss, aud (a string or an array with the client), iat present and not in the future, token_introspection', async () => {
    const { sk, claims, check } = await setup();
    const v = (c: Record<string, unknown>) => verifyIntrospectionJwt(signIntrospectionJwt(c, sk), check);
    await refused(v(claims({ iss: 'https://other' })), 'iss');
    await refused(v(claims({ iss: undefined })), 'iss');
    await refused(v(claims({ aud: 'c2' })), 'aud');
    await refused(v(claims({ aud: undefined })), 'aud');
    expect((await v(claims({ aud: ['c1', 'rs'] }))).introspection.active).toBe(true);
    await refused(v(claims({ iat: undefined })), 'iat');
    await refused(v(claims({ iat: NOW + 3600 })), 'iat');
    await refused(v(claims({ token_introspection: undefined })), 'response');
    await refused(v(claims({ token_introspection: { active: 'yes' } })), 'response');
  });

  it('MS-11: a plain JSON answer where a signed one was asked for is a downgrade, refused', async () => {
    const { sk, claims, check } = await setup();
    const exchange = (body: string, type: string): Exchange => {
      const response = makeResponse(`${ISSUER}/introspect`, 200, { 'content-type': type }, Buffer.from(body));
      return { step: 'introspection', url: `${ISSUER}/introspect`, attempts: [], response };
    };
    await refused(
      processSignedIntrospectionResponse(exchange('{"active":true}', 'application/json'), check),
      'response',
    );
    const jwt = signIntrospectionJwt(claims(), sk);
    const ok = await processSignedIntrospectionResponse(exchange(jwt, `${JWT_TYPE}; charset=utf-8`), check);
    expect(ok.introspection.active).toBe(true);
  });
});
