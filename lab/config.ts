/**
 * The lab's configuration: strict FAPI 2.0 Security Profile (Final) defaults in one place.
 * Every option that weakens the profile is an explicit, named relaxation: it is
 * announced at start and in an `x-fapi-lab-warning` header on every response.
 *
 * A JSON config file (templates/lab.config.json documents every option) is validated on load, and
 * each problem names the file and the JSON path of the bad field.
 */
import { stateError } from '../src/errors.js';
import { ECOSYSTEM_NAMES, type EcosystemName } from '../src/core/ecosystems.js';
import { readJson } from '../src/store/atomic.js';
import {
  arrayOf,
  bool,
  isPlainObject,
  nonEmptyStr,
  num,
  object,
  oneOf,
  opt,
  type Check,
} from '../src/store/validate.js';

// The switch tables live in ./switches.ts, which imports nothing, so the CLI can list them without
// loading the lab.
import {
  FAULTS,
  FAULT_NAMES,
  RELAXATIONS,
  RELAXATION_NAMES,
  type Fault,
  type Relaxation,
} from './switches.js';
export { FAULTS, FAULT_NAMES, RELAXATIONS, RELAXATION_NAMES, type Fault, type Relaxation };

export interface LabConfig {
  /** AS port on 127.0.0.1 (0 = a free port). */
  port: number;
  /** Port of the mTLS endpoint aliases; default port + 1 (a free port when port is 0). */
  mtlsPort?: number;
  /** Port of the resource server; default port + 2 (a free port when port is 0). */
  rsPort?: number;
  /** Approve every authorization request as `defaultUser`, without showing the page. */
  autoApprove: boolean;
  /** The test user of --auto-approve. */
  defaultUser: string;
  /** When set, dynamic client registration requires this initial access token (RFC 7591 §3). */
  registrationToken?: string;
  /**
   * Every pushed authorization request must be a signed request object (FAPI2-MS §5.3.1-1, MS-01);
   * also advertised as `require_signed_request_object`. Off: only clients registered with
   * `require_signed_request_object` must.
   */
  requireSignedRequestObject: boolean;
  /** Access token lifetime in seconds (TK-12; FAPI2-SP §6.1 recommends short-lived tokens). */
  accessTokenLifetime: number;
  /** Refresh token lifetime in seconds. */
  refreshTokenLifetime: number;
  /** ID token lifetime in seconds. */
  idTokenLifetime: number;
  /** Authorization code lifetime in seconds: at most 60 (FAPI2-SP §5.3.2.1-11, TK-02). */
  codeLifetime: number;
  /** request_uri lifetime in seconds: under 600 (FAPI2-SP §5.3.2.2-12, PAR-03). */
  requestUriLifetime: number;
  /** How often the DPoP server nonce rotates, in seconds (the previous one stays valid once). */
  dpopNonceRotateSeconds: number;
  /** Accepted DPoP proof iat window (DP-11): seconds in the past and in the future (≤ 60). */
  dpopIatPast: number;
  dpopIatFuture: number;
  /** With rotate-rt: how long a rotated refresh token stays usable for a retry (RT-02). */
  refreshGraceSeconds: number;
  /** Largest accepted request body in bytes (larger: 413), at every endpoint but PAR. */
  bodyLimit: number;
  /**
   * Largest accepted body at the pushed authorization request endpoint (and its mTLS alias), in
   * bytes; at least `bodyLimit` (see parBodyLimitOf). Larger than bodyLimit so that a long request
   * object or `authorization_details` (a 1 MB array URL-encodes to up to 3 MB) reaches its own
   * length check (MS-05, RAR-01) and gets the OAuth error for it, not 413.
   */
  parBodyLimit: number;
  /** Bound on one-time values kept in memory per kind (codes, request_uris, jtis). */
  maxOneTimeEntries: number;
  /** Relaxations of the profile (loud). */
  relax: Relaxation[];
  /** Client fault-injection switches (README "Lab fault switches"; loud). */
  faults: Fault[];
  /** Clock offset in seconds for the clock-skew fault. */
  clockSkewSeconds: number;
  /** An ecosystem preset the lab plays (src/core/ecosystems.ts); default plain FAPI 2.0 (`fapi2`). */
  ecosystem?: EcosystemName;
}

