/**
 * `--verbose` narration of the exchanges the core returns: the decoded client assertion and DPoP
 * proof of every attempt, why a retry happened, decoded tokens. Signatures and tokens themselves
 * are never printed; the HTTP trace (src/http/redact.ts) redacts the rest.
 */
import type { Exchange } from '../core/client.js';
import { peekJws } from '../core/jws.js';
import { redacted } from '../http/redact.js';
import type { CliContext } from './context.js';

/** Header and claims of a JWT, or undefined when it is not one (opaque tokens). */
export function decodeJwt(
  token: string,
): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  const d = peekJws(token);
  return d && { header: d.header, claims: d.payload };
}

export function json(v: unknown): string {
  return JSON.stringify(v);
}

/** Shortens an identifier for human lines: "3xG…Qw". */
export function short(v: string, head = 4, tail = 3): string {
  return v.length <= head + tail + 1 ? v : `${v.slice(0, head)}…${v.slice(-tail)}`;
}

export function narrateExchange(ctx: CliContext, ex: Exchange): void {
  if (!ctx.verbose) return;
  const c = ctx.out.errC;
  ex.attempts.forEach((a, i) => {
    const label = `${ex.step}${ex.attempts.length > 1 ? ` attempt ${i + 1}` : ''}`;
    if (a.retry === 'use_dpop_nonce')
      ctx.out.verbose(
        `  ${c.yellow('↻')} ${label}: the server asked for a DPoP nonce; retried with it and a new jti`,
      );
    if (a.retry === 'clock_skew')
      ctx.out.verbose(
        `  ${c.yellow('↻')} ${label}: the server's Date showed a clock skew; retried with corrected iat`,
      );
    if (a.requestObject)
      ctx.out.verbose(
        `  ${label} request object (JAR)  header ${json(a.requestObject.header)}\n      claims ${json(a.requestObject.claims)}`,
      );
    if (a.assertion)
      ctx.out.verbose(
        `  ${label} client assertion  header ${json(a.assertion.header)}\n      claims ${json(a.assertion.claims)}`,
      );
    if (a.dpopProof) {
      const jwk = a.dpopProof.header.jwk as Record<string, unknown> | undefined;
      const header = {
        ...a.dpopProof.header,
        jwk: jwk ? `{kty ${String(jwk.kty)}${jwk.crv ? ` ${String(jwk.crv)}` : ''}}` : undefined,
      };
      ctx.out.verbose(
        `  ${label} DPoP proof  header ${json(header)}\n      claims ${json(a.dpopProof.claims)}`,
      );
    }
  });
}

/** Verbose lines for a token: decoded claims when it is a JWT, else its length. */
export function narrateToken(ctx: CliContext, name: string, token: string | undefined): void {
  if (!ctx.verbose || !token) return;
  const d = decodeJwt(token);
  if (d)
    ctx.out.verbose(
      `  ${name} (JWT, signature not shown)  header ${json(d.header)}\n      claims ${json(d.claims)}`,
    );
  else ctx.out.verbose(`  ${name}: ${redacted(name, token)} (opaque)`);
}

/** "in 5 min", "in 42 s", "2 min ago". */
export function relativeTime(seconds: number): string {
  const abs = Math.abs(seconds);
  const text =
    abs >= 7200
      ? `${Math.round(abs / 3600)} h`
      : abs >= 120
        ? `${Math.round(abs / 60)} min`
        : `${Math.round(abs)} s`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}
