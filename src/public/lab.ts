/**
 * `fapi/lab`: the lab inside your own tests. `startLab()` starts a strict FAPI 2.0 authorization
 * server and resource server in this process, on free 127.0.0.1 ports, in a temporary folder; the
 * returned {@link Lab} changes its switches while it runs, makes the next requests fail or wait,
 * records every request, manages its users, issues access tokens, and closes in milliseconds.
 * Many labs can run in one process (one per test file): they share no state.
 *
 * The same operations are on the control API of a lab started with `fapi lab up` (for tests in
 * other languages): README "Use the lab in your tests".
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { usageError } from '../errors.js';
import { createHttpClient, type HttpClient } from '../http/client.js';
import { checkLabConfig, type LabConfig } from '../../lab/config.js';
import { silentLogger, type LabLogger } from '../../lab/context.js';
import { labControl, type IssueTokenInput, type IssuedToken, type RequestDetail } from '../../lab/control.js';
import {
  LAB_ENDPOINTS as LAB_ENDPOINT_NAMES,
  type DelayNextInput,
  type FailNextInput,
  type LabEndpoint,
} from '../../lab/overrides.js';
import type { LabRequest, RequestFilter } from '../../lab/requests.js';
import { startLab as startLabServer } from '../../lab/server.js';
import { checkSwitchNames } from '../../lab/switchboard.js';
import { FAULT_NAMES, RELAXATION_NAMES, type Fault, type Relaxation } from '../../lab/switches.js';
import { checkUser, type LabUser } from '../../lab/users.js';

export { FAULT_NAMES, RELAXATION_NAMES, LAB_ENDPOINT_NAMES };
export type {
  DelayNextInput,
  FailNextInput,
  IssueTokenInput,
  IssuedToken,
  LabEndpoint,
  LabRequest,
  LabUser,
  RequestDetail,
  RequestFilter,
};

/** The names of the fault injections (README "Lab fault switches"; catalogue Appendix A). */
export type FaultName = Fault;
/** The names of the relaxations of the FAPI 2.0 profile (README "The lab"). */
export type RelaxationName = Relaxation;
/** The lab config file's options (templates/lab.config.json documents each). */
export type LabConfigInput = Partial<Omit<LabConfig, 'relax' | 'faults'>> & {
  relax?: readonly RelaxationName[];
  faults?: readonly FaultName[];
};

export interface StartLabOptions {
  /**
   * The folder the lab keeps its CA, keys, registered clients and state in. Default: a new
   * temporary folder, removed by `close()`. A given folder is kept, and grants are saved in it.
   */
  home?: string;
  /** The authorization server's port on 127.0.0.1; the mTLS aliases and the RS take the next two. Default 0: free ports. */
  port?: number;
  /** Approve every authorization request without a login page, as the user of `login()` (default true here). */
  autoApprove?: boolean;
  /** Relaxations to start with (loud; change them later with `setRelaxations`). */
  relax?: readonly RelaxationName[];
  /** Fault injections to start with (loud; change them later with `setFaults`). */
  faults?: readonly FaultName[];
  /** The same object as the lab config file (`fapi lab up --config`); the options above win over it. */
  config?: LabConfigInput;
  /** The test users (default: alice and bob). */
  users?: readonly LabUser[];
  /** Print nothing. Otherwise the loud warnings (relaxations, faults) and internal errors go to stderr. */
  quiet?: boolean;
}

/** A fetch that trusts this lab's CA (and nothing less: every certificate is verified). */
export interface LabFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** A PEM client certificate and key for mutual TLS (RFC 8705), on the mTLS aliases and the RS. */
  clientCertificate?: { cert: string; key: string };
}

/** A running lab. */
export interface Lab {
  /** The issuer identifier and authorization server base URL, e.g. `https://127.0.0.1:41733`. */
  readonly issuer: string;
  /** The resource server's base URL (`GET /accounts`, …; the `aud` of lab access tokens). */
  readonly rs: string;
  /** The base URL of the mTLS endpoint aliases (RFC 8705 §5). */
  readonly mtls: string;
  /** The lab CA certificate (PEM): trust it in your HTTPS client. */
  readonly caPem: string;
  /** The same as a file (for `NODE_EXTRA_CA_CERTS`, curl `--cacert`, `fapi --ca`). */
  readonly caFile: string;
  /** The lab's folder. */
  readonly home: string;
  /** The secret of this lab's control API (`/lab/control/…`, README "Use the lab in your tests"). */
  readonly controlSecret: string;
  /** The fault injections on now. */
  readonly faults: readonly FaultName[];
  /** The relaxations on now. */
  readonly relaxations: readonly RelaxationName[];

