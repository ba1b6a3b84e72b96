/**
 * An endpoint is an ordered list of named checks: each check is one rule in its own
 * file under ./checks/, cited to its spec section and named after its catalogue ID. The first check
 * that throws decides the request; the dashboard shows which one and why.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VerifiedDpop } from '../../src/core/dpop.js';
import type { LabContext } from '../context.js';
import { LabError, asLabError } from '../errors.js';
import type { Form, PeerCertificate } from '../http.js';
import type { ClientAuthMethod, LabClient } from '../model.js';

export interface Check<S> {
  /** Catalogue ID (e.g. PAR-11), or a short tag for plumbing rules (FORM). */
  id: string;
  /** What the rule enforces, in a few words (kebab-case). */
  name: string;
  /** The spec section the rule comes from. */
  spec: string;
  /** Throws to refuse; returns 'skip' when the rule did not apply to this request. */
  run(s: S): void | 'skip' | Promise<void | 'skip'>;
}

export const defineCheck = <S>(c: Check<S>): Check<S> => c;

/** What every back-channel AS endpoint check can use. */
export interface AsExchange {
  ctx: LabContext;
  req: FastifyRequest;
  reply: FastifyReply;
  form: Form;
  /** The verified DPoP proof, when one was sent (set by dpop-proof). */
  dpop?: VerifiedDpop;
  /** The authenticated client (set by client-authentication). */
  client?: AuthenticatedClient;
}

export interface AuthenticatedClient {
  client: LabClient;
  method: ClientAuthMethod;
  /** The TLS client certificate, when one was presented (mTLS listener). */
  cert?: PeerCertificate;
}

/** The authenticated client; only for checks listed after client-authentication. */
export function clientOf(s: { client?: AuthenticatedClient }): AuthenticatedClient {
  if (!s.client) throw new Error('internal: check ordering: client-authentication must run first');
  return s.client;
}

/**
 * Runs the checks in order; the first refusal carries the ID of the check that made it. Only a
 * check that returns a promise is awaited: synchronous ones cost no microtask (the token endpoint
 * is load-tested: bench row 5a).
 */
export async function runChecks<S extends { req: FastifyRequest; ctx: LabContext }>(
  s: S,
  checks: readonly Check<S>[],
): Promise<void> {
  for (const c of checks) {
    let result: void | 'skip';
    try {
      const r = c.run(s);
      result = r instanceof Promise ? await r : r;
    } catch (e) {
      const le = asLabError(e, { nonce: () => s.ctx.nonces.as.current() });
      if (le instanceof LabError && !le.check) le.check = c.id;
      throw le;
    }
    if (result !== 'skip') s.req.lab.passed.push(c.id);
  }
}
