/**
 * Lab storage. Two kinds:
 * - one-time values (request_uris, codes, DPoP and client-assertion jtis, login interactions) live
 *   in memory with an expiry and a bound on their number, so memory stays bounded under load;
 * - what survives a restart (registered clients, the lab's keys, grants and refresh tokens) is
 *   written as files through src/store/atomic.ts (temp file, fsync, rename; 0600).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exists, readJson, removeFile, writeJsonAtomic } from '../src/store/atomic.js';
import { sha256b64url } from '../src/core/jwk.js';
import { isPlainObject } from '../src/store/validate.js';
import type { AccessTokenRecord, Grant, LabClient, RefreshTokenRecord, TokenBinding } from './model.js';

/** base64url SHA-256, as src/core computes it for thumbprints and `ath`. */
export const sha256 = (s: string): string => sha256b64url(s);

/**
 * An in-memory map whose entries expire, holding at most `max` entries: expired entries are swept
 * from the oldest end on every write, and when full the oldest entry is dropped (bounded memory
 * wins over remembering a value past the bound; the bound is far above any lab's load).
 */
export class ExpiringMap<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();
  constructor(
    private readonly o: {
      /** Epoch seconds. */
      now: () => number;
      max: number;
    },
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The live value, or undefined (missing or expired). */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.o.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** The value even when expired (to tell "expired" from "unknown" in error messages). */
  peek(key: string): { value: V; expired: boolean } | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    return { value: e.value, expired: e.expiresAt <= this.o.now() };
  }

  set(key: string, value: V, expiresAt: number): void {
    // Sweeping on every 32nd write (up to 512 entries) keeps the same bound as a small sweep on
    // every write, at a fraction of the cost on the hot path (bench rows 5a and 6b).
    if ((++this.writes & 31) === 0) this.sweep(512);
    if (this.map.has(key)) this.map.delete(key);
    this.map.set(key, { value, expiresAt });
    if (this.map.size > this.o.max) this.map.delete(this.map.keys().next().value as string);
  }
  private writes = 0;

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  /** Returns the live value and removes it: a value can be consumed once. */
  consume(key: string): V | undefined {
    const v = this.get(key);
    if (v !== undefined) this.map.delete(key);
    return v;
  }

  /** Records a one-time key until `expiresAt`; false when it is already recorded (a replay). */
  once(key: string, expiresAt: number): boolean {
    const e = this.map.get(key);
    if (e !== undefined && e.expiresAt > this.o.now()) return false;
    this.set(key, true as V, expiresAt);
    return true;
  }

  values(): V[] {
    const now = this.o.now();
    const out: V[] = [];
    for (const e of this.map.values()) if (e.expiresAt > now) out.push(e.value);
    return out;
  }

  /** Removes up to `limit` expired entries from the oldest end (all with Infinity). */
  sweep(limit = Infinity): void {
    const now = this.o.now();
    let n = 0;
    for (const [k, e] of this.map) {
      if (n++ >= limit) break;
      if (e.expiresAt <= now) this.map.delete(k);
      else if (limit !== Infinity) break;
    }
  }

  clear(): void {
    this.map.clear();
  }
}

/** Registered clients: one JSON file each (0600: the file holds the RAT hash), cached in memory. */
export class ClientStore {
  private readonly clients = new Map<string, LabClient>();
  constructor(private readonly dir: string) {}

  private file(clientId: string): string {
    return path.join(this.dir, `${clientId}.json`);
  }

  /** Loads every client file; returns the files it had to skip and why. */
  async load(): Promise<{ file: string; problem: string }[]> {
    const skipped: { file: string; problem: string }[] = [];
    let names: string[] = [];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return skipped;
    }
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(this.dir, name);
      try {
        const v = await readJson(file, 'lab client file');
        if (
          !isPlainObject(v) ||
          v.version !== 1 ||
          typeof v.client_id !== 'string' ||
          `${v.client_id}.json` !== name ||
          typeof v.registration_access_token_sha256 !== 'string' ||
          !isPlainObject(v.metadata)
        ) {
          skipped.push({ file, problem: 'not a lab client record' });
          continue;
        }
        this.clients.set(v.client_id, v as unknown as LabClient);
      } catch (e) {
        skipped.push({ file, problem: (e as Error).message });
      }
    }
    return skipped;
  }

  get(clientId: string): LabClient | undefined {
    return this.clients.get(clientId);
  }

  list(): LabClient[] {
    return [...this.clients.values()].sort((a, b) => a.client_id_issued_at - b.client_id_issued_at);
  }

  get size(): number {
    return this.clients.size;
  }

  async save(client: LabClient): Promise<void> {
    await writeJsonAtomic(this.file(client.client_id), client);
    this.clients.set(client.client_id, client);
  }

  async delete(clientId: string): Promise<void> {
    this.clients.delete(clientId);
    await removeFile(this.file(clientId));
  }
}