  /**
   * Replaces the active fault injections at once, effective for the next request; the
   * `x-fapi-lab-warning` header and the dashboard follow, and the TLS faults (`tls-wrong-host`,
   * `tls12-dhe-only`; CL-01, CL-02) apply to new TLS handshakes once the promise resolves. An
   * unknown name throws a FapiError (`E_LAB_UNKNOWN_FAULT`) and changes nothing.
   */
  setFaults(names: readonly FaultName[]): Promise<void>;
  /** Replaces the active relaxations at once (unknown name: `E_LAB_UNKNOWN_RELAXATION`, nothing changed). */
  setRelaxations(names: readonly RelaxationName[]): Promise<void>;

  /**
   * The next `times` (default 1) requests to `endpoint` answer with this OAuth error (RFC 6749
   * §5.2; at `authorize` an error redirect, RFC 6749 §4.1.2.1; at `rs` and `userinfo` with the
   * RFC 6750 §3 challenge), without running any check; then the lab is back to normal. Bad input
   * (`E_LAB_UNKNOWN_ENDPOINT`, `E_LAB_OPTION`) throws and changes nothing.
   */
  failNext(o: FailNextInput): void;
  /** The next `times` requests to `endpoint` wait `ms` milliseconds, then are answered as usual. */
  delayNext(o: DelayNextInput): void;

  /** The recorded requests, oldest first (the last 1000), filtered by client, path and time. */
  requests(filter?: RequestFilter): LabRequest[];
  /** One request with its decoded client assertion, DPoP proof and access token (values redacted). */
  request(id: number): RequestDetail | undefined;
  /** Forgets the recorded requests. */
  clearRequests(): void;

  /** Who can log in, and the claims of their ID tokens and userinfo answers (OIDC Core §5.1). */
  readonly users: {
    /** Adds a user, or replaces the one with the same `sub` (`E_LAB_USER` on bad input). */
    add(user: LabUser): void;
    /** Removes a user (`E_LAB_UNKNOWN_USER` when there is none). */
    remove(sub: string): void;
    list(): LabUser[];
  };
  /** With auto-approve: the user logged in from now on. */
  login(o: { sub: string }): void;

  /**
   * A real access token from the lab's own issuing code (RFC 9068 JWT, `aud` the lab RS), for
   * testing a resource server without a login; the lab RS and introspection accept it.
   */
  issueToken(o: IssueTokenInput): IssuedToken;

  /** `fetch` with this lab's CA trusted; redirects are not followed (a 303 is answered as is). */
  fetch(url: string, init?: LabFetchInit): Promise<Response>;

  /** Stops the listeners, frees the ports and removes the temporary home. */
  close(): Promise<void>;
}

function stderrLogger(): LabLogger {
  const write = (line: string) => process.stderr.write(`fapi lab: ${line}\n`);
  return { info() {}, warn: write, error: write };
}

/** The config of the options: validated like the config file, the options winning over `config`. */
function configOf(o: StartLabOptions): Partial<LabConfig> {
  const config: Record<string, unknown> = { ...(o.config ?? {}) };
  if (o.port !== undefined) config.port = o.port;
  config.autoApprove = o.autoApprove ?? o.config?.autoApprove ?? true;
  if (config.port === undefined) config.port = 0;
  const relax = checkSwitchNames(
    'relaxation',
    [...(o.config?.relax ?? []), ...(o.relax ?? [])],
    RELAXATION_NAMES,
  );
  const faults = checkSwitchNames('fault', [...(o.config?.faults ?? []), ...(o.faults ?? [])], FAULT_NAMES);
  config.relax = relax;
  config.faults = faults;
  const problem = checkLabConfig(config);
  if (problem)
    throw usageError(
      'E_LAB_CONFIG',
      `Invalid lab option: ${problem.replace(/^\$\./, '')}.`,
      'templates/lab.config.json documents every option.',
    );
  return config as Partial<LabConfig>;
}

