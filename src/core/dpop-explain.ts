/**
 * Would a resource server accept this DPoP proof for this request? The proof is run through the
 * one DPoP verifier of ./dpop.ts (the lab's AS and RS use it too), which reports each check as it
 * passes; the answer says, check by check in catalogue order (DP-01..16), passed, failed (with why),
 * not reached (after the failure), or not checked (what it needs: the access token, the server's
 * nonce, the server's memory of jtis). For `fapi dpop explain`.
 */
import {
  DPOP_PROOF_CHECKS,
  DpopProofError,
  htuMismatch,
  verifyDpopProof,
  type DpopErrorCode,
} from './dpop.js';
import { decodeJws } from './jws.js';

export interface DpopExplainInput {
  /** The DPoP header value (a comma means two headers, DP-01). */
  proof: string;
  /** The request's method. */
  method: string;
  /** The request's URL as the server sees it (externally visible: RFC 9449 §4.3 step 9). */
  url: string;
  /** The access token sent with it (DP-13 `ath`, DP-14 `cnf.jkt`). */
  accessToken?: string;
  /** The nonce the server handed out (DP-10). */
  nonce?: string;
  /** Epoch seconds (default now). */
  now?: number;
}

export type DpopCheckStatus = 'passed' | 'failed' | 'not reached' | 'not checked';

export interface DpopCheckResult {
  id: string;
  rule: string;
  spec: string;
  status: DpopCheckStatus;
  /** Why it failed, or what it would need to be checked. */
  why?: string;
}

export interface DpopExplanation {
  acceptable: boolean;
  /** The proof decoded (not verified), when it is a JWS. */
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  checks: DpopCheckResult[];
  /** The check that refused it, the RS's error code (RFC 9449 §7.1) and why. */
  failed?: { id: string; error: DpopErrorCode; why: string };
}

function decodedOrUndefined(
  jws: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  try {
    return decodeJws(jws.trim());
  } catch {
    return undefined;
  }
}

export function explainDpopProof(i: DpopExplainInput): DpopExplanation {
  const passed = new Set<string>();
  const notChecked = new Map<string, string>();
  const proof = decodedOrUndefined(i.proof.includes(',') ? '' : i.proof);
  let expectedJkt: string | undefined;
  if (i.accessToken === undefined) {
    notChecked.set('DP-13', 'give the access token (--token) to check ath');
    notChecked.set('DP-14', 'give the access token (--token) to check the proof key against its cnf.jkt');
  } else {
    const cnf = decodedOrUndefined(i.accessToken)?.payload.cnf as { jkt?: unknown } | undefined;
    if (typeof cnf?.jkt === 'string') expectedJkt = cnf.jkt;
    else
      notChecked.set(
        'DP-14',
        'the access token names no cnf.jkt (not a DPoP-bound JWT): an RS refuses it as DPoP (DP-21), or must look its binding up (introspection)',
      );
  }
  if (i.nonce === undefined)
    notChecked.set(
      'DP-10',
      typeof proof?.payload.nonce === 'string'
        ? `the proof carries nonce ${JSON.stringify(proof.payload.nonce)}: give the server's current nonce (--nonce) to check it`
        : 'the proof has no nonce: fine unless the server demands one (it then answers use_dpop_nonce with a DPoP-Nonce header, RFC 9449 §9)',
    );
  notChecked.set(
    'DP-12',
    "replay needs the server's memory of the jtis it has seen: a single proof cannot be judged",
  );

  let failed: DpopExplanation['failed'];
  try {
    verifyDpopProof({
      headerValues: i.proof,
      htm: i.method,
      htu: i.url,
      now: i.now ?? Date.now() / 1000,
      ...(i.accessToken !== undefined ? { accessToken: i.accessToken } : {}),
      ...(expectedJkt !== undefined ? { expectedJkt } : {}),
      ...(i.nonce !== undefined ? { nonce: { required: true, isValid: (n: string) => n === i.nonce } } : {}),
      trace: (id) => passed.add(id),
    });
  } catch (e) {
    if (!(e instanceof DpopProofError)) throw e;
    const why = e.check === 'DP-09' ? (htuMismatch(proof?.payload.htu, i.url) ?? e.message) : e.message;
    failed = { id: e.check, error: e.error, why };
  }
  const checks = DPOP_PROOF_CHECKS.map((c): DpopCheckResult => {
    if (failed?.id === c.id) return { ...c, status: 'failed', why: failed.why };
    if (passed.has(c.id)) return { ...c, status: 'passed' };
    const need = notChecked.get(c.id);
    if (need) return { ...c, status: 'not checked', why: need };
    return { ...c, status: 'not reached' };
  });
  return {
    acceptable: failed === undefined,
    ...(proof ? { header: proof.header, claims: proof.payload } : {}),
    checks,
    ...(failed ? { failed } : {}),
  };
}
