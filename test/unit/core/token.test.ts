/** The token endpoint: CL-13, CL-17, CL-18, CL-19, sender-constraint checks, client_credentials. */
import { describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../../src/core/client.js';
import { signJws } from '../../../src/core/jws.js';
import { createAuthorizationSession } from '../../../src/core/par.js';
import {
  authorizationCodeGrant,
  clientCredentialsGrant,
  processTokenResponse,
  refreshTokenGrant,
  type TokenSet,
} from '../../../src/core/token.js';
import { toStoredTokens } from '../../../src/store/tokens.js';
import type { FapiError } from '../../../src/errors.js';
import { ISSUER, MTLS, ecSigningKey, fakeClient, type FakeReply } from '../../helpers/fake-http.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const SIG = ecSigningKey();

function setup(reply: FakeReply, extra: Partial<ClientOptions> = {}) {
  const { f, c } = fakeClient({ signingKey: SIG, ...extra });
  f.on('POST', `${ISSUER}/token`, () => reply);
  f.on('POST', `${MTLS}/token`, () => reply);
  return { f, c };
}

const jwtAt = (cnf: Record<string, unknown> | undefined) =>
  signJws({ typ: 'at+jwt' }, { sub: 'alice', ...(cnf ? { cnf } : {}) }, SIG.privateKey, 'ES256');

const expectFail = (p: () => Promise<unknown>, code: string, exitCode: number): Promise<FapiError> =>
  expectFapiError(p, { code, exitCode });

describe('token endpoint', () => {
  it('CL-13: code, the PAR redirect_uri, code_verifier, client auth and a DPoP proof', async () => {
    const { f, c } = setup({
      status: 200,
      json: { access_token: 'at', token_type: 'DPoP', expires_in: 300 },
    });
    const s = createAuthorizationSession({ redirectUri: 'http://127.0.0.1:5000/cb', scope: 'accounts' });
    const t = processTokenResponse(await authorizationCodeGrant(c, 'the-code', s), { client: c });
    const form = f.forms[0] as URLSearchParams;
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('code')).toBe('the-code');
    expect(form.get('redirect_uri')).toBe('http://127.0.0.1:5000/cb');
    expect(form.get('code_verifier')).toBe(s.code_verifier);
    expect(form.get('client_assertion')).toBeTruthy();
    expect(f.requests[0]?.headers?.dpop).toBeTruthy();
    expect(t).toMatchObject({ access_token: 'at', token_type: 'DPoP', expires_in: 300 });
    expect(t.binding).toEqual({ method: 'dpop', jkt: c.dpopJkt, evidence: 'token_type' });
  });

  it('CL-17: token_type is compared case-insensitively ("dPoP" is accepted)', async () => {
    const { c } = setup({ status: 200, json: { access_token: 'at', token_type: 'dPoP' } });
    const t = processTokenResponse(await refreshTokenGrant(c, 'rt'), { client: c });
    expect(t.token_type).toBe('DPoP');
  });

  it('CL-17 (LAB policy): DPoP asked but Bearer returned → refused, exit 6', async () => {
    const { c } = setup({ status: 200, json: { access_token: 'at', token_type: 'Bearer' } });
    const e = await expectFail(
      async () => processTokenResponse(await clientCredentialsGrant(c, 'accounts'), { client: c }),
      'E_TOKEN_NOT_DPOP',
      6,
    );
    expect(e.message).toContain('usable by whoever steals it');
  });

  it('CL-18: a missing expires_in is tolerated', async () => {
    const { c } = setup({
      status: 200,
      json: { access_token: 'at', token_type: 'DPoP', refresh_token: 'rt2' },
    });
    const t = processTokenResponse(await refreshTokenGrant(c, 'rt'), { client: c });
    expect(t.expires_in).toBeUndefined();
    expect(toStoredTokens(t, { issuer: ISSUER, clientId: 'client-1', now: 1000 }).expires_at).toBeUndefined();
  });

  it('checks cnf.jkt of a JWT access token against the DPoP key', async () => {
    const ok = setup({ status: 200, json: { access_token: 'x', token_type: 'DPoP' } });
    const jkt = ok.c.dpopJkt as string;
    const { c } = setup(
      { status: 200, json: { access_token: jwtAt({ jkt }), token_type: 'DPoP' } },
      { dpopKey: ok.c.dpopKey },
    );
    const t = processTokenResponse(await refreshTokenGrant(c, 'rt'), { client: c });
    expect(t.binding.evidence).toBe('cnf');
    const wrong = setup({ status: 200, json: { access_token: jwtAt({ jkt: 'other' }), token_type: 'DPoP' } });
    await expectFail(
      async () => processTokenResponse(await refreshTokenGrant(wrong.c, 'rt'), { client: wrong.c }),
      'E_TOKEN_WRONG_JKT',
      6,
    );
    const none = setup({ status: 200, json: { access_token: jwtAt(undefined), token_type: 'DPoP' } });
    await expectFail(
      async () => processTokenResponse(await refreshTokenGrant(none.c, 'rt'), { client: none.c }),
      'E_TOKEN_NOT_DPOP_BOUND',
      6,
    );
  });

  it('mTLS: Bearer with cnf.x5t#S256 of the client certificate; an unbound JWT is refused', async () => {
    const mtls = { authMethod: 'tls_client_auth' as const, sender: 'mtls' as const, signingKey: undefined };
    const good = setup(
      { status: 200, json: { access_token: jwtAt({ 'x5t#S256': 'thumb' }), token_type: 'bearer' } },
      mtls,
    );
    const t = processTokenResponse(await clientCredentialsGrant(good.c), {
      client: good.c,
      certificateThumbprint: 'thumb',
    });
    expect(t.token_type).toBe('Bearer');
    expect(t.binding).toEqual({ method: 'mtls', x5t_s256: 'thumb', evidence: 'cnf' });
    expect(good.f.requests[0]?.url).toBe(`${MTLS}/token`);
    expect(good.f.requests[0]?.headers?.dpop).toBeUndefined();
    const other = setup(
      { status: 200, json: { access_token: jwtAt({ 'x5t#S256': 'other' }), token_type: 'Bearer' } },
      mtls,
    );
    await expectFail(
      async () =>
        processTokenResponse(await clientCredentialsGrant(other.c), {
          client: other.c,
          certificateThumbprint: 'thumb',
        }),
      'E_TOKEN_WRONG_X5T',
      6,
    );
    const unbound = setup(
      { status: 200, json: { access_token: jwtAt(undefined), token_type: 'Bearer' } },
      mtls,
    );
    await expectFail(
      async () => processTokenResponse(await clientCredentialsGrant(unbound.c), { client: unbound.c }),
      'E_TOKEN_NOT_CERT_BOUND',
      6,
    );
    const opaque = setup({ status: 200, json: { access_token: 'opaque', token_type: 'Bearer' } }, mtls);
    expect(
      processTokenResponse(await clientCredentialsGrant(opaque.c), {
        client: opaque.c,
        certificateThumbprint: 'thumb',
      }).binding.evidence,
    ).toBe('unverifiable');
  });

  it('client_credentials sends the scope and no user parameters', async () => {
    const { f, c } = setup({ status: 200, json: { access_token: 'at', token_type: 'DPoP' } });
    await clientCredentialsGrant(c, 'payments');
    expect(Object.fromEntries(f.forms[0] as URLSearchParams)).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'payments',
    });
  });

  it('maps invalid_grant to exit 5 with a hint per grant', async () => {
    const { c } = setup({
      status: 400,
      json: { error: 'invalid_grant', error_description: 'grant request is invalid' },
    });
    const e = await expectFail(
      async () => processTokenResponse(await refreshTokenGrant(c, 'rt'), { client: c }),
      'E_OAUTH_INVALID_GRANT',
      5,
    );
    expect(e.oauth?.error_description).toBe('grant request is invalid');
    expect(e.hint).toContain('fapi login');
    const s = createAuthorizationSession({ redirectUri: 'http://127.0.0.1:5000/cb', scope: 'x' });
    const e2 = await expectFail(
      async () => processTokenResponse(await authorizationCodeGrant(c, 'code', s), { client: c }),
      'E_OAUTH_INVALID_GRANT',
      5,
    );
    expect(e2.hint).toContain('code_verifier');
  });

  it('refuses responses without access_token or token_type, or with a bad expires_in', async () => {
    for (const [json, code] of [
      [{ token_type: 'DPoP' }, 'E_TOKEN_NO_ACCESS_TOKEN'],
      [{ access_token: 'a' }, 'E_TOKEN_NO_TOKEN_TYPE'],
      [{ access_token: 'a', token_type: 'DPoP', expires_in: 'soon' }, 'E_TOKEN_EXPIRES_IN'],
    ] as const) {
      const { c } = setup({ status: 200, json });
      await expectFail(
        async () => processTokenResponse(await refreshTokenGrant(c, 'rt'), { client: c }),
        code,
        6,
      );
    }
  });

  it('requires an ID token when openid was asked for', async () => {
    const { c } = setup({ status: 200, json: { access_token: 'a', token_type: 'DPoP' } });
    await expectFail(
      async () => processTokenResponse(await refreshTokenGrant(c, 'rt'), { client: c, expectIdToken: true }),
      'E_NO_ID_TOKEN',
      6,
    );
  });
});