/** Strict FAPI 2.0 defaults. */
export const DEFAULT_LAB_CONFIG: Readonly<LabConfig> = Object.freeze({
  port: 8443,
  autoApprove: false,
  defaultUser: 'alice',
  requireSignedRequestObject: false,
  accessTokenLifetime: 300,
  refreshTokenLifetime: 86_400,
  idTokenLifetime: 300,
  codeLifetime: 60,
  requestUriLifetime: 60,
  dpopNonceRotateSeconds: 60,
  dpopIatPast: 300,
  dpopIatFuture: 10,
  refreshGraceSeconds: 60,
  bodyLimit: 64 * 1024,
  parBodyLimit: 4 * 1024 * 1024,
  maxOneTimeEntries: 200_000,
  relax: [],
  faults: [],
  clockSkewSeconds: 120,
});

const intIn =
  (min: number, max: number, why = ''): Check =>
  (v, p) =>
    num(v, p) ??
    (Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `${p} must be an integer from ${min} to ${max}${why}`);

const port = intIn(0, 65535);

/** The shape of the config file; `$comment` keys are allowed anywhere (JSON has no comments). */
const SHAPE = {
  port: opt(port),
  mtlsPort: opt(port),
  rsPort: opt(port),
  autoApprove: opt(bool),
  defaultUser: opt(oneOf('alice', 'bob')),
  registrationToken: opt(nonEmptyStr),
  requireSignedRequestObject: opt(bool),
  accessTokenLifetime: opt(intIn(1, 86_400)),
  refreshTokenLifetime: opt(intIn(60, 31_536_000)),
  idTokenLifetime: opt(intIn(1, 86_400)),
  codeLifetime: opt(intIn(1, 60, ' (FAPI2-SP §5.3.2.1-11: codes live at most 60 s)')),
  requestUriLifetime: opt(intIn(1, 599, ' (FAPI2-SP §5.3.2.2-12: expires_in under 600 s)')),
  dpopNonceRotateSeconds: opt(intIn(1, 86_400)),
  dpopIatPast: opt(intIn(1, 3600)),
  dpopIatFuture: opt(intIn(10, 60, ' (FAPI2-SP §5.3.2.1-13: accept 10 s, reject beyond 60 s)')),
  refreshGraceSeconds: opt(intIn(0, 3600)),
  bodyLimit: opt(intIn(1024, 10 * 1024 * 1024)),
  parBodyLimit: opt(intIn(1024, 10 * 1024 * 1024)),
  maxOneTimeEntries: opt(intIn(1000, 10_000_000)),
  relax: opt(arrayOf(oneOf(...RELAXATION_NAMES))),
  faults: opt(arrayOf(oneOf(...FAULT_NAMES))),
  clockSkewSeconds: opt(intIn(-3600, 3600)),
  ecosystem: opt(oneOf(...ECOSYSTEM_NAMES)),
};

function withoutComments(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutComments);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) if (!k.startsWith('$')) out[k] = withoutComments(val);
  return out;
}

/** Returns the first problem of a (partial) config object, as `$.path message`, or undefined. */
export function checkLabConfig(value: unknown): string | undefined {
  return object(SHAPE, true)(withoutComments(value), '$');
}

/** Merges strict defaults, a validated partial config and overrides (flags win over the file). */
export function resolveLabConfig(...layers: (Partial<LabConfig> | undefined)[]): LabConfig {
  const out: LabConfig = { ...DEFAULT_LAB_CONFIG, relax: [], faults: [] };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (k === 'relax' || k === 'faults') {
        const merged = new Set([...(out[k] as string[]), ...(v as string[])]);
        (out as unknown as Record<string, unknown>)[k] = [...merged];
      } else {
        (out as unknown as Record<string, unknown>)[k] = v;
      }
    }
  }
  const problem = checkLabConfig(out);
  if (problem) throw new Error(`internal: resolved lab config is invalid: ${problem}`);
  return out;
}

/** The body limit of the PAR endpoint: parBodyLimit, never below the lab's bodyLimit. */
export function parBodyLimitOf(config: Pick<LabConfig, 'bodyLimit' | 'parBodyLimit'>): number {
  return Math.max(config.bodyLimit, config.parBodyLimit);
}

/** Loads and validates a JSON config file; errors name the file and the JSON path. */
export async function loadLabConfigFile(file: string): Promise<Partial<LabConfig>> {
  const raw = await readJson(file, 'lab config file');
  const problem = checkLabConfig(raw);
  if (problem) {
    throw stateError(
      'E_LAB_CONFIG',
      `The lab config file ${file} is invalid: ${problem}.`,
      'Fix that field; templates/lab.config.json documents every option.',
      { details: { file, problem } },
    );
  }
  return withoutComments(raw) as Partial<LabConfig>;
}

/** The start-up warnings and the `x-fapi-lab-warning` header of a set of switches (./switchboard.ts). */
export { switchWarnings as labWarnings, switchWarningHeader as labWarningHeader } from './switchboard.js';
