/**
 * Keys and the client certificate kept in a profile folder:
 *   signing.key.jwk.json  private JWK of the client-authentication key (0600)
 *   dpop.key.jwk.json     private JWK of the DPoP key (0600), separate from the client key so a
 *                         DPoP proof never proves possession of the client's credential
 *   client.cert.pem       the X.509 certificate of the signing key, for mTLS (0644)
 * The profile records each key's kid, alg and RFC 7638 thumbprint; loading checks the file still
 * holds that key, so a swapped or hand-edited file is reported instead of silently used.
 */
import type { KeyObject } from 'node:crypto';
import { stateError } from '../errors.js';
import type { Jwk } from '../core/jwk.js';
import {
  PUBLIC_FILE_MODE,
  SECRET_FILE_MODE,
  ensureDir,
  readJson,
  readText,
  writeFileAtomic,
  writeJsonAtomic,
} from './atomic.js';
import type { CertificateRef, KeyRef, Profile, ProfileStore } from './profile.js';
import {
  generateSigningKey,
  keyFromPrivateJwk,
  privateKeyPem,
  type GeneratedKey,
  type KeyAlg,
} from '../keys/generate.js';
import { X509Error, certMatchesKey, parseCertificate, type CertInfo } from '../keys/x509.js';

export type KeyRole = 'signing' | 'dpop';

export const KEY_FILES: Record<KeyRole, string> = {
  signing: 'signing.key.jwk.json',
  dpop: 'dpop.key.jwk.json',
};
export const CERT_FILE = 'client.cert.pem';

export interface LoadedKey {
  role: KeyRole;
  alg: KeyAlg;
  kid: string;
  thumbprint: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: Jwk;
  privateJwk: Jwk;
}

const ROLE_NAME: Record<KeyRole, string> = { signing: 'signing key', dpop: 'DPoP key' };

function toLoaded(role: KeyRole, key: GeneratedKey): LoadedKey {
  return {
    role,
    alg: key.alg,
    kid: key.kid,
    thumbprint: key.thumbprint,
    privateKey: key.privateKey,
    publicKey: key.publicKey,
    publicJwk: key.publicJwk,
    privateJwk: key.privateJwk,
  };
}

/** Writes the key's private JWK (0600) into the profile folder and records it in `profile.keys[role]`. */
export async function saveProfileKey(
  store: ProfileStore,
  profile: Profile,
  role: KeyRole,
  key: GeneratedKey,
): Promise<KeyRef> {
  const file = KEY_FILES[role];
  await ensureDir(store.dir(profile.name));
  await writeJsonAtomic(store.resolve(profile.name, file), key.privateJwk, { mode: SECRET_FILE_MODE });
  const ref: KeyRef = { file, kid: key.kid, alg: key.alg, thumbprint: key.thumbprint };
  profile.keys = { ...profile.keys, [role]: ref };
  return ref;
}

/** Loads a profile key, checking it is the key profile.json records (exit 3 naming the file otherwise). */
export async function loadProfileKey(
  store: ProfileStore,
  profile: Profile,
  role: KeyRole,
): Promise<LoadedKey> {
  const ref = profile.keys?.[role];
  if (!ref) {
    throw stateError(
      'E_KEY_MISSING',
      `Profile "${profile.name}" has no ${ROLE_NAME[role]}.`,
      role === 'signing'
        ? `Create one with \`fapi keygen --profile ${profile.name}\`.`
        : `Create one with \`fapi keygen --dpop --profile ${profile.name}\`.`,
    );
  }
  const file = store.resolve(profile.name, ref.file);
  const key = keyFromPrivateJwk(await readJson(file, ROLE_NAME[role] + ' file'), { source: file });
  if (key.thumbprint !== ref.thumbprint || key.alg !== ref.alg || key.kid !== ref.kid) {
    throw stateError(
      'E_KEY_MISMATCH',
      `The ${ROLE_NAME[role]} in ${file} is not the one profile "${profile.name}" records ` +
        `(file: ${key.alg} kid ${key.kid}, thumbprint ${key.thumbprint}; profile: ${ref.alg} kid ${ref.kid}, thumbprint ${ref.thumbprint}).`,
      'Restore the original key file, or generate a new key with `fapi keygen --force` (and register it again).',
      { details: { file } },
    );
  }
  return toLoaded(role, key);
}

/** The profile's DPoP key; generates, stores and saves one (default ES256) when the profile has none. */
export async function ensureDpopKey(
  store: ProfileStore,
  profile: Profile,
  alg: KeyAlg = 'ES256',
): Promise<LoadedKey> {
  if (profile.keys?.dpop) return loadProfileKey(store, profile, 'dpop');
  const key = await generateSigningKey(alg);
  await saveProfileKey(store, profile, 'dpop', key);
  await store.save(profile);
  return toLoaded('dpop', key);
}

