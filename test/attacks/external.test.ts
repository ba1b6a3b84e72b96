/**
 * The --issuer target of src/attacks/external.ts without a server: the registered client is the
 * honest party, its saved token is used only when issued to it by that issuer, the assertion key
 * is loaded only for private_key_jwt, and every other party gets an HTTP client of its own.
 */
import { describe, expect, it } from 'vitest';
import { externalTarget, type ExternalTargetOptions } from '../../src/attacks/external.js';
import { Client } from '../../src/core/client.js';
import { DEFAULT_REDIRECT_URI } from '../../src/core/fapi.js';
import type { HttpClient } from '../../src/http/client.js';
import { ISSUER, ecDpopKey, ecSigningKey, fakeHttp, metadata } from '../helpers/fake-http.js';

function session(authMethod: 'private_key_jwt' | 'tls_client_auth' = 'private_key_jwt') {
  const http = fakeHttp().http;
  const client = new Client({
    http,
    metadata: metadata(),
    clientId: 'c1',
    authMethod,
    sender: 'dpop',
    dpopKey: ecDpopKey(),
    ...(authMethod === 'private_key_jwt' ? { signingKey: ecSigningKey() } : {}),
  });
  return { issuer: ISSUER, clientId: 'c1', client, http };
}

function options(o: Partial<ExternalTargetOptions> = {}) {
  const made: (string | undefined)[] = [];
  let keyLoads = 0;
  const opts: ExternalTargetOptions = {
    loadKey: async () => {
      keyLoads++;
      return ecSigningKey();
    },
    loadTokens: async () => ({ issuer: ISSUER, client_id: 'c1', access_token: 'at-1', token_type: 'DPoP' }),
    http: (cert) => {
      made.push(cert?.cert);
      return fakeHttp().http;
    },
    ...o,
  };
  return { opts, made, keyLoads: () => keyLoads };
}

describe('externalTarget', () => {
  it('makes the registered client the honest party, with its saved token and assertion key', async () => {
    const s = session();
    const { opts, keyLoads } = options({ resource: 'https://rs.example/accounts' });
    const t = await externalTarget(s, opts);
    expect(t).toMatchObject({ mode: 'fapi2', label: ISSUER, issuer: ISSUER, lab: false });
    expect(t.profile?.client).toBe(s.client);
    expect(t.profile?.redirectUri).toBe(DEFAULT_REDIRECT_URI);
    expect(t.profile?.resource).toBe('https://rs.example/accounts');
    expect(t.profile?.accessToken).toEqual({ value: 'at-1', tokenType: 'DPoP' });
    expect(t.profile?.signingKey?.kid).toBe('sig-1');
    expect(keyLoads()).toBe(1);
    expect(t.http('client')).toBe(s.http);
  });

  it('ignores a saved token of another client or issuer, and loads no key without private_key_jwt', async () => {
    for (const stale of [
      { issuer: 'https://other.example', client_id: 'c1' },
      { issuer: ISSUER, client_id: 'c2' },
    ]) {
      const { opts, keyLoads } = options({
        loadTokens: async () => ({ ...stale, access_token: 'at-1', token_type: 'DPoP' }),
      });
      const t = await externalTarget({ ...session('tls_client_auth'), redirectUri: 'https://app/cb' }, opts);
      expect(t.profile?.accessToken).toBeUndefined();
      expect(t.profile?.signingKey).toBeUndefined();
      expect(t.profile?.redirectUri).toBe('https://app/cb');
      expect(keyLoads()).toBe(0);
    }
  });

  it('gives each other party one HTTP client of its own, and a new one per client certificate', async () => {
    const { opts, made } = options();
    const labelled: string[] = [];
    const t = await externalTarget(session(), {
      ...opts,
      label: (http: HttpClient, party) => {
        labelled.push(party);
        return http;
      },
    });
    const attacker = t.http('attacker');
    expect(t.http('attacker')).toBe(attacker);
    expect(t.http('browser')).not.toBe(attacker);
    t.http('attacker', { cert: 'CERT', key: 'KEY' });
    t.http('client', { cert: 'CERT2', key: 'KEY' });
    expect(made).toEqual([undefined, undefined, 'CERT', 'CERT2']);
    expect(labelled).toEqual(['client', 'attacker', 'browser', 'attacker', 'client']);
  });
});
