/**
 * Helpers for the resource-side lab tests (RS, userinfo, introspection, revocation), on top of
 * ./helpers.ts: tokens from the baseline flow, RS calls with DPoP proofs (with the RS nonce),
 * hand-made proofs for the negative DP tests, lab-signed tokens for the RS-04 tests, and an mTLS
 * client with a certificate from the lab CA.
 */
import { randomBytes } from 'node:crypto';
import { createDpopProof, type DpopKey } from '../../src/core/dpop.js';
import { publicJwk } from '../../src/core/jwk.js';
import { signJws } from '../../src/core/jws.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../../src/http/client.js';
import { privateKeyPem } from '../../src/keys/generate.js';
import {
  code,
  json,
  newDpopKey,
  newKey,
  postForm,
  redeem,
  registerClient,
  type TestClient,
  type TestLab,
} from './helpers.js';

export interface Tokens {
  at: string;
  rt?: string;
  dpop: DpopKey;
  body: Record<string, unknown>;
}

/** B1..B3 for a DPoP client: a DPoP-bound access token (and refresh token). */
export async function dpopTokens(
  t: TestLab,
  c: TestClient,
  scope = 'openid accounts payments',
  /** More PAR parameters (e.g. authorization_details). */
  params: Record<string, string> = {},
): Promise<Tokens> {
  const { code: cv, flow } = await code(t, c, { params: { scope, ...params } });
  const res = await redeem(t, c, cv, flow);
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text()}`);
  const body = json(res);
  return {
    at: body.access_token as string,
    rt: body.refresh_token as string | undefined,
    dpop: flow.dpop,
    body,
  };
}

export interface RsCallOptions {
  method?: string;
  /** `DPoP` by default; any string to test the scheme handling. */
  scheme?: string;
  token?: string;
  /** The proof key; null sends no DPoP header. */
  dpop?: DpopKey | null;
  /** A ready-made DPoP header value (or several). */
  proofHeader?: string | string[];
  /** Overrides for the proof. */
  proof?: {
    htm?: string;
    htu?: string;
    nonce?: string | null;
    iat?: number;
    ath?: string | null;
    extraClaims?: Record<string, unknown>;
    jti?: string;
  };
  headers?: Record<string, string | string[]>;
  body?: string;
  /** The RS base (default: the lab RS); userinfo uses the issuer. */
  base?: string;
  http?: HttpClient;
  /** Which nonce source to use: the RS's (default) or the AS's (userinfo). */
  nonceFrom?: 'rs' | 'as';
}

/** A DPoP proof for an RS request, with the RS nonce and `ath` of the token. */
export function rsProof(
  t: TestLab,
  key: DpopKey,
  method: string,
  url: string,
  token: string | undefined,
  o: RsCallOptions['proof'] = {},
  nonceFrom: 'rs' | 'as' = 'rs',
): string {
  const nonce = o.nonce === null ? undefined : (o.nonce ?? t.lab.ctx.nonces[nonceFrom].current());
  const extra: Record<string, unknown> = { ...o.extraClaims };
  if (o.ath !== undefined && o.ath !== null) extra.ath = o.ath;
  return createDpopProof(key, {
    htm: o.htm ?? method,
    htu: o.htu ?? url,
    nonce,
    accessToken: o.ath === null ? undefined : token,
    now: o.iat ?? t.now(),
    jti: o.jti,
    extraClaims: extra,
  });
}

export async function rsCall(t: TestLab, path: string, o: RsCallOptions = {}): Promise<HttpResponse> {
  const method = o.method ?? 'GET';
  const url = `${o.base ?? t.lab.rs}${path}`;
  const headers: Record<string, string | string[]> = { ...o.headers };
  if (o.token !== undefined) headers.authorization = `${o.scheme ?? 'DPoP'} ${o.token}`;
  if (o.proofHeader !== undefined) headers.dpop = o.proofHeader;
  else if (o.dpop)
    headers.dpop = rsProof(t, o.dpop, method, url.split('?')[0] as string, o.token, o.proof, o.nonceFrom);
  return (o.http ?? t.http)({ method, url, headers, ...(o.body !== undefined ? { body: o.body } : {}) });
}

/** A compact JWS with any header and claims, signed by `key` (for malformed proofs). */
export function rawProof(
  key: DpopKey,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): string {
  return signJws(
    { typ: 'dpop+jwt', jwk: publicJwk(key.publicJwk), ...header },
    claims,
    key.privateKey,
    key.alg,
  );
}

/**
 * An access token signed by the lab key, recorded as issued (so only the check under test can
 * refuse it), with any claim or header changed.
 */
export function mintAccessToken(
  t: TestLab,
  o: {
    claims?: Record<string, unknown>;
    header?: Record<string, unknown>;
    binding?: { jkt?: string; 'x5t#S256'?: string };
    clientId?: string;
    sub?: string;
    scope?: string;
  } = {},
): string {
  const ctx = t.lab.ctx;
  const now = Math.floor(ctx.now());
  const jti = randomBytes(16).toString('base64url');
  const clientId = o.clientId ?? 'minted-client';
  const sub = o.sub ?? 'alice';
  const scope = o.scope ?? 'openid accounts payments';
  const grant = ctx.grants.createGrant({
    id: `g-${jti}`,
    clientId,
    sub,
    scope: scope.split(' '),
    authTime: now,
    expiresAt: now + 3600,
  });
  const binding = o.binding ?? {};
  ctx.grants.recordAccessToken({
    jti,
    grantId: grant.id,
    clientId,
    sub,
    scope: scope.split(' '),
    binding,
    tokenType: binding.jkt ? 'DPoP' : 'Bearer',
    issuedAt: now,
    expiresAt: now + 300,
  });
  const key = ctx.keys.signing;
  const claims: Record<string, unknown> = {
    iss: t.lab.issuer,
    sub,
    aud: t.lab.rs,
    client_id: clientId,
    iat: now,
    exp: now + 300,
    jti,
    scope,
    ...(binding.jkt || binding['x5t#S256'] ? { cnf: binding } : {}),
    ...o.claims,
  };
  return signJws({ typ: 'at+jwt', kid: key.kid, ...o.header }, claims, key.privateKey, key.alg);
}

export interface MtlsClient extends TestClient {
  http: HttpClient;
  certDer: Buffer;
  x5t: string;
}

/** A tls_client_auth client with a certificate from the lab CA, and an HTTPS client presenting it. */
export async function mtlsClient(t: TestLab, name = 'mtls-client'): Promise<MtlsClient> {
  const key = await newKey();
  const subject = `CN=${name}-${randomBytes(4).toString('hex')},O=fapi tests`;
  const cert = await t.lab.ctx.ca.issueClientCertificate({ key, subject });
  const c = await registerClient(
    t,
    {
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: subject,
      tls_client_certificate_bound_access_tokens: true,
      jwks: undefined,
    },
    key,
  );
  const http = createHttpClient({
    ca: [t.ca],
    cert: cert.pem,
    key: privateKeyPem(key.privateKey),
    timeoutMs: 10_000,
  });
  return { ...c, http, certDer: cert.der, x5t: cert.x5tS256 };
}

/** B1..B3 for an mTLS client over the mTLS aliases: a certificate-bound access token. */
export async function mtlsTokens(
  t: TestLab,
  c: MtlsClient,
  scope = 'openid accounts payments',
): Promise<{ at: string; rt?: string; body: Record<string, unknown> }> {
  const { createCodeVerifier, codeChallengeS256 } = await import('../../src/core/pkce.js');
  const verifier = createCodeVerifier();
  const par = await postForm(c.http, `${t.lab.mtls}/par`, {
    client_id: c.clientId,
    response_type: 'code',
    redirect_uri: c.redirectUri,
    scope,
    code_challenge: codeChallengeS256(verifier),
    code_challenge_method: 'S256',
  });
  if (par.status !== 201) throw new Error(`mTLS PAR failed: ${par.status} ${par.text()}`);
  const auth = await t.http({
    method: 'GET',
    url: `${t.lab.issuer}/authorize?${new URLSearchParams({ client_id: c.clientId, request_uri: json(par).request_uri as string })}`,
  });
  const cv = new URL(auth.header('location') as string).searchParams.get('code');
  if (!cv) throw new Error(`no code: ${auth.status} ${auth.text()}`);
  const res = await postForm(c.http, `${t.lab.mtls}/token`, {
    client_id: c.clientId,
    grant_type: 'authorization_code',
    code: cv,
    redirect_uri: c.redirectUri,
    code_verifier: verifier,
  });
  if (res.status !== 200) throw new Error(`mTLS token request failed: ${res.status} ${res.text()}`);
  const body = json(res);
  return { at: body.access_token as string, rt: body.refresh_token as string | undefined, body };
}

/**
 * The WWW-Authenticate challenges of a response, one string per challenge (Node folds repeated
 * header lines into one value, so challenges are split at each auth-scheme, RFC 9110 §11.6.1).
 */
export function challenges(res: HttpResponse): string[] {
  const v = res.headers['www-authenticate'];
  const joined = v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v;
  return joined === '' ? [] : joined.split(/,\s*(?=(?:dpop|bearer)(?:\s|$))/i);
}

export { newDpopKey };
