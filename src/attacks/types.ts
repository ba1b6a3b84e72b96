/**
 * The attack scenarios of `fapi lab attack`: each plays an honest client and an attacker
 * of the FAPI 2.0 attacker model against two targets, a lab with the defence relaxed (the attack
 * works, as it would against plain OAuth) and a FAPI 2.0 server (the defence holds), and reports
 * every step. The core never starts a lab: the caller passes the targets in (an in-process lab, or
 * an external server for the scenarios that need only a registered client).
 */
import type { KeyObject } from 'node:crypto';
import type { HttpClient, HttpResponse } from '../http/client.js';
import type { AsMetadata, Client, SigningKey } from '../core/client.js';

/**
 * The attackers of the FAPI 2.0 Attacker Model (openid/fapi fapi-2_0-attacker-model §"Attackers").
 * A5 is listed there for completeness only (not relevant in FAPI 2.0) and no scenario uses it.
 */
export const ATTACKERS = {
  A1: 'web attacker: runs its own endpoints and clients, sends links to users',
  A1a: 'web attacker that also participates as an authorization server',
  A2: 'network attacker: reads and tampers with unprotected traffic',
  A3a: 'reads authorization requests (browser history, logs, a malicious app)',
  A5: 'reads and tampers with token requests (a misconfigured token endpoint)',
  A7: 'reads resource requests after the resource server processed them (proxy logs)',
} as const;
export type AttackerId = keyof typeof ATTACKERS;

/** A rule that stops an attack: a catalogue ID and the spec section it comes from. */
export interface Rule {
  id: string;
  spec: string;
}

/** Who sends a request: the honest parties (client, user's browser) or the attacker. */
export type PartyName = 'client' | 'browser' | 'attacker';

export type Mode = 'relaxed' | 'fapi2';

/** What the lab recorded about a request: the check that decided it (lab/requests.ts). */
export interface Decision {
  check?: string;
  error?: string;
  description?: string;
}

/** A certificate issued to a party for mTLS (by the lab CA). */
export interface IssuedCertificate {
  pem: string;
  derBase64: string;
  /** base64url SHA-256 of the DER (RFC 8705 §3.1). */
  x5t: string;
  subject: string;
}

/** One authorization server (and resource server) the scenarios run against. */
export interface AttackTarget {
  mode: Mode;
  /** Human label, e.g. "relaxed lab (bearer-tokens)", "FAPI 2.0 lab" or the issuer. */
  label: string;
  issuer: string;
  metadata: AsMetadata;
  /** Base URL of the resource server's sample APIs (GET {rs}/accounts), when known. */
  rs?: string;
  /** An in-process lab: dynamic registration is open and authorization is auto-approved. */
  lab: boolean;
  /** An HTTPS client for a party (trusting the target's CA; traced for --verbose). */
  http(party: PartyName, cert?: { cert: string; key: string }): HttpClient;
  /** Issues a client certificate (the lab CA) for tls_client_auth; lab only. */
  issueCertificate?(
    key: { privateKey: KeyObject; publicKey: KeyObject },
    subject: string,
  ): Promise<IssuedCertificate>;
  /** Moves the lab's clock (seconds; may be negative); lab only. */
  advanceClock?(seconds: number): void;
  /** How often the server's DPoP nonce rotates (seconds), when known. */
  dpopNonceRotateSeconds?: number;
  /**
   * The lab's record of the check that decided a response (with this OAuth error, when the
   * response carries one); lab only.
   */
  decision?(res: HttpResponse, error?: string): Promise<Decision | undefined>;
  /** An external server: the profile's registered client (the honest party). */
  profile?: ExternalClient;
}

/** The profile's client at an external server (`--issuer`): the honest party there. */
export interface ExternalClient {
  /** The profile's client runtime (its keys, its HTTP client, its sender constraint). */
  client: Client;
  http: HttpClient;
  redirectUri: string;
  /** The client-authentication key (private_key_jwt), to make the assertions the client sends. */
  signingKey?: SigningKey;
  /**
   * The key that signs the client's request objects (JAR), when the server requires them: the
   * signing key of an mTLS client too (it does not authenticate it).
   */
  requestObjectKey?: SigningKey;
  /** x5t#S256 of the client certificate, for certificate-bound tokens. */
  certificateThumbprint?: string;
  /** The profile's saved access token, when there is one (`fapi login` first). */
  accessToken?: { value: string; tokenType: string };
  /** A protected resource URL the saved token can call (`--resource`). */
  resource?: string;
}

export interface AttackEnv {
  /** A lab with exactly these relaxations (started, or reused, by the caller). */
  relaxed(relax: readonly string[]): Promise<AttackTarget>;
  /** The FAPI 2.0 server: the strict lab, or an external server with --issuer. */
  fapi2(): Promise<AttackTarget>;
  /** Called as each step ends (progress display). */
  onStep?(scenario: string, step: StepResult): void;
}

/** One step of a scenario run: an honest setup step or an attack attempt. */
export interface StepResult {
  mode: Mode;
  party: PartyName;
  /** What was done, e.g. "thief replays the token, no proof". */
  action: string;
  /**
   * For attack steps: whether the attacker got what it wanted. For setup steps: whether the
   * honest party succeeded (a failed setup step ends the run: the scenario proves nothing).
   */
  kind: 'setup' | 'attack' | 'skipped';
  succeeded: boolean;
  /** HTTP status of the deciding response, when there was one. */
  status?: number;
  /** The OAuth error (or the client's error code for client-side checks). */
  error?: string;
  description?: string;
  /** The catalogue ID of the check that decided (the lab's record, or the client's own rule). */
  check?: string;
  /** A short human summary of the result, e.g. "200 (the thief reads the accounts)". */
  summary: string;
  /** For attack steps under FAPI 2.0: the refusal matched what the rule prescribes. */
  expected?: boolean;
}

export type Verdict =
  | 'attack-worked' // relaxed: every attack step succeeded
  | 'attack-failed' // relaxed: the attack did not work, so the scenario proves nothing
  | 'defence-held' // fapi2: every attack step was refused as the rule prescribes
  | 'defence-failed' // fapi2: an attack step succeeded (or was refused for another reason)
  | 'error' // a setup step or the harness failed
  | 'skipped';

export interface ModeResult {
  mode: Mode;
  target: string;
  verdict: Verdict;
  /** One line: the decisive outcome, e.g. "200: the thief reads the accounts". */
  summary: string;
  /** Why the run failed or was skipped. */
  reason?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  attacker: AttackerId;
  tried: string;
  defence: string;
  rules: Rule[];
  relaxations: readonly string[];
  relaxed: ModeResult;
  fapi2: ModeResult;
  /** The checks that refused the attack under FAPI 2.0, as observed. */
  stoppedBy: string[];
  steps: StepResult[];
  /** True when the attack worked where relaxed and the defence held under FAPI 2.0. */
  ok: boolean;
  ms: number;
}

/** The static description of a scenario (`fapi lab attack --list`). */
export interface ScenarioInfo {
  id: string;
  title: string;
  attacker: AttackerId;
  /** What the attacker tries, in one line. */
  tried: string;
  /** What the attack is, for --list: a short paragraph. */
  story: string;
  /** The defence, in a few words. */
  defence: string;
  rules: Rule[];
  /** The lab relaxations that switch the defence off. */
  relax: readonly string[];
  /** Runs against an external server with only a registered client profile (`--issuer`). */
  external: boolean;
}

export interface Scenario extends ScenarioInfo {
  run(env: AttackEnv): Promise<ScenarioResult>;
}
