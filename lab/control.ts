/**
 * What a test (or `fapi lab …` over the control API) can do to a running lab, in one place for
 * both: switches, one-off failures and delays, the request log and a request's detail, users,
 * and access tokens for testing a resource server. Every input is validated here; bad input is a
 * FapiError with a stable code and the lab is left unchanged (the control API answers it as a 400).
 */
import { decodeJws } from '../src/core/jws.js';
import { randomToken } from '../src/core/random.js';
import { usageError } from '../src/errors.js';
import { isPlainObject } from '../src/store/validate.js';
import { issueAccessToken } from './as/tokens.js';
import { checkExplanation } from './check-index.js';
import type { LabContext } from './context.js';
import type { DelayNextInput, FailNextInput } from './overrides.js';
import { publicRequest, type LabRequest, type RequestFilter } from './requests.js';
import type { TokenBinding } from './model.js';

/** What `issueToken` makes: a real lab access token, through the lab's own issuing code. */
export interface IssueTokenInput {
  /** The client the token is issued to (default `lab-test-client`; it need not be registered). */
  clientId?: string;
  /** The user (default: the one auto-approve logs in, else the client itself). */
  sub?: string;
  /** Space-separated scopes, or a list. */
  scope: string | string[];
  /** DPoP-bind the token to this JWK thumbprint (RFC 9449 §6.1: `cnf.jkt`). */
  dpopJkt?: string;
  /** Certificate-bind the token to this certificate thumbprint (RFC 8705 §3.1: `cnf.x5t#S256`). */
  x5tS256?: string;
  /** Lifetime in seconds (default: the lab's access-token lifetime). */
  expiresIn?: number;
  /** The `aud` (default: the lab RS; RFC 9068 §3). */
  audience?: string;
}

/** An access token from `issueToken`: a JWT (RFC 9068) and what a token response would say of it (RFC 6749 §5.1). */
export interface IssuedToken {
  /** The JWT access token (RFC 9068). */
  accessToken: string;
  /** `DPoP` when DPoP-bound, else `Bearer` (RFC 9449 §5, RFC 8705 §3). */
  tokenType: 'DPoP' | 'Bearer';
  expiresIn: number;
  scope: string;
  /** Its claims, decoded. */
  claims: Record<string, unknown>;
}

const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

const bad = (message: string) => usageError('E_LAB_OPTION', `${message} No token was issued.`);

/** Issues a real access token (lab/as/tokens.ts) with its own grant, so the RS and introspection know it. */
export function issueTestToken(ctx: LabContext, input: IssueTokenInput): IssuedToken {
  if (!isPlainObject(input))
    throw bad('issueToken takes { scope, clientId?, sub?, dpopJkt? | x5tS256?, expiresIn? }.');
  const scope = typeof input.scope === 'string' ? input.scope.split(' ').filter(Boolean) : input.scope;
  if (
    !Array.isArray(scope) ||
    scope.length === 0 ||
    !scope.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))
  )
    throw bad('scope must name at least one scope (RFC 6749 §3.3).');
  if (input.dpopJkt !== undefined && input.x5tS256 !== undefined)
    throw bad('Give dpopJkt or x5tS256, not both: a token is bound to one key (FAPI2-SP §5.3.2.1-4).');
  if (input.dpopJkt !== undefined && (typeof input.dpopJkt !== 'string' || !THUMBPRINT.test(input.dpopJkt)))
    throw bad('dpopJkt must be an RFC 7638 JWK thumbprint (43 base64url characters).');
  if (input.x5tS256 !== undefined && (typeof input.x5tS256 !== 'string' || !THUMBPRINT.test(input.x5tS256)))
    throw bad('x5tS256 must be a certificate SHA-256 thumbprint (43 base64url characters, RFC 8705 §3.1).');
  const lifetime = input.expiresIn ?? ctx.config.accessTokenLifetime;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 86_400)
    throw bad('expiresIn must be an integer number of seconds from 1 to 86400.');
  const clientId = input.clientId ?? 'lab-test-client';
  if (typeof clientId !== 'string' || clientId === '') throw bad('clientId must be a non-empty string.');
  const sub = input.sub ?? ctx.users.autoApproved()?.sub ?? clientId;
  if (typeof sub !== 'string' || sub === '') throw bad('sub must be a non-empty string.');
  if (input.audience !== undefined && (typeof input.audience !== 'string' || input.audience === ''))
    throw bad('audience must be a non-empty string.');

  const binding: TokenBinding = input.dpopJkt
    ? { jkt: input.dpopJkt }
    : input.x5tS256
      ? { 'x5t#S256': input.x5tS256 }
      : {};
  const tokenType = input.dpopJkt ? 'DPoP' : 'Bearer';
  const now = ctx.now();
  const grant = ctx.grants.createGrant({
    id: `test-${randomToken(16)}`,
    clientId,
    sub,
    scope,
    authTime: Math.floor(now),
    expiresAt: now + lifetime,
  });
  const at = issueAccessToken(ctx, {
    grant,
    client: { client_id: clientId },
    scope,
    binding,
    tokenType,
    lifetime,
    audience: input.audience,
  });
  return {
    accessToken: at.token,
    tokenType,
    expiresIn: at.expiresIn,
    scope: scope.join(' '),
    claims: decodeJws(at.token).payload,
  };
}

