/** Lab storage: one-time values expire and stay bounded; clients persist atomically. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientStore, ExpiringMap, GrantStore } from '../../lab/store.js';
import type { LabClient } from '../../lab/model.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-labstore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ExpiringMap', () => {
  it('expires values, consumes them once, and detects replays', () => {
    let t = 1000;
    const m = new ExpiringMap<string>({ now: () => t, max: 100 });
    m.set('a', 'A', 1060);
    expect(m.get('a')).toBe('A');
    expect(m.consume('a')).toBe('A');
    expect(m.consume('a')).toBeUndefined();
    m.set('b', 'B', 1060);
    t = 1060;
    expect(m.get('b')).toBeUndefined();
    expect(m.peek('b')).toBeUndefined();
    const j = new ExpiringMap<true>({ now: () => t, max: 100 });
    expect(j.once('jti-1', t + 10)).toBe(true);
    expect(j.once('jti-1', t + 10)).toBe(false);
    t += 11;
    expect(j.once('jti-1', t + 10)).toBe(true);
  });

  it('stays bounded: old and expired entries are dropped', () => {
    let t = 0;
    const m = new ExpiringMap<number>({ now: () => t, max: 1000 });
    for (let i = 0; i < 5000; i++) m.set(`k${i}`, i, t + 1_000_000);
    expect(m.size).toBe(1000);
    expect(m.get('k4999')).toBe(4999);
    expect(m.get('k0')).toBeUndefined();
    t = 2_000_000;
    for (let i = 0; i < 100; i++) m.set(`n${i}`, i, t + 10);
    expect(m.size).toBeLessThan(1000);
  });
});

describe('ClientStore', () => {
  const client: LabClient = {
    version: 1,
    client_id: 'c1',
    client_id_issued_at: 1,
    registration_access_token_sha256: 'x',
    metadata: {
      redirect_uris: ['https://c.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    updated_at: 1,
  };

  it('persists clients 0600 and reloads them, skipping foreign files', async () => {
    const cdir = path.join(dir, 'clients');
    const a = new ClientStore(cdir);
    await a.save(client);
    expect(statSync(path.join(cdir, 'c1.json')).mode & 0o777).toBe(0o600);
    writeFileSync(path.join(cdir, 'junk.json'), '{"hello":1}');
    const b = new ClientStore(cdir);
    const skipped = await b.load();
    expect(b.get('c1')).toEqual(client);
    expect(skipped.map((s) => path.basename(s.file))).toEqual(['junk.json']);
    await b.delete('c1');
    const c = new ClientStore(cdir);
    await c.load();
    expect(c.get('c1')).toBeUndefined();
  });
});

describe('GrantStore', () => {
  it('revokes a grant with its tokens, and saves and restores state', async () => {
    let t = 100;
    const g = new GrantStore({ now: () => t, max: 1000 });
    g.createGrant({
      id: 'g1',
      clientId: 'c',
      sub: 'alice',
      scope: ['openid'],
      authTime: t,
      expiresAt: t + 1000,
    });
    g.recordAccessToken({
      jti: 'j1',
      grantId: 'g1',
      clientId: 'c',
      sub: 'alice',
      scope: ['openid'],
      binding: { jkt: 'k' },
      tokenType: 'DPoP',
      issuedAt: t,
      expiresAt: t + 300,
    });
    g.recordRefreshToken('rt-1', {
      grantId: 'g1',
      clientId: 'c',
      scope: ['openid'],
      createdAt: t,
      expiresAt: t + 1000,
    });
    expect(g.activeAccessToken('j1')?.binding).toEqual({ jkt: 'k' });
    expect(g.activeRefreshToken('rt-1')?.grantId).toBe('g1');
    const file = path.join(dir, 'state.json');
    await g.save(file);
    const restored = new GrantStore({ now: () => t, max: 1000 });
    expect(await restored.load(file)).toBeUndefined();
    expect(restored.activeAccessToken('j1')).toBeDefined();
    expect(restored.revokeRefreshToken('rt-1')).toBe(true);
    expect(restored.activeAccessToken('j1')).toBeUndefined();
    expect(restored.activeRefreshToken('rt-1')).toBeUndefined();
    t += 301;
    expect(g.activeAccessToken('j1')).toBeUndefined();
  });
});
