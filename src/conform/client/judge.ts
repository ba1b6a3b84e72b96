/**
 * The verdict of one client-test module, from what the lab observed during the run (its request
 * log and its failed TLS handshakes) and from the command's exit, never from what the client
 * prints. Pure: an observation in, an outcome with its evidence out.
 *
 * - happy path and tolerance modules pass when the lab saw, from this client, a successful PAR, a
 *   token from the authorization code and a successful resource call, and the command exited 0;
 * - negative modules pass when the client did not use what it should have refused (no token
 *   request with the code of a bad authorization response, no resource, userinfo or refresh
 *   request with the tokens of a bad token response, no resource call after a bad signed
 *   introspection response, no request at all after bad metadata or a bad TLS handshake), once
 *   the lab is known to have misbehaved at all (the client got that far);
 *   a client that stops but exits 0 passes with a warning: it did not report the failure.
 */
import type { Observation, ObservedRequest } from '../../core/client-test-lab.js';
import type { Variant } from '../types.js';
import type { ClientModule } from './modules.js';

/** What a pushed request may carry beside its request object: client_id, request, the client authentication. */
const BESIDE_REQUEST_OBJECT = new Set(['client_id', 'request', 'client_assertion', 'client_assertion_type']);

/** What is wrong with a client's pushed request objects (MS-07), or undefined. */
function requestObjectProblem(m: ClientModule, pars: ObservedRequest[]): string | undefined {
  for (const p of pars) {
    const ro = p.requestObject;
    if (!ro) return 'a pushed request without a request object (FAPI2-MS §5.3.2)';
    if (m.expect === 'request-object-typ') {
      if (ro.typ !== 'oauth-authz-req+jwt')
        return `the request object typ is ${ro.typ === undefined ? 'missing' : JSON.stringify(ro.typ)}, not "oauth-authz-req+jwt" (RFC 9101 §4)`;
      continue;
    }
    if (ro.aud !== 'string')
      return `the request object aud is ${ro.aud === 'array' ? 'an array' : ro.aud}: send the issuer as a string (FAPI2-MS §5.3.2)`;
    if (ro.sub)
      return 'the request object has a sub claim: it could pass for a client assertion (RFC 9101 §10.8)';
    const extra = ro.params.filter((n) => !BESIDE_REQUEST_OBJECT.has(n));
    if (extra.length)
      return `parameters beside the request object: ${extra.join(', ')} (only client_id and request, with the client authentication)`;
  }
  return undefined;
}

/** How the command ended. */
export interface CommandExit {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Why it could not be started, if it could not. */
  error?: string;
  ms: number;
  /** The last lines of its stderr, redacted. */
  stderr: string[];
}

export interface ModuleVerdict {
  result: 'passed' | 'failed' | 'warning';
  /** Why, in one sentence. */
  reason: string;
  /** The lab's requests of the run, one short line each (method, path, status, error). */
  requests: string[];
  /** How the command ended, e.g. `exit 1`, `killed after the timeout`. */
  exit: string;
  stderr: string[];
  /**
   * The client could not be judged on the module's rule (it did not start, made no request, never
   * reached what the lab broke, flooded the lab or timed out): failed even for a SHOULD module.
   */
  unjudged?: boolean;
}

/** More requests than this in one module is a flood (a FAPI login takes about ten). */
export const FLOOD_LIMIT = 500;
/** How many request lines the evidence shows (the first and the last ones). */
const EVIDENCE_LINES = 24;

const isDiscovery = (r: ObservedRequest) => r.method === 'GET' && r.path.startsWith('/.well-known/');
const isPar = (r: ObservedRequest) => r.method === 'POST' && r.path === '/par';
const isAuthorize = (r: ObservedRequest) => r.path === '/authorize';
const isTokenRequest = (r: ObservedRequest) => r.method === 'POST' && r.path === '/token';
const isRefresh = (r: ObservedRequest) => isTokenRequest(r) && r.grantType === 'refresh_token';
/** A token request that may carry a code: any grant but refresh and client credentials. */
const isCodeRedemption = (r: ObservedRequest) =>
  isTokenRequest(r) && r.grantType !== 'refresh_token' && r.grantType !== 'client_credentials';
const isResource = (r: ObservedRequest) => r.listener === 'rs';
const isUserinfo = (r: ObservedRequest) => r.path === '/userinfo';
const isIntrospection = (r: ObservedRequest) => r.method === 'POST' && r.path === '/introspect';
const ok = (r: ObservedRequest) => r.status >= 200 && r.status < 300;

