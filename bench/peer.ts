/**
 * The peer for `npm run bench`: oidc-provider (panva; a certified FAPI 2.0 OP) configured for
 * FAPI 2.0 — PAR required, PKCE S256, DPoP (no server nonces, as in the lab for this run),
 * private_key_jwt with ES256 only, client_credentials, a sender-constrained userinfo endpoint —
 * serving HTTPS on 127.0.0.1 at an ephemeral port, in its own process.
 *
 * Client-credentials access tokens are JWTs signed with ES256 (a resource server with
 * accessTokenFormat 'jwt'), so the peer does the same signature work per token as the lab.
 *
 * Usage: node dist/bench/peer.js SPEC.json — SPEC has the client's public JWK and the DPoP key's
 * thumbprint. Prints one JSON line when ready: issuer, token and userinfo endpoints, CA (PEM),
 * and a DPoP-bound access token for userinfo minted through the provider's own models (a grant
 * for account "alice" with scope openid), then serves until SIGTERM or until its parent exits.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { selfSignedIdentity } from './tls.js';

export interface PeerSpec {
  clientId: string;
  clientJwk: Record<string, unknown>;
  dpopJkt: string;
}

export interface PeerReady {
  issuer: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  ca: string;
  userinfoToken: string;
  pid: number;
}

const RESOURCE = 'https://rs.bench.invalid/';

/** The part of oidc-provider (untyped JavaScript) the peer uses. */
interface PeerProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  Grant: new (init: { accountId: string; clientId: string }) => {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  };
  Client: { find(id: string): Promise<unknown> };
  AccessToken: new (init: Record<string, unknown>) => {
    setThumbprint(kind: 'jkt', value: string): void;
    save(): Promise<string>;
  };
}

interface Stored {
  payload: Record<string, unknown>;
  expiresAt: number;
}

/**
 * A storage adapter with expiry, like a production store (the built-in development adapter is an
 * LRU of 1,000 entries: under load it would evict live tokens and forget replayed jtis).
 */
const store = new Map<string, Stored>();
const grants = new Map<string, Set<string>>();
setInterval(() => {
  const now = Date.now();
  for (const [k, v] of store) if (v.expiresAt <= now) store.delete(k);
}, 10_000).unref();

class ExpiringAdapter {
  constructor(private readonly model: string) {}
  private key(id: string): string {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    const grantId = payload.grantId as string | undefined;
    if (grantId) {
      const set = grants.get(grantId) ?? new Set<string>();
      set.add(key);
      grants.set(grantId, set);
    }
  }
  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const v = store.get(this.key(id));
    if (!v) return undefined;
    if (v.expiresAt <= Date.now()) {
      store.delete(this.key(id));
      return undefined;
    }
    return v.payload;
  }
  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    for (const [k, v] of store) if (k.startsWith(`${this.model}:`) && v.payload.uid === uid) return v.payload;
    return undefined;
  }
  async findByUserCode(code: string): Promise<Record<string, unknown> | undefined> {
    for (const [k, v] of store)
      if (k.startsWith(`${this.model}:`) && v.payload.userCode === code) return v.payload;
    return undefined;
  }
  async consume(id: string): Promise<void> {
    const v = store.get(this.key(id));
    if (v) v.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string): Promise<void> {
    store.delete(this.key(id));
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const k of grants.get(grantId) ?? []) store.delete(k);
    grants.delete(grantId);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as PeerSpec;
  const tls = await selfSignedIdentity();
  const server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `https://127.0.0.1:${port}`;
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

  const { default: Provider } = (await import('oidc-provider')) as unknown as {
    default: new (issuer: string, config: Record<string, unknown>) => PeerProvider;
  };
  const provider = new Provider(issuer, {
    adapter: ExpiringAdapter,
    clients: [
      {
        client_id: spec.clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [spec.clientJwk] },
        grant_types: ['client_credentials', 'authorization_code'],
        response_types: ['code'],
        redirect_uris: ['https://127.0.0.1/cb'],
        id_token_signed_response_alg: 'ES256',
        scope: 'openid accounts',
        dpop_bound_access_tokens: true,
      },
    ],
    jwks: { keys: [{ ...signing, kid: 'bench-es256', use: 'sig', alg: 'ES256' }] },
    // The same FAPI 2.0 settings as the interop helper (test/helpers/oidc-provider.ts), minus
    // mTLS and registration, which this workload does not use.
    routes: { token: '/token', pushed_authorization_request: '/request', userinfo: '/me' },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: ['openid', 'accounts'],
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
      dPoPSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
      idTokenSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
      requestObjectSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
    },
    features: {
      fapi: { enabled: true, profile: '2.0' },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      // No nonceSecret: no server nonces, as in the lab for this measurement.
      dPoP: { enabled: true },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'accounts',
          audience: RESOURCE,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    ttl: {
      AccessToken: 600,
      ClientCredentials: 600,
      Grant: 3600,
    },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
  });
  server.on('request', provider.callback());

  // A DPoP-bound (cnf.jkt) access token for userinfo, from the provider's own models.
  const grant = new provider.Grant({ accountId: 'alice', clientId: spec.clientId });
  grant.addOIDCScope('openid');
  const grantId = await grant.save();
  const client = await provider.Client.find(spec.clientId);
  const at = new provider.AccessToken({
    accountId: 'alice',
    client,
    grantId,
    scope: 'openid',
    gty: 'authorization_code',
  });
  at.setThumbprint('jkt', spec.dpopJkt);
  const userinfoToken = await at.save();

  const ready: PeerReady = {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    userinfoEndpoint: `${issuer}/me`,
    ca: tls.cert,
    userinfoToken,
    pid: process.pid,
  };
  process.stdout.write(JSON.stringify(ready) + '\n');

  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Stop with the parent (stdin closes when the bench exits, however it exits).
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench peer: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