/** A WHATWG Response from the HTTP seam's answer (no body where the status forbids one). */
function toResponse(r: Awaited<ReturnType<HttpClient>>): Response {
  const headers = new Headers();
  for (const [k, v] of Object.entries(r.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  const noBody = r.status === 204 || r.status === 304 || (r.status >= 100 && r.status < 200);
  return new Response(noBody ? null : Buffer.from(r.body), { status: r.status, headers });
}

/**
 * Starts a lab in this process: free ports on 127.0.0.1, a fresh temporary home, auto-approve on.
 * Resolves once it serves.
 *
 * @example
 * const lab = await startLab({ faults: ['iss-wrong'] });
 * // … your client against lab.issuer, trusting lab.caPem …
 * await lab.close();
 */
export async function startLab(options: StartLabOptions = {}): Promise<Lab> {
  const config = configOf(options);
  const users = options.users?.map((u) => checkUser(u));
  const temporary = options.home === undefined;
  const home = options.home ?? (await mkdtemp(path.join(os.tmpdir(), 'fapi-lab-')));
  let running;
  try {
    running = await startLabServer({
      home,
      config,
      logger: options.quiet ? silentLogger : stderrLogger(),
      ...(users ? { users } : {}),
    });
  } catch (e) {
    if (temporary) await rm(home, { recursive: true, force: true });
    throw e;
  }
  const ctx = running.ctx;
  const control = labControl(ctx);
  const caPem = ctx.ca.certPem;
  let http: HttpClient | undefined;
  const certClients = new Map<string, HttpClient>();
  let closed = false;

  const lab: Lab = {
    issuer: running.issuer,
    rs: running.rs,
    mtls: running.mtls,
    caPem,
    caFile: running.caFile,
    home,
    controlSecret: ctx.controlSecret,
    get faults() {
      return ctx.switches.faults;
    },
    get relaxations() {
      return ctx.switches.relax;
    },
    setFaults: (names) => control.setFaults(names),
    setRelaxations: (names) => control.setRelaxations(names),
    failNext: (o) => control.failNext(o),
    delayNext: (o) => control.delayNext(o),
    requests: (filter) => control.requests(filter),
    request: (id) => control.request(id),
    clearRequests: () => control.clearRequests(),
    users: {
      add: (u) => void ctx.users.add(u),
      remove: (sub) => ctx.users.remove(sub),
      list: () => ctx.users.list(),
    },
    login: (o) => ctx.users.login(o?.sub),
    issueToken: (o) => control.issueToken(o),
    async fetch(url, init = {}) {
      let client: HttpClient;
      if (init.clientCertificate) {
        const key = `${init.clientCertificate.cert}\n${init.clientCertificate.key}`;
        client = certClients.get(key) ?? createHttpClient({ ca: [caPem], ...init.clientCertificate });
        certClients.set(key, client);
      } else client = http ??= createHttpClient({ ca: [caPem] });
      const r = await client({
        method: init.method ?? 'GET',
        url,
        ...(init.headers ? { headers: init.headers } : {}),
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      return toResponse(r);
    },
    async close() {
      if (closed) return;
      closed = true;
      await running.close({ save: !temporary });
      if (temporary) {
        await rm(home, { recursive: true, force: true });
        forgetAtExit(home, false);
      }
    },
  };
  if (temporary) forgetAtExit(home, true);
  return lab;
}

/**
 * Temporary homes of labs not closed yet: a test runner that exits without `close()` must not
 * leave them behind. One exit handler for all the labs of the process.
 */
const openTemporaryHomes = new Set<string>();
let exitHandler = false;

function forgetAtExit(home: string, open: boolean): void {
  if (open && !exitHandler) {
    exitHandler = true;
    process.once('exit', () => {
      for (const h of openTemporaryHomes) rmSync(h, { recursive: true, force: true });
    });
  }
  if (open) openTemporaryHomes.add(home);
  else openTemporaryHomes.delete(home);
}
