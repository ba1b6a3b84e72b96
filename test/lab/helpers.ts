/**
 * In-process lab tests: a lab on 127.0.0.1 port 0 in a temporary home, with a clock the test can
 * advance, an HTTPS client trusting the lab CA, and helpers for clients, assertions, DPoP proofs
 * and the baseline flow (B1 PAR, B2 authorization, B3 token).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabConfig } from '../../lab/config.js';
import { startLab, type RunningLab } from '../../lab/server.js';
import { createClientAssertion, JWT_BEARER } from '../../src/core/client-auth.js';
import { createDpopProof, type DpopKey } from '../../src/core/dpop.js';
import { codeChallengeS256, createCodeVerifier } from '../../src/core/pkce.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../../src/http/client.js';
import { generateSigningKey, type GeneratedKey } from '../../src/keys/generate.js';

export interface TestLab {
  lab: RunningLab;
  home: string;
  ca: string;
  http: HttpClient;
  /** Moves the lab's clock forward (seconds). */
  advance(seconds: number): void;
  now(): number;
  close(): Promise<void>;
}

export async function startTestLab(
  config: Partial<LabConfig> = {},
  o: { home?: string; keepHome?: boolean } = {},
): Promise<TestLab> {
  const home = o.home ?? mkdtempSync(path.join(os.tmpdir(), 'fapi-lab-test-'));
  let offset = 0;
  const lab = await startLab({
    home,
    config: { port: 0, autoApprove: true, ...config },
    clock: () => Date.now() + offset,
  });
  const ca = readFileSync(lab.caFile, 'utf8');
  return {
    lab,
    home,
    ca,
    http: createHttpClient({ ca: [ca], timeoutMs: 10_000 }),
    advance: (s) => {
      offset += s * 1000;
    },
    now: () => (Date.now() + offset) / 1000,
    async close() {
      await lab.close();
      if (!o.keepHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

export function form(params: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) p.append(k, v);
  return p.toString();
}

export async function postForm(
  http: HttpClient,
  url: string,
  params: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): Promise<HttpResponse> {
  return http({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form(params),
  });
}

export async function postJson(
  http: HttpClient,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<HttpResponse> {
  return http({
    method,
    url,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export const json = (r: HttpResponse) => r.json() as Record<string, unknown>;

export interface TestClient {
  clientId: string;
  rat: string;
  key: GeneratedKey;
  redirectUri: string;
  registered: Record<string, unknown>;
}

export async function newKey(alg: 'ES256' | 'PS256' | 'EdDSA' = 'ES256'): Promise<GeneratedKey> {
  return generateSigningKey(alg, alg === 'PS256' ? { bits: 2048 } : {});
}

export async function registerClient(
  t: TestLab,
  overrides: Record<string, unknown> = {},
  key?: GeneratedKey,
): Promise<TestClient> {
  const k = key ?? (await newKey());
  const redirectUri = 'https://client.example/cb';
  const res = await postJson(t.http, `${t.lab.issuer}/register`, {
    client_name: 'Test client',
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'private_key_jwt',
    grant_types: ['authorization_code', 'refresh_token'],
    jwks: { keys: [k.publicJwk] },
    ...overrides,
  });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${res.text()}`);
  const body = json(res);
  return {
    clientId: body.client_id as string,
    rat: body.registration_access_token as string,
    key: k,
    redirectUri: (body.redirect_uris as string[])[0] ?? redirectUri,
    registered: body,
  };
}

/** A fresh private_key_jwt assertion (aud = the issuer as a string). */
export function assertion(
  t: TestLab,
  c: TestClient,
  o: Partial<Parameters<typeof createClientAssertion>[0]> = {},
): Record<string, string> {
  return {
    client_id: c.clientId,
    client_assertion_type: JWT_BEARER,
    client_assertion: createClientAssertion({
      clientId: c.clientId,
      audience: t.lab.issuer,
      privateKey: c.key.privateKey,
      alg: c.key.alg,
      kid: c.key.kid,
      now: t.now(),
      ...o,
    }),
  };
}

export async function newDpopKey(alg: 'ES256' | 'PS256' | 'EdDSA' = 'ES256'): Promise<DpopKey> {
  const k = await newKey(alg);
  return { privateKey: k.privateKey, publicJwk: k.publicJwk, alg: k.alg };
}

/** A DPoP proof with the lab's current nonce (unless nonce: null). */
export function proof(
  t: TestLab,
  key: DpopKey,
  htm: string,
  htu: string,
  o: {
    nonce?: string | null;
    accessToken?: string;
    iat?: number;
    jti?: string;
    extraClaims?: Record<string, unknown>;
  } = {},
): string {
  const nonce = o.nonce === null ? undefined : (o.nonce ?? t.lab.ctx.nonces.as.current());
  return createDpopProof(key, {
    htm,
    htu,
    nonce,
    accessToken: o.accessToken,
    now: o.iat ?? t.now(),
    jti: o.jti,
    extraClaims: o.extraClaims,
  });
}

export interface FlowState {
  verifier: string;
  state: string;
  nonce: string;
  dpop: DpopKey;
}

/** B1: PAR with PKCE S256, state, nonce and a DPoP proof. Returns the raw response. */
export async function par(
  t: TestLab,
  c: TestClient,
  o: {
    params?: Record<string, string | undefined>;
    dpop?: DpopKey | null;
    headers?: Record<string, string>;
  } = {},
): Promise<{ res: HttpResponse; flow: FlowState }> {
  const verifier = createCodeVerifier();
  const flow: FlowState = {
    verifier,
    state: `st-${Math.random().toString(36).slice(2)}`,
    nonce: `n-${Math.random().toString(36).slice(2)}`,
    dpop: o.dpop ?? (await newDpopKey()),
  };
  const url = `${t.lab.issuer}/par`;
  const headers: Record<string, string> = { ...o.headers };
  if (o.dpop !== null && headers.dpop === undefined) headers.dpop = proof(t, flow.dpop, 'POST', url);
  const res = await postForm(
    t.http,
    url,
    {
      ...assertion(t, c),
      response_type: 'code',
      redirect_uri: c.redirectUri,
      scope: 'openid accounts',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: codeChallengeS256(verifier),
      code_challenge_method: 'S256',
      ...o.params,
    },
    headers,
  );
  return { res, flow };
}

/** B2 with auto-approve: GET /authorize and return the redirect parameters. */
export async function authorize(
  t: TestLab,
  clientId: string,
  requestUri: string,
): Promise<{ res: HttpResponse; params: URLSearchParams; location: URL | undefined }> {
  const res = await t.http({
    method: 'GET',
    url: `${t.lab.issuer}/authorize?${form({ client_id: clientId, request_uri: requestUri })}`,
  });
  const loc = res.header('location');
  const location = loc ? new URL(loc) : undefined;
  return { res, params: location?.searchParams ?? new URLSearchParams(), location };
}

/** B1 + B2: a code for the client (auto-approve lab). */
export async function code(
  t: TestLab,
  c: TestClient,
  o: Parameters<typeof par>[2] = {},
): Promise<{ code: string; flow: FlowState }> {
  const { res, flow } = await par(t, c, o);
  if (res.status !== 201) throw new Error(`PAR failed: ${res.status} ${res.text()}`);
  const { params } = await authorize(t, c.clientId, json(res).request_uri as string);
  const value = params.get('code');
  if (!value) throw new Error(`no code in the authorization response: ${params.toString()}`);
  return { code: value, flow };
}

/** B3: the token request for a code. */
export async function redeem(
  t: TestLab,
  c: TestClient,
  codeValue: string,
  flow: FlowState,
  o: {
    params?: Record<string, string | undefined>;
    dpop?: DpopKey | null;
    proofOptions?: Parameters<typeof proof>[4];
  } = {},
): Promise<HttpResponse> {
  const url = `${t.lab.issuer}/token`;
  const headers: Record<string, string> = {};
  const key = o.dpop === undefined ? flow.dpop : o.dpop;
  if (key) headers.dpop = proof(t, key, 'POST', url, o.proofOptions);
  return postForm(
    t.http,
    url,
    {
      ...assertion(t, c),
      grant_type: 'authorization_code',
      code: codeValue,
      redirect_uri: c.redirectUri,
      code_verifier: flow.verifier,
      ...o.params,
    },
    headers,
  );
}

/** The tests' one JWT decoder, re-exported so the lab tests import their helpers from one place. */
export { decodeJwt } from '../helpers/jwt.js';
