/** PAR (CL-08, CL-09, CL-10, CL-12, CL-21) and the authorization URL. */
import { describe, expect, it } from 'vitest';
import {
  authorizationUrl,
  createAuthorizationSession,
  parParameters,
  processPushedAuthorizationResponse,
  pushAuthorizationRequest,
} from '../../../src/core/par.js';
import { codeChallengeS256 } from '../../../src/core/pkce.js';
import { ISSUER, fakeClient, metadata } from '../../helpers/fake-http.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const REDIRECT = 'http://127.0.0.1:53121/callback';

const setup = () => fakeClient();

describe('PAR', () => {
  it('CL-08/CL-09/CL-10/CL-12: pushes PKCE S256, state, redirect_uri, dpop_jkt; never request_uri', async () => {
    const { f, c } = setup();
    f.on('POST', `${ISSUER}/par`, () => ({
      status: 201,
      json: { request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 60 },
    }));
    const s = createAuthorizationSession({ redirectUri: REDIRECT, scope: 'accounts', dpopJkt: c.dpopJkt });
    const ex = await pushAuthorizationRequest(c, s);
    const form = f.forms[0] as URLSearchParams;
    expect(form.get('response_type')).toBe('code');
    expect(form.get('client_id')).toBe('client-1');
    expect(form.get('redirect_uri')).toBe(REDIRECT);
    expect(form.get('scope')).toBe('accounts');
    expect(form.get('code_challenge_method')).toBe('S256');
    expect(form.get('code_challenge')).toBe(codeChallengeS256(s.code_verifier));
    expect(form.has('code_verifier')).toBe(false);
    expect(form.get('state')).toBe(s.state);
    expect(form.get('dpop_jkt')).toBe(c.dpopJkt);
    expect(form.has('request_uri')).toBe(false);
    expect(form.has('nonce')).toBe(false); // no openid → no nonce
    expect(form.has('client_assertion')).toBe(true);
    expect(f.requests[0]?.headers?.dpop).toBeDefined();
    expect(processPushedAuthorizationResponse(ex)).toEqual({
      request_uri: 'urn:ietf:params:oauth:request_uri:abc',
      expires_in: 60,
    });
  });

  it('CL-09: verifiers are 43+ chars, unique across 100 flows; state too', () => {
    const v = new Set<string>();
    const st = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const s = createAuthorizationSession({ redirectUri: REDIRECT, scope: 'openid' });
      expect(s.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
      v.add(s.code_verifier);
      st.add(s.state);
    }
    expect(v.size).toBe(100);
    expect(st.size).toBe(100);
  });

  it('CL-21: a nonce of at most 64 characters when openid is asked for', () => {
    const s = createAuthorizationSession({ redirectUri: REDIRECT, scope: 'openid accounts' });
    expect(s.nonce).toBeDefined();
    expect((s.nonce as string).length).toBeLessThanOrEqual(64);
    expect(parParameters('c', s).nonce).toBe(s.nonce);
    expect(createAuthorizationSession({ redirectUri: REDIRECT, scope: 'openidx' }).nonce).toBeUndefined();
  });

  it('MS-09: response_mode=jwt only when JARM is asked for (FAPI2-MS §5.4.2-1)', () => {
    const jarm = createAuthorizationSession({ redirectUri: REDIRECT, scope: 'openid', jarm: true });
    expect(parParameters('c', jarm).response_mode).toBe('jwt');
    const plain = createAuthorizationSession({ redirectUri: REDIRECT, scope: 'openid' });
    expect(parParameters('c', plain).response_mode).toBeUndefined();
  });

  it('CL-08: the authorization URL carries exactly client_id and request_uri', () => {
    const u = new URL(authorizationUrl(metadata(), 'client-1', 'urn:ietf:params:oauth:request_uri:abc'));
    expect([...u.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(u.origin + u.pathname).toBe(`${ISSUER}/authorize`);
    expect(u.searchParams.get('request_uri')).toBe('urn:ietf:params:oauth:request_uri:abc');
  });

  it('refuses a PAR response without request_uri or expires_in, and maps errors to exit 5', async () => {
    const { f, c } = setup();
    const s = createAuthorizationSession({ redirectUri: REDIRECT, scope: 'accounts' });
    let body: unknown = { expires_in: 60 };
    let status = 201;
    f.on('POST', `${ISSUER}/par`, () => ({ status, json: body }));
    const expectCode = (code: string, exitCode: number) =>
      expectFapiError(
        async () =>
          processPushedAuthorizationResponse(await pushAuthorizationRequest(c, s), { redirectUri: REDIRECT }),
        { code, exitCode },
      );
    await expectCode('E_PAR_NO_REQUEST_URI', 6);
    body = { request_uri: 'urn:x', expires_in: '60' };
    await expectCode('E_PAR_NO_EXPIRES_IN', 6);
    status = 400;
    body = { error: 'invalid_request', error_description: 'redirect_uri mismatch' };
    await expectCode('E_OAUTH_INVALID_REQUEST', 5);
  });
});
