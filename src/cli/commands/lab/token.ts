/**
 * `fapi lab token --scope S [--dpop-jkt JKT | --x5t S256] [--sub U] [--client-id ID]
 * [--expires-in N]`: a real access token from the running lab (RFC 9068), for testing a resource
 * server without a login. It is printed: that is what it is for.
 */
import { usageError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import { connectLab } from '../../lab-control.js';
import { parseIntOption } from '../../options.js';

export interface LabTokenOptions {
  scope: string;
  dpopJkt?: string;
  x5t?: string;
  sub?: string;
  clientId?: string;
  expiresIn?: string;
  audience?: string;
}

export async function run(ctx: CliContext, opts: LabTokenOptions): Promise<void> {
  if (opts.dpopJkt !== undefined && opts.x5t !== undefined)
    throw usageError('E_LAB_OPTION', '--dpop-jkt and --x5t bind the token to two keys.', 'Give one of them.');
  const expiresIn = parseIntOption(opts.expiresIn, {
    flag: '--expires-in',
    min: 1,
    max: 86_400,
    what: 'a number of seconds',
    code: 'E_LAB_OPTION',
    example: 300,
  });
  const lab = await connectLab(ctx);
  const t = (await lab.control('POST', '/lab/control/token', {
    scope: opts.scope,
    ...(opts.dpopJkt !== undefined ? { dpopJkt: opts.dpopJkt } : {}),
    ...(opts.x5t !== undefined ? { x5tS256: opts.x5t } : {}),
    ...(opts.sub !== undefined ? { sub: opts.sub } : {}),
    ...(opts.clientId !== undefined ? { clientId: opts.clientId } : {}),
    ...(expiresIn !== undefined ? { expiresIn } : {}),
    ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
  })) as {
    accessToken: string;
    tokenType: string;
    expiresIn: number;
    scope: string;
    claims: Record<string, unknown>;
  };
  ctx.out.result(t, () => t.accessToken);
  if (!ctx.json) {
    const cnf = t.claims.cnf as Record<string, string> | undefined;
    const bound = cnf?.jkt
      ? `DPoP key ${cnf.jkt}`
      : cnf?.['x5t#S256']
        ? `certificate ${cnf['x5t#S256']}`
        : 'nothing (a bearer token: the RS refuses it unless relaxed)';
    ctx.out.info(
      `${t.tokenType} token for ${String(t.claims.sub)}, scope ${t.scope}, expires in ${t.expiresIn} s, bound to ${bound}`,
    );
  }
}