interface SavedState {
  version: 1;
  grants: Grant[];
  refreshTokens: RefreshTokenRecord[];
  accessTokens: AccessTokenRecord[];
}

/**
 * Grants, refresh tokens and access-token records. Tokens of a grant are revoked together
 * (RFC 7009 §2.1, code reuse per RFC 6749 §4.1.2). Held in memory with expiry; saved at shutdown
 * and loaded at start, so a restart keeps sessions alive.
 */
export class GrantStore {
  readonly grants: ExpiringMap<Grant>;
  readonly refreshTokens: ExpiringMap<RefreshTokenRecord>;
  readonly accessTokens: ExpiringMap<AccessTokenRecord>;

  constructor(private readonly o: { now: () => number; max: number }) {
    this.grants = new ExpiringMap(o);
    this.refreshTokens = new ExpiringMap(o);
    this.accessTokens = new ExpiringMap(o);
  }

  createGrant(g: Omit<Grant, 'createdAt'>): Grant {
    const grant: Grant = { ...g, createdAt: this.o.now() };
    this.grants.set(grant.id, grant, grant.expiresAt);
    return grant;
  }

  /** The grant when it is live and not revoked. */
  activeGrant(id: string): Grant | undefined {
    const g = this.grants.get(id);
    return g && g.revokedAt === undefined ? g : undefined;
  }

  revokeGrant(id: string, because: string): void {
    const g = this.grants.get(id);
    if (g && g.revokedAt === undefined) {
      g.revokedAt = this.o.now();
      g.revokedBecause = because;
    }
  }

  /** Revokes every grant of a client (client deletion, RFC 7592 §2.3). */
  revokeClient(clientId: string, because: string): void {
    for (const g of this.grants.values()) if (g.clientId === clientId) this.revokeGrant(g.id, because);
  }

  recordAccessToken(r: AccessTokenRecord): void {
    this.accessTokens.set(r.jti, r, r.expiresAt);
  }

  /**
   * The record of a live access token: known jti, not expired, not revoked, grant not revoked.
   * This is what the RS and introspection use for revocation (RS-03, IN-02).
   */
  activeAccessToken(jti: string): AccessTokenRecord | undefined {
    const r = this.accessTokens.get(jti);
    if (!r || r.revokedAt !== undefined) return undefined;
    if (!this.activeGrant(r.grantId)) return undefined;
    return r;
  }

  revokeAccessToken(jti: string): void {
    const r = this.accessTokens.get(jti);
    if (r && r.revokedAt === undefined) r.revokedAt = this.o.now();
  }

  recordRefreshToken(token: string, r: Omit<RefreshTokenRecord, 'hash'>): RefreshTokenRecord {
    const rec: RefreshTokenRecord = { ...r, hash: sha256(token) };
    this.refreshTokens.set(rec.hash, rec, rec.expiresAt);
    return rec;
  }

  /** A live refresh token record (known, not expired, grant not revoked). */
  activeRefreshToken(token: string): RefreshTokenRecord | undefined {
    const r = this.refreshTokens.get(sha256(token));
    if (!r || !this.activeGrant(r.grantId)) return undefined;
    return r;
  }

  /** Revoking a refresh token revokes its grant, and so the grant's access tokens (RV-03). */
  revokeRefreshToken(token: string): boolean {
    const r = this.refreshTokens.get(sha256(token));
    if (!r) return false;
    this.revokeGrant(r.grantId, 'refresh token revoked');
    this.refreshTokens.delete(r.hash);
    return true;
  }

  bindingOf(jti: string): TokenBinding | undefined {
    return this.accessTokens.get(jti)?.binding;
  }

  async save(file: string): Promise<void> {
    const state: SavedState = {
      version: 1,
      grants: this.grants.values(),
      refreshTokens: this.refreshTokens.values(),
      accessTokens: this.accessTokens.values(),
    };
    await writeJsonAtomic(file, state);
  }

  /** Loads saved state; a missing or unreadable file just starts empty (returns the problem). */
  async load(file: string): Promise<string | undefined> {
    if (!(await exists(file))) return undefined;
    try {
      const v = (await readJson(file, 'lab state file')) as SavedState;
      if (!isPlainObject(v) || v.version !== 1 || !Array.isArray(v.grants))
        return `${file}: not a lab state file`;
      for (const g of v.grants) this.grants.set(g.id, g, g.expiresAt);
      for (const r of v.refreshTokens ?? []) this.refreshTokens.set(r.hash, r, r.expiresAt);
      for (const a of v.accessTokens ?? []) this.accessTokens.set(a.jti, a, a.expiresAt);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }
}
