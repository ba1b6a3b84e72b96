/**
 * Judging a server's answer: the one-line evidence ("401 invalid_client", "401 WWW-Authenticate:
 * DPoP error=\"invalid_token\"") and the usual verdicts: a refusal with one of the errors the
 * rule allows (its canonical outcome and the alternatives the OIDF suite accepts), or a
 * success. An answer outside both is a failure that says what came back and what was expected.
 */
import { oauthErrorOf } from '../core/oauth-error.js';
import type { HttpResponse } from '../http/client.js';
import { redactUrl } from '../http/redact.js';
import { failed, passed, type Outcome } from './types.js';

/** What came back for a request: the response, or why there was none (a TLS or network failure). */
export interface Answer {
  response?: HttpResponse;
  /** The transport failure, when the server refused at the TLS layer or did not answer. */
  transport?: string;
}

/** `s`, cut to `n` characters with an ellipsis when longer. */
export const clip = (s: string, n = 90) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** "401 invalid_client", "400 invalid_request (redirect_uri is required)", "200", "TLS failure: …". */
export function describe(a: Answer | HttpResponse): string {
  const res = 'status' in a ? a : a.response;
  if (!res) return `no HTTP answer (${(a as Answer).transport ?? 'no response'})`;
  const o = oauthErrorOf(res);
  const bits = [String(res.status)];
  if (o.error) bits.push(o.error);
  const www = res.header('www-authenticate');
  let s = bits.join(' ');
  if (o.error_description) s += ` (${clip(o.error_description.replace(/\s+/g, ' '), 70)})`;
  if (www && res.status === 401 && !o.error_description) s += ` [WWW-Authenticate: ${clip(www, 70)}]`;
  const location = res.header('location');
  if (location && res.status >= 300 && res.status < 400) s += ` → ${clip(redactUrl(location), 100)}`;
  return s;
}

/** The OAuth error of an answer (JSON body or WWW-Authenticate challenge), if any. */
export function errorOf(a: Answer | HttpResponse): string | undefined {
  const res = 'status' in a ? a : a.response;
  return res ? oauthErrorOf(res).error : undefined;
}

export function statusOf(a: Answer | HttpResponse): number | undefined {
  return 'status' in a ? a.status : a.response?.status;
}

export const isSuccess = (a: Answer | HttpResponse) => {
  const s = statusOf(a);
  return s !== undefined && s >= 200 && s < 300;
};

export interface RefusalRule {
  /** OAuth errors that show the rule at work; any error code when omitted. */
  errors?: readonly string[];
  /** Acceptable HTTP statuses (default: any 4xx). */
  status?: readonly number[];
  /** A TLS handshake failure also counts as a refusal (mTLS: RFC 8705 §2, MT-09). */
  tls?: boolean;
  /** What the rule requires, for the failure message (e.g. "only the issuer, as a string"). */
  why?: string;
}

/**
 * Passed when the answer is a refusal the rule allows. `what` names what was sent ("PAR with
 * client_assertion aud = the token endpoint URL").
 */
export function expectRefused(what: string, a: Answer | HttpResponse, rule: RefusalRule = {}): Outcome {
  const got = describe(a);
  const res = 'status' in a ? a : a.response;
  if (!res) {
    if (rule.tls) return passed(`${what} → refused at the TLS layer (${(a as Answer).transport ?? ''})`);
    return failed(`${what} → ${got}`);
  }
  if (res.status >= 200 && res.status < 400)
    return failed(`${what} → ${got}: accepted${rule.why ? `, but ${rule.why}` : ''}`);
  const statusOk = rule.status ? rule.status.includes(res.status) : res.status >= 400 && res.status < 500;
  const error = oauthErrorOf(res).error;
  const errorOk = !rule.errors || (error !== undefined && rule.errors.includes(error));
  if (statusOk && errorOk) return passed(`${what} → ${got}`);
  const expected = [
    rule.status ? rule.status.join('/') : '4xx',
    rule.errors ? rule.errors.join(' or ') : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  return failed(`${what} → ${got}, expected ${expected}`);
}

/** Passed when the answer is a 2xx (or `status`). */
export function expectSuccess(what: string, a: Answer | HttpResponse, status?: readonly number[]): Outcome {
  const s = statusOf(a);
  const ok = s !== undefined && (status ? status.includes(s) : s >= 200 && s < 300);
  return ok ? passed(`${what} → ${describe(a)}`) : failed(`${what} → ${describe(a)}, expected success`);
}

/** Combines several outcomes of one check: the first failure (or warning) wins, details joined. */
export function all(...outcomes: Outcome[]): Outcome {
  const bad = outcomes.find((o) => o.result === 'failed') ?? outcomes.find((o) => o.result === 'warning');
  if (bad) return bad;
  const skip = outcomes.find((o) => o.result === 'skipped');
  if (skip && outcomes.every((o) => o.result === 'skipped')) return skip;
  return passed(outcomes.map((o) => o.detail).join('; '));
}
