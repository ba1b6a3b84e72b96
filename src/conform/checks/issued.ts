/**
 * What the server issued, looked at from outside: a JWT access token's claims (RFC 9068), its
 * binding (`cnf`: RFC 9449 §6, RFC 8705 §3.1) from the JWT or from introspection (RFC 7662), and
 * the verdict on a token issued where the check expected a refusal: bound after all (the client
 * certificate of an mTLS-authenticated client, say) or unbound.
 */
import { peekJws } from '../../core/jws.js';
import type { CheckContext, Sent } from '../context.js';
import { describe } from '../expect.js';
import type { TestClient } from '../parties.js';
import { failed, passed, Skip, type Outcome } from '../types.js';

/** The cnf of an access token: the JWT's claim, else introspection's, else none visible. */
export async function cnfOf(
  ctx: CheckContext,
  c: TestClient,
  accessToken: string,
): Promise<{ cnf?: Record<string, unknown>; from: string; visible: boolean }> {
  const jwt = peekJws(accessToken);
  if (jwt)
    return {
      cnf: jwt.payload.cnf as Record<string, unknown> | undefined,
      from: 'the JWT access token',
      visible: true,
    };
  if (!ctx.metadata.introspection_endpoint)
    return { from: 'nowhere (an opaque token and no introspection endpoint)', visible: false };
  const sent = await ctx.as(c, 'introspection_endpoint', { token: accessToken }, { dpop: false });
  if (sent.response?.status !== 200)
    return { from: `nowhere (introspection → ${describe(sent)})`, visible: false };
  const body = sent.response.json() as Record<string, unknown>;
  return { cnf: body.cnf as Record<string, unknown> | undefined, from: 'introspection', visible: true };
}

/**
 * A token was issued where the check expected a refusal: passed when it is bound all the same
 * (FAPI2-SP §5.3.2.1-4 asks for sender-constrained tokens, by DPoP or mTLS), failed when it is
 * visibly unbound, skipped when fapi cannot see its binding.
 */
export async function issuedAnyway(
  ctx: CheckContext,
  c: TestClient,
  what: string,
  sent: Sent,
): Promise<Outcome> {
  const body = sent.response?.json() as Record<string, unknown>;
  const at = typeof body?.access_token === 'string' ? body.access_token : '';
  const type = JSON.stringify(body?.token_type);
  const { cnf, from, visible } = await cnfOf(ctx, c, at);
  const bound = cnf && (typeof cnf.jkt === 'string' || typeof cnf['x5t#S256'] === 'string');
  if (bound)
    return passed(
      `${what} → ${describe(sent)}, token_type ${type}, bound all the same (cnf.${typeof cnf.jkt === 'string' ? 'jkt' : 'x5t#S256'} in ${from})`,
    );
  if (visible)
    return failed(`${what} → ${describe(sent)}, token_type ${type}, no cnf in ${from}: an unbound token`);
  throw new Skip(
    `${what} → ${describe(sent)}, token_type ${type}; fapi cannot see whether it is bound: ${from}`,
  );
}