describe('CL-19: refresh token rotation', () => {
  const base: TokenSet = {
    access_token: 'at1',
    token_type: 'DPoP',
    binding: { method: 'dpop', jkt: 'j', evidence: 'token_type' },
  };
  it('stores a rotated refresh token, keeps the old one when none is returned', () => {
    const first = toStoredTokens(
      { ...base, refresh_token: 'rt1', expires_in: 60, scope: 'openid accounts', id_token: 'idt' },
      { issuer: ISSUER, clientId: 'c', now: 100 },
    );
    expect(first).toMatchObject({
      refresh_token: 'rt1',
      expires_at: 160,
      cnf: { jkt: 'j' },
      scope: 'openid accounts',
    });
    const rotated = toStoredTokens(
      { ...base, access_token: 'at2', refresh_token: 'rt2' },
      { issuer: ISSUER, clientId: 'c', now: 200, previous: first },
    );
    expect(rotated.refresh_token).toBe('rt2');
    expect(rotated.access_token).toBe('at2');
    expect(rotated.id_token).toBe('idt');
    expect(rotated.scope).toBe('openid accounts');
    const kept = toStoredTokens(
      { ...base, access_token: 'at3' },
      { issuer: ISSUER, clientId: 'c', now: 300, previous: rotated },
    );
    expect(kept.refresh_token).toBe('rt2');
  });
});
