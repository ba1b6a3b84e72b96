/**
 * `fapi lab fault set NAME...` / `fapi lab fault clear`: the fault injections of the running lab
 * (README "Lab fault switches"), replaced at once through its control API, effective for the next
 * request.
 */
import type { CliContext } from '../../context.js';
import { connectLab, switchLines, type LabSwitchState } from '../../lab-control.js';

async function replace(ctx: CliContext, faults: string[]): Promise<void> {
  const lab = await connectLab(ctx);
  const state = (await lab.control('PUT', '/lab/control/faults', { faults })) as unknown as LabSwitchState;
  ctx.out.result(state, () => [
    faults.length
      ? `${ctx.out.c.yellow('!')} faults on: ${faults.join(' ')}`
      : 'no fault injections: the lab behaves again',
    ...switchLines(state, ctx.out.c),
  ]);
}

export async function set(ctx: CliContext, _opts: unknown, names: string[]): Promise<void> {
  await replace(ctx, names);
}

export async function clear(ctx: CliContext): Promise<void> {
  await replace(ctx, []);
}
