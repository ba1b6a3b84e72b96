/** A fake HttpClient for unit tests: routes by method + URL, records every request. */
import { generateKeyPairSync } from 'node:crypto';
import { makeResponse, type HttpClient, type HttpRequest, type HttpResponse } from '../../src/http/client.js';
import type { DpopKey } from '../../src/core/dpop.js';
import { Client, type AsMetadata, type ClientOptions, type SigningKey } from '../../src/core/client.js';
import type { Jwk } from '../../src/core/jwk.js';

export type Handler = (req: HttpRequest, form: URLSearchParams) => FakeReply | Promise<FakeReply>;

export interface FakeReply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string | string[]>;
}

export interface FakeHttp {
  http: HttpClient;
  requests: HttpRequest[];
  /** Form bodies of the requests, in order. */
  forms: URLSearchParams[];
  on(method: string, url: string, handler: Handler): void;
}

export function fakeHttp(): FakeHttp {
  const routes = new Map<string, Handler>();
  const requests: HttpRequest[] = [];
  const forms: URLSearchParams[] = [];
  const http: HttpClient = async (req) => {
    requests.push(req);
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    forms.push(form);
    const u = new URL(req.url);
    const key = `${req.method} ${u.origin}${u.pathname}`;
    const h = routes.get(key);
    if (!h) return reply(req.url, { status: 404, text: `no route ${key}` });
    return reply(req.url, await h(req, form));
  };
  return {
    http,
    requests,
    forms,
    on(method, url, handler) {
      routes.set(`${method} ${url}`, handler);
    },
  };
}

export function reply(url: string, r: FakeReply): HttpResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  let body = r.text ?? '';
  if (r.json !== undefined) {
    body = JSON.stringify(r.json);
    headers['content-type'] ??= 'application/json';
  }
  return makeResponse(url, r.status, headers, Buffer.from(body));
}

export const ISSUER = 'https://as.example';
export const MTLS = 'https://mtls.as.example';

export function metadata(extra: Partial<AsMetadata> = {}): AsMetadata {
  return {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/authorize`,
    token_endpoint: `${ISSUER}/token`,
    pushed_authorization_request_endpoint: `${ISSUER}/par`,
    introspection_endpoint: `${ISSUER}/introspect`,
    revocation_endpoint: `${ISSUER}/revoke`,
    userinfo_endpoint: `${ISSUER}/me`,
    jwks_uri: `${ISSUER}/jwks`,
    mtls_endpoint_aliases: {
      token_endpoint: `${MTLS}/token`,
      pushed_authorization_request_endpoint: `${MTLS}/par`,
      introspection_endpoint: `${MTLS}/introspect`,
      revocation_endpoint: `${MTLS}/revoke`,
    },
    dpop_signing_alg_values_supported: ['ES256', 'PS256', 'EdDSA'],
    token_endpoint_auth_signing_alg_values_supported: ['ES256', 'PS256', 'EdDSA'],
    authorization_response_iss_parameter_supported: true,
    ...extra,
  };
}

export function ecSigningKey(kid = 'sig-1'): SigningKey & { publicJwk: Jwk } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: pair.privateKey,
    alg: 'ES256',
    kid,
    publicJwk: { ...(pair.publicKey.export({ format: 'jwk' }) as Jwk), kid },
  };
}

export function ecDpopKey(): DpopKey {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: pair.privateKey,
    publicJwk: pair.publicKey.export({ format: 'jwk' }) as Jwk,
    alg: 'ES256',
  };
}

/**
 * The unit tests' client: private_key_jwt + DPoP against `metadata()`, client_id `client-1`, fresh
 * EC keys and a frozen clock, talking to `f` (a new fake HTTP unless one is given). `overrides`
 * replace any option (`{ signingKey: undefined }` removes the signing key).
 */
export function fakeClient(
  overrides: Partial<ClientOptions> = {},
  f: FakeHttp = fakeHttp(),
): { f: FakeHttp; c: Client } {
  const c = new Client({
    http: f.http,
    metadata: metadata(),
    clientId: 'client-1',
    authMethod: 'private_key_jwt',
    sender: 'dpop',
    signingKey: ecSigningKey(),
    dpopKey: ecDpopKey(),
    now: frozenClock().now,
    ...overrides,
  });
  return { f, c };
}

/** A frozen clock at 2027-01-15T08:00:00Z, movable by tests. */
export function frozenClock(start = Date.UTC(2027, 0, 15, 8, 0, 0)) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    seconds: () => Math.floor(t / 1000),
  };
}
