/**
 * One-off behaviour for tests: `failNext` makes the next requests to an endpoint answer with an
 * OAuth error (RFC 6749 §5.2, RFC 6750 §3.1; at the authorization endpoint an error redirect,
 * RFC 6749 §4.1.2.1), `delayNext` makes them wait first; after `times` requests the lab is back to
 * normal. A failed request runs none of the endpoint's checks and changes nothing (no code or
 * request_uri is consumed). With nothing pending, the cost per request is one integer comparison.
 */
import { usageError } from '../src/errors.js';

// The endpoint names live in ./switches.ts (the CLI lists them without loading the lab).
import { LAB_ENDPOINTS, type LabEndpoint } from './switches.js';
export { LAB_ENDPOINTS, type LabEndpoint };

/**
 * `failNext`: the next `times` requests to `endpoint` answer with this OAuth error (RFC 6749 §5.2;
 * at `authorize` an error redirect, RFC 6749 §4.1.2.1; at `rs` and `userinfo` with the RFC 6750 §3
 * challenge), running no check.
 */
export interface FailNextInput {
  endpoint: LabEndpoint;
  /** HTTP status (400 to 599); default from the error: 401 for invalid_client/invalid_token, 403 for insufficient_scope/access_denied, 503 for temporarily_unavailable, 500 for server_error, else 400. */
  status?: number;
  /** The OAuth `error` code; default from the status, else `server_error`. */
  error?: string;
  error_description?: string;
  /** Only requests of this client (its client_id, assertion or access token says so). */
  clientId?: string;
  /** How many requests (default 1). */
  times?: number;
}

/** `delayNext`: the next `times` requests to `endpoint` wait `ms`, then are answered as usual. */
export interface DelayNextInput {
  endpoint: LabEndpoint;
  /** Milliseconds to wait before answering (at most 60,000). */
  ms: number;
  clientId?: string;
  times?: number;
}

export interface InjectedFailure {
  kind: 'fail';
  status: number;
  error: string;
  description: string;
}

interface Pending {
  kind: 'fail' | 'delay';
  clientId?: string;
  remaining: number;
  failure?: InjectedFailure;
  ms?: number;
}

/** RFC 6749 §5.2 / §4.1.2.1 and RFC 6750 §3.1 error codes: printable ASCII, no quote or backslash. */
const ERROR_CODE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$/;

function defaultStatus(error: string): number {
  if (error === 'invalid_client' || error === 'invalid_token') return 401;
  if (error === 'insufficient_scope' || error === 'access_denied') return 403;
  if (error === 'temporarily_unavailable') return 503;
  if (error === 'server_error') return 500;
  return 400;
}

function defaultError(status: number, endpoint: LabEndpoint): string {
  const rs = endpoint === 'rs' || endpoint === 'userinfo';
  if (status === 401) return rs ? 'invalid_token' : 'invalid_client';
  if (status === 403) return rs ? 'insufficient_scope' : 'access_denied';
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}

const bad = (code: string, message: string, hint?: string) =>
  usageError(code, `${message} Nothing was changed.`, hint);

function checkCommon(o: { endpoint?: unknown; clientId?: unknown; times?: unknown }): {
  endpoint: LabEndpoint;
  clientId?: string;
  times: number;
} {
  if (typeof o.endpoint !== 'string' || !(LAB_ENDPOINTS as readonly string[]).includes(o.endpoint))
    throw bad(
      'E_LAB_UNKNOWN_ENDPOINT',
      `Unknown lab endpoint ${JSON.stringify(o.endpoint)}.`,
      `Endpoints: ${LAB_ENDPOINTS.join(', ')}.`,
    );
  const times = o.times ?? 1;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1 || times > 1000)
    throw bad('E_LAB_OPTION', `times must be an integer from 1 to 1000, not ${JSON.stringify(o.times)}.`);
  if (o.clientId !== undefined && (typeof o.clientId !== 'string' || o.clientId === ''))
    throw bad('E_LAB_OPTION', 'clientId must be a non-empty string.');
  return {
    endpoint: o.endpoint as LabEndpoint,
    times,
    ...(o.clientId !== undefined ? { clientId: o.clientId as string } : {}),
  };
}

