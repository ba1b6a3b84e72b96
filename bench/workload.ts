/**
 * Requests built ahead of a load run, with fapi's own core (the code the CLI uses): each token
 * request carries a fresh private_key_jwt client assertion and a fresh DPoP proof; each resource
 * request a fresh DPoP proof with `ath`. Built just before the run so every `iat` is recent.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { clientAssertionParams, createClientAssertion } from '../src/core/client-auth.js';
import { createDpopProof, type DpopKey } from '../src/core/dpop.js';
import { jwkThumbprint, type Jwk } from '../src/core/jwk.js';
import type { PreparedRequest } from './load.js';

export interface BenchClientKeys {
  /** Client-authentication key (private_key_jwt), ES256. */
  auth: { privateKey: KeyObject; publicJwk: Jwk; kid: string };
  /** The DPoP key, ES256, distinct from the client-authentication key. */
  dpop: DpopKey;
  dpopJkt: string;
}

function es256(): { privateKey: KeyObject; publicJwk: Jwk } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) as Jwk };
}

export function benchClientKeys(): BenchClientKeys {
  const a = es256();
  const kid = jwkThumbprint(a.publicJwk);
  const d = es256();
  return {
    auth: { privateKey: a.privateKey, publicJwk: { ...a.publicJwk, kid, alg: 'ES256', use: 'sig' }, kid },
    dpop: { privateKey: d.privateKey, publicJwk: d.publicJwk, alg: 'ES256' },
    dpopJkt: jwkThumbprint(d.publicJwk),
  };
}

export interface TokenWorkload {
  clientId: string;
  /** Audience of the client assertion: the issuer identifier (FAPI2-SP §5.3.2.1-8). */
  issuer: string;
  tokenEndpoint: string;
  scope: string;
  keys: BenchClientKeys;
}

/** `n` client_credentials token requests, each with its own assertion and DPoP proof. */
export function tokenRequests(n: number, w: TokenWorkload): PreparedRequest[] {
  const out: PreparedRequest[] = [];
  for (let i = 0; i < n; i++) {
    const assertion = createClientAssertion({
      clientId: w.clientId,
      audience: w.issuer,
      privateKey: w.keys.auth.privateKey,
      alg: 'ES256',
      kid: w.keys.auth.kid,
      lifetime: 120,
    });
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: w.scope,
      ...clientAssertionParams(w.clientId, assertion),
    }).toString();
    out.push({
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        dpop: createDpopProof(w.keys.dpop, { htm: 'POST', htu: w.tokenEndpoint }),
      },
      body,
    });
  }
  return out;
}

/** `n` GET requests to a resource with a DPoP-bound token, each with a fresh proof (with ath). */
export function resourceRequests(
  n: number,
  url: string,
  accessToken: string,
  dpop: DpopKey,
): PreparedRequest[] {
  const out: PreparedRequest[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      headers: {
        accept: 'application/json',
        authorization: `DPoP ${accessToken}`,
        dpop: createDpopProof(dpop, { htm: 'GET', htu: url, accessToken }),
      },
    });
  }
  return out;
}