/** `POST /token 400 invalid_grant (RT-11)`: one request of the evidence. */
export function requestLine(r: ObservedRequest): string {
  const where = r.listener === 'mtls' ? ' [mtls]' : r.listener === 'rs' ? ' [rs]' : '';
  const grant = r.grantType ? ` ${r.grantType}` : '';
  const refusal = r.outcome === 'refused' && r.error ? ` ${r.error}${r.check ? ` (${r.check})` : ''}` : '';
  return `${r.method} ${r.path}${where}${grant} ${r.status}${refusal}`;
}

function requestLines(o: Observation): string[] {
  const lines = o.requests.map(requestLine);
  const lost = o.total - o.requests.length;
  const out =
    lines.length <= EVIDENCE_LINES
      ? lines
      : [
          ...lines.slice(0, EVIDENCE_LINES / 2),
          `… ${lines.length - EVIDENCE_LINES} more …`,
          ...lines.slice(-EVIDENCE_LINES / 2),
        ];
  if (lost > 0) out.unshift(`(the ${lost} earliest requests are no longer in the lab's log)`);
  if (o.handshakeFailures > 0)
    out.push(
      `${o.handshakeFailures} TLS handshake${o.handshakeFailures === 1 ? '' : 's'} refused${o.handshakeReasons[0] ? ` (${o.handshakeReasons[0]})` : ''}`,
    );
  return out;
}

