/**
 * Profiles: what fapi knows about one client at one authorization server. Versioned JSON under
 * `<home>/profiles/<name>/`, validated on load. Secrets (private keys, tokens, the registration
 * access token) are only ever written 0600 through ./atomic.ts.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  CLIENT_AUTH_METHODS,
  SENDER_CONSTRAINTS,
  SIGNING_ALGS,
  type ClientAuthMethod,
  type SenderConstraint,
  type SigningAlg,
} from '../core/fapi.js';
import { stateError, usageError } from '../errors.js';
import { exists, readJson, writeJsonAtomic, ensureDir, PUBLIC_FILE_MODE } from './atomic.js';
import { paths, isValidProfileName } from './home.js';
import {
  bool,
  httpsUrl,
  nonEmptyStr,
  num,
  object,
  oneOf,
  opt,
  req,
  str,
  anyObject,
  arrayOf,
  type Check,
} from './validate.js';
import type { AuthorizationDetail } from '../core/authorization-details.js';
import { ECOSYSTEM_NAMES, type EcosystemName } from '../core/ecosystem-names.js';

export const PROFILE_VERSION = 1;

/** A key kept in the profile folder; `file` is relative to the profile folder. */
export interface KeyRef {
  file: string;
  kid: string;
  alg: SigningAlg;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url). */
  thumbprint: string;
}

export interface CertificateRef {
  /** PEM certificate, relative to the profile folder. */
  file: string;
  subject: string;
  issuer: string;
  serial: string;
  not_before: string;
  not_after: string;
  /** base64url SHA-256 of the DER (RFC 8705 §3.1). */
  x5t_s256: string;
  self_signed: boolean;
  /** Which key in `keys` the certificate is for. */
  key: 'signing';
}

export interface RegistrationRef {
  registration_access_token?: string;
  registration_client_uri?: string;
  client_id_issued_at?: number;
  /** The metadata the server returned, minus secrets. */
  metadata?: Record<string, unknown>;
}

export interface Profile {
  version: typeof PROFILE_VERSION;
  name: string;
  issuer?: string;
  client_id?: string;
  auth_method?: ClientAuthMethod;
  sender?: SenderConstraint;
  keys?: { signing?: KeyRef; dpop?: KeyRef };
  certificate?: CertificateRef;
  /** Extra PEM trust anchors for HTTPS to this issuer (absolute path). */
  ca_file?: string;
  /** True when the issuer is a fapi lab; its CA is then `ca_file`. */
  lab?: boolean;
  redirect_uri?: string;
  scope?: string;
  /** Override of the client assertion audience (defaults to the issuer, FAPI2-SP §5.3.2.1-8). */
  assertion_audience?: string;
  /** The ecosystem preset the client follows (src/core/ecosystems.ts; optional: added compatibly). */
  ecosystem?: EcosystemName;
  registration?: RegistrationRef;
  created_at: string;
  updated_at: string;
}

export interface StoredTokens {
  version: typeof PROFILE_VERSION;
  access_token: string;
  token_type: string;
  /** Epoch seconds, when the server gave expires_in. */
  expires_at?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  /** RFC 9396 §7: the authorization details granted to the token (optional: added compatibly). */
  authorization_details?: AuthorizationDetail[];
  /** The sender constraint the token is bound to. */
  cnf?: { jkt?: string; 'x5t#S256'?: string };
  obtained_at: number;
  issuer: string;
  client_id: string;
}

const keyRef = object({
  file: req(nonEmptyStr),
  kid: req(nonEmptyStr),
  alg: req(oneOf(...SIGNING_ALGS)),
  thumbprint: req(nonEmptyStr),
});

const profileShape: Check = object({
  version: req(oneOf(PROFILE_VERSION)),
  name: req(nonEmptyStr),
  issuer: opt(httpsUrl),
  client_id: opt(nonEmptyStr),
  auth_method: opt(oneOf(...CLIENT_AUTH_METHODS)),
  sender: opt(oneOf(...SENDER_CONSTRAINTS)),
  keys: opt(object({ signing: opt(keyRef), dpop: opt(keyRef) })),
  certificate: opt(
    object({
      file: req(nonEmptyStr),
      subject: req(str),
      issuer: req(str),
      serial: req(str),
      not_before: req(str),
      not_after: req(str),
      x5t_s256: req(nonEmptyStr),
      self_signed: req(bool),
      key: req(oneOf('signing')),
    }),
  ),
  ca_file: opt(nonEmptyStr),
  lab: opt(bool),
  redirect_uri: opt(nonEmptyStr),
  scope: opt(str),
  assertion_audience: opt(nonEmptyStr),
  ecosystem: opt(oneOf(...ECOSYSTEM_NAMES)),
  registration: opt(
    object({
      registration_access_token: opt(str),
      registration_client_uri: opt(httpsUrl),
      client_id_issued_at: opt(num),
      metadata: opt(anyObject),
    }),
  ),
  created_at: req(str),
  updated_at: req(str),
});

/** An authorization details object (RFC 9396 §2): an object with a non-empty string `type`. */
const detailShape: Check = object({ type: req(nonEmptyStr) });

const tokensShape: Check = object({
  version: req(oneOf(PROFILE_VERSION)),
  access_token: req(nonEmptyStr),
  token_type: req(nonEmptyStr),
  expires_at: opt(num),
  refresh_token: opt(str),
  id_token: opt(str),
  scope: opt(str),
  authorization_details: opt(arrayOf(detailShape)),
  cnf: opt(anyObject),
  obtained_at: req(num),
  issuer: req(str),
  client_id: req(str),
});

