/**
 * The vocabulary of `fapi conform server`: a check (one externally observable server-side MUST or
 * SHOULD of FAPI 2.0, named by its catalogue ID), the variant a check runs
 * in (client authentication × sender constraint, as in the OIDF suite's plan variants), and the
 * five result words of the output contract.
 */
import type { ClientAuthMethod, SenderConstraint } from '../core/fapi.js';
import type { CheckContext } from './context.js';

/** The five result words (the output contract of `--json`, JUnit and the text report). */
export const RESULT_WORDS = ['passed', 'failed', 'warning', 'skipped', 'expected-failure'] as const;
export type ResultWord = (typeof RESULT_WORDS)[number];

/** FAPI "shall" is MUST, "should" is SHOULD: a broken SHOULD is a warning. */
export type Level = 'MUST' | 'SHOULD';

/** The groups, in the order they run and are reported. */
export const GROUPS = {
  discovery: 'discovery, metadata and TLS',
  registration: 'dynamic client registration',
  'client-auth': 'client authentication',
  par: 'pushed authorization requests',
  authorization: 'authorization endpoint',
  token: 'token endpoint',
  dpop: 'DPoP at the authorization server',
  refresh: 'refresh tokens',
  introspection: 'introspection and revocation',
  resource: 'resource server',
  rar: 'rich authorization requests (RFC 9396)',
  attacks: 'attacks (fapi lab attack)',
} as const;
export type Group = keyof typeof GROUPS;

export interface Variant {
  auth: ClientAuthMethod;
  sender: SenderConstraint;
}

export function variantLabel(v: Variant | undefined): string {
  return v ? `${v.auth} + ${v.sender}` : 'server';
}

/** What a check needs; the runner skips it, with the reason, when the run cannot give it. */
export interface Needs {
  /**
   * `server`: runs once per run (metadata, TLS, registration refusals); `variant` (default): once
   * per selected variant.
   */
  scope?: 'server' | 'variant';
  /** Authorization codes the check obtains, each from a fresh login (shown before the run). */
  logins?: number;
  /**
   * One of its logins is cancelled by the person at the login page (user-rejects-authentication):
   * it needs a browser, and skips with `--browser follow`.
   */
  deny?: boolean;
  /** A protected resource (`--rs URL`). */
  rs?: boolean;
  /**
   * The server advertises the payment detail's type in `authorization_details_types_supported`
   * (RFC 9396 §10; `payment_initiation` unless `--payment` names another).
   */
  rar?: boolean;
  /**
   * A resource that executes payments (`--rs-payment`): the payments the check sends, and how many
   * of them a server that follows the rules executes (shown before the run: they are real).
   */
  payments?: { sent: number; executed: number };
  /** The scope the protected resource requires (`--rs-scope`). */
  rsScope?: boolean;
  /** Dynamic client registration (RFC 7591): the check registers clients of its own. */
  dcr?: boolean;
  /** A second client (cross-client checks). */
  clients?: 2;
  /** Only in variants with one of these client authentication methods. */
  auth?: readonly ClientAuthMethod[];
  /** Only in variants with this sender constraint. */
  sender?: SenderConstraint;
  /** Metadata endpoints the check uses (skipped when the server does not advertise them). */
  endpoints?: readonly ('introspection_endpoint' | 'revocation_endpoint' | 'registration_endpoint')[];
  /** The scope asked for must include `openid` (ID tokens). */
  openid?: boolean;
  /** A refresh token is issued for the scope asked for. */
  refresh?: boolean;
  /** Waits for something to expire (a minute or more): only with `--slow`. */
  slow?: boolean;
  /** Baseline checks of the same pass that must have passed (e.g. PAR-01 before PAR refusals). */
  after?: readonly string[];
}

/** What a check's run returns; `failed` of a SHOULD check is reported as `warning`. */
export interface Outcome {
  result: 'passed' | 'failed' | 'warning' | 'skipped';
  /** The evidence in one line: what was sent and what came back (secrets redacted). */
  detail: string;
  /**
   * The failure says nothing about the check's own rule: the peer could not be judged at all (a
   * command that did not start, made no request, flooded the lab, stopped before the lab
   * misbehaved, or ran past its timeout before doing what the module judges). It is
   * `failed` whatever the check's level: a SHOULD is forgiven, not a peer that never tried.
   */
  unjudged?: boolean;
}

export interface Check {
  /** The catalogue ID, or `ID.case` for one of several black-box tests of an ID. */
  id: string;
  title: string;
  /** The spec sections, e.g. "FAPI2-SP §5.3.2.1-8; RFC 9126 §2". */
  spec: string;
  level: Level;
  group: Group;
  needs: Needs;
  run(ctx: CheckContext): Promise<Outcome>;
}

/** One result line (the `results` items of `--json`). */
export interface CheckResult {
  id: string;
  title: string;
  /** null for checks that run once per server. */
  variant: Variant | null;
  result: ResultWord;
  spec: string;
  detail: string;
  level: Level;
  /** The group: a key of GROUPS (server checks) or of CLIENT_GROUPS (client modules, ./client/modules.ts). */
  group: string;
  ms: number;
}

export interface Summary {
  passed: number;
  failed: number;
  warnings: number;
  skipped: number;
  expected_failures: number;
}

export function summarize(results: readonly CheckResult[]): Summary {
  const n = (w: ResultWord) => results.filter((r) => r.result === w).length;
  return {
    passed: n('passed'),
    failed: n('failed'),
    warnings: n('warning'),
    skipped: n('skipped'),
    expected_failures: n('expected-failure'),
  };
}

/** A check that cannot run here, with the reason (reported as `skipped`). */
export class Skip extends Error {
  override name = 'Skip';
}

export const passed = (detail: string): Outcome => ({ result: 'passed', detail });
export const failed = (detail: string): Outcome => ({ result: 'failed', detail });
export const warning = (detail: string): Outcome => ({ result: 'warning', detail });
export const skipped = (detail: string): Outcome => ({ result: 'skipped', detail });