export function exitLine(e: CommandExit): string {
  if (e.error) return `could not start: ${e.error}`;
  if (e.timedOut) return `killed after the timeout (${(e.ms / 1000).toFixed(1)} s)`;
  if (e.code === null) return `killed by ${e.signal ?? 'a signal'}`;
  return `exit ${e.code}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The sender constraint and client authentication of the run, as the lab saw them, when they differ. */
function variantProblem(o: Observation, token: ObservedRequest, variant: Variant): string | undefined {
  const client = token.clientId ? o.clients[token.clientId] : undefined;
  if (client && client.auth !== variant.auth)
    return `the client authenticates with ${client.auth}; this run tests ${variant.auth} (--auth)`;
  if (variant.sender === 'dpop' && !token.dpop)
    return 'the token request carried no DPoP proof; this run tests DPoP-bound tokens (--sender dpop)';
  if (variant.sender === 'mtls' && !(token.listener === 'mtls' && token.clientCertificate))
    return 'the token request came without a client certificate on the mTLS endpoint; this run tests certificate-bound tokens (--sender mtls)';
  return undefined;
}

/** Judges a happy-path or tolerance module: the whole flow, and exit 0. */
function complete(m: ClientModule, o: Observation, exit: CommandExit, variant: Variant): Judged {
  const rs = o.requests;
  const par = rs.find((r) => isPar(r) && ok(r));
  const token = rs.find((r) => isCodeRedemption(r) && ok(r) && (!par || r.id > par.id));
  const calls = token ? rs.filter((r) => isResource(r) && r.id > token.id) : [];
  const refreshes = token ? rs.filter((r) => isRefresh(r) && r.id > token.id) : [];
  const goodRefreshes = refreshes.filter(ok);
  const lastRefresh = goodRefreshes[goodRefreshes.length - 1];
  const finalCall = calls.filter(ok).find((r) => !lastRefresh || r.id > lastRefresh.id);
  const missing: string[] = [];
  if (!par) missing.push('no successful PAR');
  else if (!token) missing.push('no token from the authorization code');
  if (token && m.expect === 'complete-after-refresh') {
    const refused = refreshes.find((r) => !ok(r));
    if (goodRefreshes.length < 2)
      missing.push(
        refused
          ? `a refresh was refused (${requestLine(refused)}): ${refused.check === 'RT-02' ? 'the client refreshed with a refresh token that had been replaced' : 'see the lab log'}`
          : `${plural(goodRefreshes.length, 'successful refresh', 'successful refreshes')} (the resource refused the access token ${m.setup.rsRefusals ?? 0} times with invalid_token; at least two refreshes were due)`,
      );
  }
  if (token && !finalCall)
    missing.push(
      calls.length
        ? `no successful resource call${lastRefresh ? ' after the last refresh' : ''} (${calls.map(requestLine).slice(-3).join(', ')})`
        : 'no resource call',
    );
  if (missing.length) return { result: 'failed', reason: `incomplete: ${missing.join('; ')}` };
  const problem = variantProblem(o, token as ObservedRequest, variant);
  if (problem) return { result: 'failed', reason: problem };
  if (exit.code !== 0)
    return {
      result: 'failed',
      reason: `the lab saw the whole flow succeed, but the command reported a failure (${exitLine(exit)}): the client refused something valid`,
    };
  if (m.expect === 'request-object' || m.expect === 'request-object-typ') {
    const problem = requestObjectProblem(
      m,
      rs.filter((r) => isPar(r) && ok(r)),
    );
    if (problem) return { result: 'failed', reason: problem };
  }
  if (m.expect === 'signed-introspection') {
    const problem = introspectionProblem(rs, token as ObservedRequest, finalCall as ObservedRequest);
    if (problem) return { result: 'failed', reason: problem };
  }
  const extra =
    m.expect === 'request-object' || m.expect === 'request-object-typ'
      ? ', every pushed request a request object as FAPI 2.0 Message Signing asks'
      : m.expect === 'complete-after-refresh'
        ? `, ${plural(goodRefreshes.length, 'refresh', 'refreshes')}`
        : '';
  const step = m.expect === 'signed-introspection' ? ', signed introspection' : '';
  return {
    result: 'passed',
    reason: `complete: PAR, token${step}, resource ${finalCall?.status}${extra}; exit 0`,
  };
}

const ASK_SIGNED = 'Accept: application/token-introspection+jwt, RFC 9701 §4';

/**
 * Why the client's introspection after `token` does not show a signed introspection response asked
 * for, and the resource called after it (FAPI2-MS §5.5.2, MS-11); undefined when it does.
 */
function introspectionProblem(
  rs: ObservedRequest[],
  token: ObservedRequest,
  call: ObservedRequest,
): string | undefined {
  const intros = rs.filter((r) => isIntrospection(r) && r.id > token.id);
  const signed = intros.filter((r) => r.introspectionJwt);
  if (!intros.length)
    return 'the client never introspected its access token (FAPI_INTROSPECT=1 asks it to, before the resource call)';
  if (!signed.length)
    return `the client introspected without asking for a signed response (${ASK_SIGNED}): ${requestLine(intros[0] as ObservedRequest)}`;
  const good = signed.filter(ok);
  if (!good.length)
    return `the signed introspection request was refused: ${requestLine(signed[0] as ObservedRequest)}`;
  if (!good.some((r) => r.id < call.id))
    return 'the client called the resource before it introspected the access token (verify the signed response first)';
  return undefined;
}

type Judged = Pick<ModuleVerdict, 'result' | 'reason' | 'unjudged'>;

/** Judges a negative module: the fault reached the client, and nothing after it was used. */
function negative(m: ClientModule, o: Observation, exit: CommandExit): Judged {
  const rs = o.requests;
  let reached: ObservedRequest | boolean | undefined;
  let notReached = '';
  /** The whole reason, when the client never gave the lab the chance to misbehave in another way. */
  let notAsked = '';
  let used: ObservedRequest[] = [];
  let usedWhat = '';
  let stopped = '';
  switch (m.expect) {
    case 'stop-after-discovery': {
      reached = rs.find((r) => isDiscovery(r) && ok(r));
      notReached = 'the client never fetched the metadata';
      const first = reached;
      used = first ? rs.filter((r) => r.id > first.id && !isDiscovery(r)) : [];
      usedWhat = 'went on after metadata naming another issuer';
      stopped = 'stopped after the metadata: no other request';
      break;
    }
    case 'no-code-redemption': {
      reached = rs.find((r) => isAuthorize(r) && r.status === 303);
      notReached = 'no authorization response was sent (the client stopped before the authorization)';
      const at = reached;
      used = at ? rs.filter((r) => r.id > at.id && isCodeRedemption(r)) : [];
      usedWhat = 'redeemed the code of the bad authorization response';
      stopped = 'refused the authorization response: no token request';
      break;
    }
    case 'no-token-use': {
      reached = rs.find((r) => isCodeRedemption(r) && ok(r));
      notReached = 'no token response was sent (the client stopped before redeeming a code)';
      const at = reached;
      used = at ? rs.filter((r) => r.id > at.id && (isResource(r) || isUserinfo(r) || isRefresh(r))) : [];
      usedWhat = 'used the tokens of the bad token response';
      stopped = 'refused the token response: its tokens were not used';
      break;
    }
    case 'no-resource-after-introspection': {
      const token = rs.find((r) => isCodeRedemption(r) && ok(r));
      const intros = token ? rs.filter((r) => isIntrospection(r) && r.id > token.id) : [];
      reached = intros.find((r) => r.introspectionJwt && ok(r));
      notReached = 'no token response was sent (the client stopped before redeeming a code)';
      if (token && !intros.length)
        notAsked =
          'the client never introspected its access token (FAPI_INTROSPECT=1 asks it to, before the resource call)';
      else if (token && !intros.some((r) => r.introspectionJwt))
        notAsked = `the client introspected without asking for a signed response (${ASK_SIGNED})`;
      else if (token && !reached)
        notAsked = `the lab refused the signed introspection request: ${requestLine(intros.find((r) => r.introspectionJwt) as ObservedRequest)}`;
      const at = reached;
      used = at ? rs.filter((r) => r.id > at.id && isResource(r)) : [];
      usedWhat = 'called the resource after the bad introspection response';
      stopped = 'refused the introspection response: no resource call';
      break;
    }
    default: {
      reached = o.handshakeFailures > 0 || o.total > 0;
      notReached = 'no TLS handshake reached the lab';
      used = rs;
      usedWhat = 'sent requests over a TLS connection it should have refused';
      stopped = `refused the TLS connection: ${plural(o.handshakeFailures, 'handshake')} failed, no request`;
    }
  }
  if (!reached)
    return {
      result: 'failed',
      unjudged: true,
      reason: notAsked
        ? `${notAsked}; this module proves nothing`
        : `the client stopped before the lab misbehaved: ${notReached}; this module proves nothing`,
    };
  if (used.length || (m.expect === 'no-request-over-tls' && o.total > 0))
    return {
      result: 'failed',
      reason: `the client ${usedWhat}: ${used
        .slice(0, 3)
        .map(requestLine)
        .join(', ')}${used.length > 3 ? `, … (${used.length})` : ''}`,
    };
  if (exit.code === 0)
    return {
      result: 'warning',
      reason: `the client ${stopped}, but exited 0: it did not report the failure`,
    };
  return { result: 'passed', reason: `the client ${stopped} (${exitLine(exit)})` };
}

export function judgeModule(
  m: ClientModule,
  o: Observation,
  exit: CommandExit,
  variant: Variant,
): ModuleVerdict {
  const evidence = { requests: requestLines(o), exit: exitLine(exit), stderr: exit.stderr };
  const verdict = (j: Judged): ModuleVerdict => ({ ...j, ...evidence });
  if (exit.error)
    return verdict({
      result: 'failed',
      unjudged: true,
      reason: `the command could not start: ${exit.error}`,
    });
  if (o.total > FLOOD_LIMIT)
    return verdict({
      result: 'failed',
      unjudged: true,
      reason: `the client flooded the lab: ${o.total} requests in one module (a FAPI login takes about ten)`,
    });
  const quiet = o.total === 0 && o.handshakeFailures === 0;
  const killed = 'the process group was killed';
  if (quiet)
    return verdict({
      result: 'failed',
      unjudged: true,
      reason: exit.timedOut
        ? `timed out; the client made no request (${killed})`
        : 'the client made no request',
    });
  const judged = m.kind === 'negative' ? negative(m, o, exit) : complete(m, o, exit, variant);
  // A client that used what it had to refuse is judged by that, even if it then hung: the
  // evidence is complete, so a SHOULD module stays a warning. Any other hang proves nothing.
  if (exit.timedOut)
    return verdict(
      judged.result === 'failed' &&
        !judged.unjudged &&
        !judged.reason.startsWith('incomplete') &&
        !judged.reason.includes('stopped before')
        ? { result: 'failed', reason: `${judged.reason}; then it timed out (${killed})` }
        : { result: 'failed', unjudged: true, reason: `timed out (${killed})` },
    );
  return verdict(judged);
}

/** The verdict as one line: the reason, the lab's requests, the exit and the last stderr line. */
export function verdictDetail(v: ModuleVerdict): string {
  const parts = [v.reason, `lab: ${v.requests.length ? v.requests.join(', ') : 'no request'}`, v.exit];
  const last = v.stderr[v.stderr.length - 1];
  if (last) parts.push(`stderr: ${last}`);
  return parts.join(' — ');
}
