/**
 * The last requests the lab answered, each with the check that decided it (accepted, or refused
 * and why), for the dashboard, the log, `lab.requests()` and `fapi lab requests`. A ring buffer:
 * memory stays bounded, and adding a record costs no copy (the token endpoint and the RS are
 * load-tested: bench rows 5a, 5b).
 */
/** Which listener served a request. */
export type ListenerName = 'as' | 'mtls' | 'rs';

/**
 * The credentials a request carried, kept by reference (no copy, nothing decoded on the hot path)
 * so the dashboard can show a request's detail; never returned by `requests()` and never logged.
 */
export interface RequestCredentials {
  /** The `client_assertion` parameter (RFC 7523 §2.2). */
  assertion?: string;
  /** The `DPoP` header (RFC 9449 §4). */
  dpop?: string;
  /** The access token of the Authorization header (RFC 6750 §2.1, RFC 9449 §7.1). */
  accessToken?: string;
  /**
   * A pushed request's request object (RFC 9101 §2.1; FAPI2-MS §5.3.2) and the names of the form
   * parameters sent beside it (FAPI2-MS §5.3.2: only client_id and request, with the client
   * authentication).
   */
  requestObject?: { jws: string; params: string[] };
  /**
   * An introspection request's `Accept` header: whether the caller asked for a signed answer
   * (RFC 9701 §4; FAPI2-MS §5.5.2, MS-11) is read from it when asked (fapi conform client).
   */
  introspectionAccept?: string;
}

export interface RequestRecord {
  /** Sequence number in this lab, from 1. */
  id: number;
  /** Epoch seconds, on the lab clock. */
  at: number;
  listener: ListenerName;
  method: string;
  /** The path only: query strings may carry one-time values. */
  path: string;
  status: number;
  ms: number;
  clientId?: string;
  outcome: 'accepted' | 'refused';
  /** Catalogue ID of the deciding check, for refusals (e.g. PAR-11). */
  check?: string;
  error?: string;
  description?: string;
  /** The checks that passed, in order. */
  passed: string[];
  /** The grant type of a token request (RFC 6749 §4.1.3, §6, §4.4). */
  grantType?: string;
  /** Whether a DPoP proof was presented (RFC 9449 §4). */
  dpop: boolean;
  /** Whether a TLS client certificate was presented (RFC 8705; mTLS and RS listeners). */
  clientCertificate: boolean;
  credentials?: RequestCredentials;
}

/** A recorded request as the library and the control API return it (no credentials). */
export interface LabRequest {
  /** Sequence number in this lab, from 1 (`afterId` of the next poll). */
  id: number;
  /** ISO 8601, on the lab clock. */
  time: string;
  listener: ListenerName;
  method: string;
  path: string;
  clientId?: string;
  status: number;
  outcome: 'accepted' | 'refused';
  /** The catalogue ID of the check that refused it (e.g. `PAR-11`, `DP-09`). */
  check?: string;
  error?: string;
  description?: string;
  grantType?: string;
  dpop: boolean;
  clientCertificate: boolean;
  /** Milliseconds the lab took to answer. */
  ms: number;
  /** Catalogue IDs of the checks that passed, in order. */
  passed: string[];
}

/** Which records `requests()` returns; every given field must match. */
export interface RequestFilter {
  clientId?: string;
  /** The exact path, or a pattern. */
  path?: string | RegExp;
  /** Only requests at or after this time (a Date, or epoch milliseconds). */
  since?: Date | number;
  /** Only requests with a larger id (for polling: the last id seen). */
  afterId?: number;
}

export class RequestLog {
  private readonly ring: (RequestRecord | undefined)[];
  private total = 0;
  /** Records with an id up to this one were cleared. */
  private clearedUpTo = 0;

  constructor(private readonly max: number) {
    this.ring = new Array<RequestRecord | undefined>(max);
  }

  /** Records a request (its id is the next sequence number; the object is kept, not copied). */
  add(r: Omit<RequestRecord, 'id'>): RequestRecord {
    const rec = r as RequestRecord;
    rec.id = ++this.total;
    this.ring[(rec.id - 1) % this.max] = rec;
    return rec;
  }

