/**
 * The seam between the lab of `fapi conform client` (lab/conform-client.ts) and the runner and
 * judge of the client tests (src/conform/client): how the runner switches the lab for a module,
 * and what the lab hands back of what it observed (its request log and its failed TLS handshakes
 * since a mark). Types only: neither side loads the other.
 */

/** How the lab behaves for a module: lab switch names (lab/switches.ts) and refused resource calls. */
export interface LabSetup {
  faults?: readonly string[];
  relax?: readonly string[];
  /**
   * The resource server answers this many calls with `401 invalid_token` (an expired access token,
   * RFC 6750 §3.1) before it checks anything, so the client refreshes (RFC 6749 §6).
   */
  rsRefusals?: number;
}

/** Where the lab's records stood when a module started. */
export interface LabMark {
  requests: number;
  handshakes: number;
}

/** What the judge reads of a pushed request object (FAPI2-MS §5.3.2; MS-07). */
export interface PushedRequestObject {
  /** The JWS `typ` header, if any. */
  typ?: string;
  /** The `aud` claim's form. */
  aud: 'string' | 'array' | 'missing' | 'other';
  /** Whether it has a `sub` claim (RFC 9101 §10.8: it must not pass for a client assertion). */
  sub: boolean;
  /** The form parameters sent beside it. */
  params: string[];
}

/** A request the lab answered (the fields of its request log the judge reads). */
export interface ObservedRequest {
  id: number;
  listener: 'as' | 'mtls' | 'rs';
  method: string;
  path: string;
  status: number;
  outcome: 'accepted' | 'refused';
  clientId?: string;
  grantType?: string;
  error?: string;
  check?: string;
  dpop: boolean;
  clientCertificate: boolean;
  /** A pushed request object, as decoded by the lab (RFC 9101; FAPI2-MS §5.3.2). */
  requestObject?: PushedRequestObject;
  /**
   * An introspection request: whether it asked for a signed answer (RFC 9701 §4: Accept:
   * application/token-introspection+jwt, or no preference from a client registered with
   * introspection_signed_response_alg, §6).
   */
  introspectionJwt?: boolean;
}

/** What the lab observed during one module's run. */
export interface Observation {
  /** The requests still in the lab's log, oldest first. */
  requests: ObservedRequest[];
  /** How many requests the lab answered during the run (more than `requests` when the log overflowed). */
  total: number;
  /** Failed TLS handshakes during the run (they never become requests). */
  handshakeFailures: number;
  /** Their reasons, the last few. */
  handshakeReasons: string[];
  /** The registered clients that made requests: their authentication method and sender constraint. */
  clients: Record<string, { auth: string; sender: 'dpop' | 'mtls' | 'none' }>;
}

/** The lab, as the runner needs it: switch it, and read what it observed. */
export interface ClientTestLab {
  /** Switches the lab to a module's behaviour, replacing the previous module's (and anything pending). */
  apply(setup: LabSetup): Promise<void>;
  mark(): LabMark;
  observe(since: LabMark): Observation;
}
