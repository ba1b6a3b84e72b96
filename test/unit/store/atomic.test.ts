import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from '../../../src/store/atomic.js';
import { ProfileStore } from '../../../src/store/profile.js';
import { resolveHome } from '../../../src/store/home.js';
import { FapiError } from '../../../src/errors.js';

let dir: string;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('writes secrets 0600 in 0700 folders and leaves no temp file', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-atomic-'));
    const file = path.join(dir, 'sub', 'secret.json');
    await writeJsonAtomic(file, { a: 1 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(readdirSync(path.dirname(file))).toEqual(['secret.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: 1 });
  });

  it('keeps the old content when the write fails', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-atomic-'));
    const file = path.join(dir, 'f.txt');
    writeFileSync(file, 'old');
    chmodSync(dir, 0o500);
    try {
      if (process.getuid && process.getuid() === 0) {
        // root ignores folder permissions; make the rename fail instead by targeting a folder.
        chmodSync(dir, 0o700);
        const target = path.join(dir, 'adir');
        const { mkdirSync } = await import('node:fs');
        mkdirSync(path.join(target, 'x'), { recursive: true });
        await expect(writeFileAtomic(target, 'new')).rejects.toBeInstanceOf(FapiError);
        expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      } else {
        await expect(writeFileAtomic(file, 'new')).rejects.toBeInstanceOf(FapiError);
      }
    } finally {
      chmodSync(dir, 0o700);
    }
    expect(readFileSync(file, 'utf8')).toBe('old');
  });

  it('refuses to overwrite with exclusive', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-atomic-'));
    const file = path.join(dir, 'f.txt');
    writeFileSync(file, 'old');
    await expect(writeFileAtomic(file, 'new', { exclusive: true })).rejects.toMatchObject({
      code: 'E_FILE_EXISTS',
      kind: 'localState',
    });
  });
});

describe('home and profiles', () => {
  it('resolves the home from flag, env, XDG, then ~/.config', () => {
    expect(resolveHome({ flag: '/a', FAPI_HOME: '/b' })).toBe('/a');
    expect(resolveHome({ FAPI_HOME: '/b', XDG_CONFIG_HOME: '/x' })).toBe('/b');
    expect(resolveHome({ XDG_CONFIG_HOME: '/x' })).toBe('/x/fapi');
    expect(resolveHome({ userHome: '/home/u' })).toBe('/home/u/.config/fapi');
  });

  it('saves, lists, loads, uses and deletes profiles; rejects bad names', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-store-'));
    const store = new ProfileStore(dir);
    const p = await store.loadOrNew('alpha');
    p.issuer = 'https://as.example';
    await store.save(p);
    expect(statSync(path.join(dir, 'profiles', 'alpha', 'profile.json')).mode & 0o777).toBe(0o600);
    expect(await store.list()).toEqual(['alpha']);
    expect((await store.load('alpha')).issuer).toBe('https://as.example');
    await store.use('alpha');
    expect(await store.currentProfile()).toBe('alpha');
    await store.delete('alpha');
    expect(await store.list()).toEqual([]);
    expect(await store.currentProfile()).toBeUndefined();
    await expect(store.load('../etc')).rejects.toMatchObject({ kind: 'usage' });
  });

  it('refuses to save an invalid profile (a bug must not write an unreadable file)', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-store-'));
    const store = new ProfileStore(dir);
    const p = await store.loadOrNew('beta');
    (p as unknown as Record<string, unknown>).sender = 'bearer';
    await expect(store.save(p)).rejects.toMatchObject({ code: 'E_FILE_INVALID' });
    expect(await store.list()).toEqual([]);
  });
});
