/**
 * Interop with software nobody here wrote: openid-client 6 (panva; a certified FAPI 2.0 relying
 * party) against the lab: DCR, PAR with PKCE and DPoP, authorization (auto-approve), token with a
 * DPoP nonce retry, an RS call (with the RS nonce retry), userinfo, refresh, introspection and
 * revocation. openid-client reaches the lab through its `customFetch` hook: a small fetch on
 * node:https that trusts the lab CA (TLS verification stays on).
 */
import https from 'node:https';
import { webcrypto } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLab, type TestLab } from './helpers.js';

interface Exchange {
  method: string;
  url: string;
  status: number;
  body: string;
  wwwAuthenticate?: string;
}

/** A fetch for openid-client's customFetch: node:https with the lab CA as the only extra trust. */
function labFetch(ca: string, log: Exchange[]) {
  const agent = new https.Agent({ ca, keepAlive: true, minVersion: 'TLSv1.2' });
  return (url: string, options: oidc.CustomFetchOptions): Promise<Response> =>
    new Promise((resolve, reject) => {
      let body: Buffer | undefined;
      const b = options.body;
      if (typeof b === 'string') body = Buffer.from(b);
      else if (b instanceof URLSearchParams) body = Buffer.from(b.toString());
      else if (b instanceof Uint8Array) body = Buffer.from(b);
      else if (b instanceof ArrayBuffer) body = Buffer.from(new Uint8Array(b));
      else if (b !== undefined && b !== null) return reject(new Error(`labFetch: unsupported body type`));
      const headers: Record<string, string> = {};
      const given = options.headers as unknown as Record<string, string> | Headers;
      if (given instanceof Headers) given.forEach((v, k) => (headers[k] = v));
      else Object.assign(headers, given);
      if (body) headers['content-length'] = String(body.length);
      const req = https.request(
        url,
        { method: options.method, headers, agent, signal: options.signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) for (const x of v) out.append(k, x);
              else if (v !== undefined) out.set(k, v);
            }
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks);
            log.push({
              method: options.method,
              url: url.split('?')[0] as string,
              status,
              body: text.toString('utf8'),
              ...(out.get('www-authenticate')
                ? { wwwAuthenticate: out.get('www-authenticate') as string }
                : {}),
            });
            const response = new Response(status === 204 || status === 304 ? null : text, {
              status,
              headers: out,
            });
            Object.defineProperty(response, 'url', { value: url });
            resolve(response);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/** Follows the authorization URL like a browser of an auto-approving user: returns the redirect. */
function follow(url: URL, ca: string): Promise<URL> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        res.resume();
        const loc = res.headers.location;
        if (res.statusCode !== 303 || !loc)
          reject(new Error(`authorization answered ${res.statusCode} without a redirect`));
        else resolve(new URL(loc));
      })
      .on('error', reject);
  });
}

let t: TestLab;
const log: Exchange[] = [];
const redirectUri = 'https://rp.example/cb';

beforeAll(async () => {
  t = await startTestLab();
});
afterAll(() => t.close());

describe('interop: openid-client 6 against the lab', () => {
  it('completes DCR, PAR+PKCE+DPoP, authorization, token (nonce retry), RS, userinfo, refresh, introspection, revocation', async () => {
    const fetchOption = { [oidc.customFetch]: labFetch(t.ca, log) };
    const issuer = new URL(t.lab.issuer);

    // Client key for private_key_jwt (WebCrypto, as openid-client wants it).
    const clientKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const publicJwk = await webcrypto.subtle.exportKey('jwk', clientKeys.publicKey);
    const kid = 'interop-key-1';

    // DCR (RFC 7591) through openid-client.
    const config = await oidc.dynamicClientRegistration(
      issuer,
      {
        client_name: 'openid-client interop',
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        id_token_signed_response_alg: 'ES256',
        dpop_bound_access_tokens: true,
        jwks: { keys: [{ ...(publicJwk as Record<string, string>), kid, alg: 'ES256', use: 'sig' }] },
      },
      oidc.PrivateKeyJwt({ key: clientKeys.privateKey, kid }),
      fetchOption,
    );
    const meta = config.clientMetadata();
    expect(meta.client_id).toEqual(expect.any(String));
    expect(config.serverMetadata().issuer).toBe(t.lab.issuer);

    // PAR with PKCE S256 and a DPoP proof (the lab demands a nonce: openid-client retries).
    const dpopKeys = await oidc.randomDPoPKeyPair('ES256');
    const parDpop = oidc.getDPoPHandle(config, dpopKeys);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authUrl = await oidc.buildAuthorizationUrlWithPAR(
      config,
      {
        redirect_uri: redirectUri,
        scope: 'openid accounts',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      },
      { DPoP: parDpop },
    );
    expect([...authUrl.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const parCalls = log.filter((e) => e.url.endsWith('/par'));
    expect(parCalls.map((e) => e.status)).toEqual([400, 201]);
    expect(JSON.parse(parCalls[0]?.body as string).error).toBe('use_dpop_nonce');

    // Authorization (auto-approve) → redirect with code, state, iss.
    const callback = await follow(authUrl, t.ca);
    expect(callback.searchParams.get('iss')).toBe(t.lab.issuer);

    // Token request with a fresh DPoP handle (same key: the code is bound to it) → nonce retry.
    const dpop = oidc.getDPoPHandle(config, dpopKeys);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
      undefined,
      { DPoP: dpop },
    );
    const tokenCalls = log.filter((e) => e.url.endsWith('/token'));
    expect(tokenCalls.map((e) => e.status)).toEqual([400, 200]);
    expect(JSON.parse(tokenCalls[0]?.body as string).error).toBe('use_dpop_nonce');
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(tokens.claims()?.sub).toBe('alice');
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // RS call: the RS demands its own nonce (401 use_dpop_nonce), openid-client retries.
    const accounts = await oidc
      .fetchProtectedResource(
        config,
        tokens.access_token,
        new URL(`${t.lab.rs}/accounts`),
        'GET',
        undefined,
        undefined,
        { DPoP: dpop },
      )
      .catch((e) => {
        throw new Error(`RS call failed: ${String(e)} ${JSON.stringify(log.slice(-2))}`);
      });
    expect(accounts.status).toBe(200);
    const rsCalls = log.filter((e) => e.url === `${t.lab.rs}/accounts`);
    expect(rsCalls.map((e) => e.status)).toEqual([401, 200]);
    expect(rsCalls[0]?.wwwAuthenticate).toMatch(/^DPoP error="use_dpop_nonce"/);
    expect(((await accounts.json()) as { Data: { Account: unknown[] } }).Data.Account).toHaveLength(2);

    // Userinfo (sender-constrained, on the AS).
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, 'alice', { DPoP: dpop });
    expect(userinfo.sub).toBe('alice');

    // Refresh (DPoP, no rotation by default).
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string, undefined, {
      DPoP: dpop,
    });
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');

    // Introspection: active, DPoP-bound.
    const intro = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(intro).toMatchObject({ active: true, token_type: 'DPoP', client_id: meta.client_id });
    expect((intro.cnf as { jkt?: string }).jkt).toEqual(expect.any(String));

    // Revocation of the refresh token revokes the grant: the RS now refuses the access token.
    await oidc.tokenRevocation(config, tokens.refresh_token as string);
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);
    const refused = await oidc
      .fetchProtectedResource(
        config,
        refreshed.access_token,
        new URL(`${t.lab.rs}/accounts`),
        'GET',
        undefined,
        undefined,
        { DPoP: dpop },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // openid-client surfaces the RS challenge as an error carrying the parsed challenges.
    expect(refused).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    const challenge = (refused as oidc.WWWAuthenticateChallengeError).cause[0];
    expect(challenge?.scheme).toBe('dpop');
    expect(challenge?.parameters.error).toBe('invalid_token');
    expect((refused as oidc.WWWAuthenticateChallengeError).status).toBe(401);
  });
});

