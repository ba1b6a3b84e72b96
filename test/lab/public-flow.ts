/**
 * A FAPI 2.0 login against a library lab (`fapi/lab`) with only the exported helpers of `fapi`, as
 * the README's "Use the lab in your tests" shows it: RFC 7591 registration of a private_key_jwt
 * client with DPoP-bound tokens, PAR with PKCE S256 and dpop_jkt, the auto-approved authorization,
 * the token request with a DPoP proof and the AS nonce, and an RS call that answers the RS nonce.
 */
import {
  clientAssertionParams,
  createClientAssertion,
  createDpopProof,
  createPkcePair,
  generateKey,
  type KeyPair,
} from '../../src/public/index.js';
import type { Lab } from '../../src/public/lab.js';

export interface LoggedIn {
  clientId: string;
  key: KeyPair;
  dpop: KeyPair;
  accessToken: string;
  tokenResponse: Record<string, unknown>;
}

const formBody = (p: Record<string, string>) => new URLSearchParams(p).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export async function registerClient(lab: Lab, key: KeyPair, scope = 'openid accounts'): Promise<string> {
  const res = await lab.fetch(`${lab.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['authorization_code', 'refresh_token'],
      jwks: { keys: [key.publicJwk] },
      dpop_bound_access_tokens: true,
      scope,
    }),
  });
  if (res.status !== 201) throw new Error(`registration: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { client_id: string }).client_id;
}

export async function login(
  lab: Lab,
  o: { scope?: string; clientId?: string; key?: KeyPair } = {},
): Promise<LoggedIn> {
  const scope = o.scope ?? 'openid accounts';
  const key = o.key ?? (await generateKey());
  const dpop = await generateKey();
  const clientId = o.clientId ?? (await registerClient(lab, key, scope));
  const auth = () =>
    clientAssertionParams(clientId, createClientAssertion({ clientId, audience: lab.issuer, key }));

  const pkce = createPkcePair();
  const par = await lab.fetch(`${lab.issuer}/par`, {
    method: 'POST',
    headers: FORM,
    body: formBody({
      ...auth(),
      response_type: 'code',
      redirect_uri: 'https://client.example/cb',
      scope,
      state: 'st-1',
      code_challenge: pkce.challenge,
      code_challenge_method: pkce.method,
      dpop_jkt: dpop.thumbprint,
    }),
  });
  if (par.status !== 201) throw new Error(`PAR: ${par.status} ${await par.text()}`);
  const nonce = par.headers.get('dpop-nonce') ?? undefined;
  const { request_uri } = (await par.json()) as { request_uri: string };

  const authz = await lab.fetch(`${lab.issuer}/authorize?${formBody({ client_id: clientId, request_uri })}`);
  const code = new URL(authz.headers.get('location') ?? 'https://invalid/').searchParams.get('code');
  if (authz.status !== 303 || !code)
    throw new Error(`authorize: ${authz.status} ${authz.headers.get('location')}`);

  const tokenUrl = `${lab.issuer}/token`;
  const token = await lab.fetch(tokenUrl, {
    method: 'POST',
    headers: { ...FORM, dpop: createDpopProof(dpop, { htm: 'POST', htu: tokenUrl, nonce }) },
    body: formBody({
      ...auth(),
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://client.example/cb',
      code_verifier: pkce.verifier,
    }),
  });
  if (token.status !== 200) throw new Error(`token: ${token.status} ${await token.text()}`);
  const tokenResponse = (await token.json()) as Record<string, unknown>;
  return { clientId, key, dpop, accessToken: tokenResponse.access_token as string, tokenResponse };
}

/**
 * GET a protected resource (a path of the lab RS, or a URL such as userinfo) with the DPoP-bound
 * token, answering the server's nonce challenge once (RFC 9449 §9).
 */
export async function callRs(
  lab: Lab,
  who: Pick<LoggedIn, 'dpop' | 'accessToken'>,
  path = '/accounts',
): Promise<Response> {
  const url = path.startsWith('https://') ? path : `${lab.rs}${path}`;
  let nonce: string | undefined;
  for (let attempt = 0; ; attempt++) {
    const res = await lab.fetch(url, {
      headers: {
        authorization: `DPoP ${who.accessToken}`,
        dpop: createDpopProof(who.dpop, { htm: 'GET', htu: url, accessToken: who.accessToken, nonce }),
      },
    });
    const fresh = res.headers.get('dpop-nonce');
    if (
      attempt > 0 ||
      res.status !== 401 ||
      !/use_dpop_nonce/.test(res.headers.get('www-authenticate') ?? '') ||
      !fresh
    )
      return res;
    nonce = fresh;
  }
}