/** A decoded JWT of a request's detail: header and claims; the compact token itself never. */
export interface DecodedCredential {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Why it could not be decoded (it was not a JWT). */
  problem?: string;
  /** `«redacted: what, N chars»`: the value itself is never shown. */
  redacted: string;
}

/**
 * One recorded request with what the dashboard shows of it: the check that refused it (catalogue
 * ID, rule, spec section, why), and the JWTs it carried decoded (RFC 7523 assertion, RFC 9449
 * proof, RFC 9068 access token), their values redacted.
 */
export interface RequestDetail extends LabRequest {
  /** The check that refused it: its catalogue ID, rule and spec section, and why. */
  decidedBy?: { check: string; rule?: string; spec?: string; why?: string };
  clientAssertion?: DecodedCredential;
  dpopProof?: DecodedCredential;
  accessToken?: DecodedCredential;
}

function decodeCredential(what: string, value: string): DecodedCredential {
  const redacted = `«redacted: ${what}, ${value.length} chars»`;
  try {
    const d = decodeJws(value);
    return { header: d.header, claims: d.payload, redacted };
  } catch (e) {
    return { problem: `not a JWS: ${(e as Error).message}`, redacted };
  }
}

/** One request with its credentials decoded (secrets redacted), for the dashboard's detail view. */
export function requestDetail(ctx: LabContext, id: number): RequestDetail | undefined {
  const r = ctx.requests.byId(id);
  if (!r) return undefined;
  const c = r.credentials;
  const explained = r.check ? checkExplanation(r.check) : undefined;
  return {
    ...publicRequest(r),
    ...(r.check
      ? { decidedBy: { check: r.check, ...explained, ...(r.description ? { why: r.description } : {}) } }
      : {}),
    ...(c?.assertion ? { clientAssertion: decodeCredential('client_assertion', c.assertion) } : {}),
    ...(c?.dpop ? { dpopProof: decodeCredential('DPoP proof', c.dpop) } : {}),
    ...(c?.accessToken ? { accessToken: decodeCredential('access_token', c.accessToken) } : {}),
  };
}

/** The switches and what is pending now, for `fapi lab status`, the dashboard and the control API. */
export function switchState(ctx: LabContext) {
  return {
    strict: ctx.warningHeader === undefined,
    relaxations: [...ctx.switches.relax],
    faults: [...ctx.switches.faults],
    warnings: ctx.switches.warnings,
    pending: ctx.overrides.list(),
    login: ctx.users.autoApproved()?.sub,
    auto_approve: ctx.config.autoApprove,
  };
}

/** The operations of the control API and the library, over one lab. */
export function labControl(ctx: LabContext) {
  return {
    setFaults: (names: readonly string[]) => ctx.switches.setFaults(names),
    setRelaxations: (names: readonly string[]) => ctx.switches.setRelaxations(names),
    failNext: (o: FailNextInput) => ctx.overrides.failNext(o),
    delayNext: (o: DelayNextInput) => ctx.overrides.delayNext(o),
    clearPending: () => ctx.overrides.clear(),
    requests: (filter?: RequestFilter) => ctx.requests.select(filter).map(publicRequest),
    request: (id: number) => requestDetail(ctx, id),
    clearRequests: () => ctx.requests.clear(),
    issueToken: (o: IssueTokenInput) => issueTestToken(ctx, o),
    state: () => switchState(ctx),
  };
}
export type LabControl = ReturnType<typeof labControl>;
