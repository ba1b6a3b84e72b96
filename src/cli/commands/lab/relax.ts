/**
 * `fapi lab relax set NAME...` / `fapi lab relax clear`: the relaxations of the running lab
 * (README "The lab"), replaced at once through its control API, effective for the next request.
 */
import type { CliContext } from '../../context.js';
import { connectLab, switchLines, type LabSwitchState } from '../../lab-control.js';

async function replace(ctx: CliContext, relaxations: string[]): Promise<void> {
  const lab = await connectLab(ctx);
  const state = (await lab.control('PUT', '/lab/control/relaxations', {
    relaxations,
  })) as unknown as LabSwitchState;
  ctx.out.result(state, () => [
    relaxations.length
      ? `${ctx.out.c.yellow('!')} relaxed: ${relaxations.join(' ')} (not FAPI 2.0 conformant)`
      : 'no relaxations: strict FAPI 2.0 again',
    ...switchLines(state, ctx.out.c),
  ]);
}

export async function set(ctx: CliContext, _opts: unknown, names: string[]): Promise<void> {
  await replace(ctx, names);
}

export async function clear(ctx: CliContext): Promise<void> {
  await replace(ctx, []);
}
