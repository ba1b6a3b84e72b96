/**
 * The lab's own signing keys (access tokens, ID tokens): ES256 (P-256), so a first start is fast.
 * Kept as private JWKs in `<lab home>/keys.json` (0600) so tokens stay verifiable across restarts;
 * `kid` is the RFC 7638 thumbprint, so kids are distinct (META-12, CR-07); the public JWKS is built
 * from the key itself, so it carries no private members and no `x5u`/`jku`.
 */
import type { KeyObject } from 'node:crypto';
import type { Jwk } from '../src/core/jwk.js';
import { stateError } from '../src/errors.js';
import { exists, readJson, writeJsonAtomic } from '../src/store/atomic.js';
import { generateSigningKey, keyFromPrivateJwk, type GeneratedKey } from '../src/keys/generate.js';
import { isPlainObject } from '../src/store/validate.js';
import { type FapiAlg } from '../src/core/fapi.js';

export interface LabSigningKey {
  kid: string;
  alg: FapiAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: Jwk;
}

export interface LabKeys {
  /** The key that signs new tokens. */
  signing: LabSigningKey;
  all: LabSigningKey[];
  /** The public JWKS served at jwks_uri. */
  jwks(): { keys: Jwk[] };
  byKid(kid: string): LabSigningKey | undefined;
}

function toLabKey(k: GeneratedKey): LabSigningKey {
  return { kid: k.kid, alg: k.alg, privateKey: k.privateKey, publicKey: k.publicKey, publicJwk: k.publicJwk };
}

function makeKeys(keys: LabSigningKey[]): LabKeys {
  const jwks = { keys: keys.map((k) => ({ ...k.publicJwk, use: 'sig', alg: k.alg, kid: k.kid })) };
  return {
    signing: keys[0] as LabSigningKey,
    all: keys,
    jwks: () => jwks,
    byKid: (kid) => keys.find((k) => k.kid === kid),
  };
}

export async function loadOrCreateLabKeys(file: string): Promise<LabKeys> {
  if (await exists(file)) {
    const raw = await readJson(file, 'lab key file');
    if (!isPlainObject(raw) || raw.version !== 1 || !Array.isArray(raw.keys) || raw.keys.length === 0)
      throw stateError(
        'E_LAB_KEYS',
        `The lab key file ${file} is invalid: $.keys must be a non-empty array of private JWKs.`,
        'Run `fapi lab reset` to start the lab afresh (registered clients are lost).',
      );
    const keys = (raw.keys as unknown[]).map((jwk, i) => {
      try {
        return toLabKey(keyFromPrivateJwk(jwk, { source: `${file} $.keys[${i}]` }));
      } catch (cause) {
        throw stateError(
          'E_LAB_KEYS',
          `The lab key file ${file} is invalid at $.keys[${i}]: ${(cause as Error).message}`,
          'Run `fapi lab reset` to start the lab afresh.',
          { cause },
        );
      }
    });
    // CR-07 / META-12: kids are distinct in the JWKS the lab serves (FAPI2-SP §5.4.2), so a
    // hand-edited key file with a repeated kid is refused rather than served.
    const seen = new Set<string>();
    keys.forEach((k, i) => {
      if (seen.has(k.kid))
        throw stateError(
          'E_LAB_KEYS',
          `The lab key file ${file} is invalid at $.keys[${i}]: kid ${JSON.stringify(k.kid)} is used by another key (kids must be distinct, FAPI2-SP §5.4.2).`,
          'Give each key its own kid, or run `fapi lab reset` to start the lab afresh.',
        );
      seen.add(k.kid);
    });
    return makeKeys(keys);
  }
  const key = await generateSigningKey('ES256');
  await writeJsonAtomic(file, { version: 1, keys: [key.privateJwk] });
  return makeKeys([toLabKey(key)]);
}