interface ConfigFile {
  version: typeof PROFILE_VERSION;
  current_profile?: string;
}
const configShape: Check = object({ version: req(oneOf(PROFILE_VERSION)), current_profile: opt(str) });

function assertShape<T>(value: unknown, check: Check, file: string, what: string): T {
  const problem = check(value, '$');
  if (problem) {
    throw stateError(
      'E_FILE_INVALID',
      `The ${what} ${file} is invalid: ${problem}.`,
      'Fix that field by hand, or delete the file and recreate it; fapi never overwrites it silently.',
      { details: { file, problem } },
    );
  }
  return value as T;
}

export function checkProfileName(name: string): void {
  if (!isValidProfileName(name)) {
    throw usageError(
      'E_PROFILE_NAME',
      `"${name}" is not a valid profile name.`,
      'Use letters, digits, ".", "_" or "-" (at most 64 characters).',
    );
  }
}

/** The profile store of one fapi home. */
export class ProfileStore {
  constructor(readonly home: string) {}

  dir(name: string): string {
    return paths.profileDir(this.home, name);
  }

  /** Absolute path of a file kept in the profile folder. */
  resolve(name: string, relative: string): string {
    return path.resolve(this.dir(name), relative);
  }

  async exists(name: string): Promise<boolean> {
    checkProfileName(name);
    return exists(paths.profileFile(this.home, name));
  }

  async load(name: string): Promise<Profile> {
    checkProfileName(name);
    const file = paths.profileFile(this.home, name);
    if (!(await exists(file))) {
      throw stateError(
        'E_PROFILE_MISSING',
        `There is no profile "${name}" in ${this.home}.`,
        'Create one with `fapi keygen` or `fapi init`, or pick another with --profile (see `fapi profile list`).',
      );
    }
    const profile = assertShape<Profile>(await readJson(file, 'profile'), profileShape, file, 'profile');
    if (profile.name !== name) {
      throw stateError(
        'E_FILE_INVALID',
        `The profile ${file} is invalid: $.name is "${profile.name}" but the folder is "${name}".`,
        'Fix $.name by hand.',
      );
    }
    return profile;
  }

  /** Loads the profile, or returns a new empty one (not yet saved). */
  async loadOrNew(name: string, now = new Date()): Promise<Profile> {
    if (await this.exists(name)) return this.load(name);
    const t = now.toISOString();
    return { version: PROFILE_VERSION, name, created_at: t, updated_at: t };
  }

  async save(profile: Profile, now = new Date()): Promise<void> {
    checkProfileName(profile.name);
    const next: Profile = { ...profile, updated_at: now.toISOString() };
    // Validate what we write too: a bug must not produce a file we would refuse to read.
    assertShape<Profile>(
      JSON.parse(JSON.stringify(next)),
      profileShape,
      paths.profileFile(this.home, profile.name),
      'profile',
    );
    await ensureDir(this.dir(profile.name));
    await writeJsonAtomic(paths.profileFile(this.home, profile.name), next);
    Object.assign(profile, next);
  }

  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(paths.profilesDir(this.home));
    } catch {
      return [];
    }
    const names: string[] = [];
    for (const e of entries.sort()) {
      if (isValidProfileName(e) && (await exists(paths.profileFile(this.home, e)))) names.push(e);
    }
    return names;
  }

  async delete(name: string): Promise<void> {
    if (!(await this.exists(name))) {
      throw stateError(
        'E_PROFILE_MISSING',
        `There is no profile "${name}" in ${this.home}.`,
        'See `fapi profile list`.',
      );
    }
    await fs.rm(this.dir(name), { recursive: true, force: true });
    const cfg = await this.readConfig();
    if (cfg.current_profile === name) {
      delete cfg.current_profile;
      await this.writeConfig(cfg);
    }
  }

  async loadTokens(name: string): Promise<StoredTokens | undefined> {
    const file = paths.tokensFile(this.home, name);
    if (!(await exists(file))) return undefined;
    return assertShape<StoredTokens>(await readJson(file, 'token file'), tokensShape, file, 'token file');
  }

  async saveTokens(name: string, tokens: StoredTokens): Promise<void> {
    const file = paths.tokensFile(this.home, name);
    assertShape<StoredTokens>(JSON.parse(JSON.stringify(tokens)), tokensShape, file, 'token file');
    await ensureDir(this.dir(name));
    await writeJsonAtomic(file, tokens);
  }

  async deleteTokens(name: string): Promise<void> {
    await fs.rm(paths.tokensFile(this.home, name), { force: true });
  }

  async readConfig(): Promise<ConfigFile> {
    const file = paths.config(this.home);
    if (!(await exists(file))) return { version: PROFILE_VERSION };
    return assertShape<ConfigFile>(await readJson(file, 'config file'), configShape, file, 'config file');
  }

  async writeConfig(cfg: ConfigFile): Promise<void> {
    await ensureDir(this.home);
    await writeJsonAtomic(paths.config(this.home), cfg, { mode: PUBLIC_FILE_MODE });
  }

  /** The profile chosen by `fapi profile use`, if any. */
  async currentProfile(): Promise<string | undefined> {
    return (await this.readConfig()).current_profile;
  }

  async use(name: string): Promise<void> {
    if (!(await this.exists(name))) {
      throw stateError(
        'E_PROFILE_MISSING',
        `There is no profile "${name}" in ${this.home}.`,
        'See `fapi profile list`.',
      );
    }
    const cfg = await this.readConfig();
    cfg.current_profile = name;
    await this.writeConfig(cfg);
  }
}