describe('interop: openid-client 6 request objects and signed introspection against the lab', () => {
  it('MS-01..06, MS-10: a request object pushed by openid-client (JAR + PAR) is verified, a plain one refused; openid-client verifies the signed introspection response', async () => {
    const jarLog: Exchange[] = [];
    const fetchOption = { [oidc.customFetch]: labFetch(t.ca, jarLog) };
    const clientKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const publicJwk = await webcrypto.subtle.exportKey('jwk', clientKeys.publicKey);
    const kid = 'interop-jar-key';
    const config = await oidc.dynamicClientRegistration(
      new URL(t.lab.issuer),
      {
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        id_token_signed_response_alg: 'ES256',
        request_object_signing_alg: 'ES256',
        require_signed_request_object: true,
        introspection_signed_response_alg: 'ES256',
        dpop_bound_access_tokens: true,
        jwks: { keys: [{ ...(publicJwk as Record<string, string>), kid, alg: 'ES256', use: 'sig' }] },
      },
      oidc.PrivateKeyJwt({ key: clientKeys.privateKey, kid }),
      fetchOption,
    );
    expect(config.clientMetadata()).toMatchObject({ require_signed_request_object: true });
    const dpopKeys = await oidc.randomDPoPKeyPair('ES256');
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const params = {
      redirect_uri: redirectUri,
      scope: 'openid accounts',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    };

    // MS-01: plain PAR parameters from this client are refused.
    const plain = await oidc
      .buildAuthorizationUrlWithPAR(config, params, { DPoP: oidc.getDPoPHandle(config, dpopKeys) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(plain).toBeInstanceOf(oidc.ResponseBodyError);
    expect((plain as oidc.ResponseBodyError).error).toBe('invalid_request');
    expect(t.lab.ctx.requests.recent(1)[0]?.check).toBe('MS-01');

    // JAR at PAR, as openid-client documents it: the request object's parameters are pushed.
    const jar = await oidc.buildAuthorizationUrlWithJAR(config, params, { key: clientKeys.privateKey, kid });
    expect([...jar.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
    const authUrl = await oidc.buildAuthorizationUrlWithPAR(config, jar.searchParams, {
      DPoP: oidc.getDPoPHandle(config, dpopKeys),
    });
    const pushed = t.lab.ctx.requests.recent().filter((q) => q.path === '/par' && q.status === 201);
    expect(pushed[0]?.passed).toEqual(expect.arrayContaining(['MS-05', 'MS-06', 'MS-02', 'MS-03', 'MS-04']));
    const callback = await follow(authUrl, t.ca);
    expect(callback.searchParams.get('state')).toBe(state);
    const dpop = oidc.getDPoPHandle(config, dpopKeys);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true },
      undefined,
      { DPoP: dpop },
    );
    expect(tokens.token_type.toLowerCase()).toBe('dpop');

    // MS-10: openid-client asks for and verifies the signed introspection response.
    const intro = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(intro).toMatchObject({ active: true, client_id: config.clientMetadata().client_id });
    const call = jarLog.filter((e) => e.url.endsWith('/introspect')).at(-1);
    expect(call?.body.split('.')).toHaveLength(3);
    expect(t.lab.ctx.requests.recent().filter((q) => q.path === '/introspect')[0]?.passed).toContain('MS-10');
  });
});