/** Validates a failNext request (a FapiError otherwise) and fills in the defaults. */
export function checkFailNext(o: FailNextInput): {
  endpoint: LabEndpoint;
  clientId?: string;
  times: number;
  failure: InjectedFailure;
} {
  const c = checkCommon(o);
  if (
    o.status !== undefined &&
    (typeof o.status !== 'number' || !Number.isInteger(o.status) || o.status < 400 || o.status > 599)
  )
    throw bad(
      'E_LAB_OPTION',
      `status must be an HTTP error status from 400 to 599, not ${JSON.stringify(o.status)}.`,
    );
  if (o.error !== undefined && (typeof o.error !== 'string' || !ERROR_CODE.test(o.error)))
    throw bad(
      'E_LAB_OPTION',
      `error must be an OAuth error code (RFC 6749 §5.2), not ${JSON.stringify(o.error)}.`,
    );
  if (o.error_description !== undefined && typeof o.error_description !== 'string')
    throw bad('E_LAB_OPTION', 'error_description must be a string.');
  const error = o.error ?? (o.status !== undefined ? defaultError(o.status, c.endpoint) : 'server_error');
  const status = c.endpoint === 'authorize' ? 303 : (o.status ?? defaultStatus(error));
  return {
    ...c,
    failure: {
      kind: 'fail',
      status,
      error,
      description: (o.error_description ?? 'failure injected by the lab (failNext): no check ran').slice(
        0,
        300,
      ),
    },
  };
}

/** Validates a delayNext request (a FapiError otherwise). */
export function checkDelayNext(o: DelayNextInput): {
  endpoint: LabEndpoint;
  clientId?: string;
  times: number;
  ms: number;
} {
  const c = checkCommon(o);
  if (typeof o.ms !== 'number' || !Number.isInteger(o.ms) || o.ms < 0 || o.ms > 60_000)
    throw bad('E_LAB_OPTION', `ms must be an integer from 0 to 60000, not ${JSON.stringify(o.ms)}.`);
  return { ...c, ms: o.ms };
}

/** What applies to one request: a delay first, then a failure, either or both. */
export interface Override {
  delayMs?: number;
  failure?: InjectedFailure;
}

export class LabOverrides {
  /** Pending entries over all endpoints: the hot path reads only this. */
  size = 0;
  private readonly pending = new Map<LabEndpoint, Pending[]>();

  failNext(o: FailNextInput): void {
    const c = checkFailNext(o);
    this.push(c.endpoint, { kind: 'fail', clientId: c.clientId, remaining: c.times, failure: c.failure });
  }

  delayNext(o: DelayNextInput): void {
    const c = checkDelayNext(o);
    this.push(c.endpoint, { kind: 'delay', clientId: c.clientId, remaining: c.times, ms: c.ms });
  }

  /** Whether any pending entry of `endpoint` is for one client (the caller then works out who asks). */
  needsClientId(endpoint: LabEndpoint): boolean {
    return this.pending.get(endpoint)?.some((p) => p.clientId !== undefined) ?? false;
  }

  /** Whether anything is pending for `endpoint` (before the caller does any work to find the client). */
  has(endpoint: LabEndpoint): boolean {
    return this.size > 0 && this.pending.has(endpoint);
  }

  /**
   * Takes what applies to this request (the first pending delay and failure that match its
   * client), counting it down. `kinds` limits what is taken (the authorization endpoint takes its
   * failure only once the request is known to be valid, so it can redirect).
   */
  take(
    endpoint: LabEndpoint,
    clientId: string | undefined,
    kinds: 'all' | 'delay' | 'fail' = 'all',
  ): Override | undefined {
    const list = this.pending.get(endpoint);
    if (!list) return undefined;
    let out: Override | undefined;
    for (const kind of ['delay', 'fail'] as const) {
      if (kinds !== 'all' && kinds !== kind) continue;
      const i = list.findIndex(
        (p) => p.kind === kind && (p.clientId === undefined || p.clientId === clientId),
      );
      if (i < 0) continue;
      const p = list[i] as Pending;
      out ??= {};
      if (kind === 'delay') out.delayMs = p.ms;
      else out.failure = p.failure;
      if (--p.remaining === 0) {
        list.splice(i, 1);
        this.size--;
      }
    }
    if (list.length === 0) this.pending.delete(endpoint);
    return out;
  }

  /** What is pending, for the dashboard and `fapi lab status`. */
  list(): {
    endpoint: LabEndpoint;
    kind: 'fail' | 'delay';
    clientId?: string;
    remaining: number;
    error?: string;
    status?: number;
    ms?: number;
  }[] {
    const out = [];
    for (const [endpoint, list] of this.pending)
      for (const p of list)
        out.push({
          endpoint,
          kind: p.kind,
          ...(p.clientId !== undefined ? { clientId: p.clientId } : {}),
          remaining: p.remaining,
          ...(p.failure ? { error: p.failure.error, status: p.failure.status } : {}),
          ...(p.ms !== undefined ? { ms: p.ms } : {}),
        });
    return out;
  }

  clear(): void {
    this.pending.clear();
    this.size = 0;
  }

  private push(endpoint: LabEndpoint, p: Pending): void {
    const list = this.pending.get(endpoint);
    if (list) list.push(p);
    else this.pending.set(endpoint, [p]);
    this.size++;
  }
}
