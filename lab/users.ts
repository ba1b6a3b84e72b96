/**
 * The lab's test users: who can log in on the login page (or is approved by --auto-approve), and
 * the claims of their ID tokens (OIDC Core §2, §5.1) and userinfo answers (§5.3.2). Alice and Bob by
 * default; a test adds, changes and removes users while the lab runs (`lab.users.add`).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { usageError } from '../src/errors.js';
import { isPlainObject } from '../src/store/validate.js';

/** A test user: its subject identifier, an optional password for the login page, its claims. */
export interface LabUser {
  /** The `sub` of its tokens (OIDC Core §2): at most 255 ASCII characters. */
  sub: string;
  /** When set, the login page asks for it; without one a user logs in by picking its name. */
  password?: string;
  /** Claims of its ID tokens and userinfo answers (e.g. name, email), beside the protocol claims. */
  claims: Readonly<Record<string, unknown>>;
}

export const DEFAULT_USERS: readonly LabUser[] = [
  { sub: 'alice', claims: { name: 'Alice Adams', email: 'alice@lab.fapi.example' } },
  { sub: 'bob', claims: { name: 'Bob Brown', email: 'bob@lab.fapi.example' } },
];

/**
 * Claims the lab sets itself in ID tokens (OIDC Core §2, §3.1.3.6) or access tokens (RFC 9068
 * §2.2): a user's claims may not replace them.
 */
const RESERVED_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'auth_time',
  'nonce',
  'azp',
  'at_hash',
  'c_hash',
  'acr',
  'amr',
  'cnf',
  'scope',
  'client_id',
]);

const SUB = /^[\x21-\x7e]{1,255}$/;

/** Checks a user given by a test or the control API; a FapiError (E_LAB_USER) otherwise. */
export function checkUser(u: unknown): LabUser {
  const bad = (why: string) =>
    usageError(
      'E_LAB_USER',
      `Invalid lab user: ${why}. Nothing was changed.`,
      'A user is { sub, password?, claims? }.',
    );
  if (!isPlainObject(u)) throw bad('not an object');
  if (typeof u.sub !== 'string' || !SUB.test(u.sub))
    throw bad('sub must be 1 to 255 printable ASCII characters without spaces (OIDC Core §2)');
  if (u.password !== undefined && (typeof u.password !== 'string' || u.password.length === 0))
    throw bad('password must be a non-empty string');
  const claims = u.claims ?? {};
  if (!isPlainObject(claims)) throw bad('claims must be an object');
  for (const k of Object.keys(claims))
    if (RESERVED_CLAIMS.has(k)) throw bad(`the claim ${JSON.stringify(k)} is set by the lab itself`);
  let copy: Record<string, unknown>;
  try {
    copy = JSON.parse(JSON.stringify(claims)) as Record<string, unknown>;
  } catch {
    throw bad('claims must be JSON');
  }
  return {
    sub: u.sub,
    ...(u.password !== undefined ? { password: u.password as string } : {}),
    claims: Object.freeze(copy),
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class LabUsers {
  private readonly bySub = new Map<string, LabUser>();
  private loginSub: string | undefined;

  constructor(
    initial: readonly LabUser[],
    private readonly defaultSub: string,
  ) {
    for (const u of initial) this.bySub.set(u.sub, checkUser(u));
  }

  /** Adds a user, or replaces the one with the same `sub` (its claims change for the next tokens). */
  add(u: unknown): LabUser {
    const user = checkUser(u);
    this.bySub.set(user.sub, user);
    return user;
  }

  /** Removes a user (its tokens stay valid until they expire or are revoked). */
  remove(sub: string): void {
    if (!this.bySub.delete(sub))
      throw usageError('E_LAB_UNKNOWN_USER', `There is no lab user ${JSON.stringify(sub)}.`, this.hint());
    if (this.loginSub === sub) this.loginSub = undefined;
  }

  get(sub: string): LabUser | undefined {
    return this.bySub.get(sub);
  }

  list(): LabUser[] {
    return [...this.bySub.values()];
  }

  /** With auto-approve: the user approved from now on (until changed or removed). */
  login(sub: string): void {
    if (!this.bySub.has(sub))
      throw usageError('E_LAB_UNKNOWN_USER', `There is no lab user ${JSON.stringify(sub)}.`, this.hint());
    this.loginSub = sub;
  }

  /** Who auto-approve logs in: the one chosen by login(), else the configured default, else the first. */
  autoApproved(): LabUser | undefined {
    return (
      (this.loginSub !== undefined ? this.bySub.get(this.loginSub) : undefined) ??
      this.bySub.get(this.defaultSub) ??
      this.bySub.values().next().value
    );
  }

  /** True when the user needs no password, or `given` is it (compared in constant time). */
  passwordMatches(user: LabUser, given: string | undefined): boolean {
    if (user.password === undefined) return true;
    return given !== undefined && timingSafeEqual(digest(user.password), digest(given));
  }

  private hint(): string {
    return `Lab users: ${[...this.bySub.keys()].join(', ') || 'none'}; add one with users.add({ sub, claims }).`;
  }
}

/** The claims of a user in ID tokens and userinfo: its own (the protocol claims are the lab's). */
export function userClaims(user: LabUser | undefined): Readonly<Record<string, unknown>> {
  return user?.claims ?? {};
}