/** Writes the client certificate (0644) and records it in `profile.certificate`. */
export async function saveProfileCertificate(
  store: ProfileStore,
  profile: Profile,
  info: CertInfo,
): Promise<CertificateRef> {
  await ensureDir(store.dir(profile.name));
  await writeFileAtomic(store.resolve(profile.name, CERT_FILE), info.pem, { mode: PUBLIC_FILE_MODE });
  const ref: CertificateRef = {
    file: CERT_FILE,
    subject: info.subject,
    issuer: info.issuer,
    serial: info.serial,
    not_before: info.notBefore.toISOString(),
    not_after: info.notAfter.toISOString(),
    x5t_s256: info.x5tS256,
    self_signed: info.selfSigned,
    key: 'signing',
  };
  profile.certificate = ref;
  return ref;
}

/**
 * The profile's client certificate and the PKCS#8 PEM of its signing key, ready for node:https
 * (`cert`, `key`); undefined when the profile has no certificate.
 */
export async function loadProfileCertificate(
  store: ProfileStore,
  profile: Profile,
): Promise<{ certPem: string; keyPem: string; info: CertInfo } | undefined> {
  const ref = profile.certificate;
  if (!ref) return undefined;
  const file = store.resolve(profile.name, ref.file);
  const certPem = await readText(file, 'client certificate');
  let info: CertInfo;
  try {
    info = parseCertificate(certPem);
  } catch (cause) {
    if (!(cause instanceof X509Error)) throw cause;
    throw stateError(
      'E_CERT_INVALID',
      `The client certificate ${file} cannot be read: ${cause.message}.`,
      'Create a new one with `fapi keygen --cert --force`.',
      { cause, details: { file } },
    );
  }
  if (info.x5tS256 !== ref.x5t_s256) {
    throw stateError(
      'E_CERT_MISMATCH',
      `The client certificate ${file} is not the one profile "${profile.name}" records (x5t#S256 ${info.x5tS256}, expected ${ref.x5t_s256}).`,
      'Restore the original file, or create a new certificate with `fapi keygen --cert --force`.',
      { details: { file } },
    );
  }
  const key = await loadProfileKey(store, profile, ref.key);
  if (!certMatchesKey(certPem, key.publicKey)) {
    throw stateError(
      'E_CERT_MISMATCH',
      `The client certificate ${file} is not for the profile's ${ROLE_NAME[ref.key]} (kid ${key.kid}).`,
      'Create a matching certificate with `fapi keygen --cert --force`.',
      { details: { file } },
    );
  }
  return { certPem, keyPem: privateKeyPem(key.privateKey), info };
}

/**
 * Reads a client's own key (a private JWK or a PEM private key) and, when given, its X.509
 * certificate from files outside fapi (`fapi profile create`, `fapi init --key/--cert`), checking
 * that the certificate is for that key. Paths resolve from the working folder; nothing is written.
 */
export async function readClientCredentials(
  keyFile: string,
  certFile?: string,
): Promise<{ key: GeneratedKey; certInfo?: CertInfo }> {
  const path = await import('node:path');
  const { keyFromPem } = await import('../keys/generate.js');
  const absKey = path.resolve(keyFile);
  const keyText = await readText(absKey, 'key file');
  let key: GeneratedKey;
  if (keyText.trimStart().startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(keyText);
    } catch (cause) {
      throw stateError(
        'E_FILE_CORRUPT',
        `The key file ${absKey} is not valid JSON (${(cause as Error).message}).`,
        'Pass a private JWK or a PEM private key.',
        { cause },
      );
    }
    key = keyFromPrivateJwk(jwk, { source: absKey });
  } else {
    key = keyFromPem(keyText, { source: absKey });
  }
  if (!certFile) return { key };
  const absCert = path.resolve(certFile);
  const pem = await readText(absCert, 'certificate file');
  let certInfo: CertInfo;
  try {
    certInfo = parseCertificate(pem);
  } catch (cause) {
    if (!(cause instanceof X509Error)) throw cause;
    throw stateError(
      'E_CERT_INVALID',
      `The certificate ${absCert} cannot be read: ${cause.message}.`,
      'Pass a PEM X.509 certificate.',
      { cause },
    );
  }
  if (!certMatchesKey(pem, key.publicKey))
    throw stateError(
      'E_CERT_MISMATCH',
      `The certificate ${absCert} is not for the key ${absKey}.`,
      'Pass the certificate issued for that key.',
    );
  return { key, certInfo };
}
