/**
 * The FAPI 2.0 target of `fapi lab attack --issuer`: a server fapi did not start. The honest party
 * there is a client registered beforehand (its runtime, its client-authentication key, its saved
 * access token); the attacker and the user's browser get HTTP clients of their own. The caller
 * loads the client and its secrets: this module reads no files.
 */
import { DEFAULT_REDIRECT_URI } from '../core/fapi.js';
import type { Client, SigningKey } from '../core/client.js';
import type { HttpClient } from '../http/client.js';
import type { StoredTokens } from '../store/profile.js';
import type { AttackTarget, ExternalClient, PartyName } from './types.js';

/** The registered client at the external server, opened by the caller (e.g. from a profile). */
export interface ExternalSession {
  issuer: string;
  clientId: string;
  /** The client runtime, with the server's metadata already discovered. */
  client: Client;
  /** The client's HTTP client (with its certificate when it uses mTLS). */
  http: HttpClient;
  /** The redirect URI registered for the client (default DEFAULT_REDIRECT_URI). */
  redirectUri?: string;
  /** x5t#S256 of the client certificate, for certificate-bound tokens. */
  certificateThumbprint?: string;
}

export interface ExternalTargetOptions {
  /** A protected resource URL the saved access token can call. */
  resource?: string;
  /**
   * The client's signing key; called for private_key_jwt, and for an mTLS client of a server that
   * requires request objects (a missing key is then no error).
   */
  loadKey(): Promise<SigningKey>;
  /** The client's saved tokens, if any (used only when issued to this client by this issuer). */
  loadTokens(): Promise<
    Pick<StoredTokens, 'issuer' | 'client_id' | 'access_token' | 'token_type'> | undefined
  >;
  /** A new HTTP client trusting the server, with a client certificate when given. */
  http(cert?: { cert: string; key: string }): HttpClient;
  /** Wraps each party's HTTP client, e.g. to name the party in a trace. */
  label?(http: HttpClient, party: PartyName): HttpClient;
}

export async function externalTarget(s: ExternalSession, o: ExternalTargetOptions): Promise<AttackTarget> {
  const label = o.label ?? ((http: HttpClient) => http);
  const ext: ExternalClient = {
    client: s.client,
    http: label(s.http, 'client'),
    redirectUri: s.redirectUri ?? DEFAULT_REDIRECT_URI,
  };
  if (s.certificateThumbprint) ext.certificateThumbprint = s.certificateThumbprint;
  if (o.resource) ext.resource = o.resource;
  if (s.client.authMethod === 'private_key_jwt') ext.signingKey = await o.loadKey();
  else if (s.client.metadata.require_signed_request_object === true) {
    // RFC 9101 §10.1: an mTLS client still signs its request objects with its key, if it has one.
    const key = await o.loadKey().catch(() => undefined);
    if (key) ext.requestObjectKey = key;
  }
  const tokens = await o.loadTokens();
  if (tokens && tokens.issuer === s.issuer && tokens.client_id === s.clientId)
    ext.accessToken = { value: tokens.access_token, tokenType: tokens.token_type };
  const others = new Map<string, HttpClient>();
  return {
    mode: 'fapi2',
    label: s.issuer,
    issuer: s.issuer,
    metadata: s.client.metadata,
    lab: false,
    http(party, cert) {
      if (party === 'client' && !cert) return ext.http;
      if (cert) return label(o.http(cert), party);
      let h = others.get(party);
      if (!h) others.set(party, (h = label(o.http(), party)));
      return h;
    },
    profile: ext,
  };
}
