/**
 * The lab context: everything an endpoint needs, created once per lab and passed to every route
 * module. The clock is injected (`now()`), so expiry tests (TK-02, PAR-05) do not wait.
 */
import type { LabCa } from './ca.js';
import type { Fault, LabConfig, Relaxation } from './config.js';
import { createNonces, type LabNonces } from './faults.js';
import type { LabPaths } from './home.js';
import type { LabKeys } from './keys.js';
import type { LabModule, LabRoute } from './module.js';
import type { AuthorizationCode, PushedRequest } from './model.js';
import { randomToken } from '../src/core/random.js';
import { LabOverrides } from './overrides.js';
import { HandshakeFailures, RequestLog, type ListenerName } from './requests.js';
import { ClientStore, ExpiringMap, GrantStore } from './store.js';
import { Switchboard } from './switchboard.js';
import { DEFAULT_USERS, LabUsers, type LabUser } from './users.js';

export type { ListenerName };

export interface LabLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export const silentLogger: LabLogger = { info() {}, warn() {}, error() {} };

/** The base URLs of the three listeners; filled in once they listen. */
export interface LabUrls {
  /** The AS and issuer identifier, e.g. https://127.0.0.1:8443 (no trailing slash). */
  issuer: string;
  /** Base of the mTLS endpoint aliases (RFC 8705 §5). */
  mtls: string;
  /** Base of the resource server. */
  rs: string;
}

/** A login interaction: one consent page shown for a pushed request. */
export interface Interaction {
  id: string;
  /** The pushed request shown on the page (kept even if its request_uri expires meanwhile). */
  request: PushedRequest;
  /** The browser that loaded the page (a cookie), so another site cannot post the decision. */
  browser: string;
  expiresAt: number;
}

export interface LabContext {
  readonly config: LabConfig;
  readonly paths: LabPaths;
  readonly urls: LabUrls;
  /** Epoch seconds (fractional), from the injected clock, with the clock-skew fault applied. */
  now(): number;
  readonly log: LabLogger;
  readonly keys: LabKeys;
  readonly ca: LabCa;
  readonly clients: ClientStore;
  readonly grants: GrantStore;
  /** One-time values, in memory, bounded. */
  readonly requestUris: ExpiringMap<PushedRequest>;
  readonly codes: ExpiringMap<AuthorizationCode>;
  readonly interactions: ExpiringMap<Interaction>;
  /** request_uris used by an authorization (PAR-06), remembered past their expiry. */
  readonly usedRequestUris: ExpiringMap<true>;
  /** DPoP proof jtis (DP-12), per listener and key. */
  readonly dpopJtis: ExpiringMap<true>;
  /** Client assertion jtis (CA-06). */
  readonly assertionJtis: ExpiringMap<true>;
  /** Server DPoP nonces (DP-10, DP-20), one source per server. */
  readonly nonces: { as: LabNonces; rs: LabNonces };
  readonly requests: RequestLog;
  /** Failed TLS handshakes, which never become requests (CL-01, CL-02). */
  readonly handshakeFailures: HandshakeFailures;
  readonly users: LabUsers;
  /** The relaxations and faults on now; changeable while the lab runs (./switchboard.ts). */
  readonly switches: Switchboard;
  /** failNext / delayNext (./overrides.ts). */
  readonly overrides: LabOverrides;
  /** The secret of the control API (/lab/control/…) for this run (./control-api.ts). */
  readonly controlSecret: string;
  /** Whether a relaxation is on now (O(1)). */
  relaxed(r: Relaxation): boolean;
  /** Whether a fault injection is on now (O(1)). */
  fault(f: Fault): boolean;
  /** The x-fapi-lab-warning header value now, when the lab is not strict. */
  readonly warningHeader: string | undefined;
  /** Set at start: when the lab started (epoch seconds). */
  readonly startedAt: number;
  /** The modules and their routes, filled in at start (discovery and the dashboard list them). */
  readonly modules: LabModule[];
  readonly routes: LabRoute[];
}

/** How many requests the log keeps (a ring: the oldest go first). */
export const REQUEST_LOG_SIZE = 1000;

export function createLabContext(o: {
  config: LabConfig;
  paths: LabPaths;
  clock: () => number;
  log: LabLogger;
  keys: LabKeys;
  ca: LabCa;
  users?: readonly LabUser[];
  controlSecret?: string;
}): LabContext {
  const switches = new Switchboard(o.config);
  // clock-skew: the lab clock runs ahead while the fault is on (read on every call: it can change).
  const skew = o.config.clockSkewSeconds;
  const now = () => o.clock() / 1000 + (switches.fault('clock-skew') ? skew : 0);
  const bound = { now, max: o.config.maxOneTimeEntries };
  const nonceOpts = { rotateSeconds: o.config.dpopNonceRotateSeconds, now };
  const fault = (f: Fault) => switches.fault(f);
  return {
    config: o.config,
    paths: o.paths,
    urls: { issuer: '', mtls: '', rs: '' },
    now,
    log: o.log,
    keys: o.keys,
    ca: o.ca,
    clients: new ClientStore(o.paths.clientsDir),
    grants: new GrantStore(bound),
    requestUris: new ExpiringMap(bound),
    codes: new ExpiringMap(bound),
    interactions: new ExpiringMap(bound),
    usedRequestUris: new ExpiringMap(bound),
    dpopJtis: new ExpiringMap(bound),
    assertionJtis: new ExpiringMap(bound),
    nonces: { as: createNonces(fault, nonceOpts), rs: createNonces(fault, nonceOpts) },
    requests: new RequestLog(REQUEST_LOG_SIZE),
    handshakeFailures: new HandshakeFailures(),
    users: new LabUsers(o.users ?? DEFAULT_USERS, o.config.defaultUser),
    switches,
    overrides: new LabOverrides(),
    controlSecret: o.controlSecret ?? randomToken(32),
    relaxed: (r) => switches.relaxed(r),
    fault,
    get warningHeader() {
      return switches.warningHeader;
    },
    startedAt: now(),
    modules: [],
    routes: [],
  };
}