  /** Newest first. */
  recent(n = this.max): RequestRecord[] {
    const out: RequestRecord[] = [];
    for (let id = this.total; id > this.clearedUpTo && id > this.total - this.max && out.length < n; id--) {
      const r = this.ring[(id - 1) % this.max];
      if (r && r.id === id) out.push(r);
    }
    return out;
  }

  /** A record still in the log, by id. */
  byId(id: number): RequestRecord | undefined {
    if (!Number.isInteger(id) || id <= this.clearedUpTo || id > this.total || id <= this.total - this.max)
      return undefined;
    const r = this.ring[(id - 1) % this.max];
    return r && r.id === id ? r : undefined;
  }

  /** Oldest first, filtered. */
  select(f: RequestFilter = {}): RequestRecord[] {
    const since =
      f.since === undefined ? undefined : (f.since instanceof Date ? f.since.getTime() : f.since) / 1000;
    return this.recent()
      .reverse()
      .filter(
        (r) =>
          (f.clientId === undefined || r.clientId === f.clientId) &&
          (f.path === undefined || (typeof f.path === 'string' ? r.path === f.path : f.path.test(r.path))) &&
          (since === undefined || r.at >= since) &&
          (f.afterId === undefined || r.id > f.afterId),
      );
  }

  /** Forgets the records so far (ids keep counting). */
  clear(): void {
    this.clearedUpTo = this.total;
    this.ring.fill(undefined);
  }

  /** Requests answered since the lab started (cleared ones included). */
  get count(): number {
    return this.total;
  }
}

/** The public view of a record: plain data, no credentials. */
export function publicRequest(r: RequestRecord): LabRequest {
  return {
    id: r.id,
    time: new Date(r.at * 1000).toISOString(),
    listener: r.listener,
    method: r.method,
    path: r.path,
    ...(r.clientId !== undefined ? { clientId: r.clientId } : {}),
    status: r.status,
    outcome: r.outcome,
    ...(r.check !== undefined ? { check: r.check } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(r.grantType !== undefined ? { grantType: r.grantType } : {}),
    dpop: r.dpop,
    clientCertificate: r.clientCertificate,
    ms: r.ms,
    passed: [...r.passed],
  };
}

/** One log line for a request: `POST /par 400 invalid_request PAR-11 (client abc): ...`. */
export function formatRequestLine(
  r: Pick<
    RequestRecord,
    | 'at'
    | 'method'
    | 'path'
    | 'listener'
    | 'status'
    | 'clientId'
    | 'outcome'
    | 'error'
    | 'check'
    | 'description'
  >,
): string {
  const t = new Date(r.at * 1000).toISOString().slice(11, 23);
  const who = r.clientId ? ` client=${r.clientId}` : '';
  const where = r.listener === 'as' ? '' : ` [${r.listener}]`;
  if (r.outcome === 'accepted') return `${t} ${r.method} ${r.path}${where} ${r.status}${who} accepted`;
  return `${t} ${r.method} ${r.path}${where} ${r.status}${who} ${r.error ?? 'refused'}${r.check ? ` ${r.check}` : ''}${r.description ? `: ${r.description}` : ''}`;
}

/** A TLS handshake that failed: no request came of it, so the request log has no record. */
export interface HandshakeFailure {
  /** Epoch seconds, on the lab clock. */
  at: number;
  listener: ListenerName;
  /** OpenSSL's reason in a few words. */
  reason: string;
}

/**
 * The failed TLS handshakes (a client that refused the lab's certificate or found no common cipher
 * suite: CL-01, CL-02), counted since the lab started, the last few kept. Bounded like the log.
 */
export class HandshakeFailures {
  private readonly ring: HandshakeFailure[] = [];
  private total = 0;

  constructor(private readonly max = 50) {}

  add(f: HandshakeFailure): void {
    this.total++;
    this.ring.push(f);
    if (this.ring.length > this.max) this.ring.shift();
  }

  /** Failed handshakes since the lab started. */
  get count(): number {
    return this.total;
  }

  /** The kept failures after the first `after` ones (oldest first). */
  since(after: number): HandshakeFailure[] {
    const n = Math.min(this.total - after, this.ring.length);
    return n > 0 ? this.ring.slice(this.ring.length - n) : [];
  }
}
