/**
 * The run's test clients: registered by dynamic registration (RFC 7591) with FAPI 2.0 metadata
 * from src/core/registration.ts, with keys and certificates made for the run (src/keys), or given
 * as profiles (`--client PROFILE`). Every client the run registers is recorded so it can be
 * deleted (RFC 7592 §2.3) at the end, and on Ctrl-C, unless `--keep`.
 */
import type { KeyObject } from 'node:crypto';
import { Client, type SigningKey } from '../core/client.js';
import { endpoint, type AuthorizationServerMetadata } from '../core/discovery.js';
import type { DpopKey } from '../core/dpop.js';
import type { ClientAuthMethod, SenderConstraint } from '../core/fapi.js';
import type { Jwk } from '../core/jwk.js';
import { randomToken } from '../core/random.js';
import {
  buildClientMetadata,
  deleteClient,
  registerClient,
  type ClientMetadata,
} from '../core/registration.js';
import { isFapiError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { generateSigningKey, privateKeyPem, type GeneratedKey } from '../keys/generate.js';
import { createCertificate } from '../keys/x509.js';
import { loadClientMetadataTemplate } from '../store/templates.js';
import { Skip, type Variant } from './types.js';

/** A client the checks act as. */
export interface TestClient {
  /** "client 1", "client 2", "PAR-04 client" or the profile name. */
  name: string;
  clientId: string;
  auth: ClientAuthMethod;
  sender: SenderConstraint;
  /** The registered loopback redirect URI used by default. */
  redirectUri: string;
  /** Every registered redirect URI (the second one keeps a query: AZ-05). */
  redirectUris: string[];
  /** The client-authentication key (private_key_jwt; also the certificate's key). */
  signingKey: SigningKey & { publicJwk: Jwk; publicKey: KeyObject };
  dpopKey?: DpopKey;
  /** The TLS client certificate (mTLS authentication or certificate-bound tokens). */
  certificate?: { pem: string; keyPem: string; x5t: string; subject: string };
  /** An HTTPS client presenting the certificate, when there is one. */
  http: HttpClient;
  /** The src/core client runtime for this client (honest requests, the attack scenarios). */
  core: Client;
  grantTypes: string[];
  /** RFC 7592 coordinates, when the run registered the client. */
  registration?: { uri: string; rat: string };
  /** The metadata the server returned. */
  registered?: ClientMetadata;
}

/** Makes HTTPS clients (the CLI's: trust anchors, timeouts, the verbose trace). */
export type HttpFactory = (cert?: { cert: string; key: string }) => HttpClient;

/** A client given as a profile (`--client PROFILE`), loaded by the caller. */
export interface ProvidedClient {
  name: string;
  clientId: string;
  auth: ClientAuthMethod;
  sender: SenderConstraint;
  redirectUri: string;
  signingKey: SigningKey & { publicJwk: Jwk; publicKey: KeyObject };
  dpopKey?: DpopKey;
  certificate?: { pem: string; keyPem: string; x5t: string; subject: string };
}

/** Issues tls_client_auth certificates from a CA the server trusts (`--client-ca-cert/--client-ca-key`). */
export interface ClientCa {
  certPem: string;
  privateKey: KeyObject;
}

export interface Provisioning {
  metadata: AuthorizationServerMetadata;
  http: HttpFactory;
  redirectUris: string[];
  initialAccessToken?: string;
  clientCa?: ClientCa;
  /** Keys made once per run (RSA is slow to generate). */
  keys: KeyCache;
  registry: ClientRegistry;
  /** The clients are given as profiles (--client): checks do not register clients of their own. */
  provided?: boolean;
  /**
   * `authorization_details_types` the test clients register (RFC 9396 §10): the RAR checks' type,
   * when the server advertises it (a server may allow only the registered types).
   */
  authorizationDetailsTypes?: string[];
}

/** The keys a run makes once: an RSA key for the second clients and the RS256 negative checks. */
export class KeyCache {
  private rsa?: Promise<GeneratedKey>;
  private rsa1024?: Promise<GeneratedKey>;
  /** A PS256 key (RSA 2048): the second client's, so the run also exercises RSA client keys. */
  rsaKey(): Promise<GeneratedKey> {
    this.rsa ??= generateSigningKey('PS256', { bits: 2048 });
    return this.rsa;
  }
  /** An RSA-1024 key: too weak for FAPI 2.0 (FAPI2-SP §5.4.1-2), for REG-06. */
  weakRsaKey(): Promise<GeneratedKey> {
    this.rsa1024 ??= (async () => {
      const { generateKeyPair } = await import('node:crypto');
      const pair = await new Promise<{ privateKey: KeyObject; publicKey: KeyObject }>((resolve, reject) =>
        generateKeyPair('rsa', { modulusLength: 1024 }, (e, publicKey, privateKey) =>
          e ? reject(e) : resolve({ publicKey, privateKey }),
        ),
      );
      const jwk = pair.publicKey.export({ format: 'jwk' }) as Jwk;
      return {
        alg: 'PS256',
        kid: 'weak-rsa-1024',
        thumbprint: 'weak-rsa-1024',
        privateKey: pair.privateKey,
        publicKey: pair.publicKey,
        privateJwk: jwk,
        publicJwk: { ...jwk, kid: 'weak-rsa-1024', alg: 'PS256', use: 'sig' },
      } satisfies GeneratedKey;
    })();
    return this.rsa1024;
  }
}

interface RegistryEntry {
  clientId: string;
  uri?: string;
  rat?: string;
  http: HttpClient;
  client?: TestClient;
}

/** The clients a run registered, for deletion at the end (RFC 7592 §2.3). */
export class ClientRegistry {
  readonly created: RegistryEntry[] = [];

  /** Records a registered client; set `client` on the entry once the run holds its keys (--keep). */
  add(clientId: string, http: HttpClient, uri?: string, rat?: string): { client?: TestClient } {
    const entry: RegistryEntry = { clientId, http, ...(uri ? { uri } : {}), ...(rat ? { rat } : {}) };
    this.created.push(entry);
    return entry;
  }

  /** Forgets a client that a check deleted itself. */
  forget(clientId: string): void {
    const i = this.created.findIndex((c) => c.clientId === clientId);
    if (i >= 0) this.created.splice(i, 1);
  }

  /** Deletes every client it can; returns those it could not delete, with the reason. */
  async deleteAll(): Promise<{ deleted: number; left: { clientId: string; reason: string }[] }> {
    const all = this.created.splice(0);
    const left: { clientId: string; reason: string }[] = [];
    await Promise.all(
      all.map(async (c) => {
        if (!c.uri || !c.rat) {
          left.push({
            clientId: c.clientId,
            reason: 'the server gave no registration_client_uri (RFC 7592)',
          });
          return;
        }
        try {
          await deleteClient(c.http, c.uri, c.rat);
        } catch (e) {
          left.push({ clientId: c.clientId, reason: isFapiError(e) ? e.message : String(e) });
        }
      }),
    );
    return { deleted: all.length - left.length, left };
  }
}

const signing = (k: GeneratedKey): TestClient['signingKey'] => ({
  privateKey: k.privateKey,
  publicKey: k.publicKey,
  publicJwk: k.publicJwk,
  alg: k.alg,
  kid: k.kid,
});

async function dpopKeyFor(sender: SenderConstraint): Promise<DpopKey | undefined> {
  if (sender !== 'dpop') return undefined;
  const k = await generateSigningKey('ES256');
  return { privateKey: k.privateKey, publicJwk: k.publicJwk, alg: k.alg };
}

/**
 * A name of the run's own for what it registers at the server under test (a kid, a certificate
 * subject's CN): `fapi-conform-`, what it is for, and 32 random bits, so that no two test clients
 * or runs share one. An identifier, not a secret.
 */
export function uniqueName(what?: string): string {
  return `fapi-conform-${what ? `${what}-` : ''}${randomToken(4)}`;
}

/** The subject of a test client's certificate: a CN of its own (uniqueName). */
export const testCertificateSubject = (): string => `CN=${uniqueName()},O=fapi conform`;

/** A certificate for the variant: from the client CA (tls_client_auth) or self-signed. */
export async function certificateFor(
  p: Provisioning,
  auth: ClientAuthMethod,
  key: GeneratedKey,
  subject: string,
): Promise<TestClient['certificate']> {
  if (auth === 'tls_client_auth' && !p.clientCa)
    throw new Skip(
      'tls_client_auth needs a certificate from a CA the server trusts: pass --client-ca-cert and --client-ca-key (or --client PROFILE)',
    );
  const info = await createCertificate({
    key,
    subject,
    profile: 'client',
    days: 1,
    ...(auth === 'tls_client_auth' && p.clientCa ? { issuer: p.clientCa } : {}),
  });
  return { pem: info.pem, keyPem: privateKeyPem(key.privateKey), x5t: info.x5tS256, subject: info.subject };
}

export interface RegisterTestClientOptions {
  name: string;
  /** The signing key algorithm (the second client uses PS256). */
  rsa?: boolean;
  /** Merged over the FAPI metadata (then checked by src/core/registration.ts). */
  overrides?: ClientMetadata;
  /** Also register for JARM (MS-08). */
  jarm?: boolean;
  /** Register for signed request objects, required for this client (MS-01, MS-05; RFC 9101 §10.1). */
  jar?: boolean;
  /** The client-authentication key (default: a new ES256 key, or the run's RSA key with `rsa`). */
  key?: GeneratedKey;
  /** More public keys for its JWKS, after its own (CR-08: another key under the same kid; RT-08). */
  extraKeys?: Jwk[];
}

/** What a test client is made of before it is registered: keys, certificate, FAPI metadata. */
export interface TestClientMaterial {
  key: GeneratedKey;
  certificate?: TestClient['certificate'];
  dpopKey?: DpopKey;
  grants: string[];
  metadata: ClientMetadata;
}

/** Keys, certificate and FAPI 2.0 client metadata (src/core/registration.ts) for a variant. */
export async function testClientMaterial(
  p: Provisioning,
  variant: Variant,
  o: RegisterTestClientOptions,
): Promise<TestClientMaterial> {
  const key = o.key ?? (o.rsa ? await p.keys.rsaKey() : await generateSigningKey('ES256'));
  const needsCert = variant.auth !== 'private_key_jwt' || variant.sender === 'mtls';
  const certificate = needsCert
    ? await certificateFor(p, variant.auth, key, testCertificateSubject())
    : undefined;
  const dpopKey = await dpopKeyFor(variant.sender);
  const grants = ['authorization_code', 'refresh_token'];
  if (p.metadata.grant_types_supported?.includes('client_credentials')) grants.push('client_credentials');
  const metadata = buildClientMetadata({
    template: loadClientMetadataTemplate(variant.sender),
    authMethod: variant.auth,
    sender: variant.sender,
    redirectUris: p.redirectUris,
    signingKey: { publicJwk: key.publicJwk, alg: key.alg, kid: key.kid },
    ...(certificate
      ? { certificate: { subject: certificate.subject, derBase64: derOf(certificate.pem) } }
      : {}),
    server: p.metadata,
    ...(o.jarm ? { jarm: true } : {}),
    // A server that requires request objects of every client gets them from every test client.
    ...(o.jar || p.metadata.require_signed_request_object === true ? { jar: true } : {}),
    overrides: {
      client_name: `fapi conform ${o.name}`,
      grant_types: grants,
      ...(p.authorizationDetailsTypes?.length
        ? { authorization_details_types: p.authorizationDetailsTypes }
        : {}),
      ...o.overrides,
    },
  });
  const own = (metadata.jwks as { keys?: Jwk[] } | undefined)?.keys;
  if (o.extraKeys?.length && own) metadata.jwks = { keys: [...own, ...o.extraKeys] };
  return { key, ...(certificate ? { certificate } : {}), ...(dpopKey ? { dpopKey } : {}), grants, metadata };
}

/** Registers a FAPI 2.0 client for a variant (RFC 7591) and records it for deletion. */
export async function registerTestClient(
  p: Provisioning,
  variant: Variant,
  o: RegisterTestClientOptions,
): Promise<TestClient> {
  if (!p.metadata.registration_endpoint)
    throw new Skip('the server offers no dynamic registration: pass --client PROFILE');
  const { key, certificate, dpopKey, grants, metadata } = await testClientMaterial(p, variant, o);
  const http = certificate ? p.http({ cert: certificate.pem, key: certificate.keyPem }) : p.http();
  const registrationEndpoint = endpoint(p.metadata, 'registration_endpoint', { mtls: false });
  const { client } = await registerClient(p.http(), registrationEndpoint, metadata, {
    ...(p.initialAccessToken ? { initialAccessToken: p.initialAccessToken } : {}),
  });
  // Recorded first, so it is deleted even if what follows fails.
  const entry = p.registry.add(
    client.client_id,
    p.http(),
    client.registration_client_uri,
    client.registration_access_token,
  );
  const test = assemble(p, {
    name: o.name,
    clientId: client.client_id,
    auth: variant.auth,
    sender: variant.sender,
    redirectUri: p.redirectUris[0] as string,
    redirectUris: p.redirectUris,
    signingKey: signing(key),
    ...(dpopKey ? { dpopKey } : {}),
    ...(certificate ? { certificate } : {}),
    http,
    grantTypes: grants,
    ...(client.registration_client_uri && client.registration_access_token
      ? { registration: { uri: client.registration_client_uri, rat: client.registration_access_token } }
      : {}),
    registered: client.metadata,
  });
  entry.client = test;
  return test;
}

/** A test client from a profile the caller loaded. */
export function providedTestClient(p: Provisioning, c: ProvidedClient): TestClient {
  const http = c.certificate ? p.http({ cert: c.certificate.pem, key: c.certificate.keyPem }) : p.http();
  // A loopback redirect URI takes the run's port: the server must allow any port (RFC 8252 §7.3),
  // and a browser login needs the port fapi listens on.
  const u = new URL(c.redirectUri);
  const run = new URL(p.redirectUris[0] as string);
  if (u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === '[::1]')) u.port = run.port;
  return assemble(p, {
    ...c,
    redirectUri: u.href,
    redirectUris: [u.href],
    http,
    grantTypes: ['authorization_code', 'refresh_token'],
  });
}

function assemble(p: Provisioning, c: Omit<TestClient, 'core'>): TestClient {
  const core = new Client({
    http: c.http,
    metadata: p.metadata,
    clientId: c.clientId,
    authMethod: c.auth,
    sender: c.sender,
    ...(c.auth === 'private_key_jwt' ? { signingKey: c.signingKey } : {}),
    ...(c.dpopKey ? { dpopKey: c.dpopKey } : {}),
  });
  return { ...c, core };
}

export function derOf(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
