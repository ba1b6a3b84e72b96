/**
 * `fapi lab fail-next ENDPOINT [--error E] [--status N] [--times N] [--client ID]`: the next
 * requests to an endpoint of the running lab answer with that OAuth error (RFC 6749 §5.2; an error
 * redirect at `authorize`), then it is back to normal. `fapi lab delay-next` makes them wait.
 */
import type { CliContext } from '../../context.js';
import { connectLab, switchLines, type LabSwitchState } from '../../lab-control.js';
import { parseIntOption } from '../../options.js';

export interface FailNextOptions {
  error?: string;
  status?: string;
  times?: string;
  client?: string;
  description?: string;
}

const times = (v: string | undefined) =>
  parseIntOption(v, {
    flag: '--times',
    min: 1,
    max: 1000,
    what: 'a number of requests',
    code: 'E_LAB_OPTION',
    example: 1,
  });

export async function run(ctx: CliContext, opts: FailNextOptions, [endpoint]: string[]): Promise<void> {
  const status = parseIntOption(opts.status, {
    flag: '--status',
    min: 400,
    max: 599,
    what: 'an HTTP error status',
    code: 'E_LAB_OPTION',
    example: 503,
  });
  const lab = await connectLab(ctx);
  const state = (await lab.control('POST', '/lab/control/fail-next', {
    endpoint,
    ...(opts.error !== undefined ? { error: opts.error } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(opts.times !== undefined ? { times: times(opts.times) } : {}),
    ...(opts.client !== undefined ? { clientId: opts.client } : {}),
    ...(opts.description !== undefined ? { error_description: opts.description } : {}),
  })) as unknown as LabSwitchState;
  ctx.out.result(state, () => switchLines(state, ctx.out.c));
}

export interface DelayNextOptions {
  ms: string;
  times?: string;
  client?: string;
}

export async function delay(ctx: CliContext, opts: DelayNextOptions, [endpoint]: string[]): Promise<void> {
  const ms = parseIntOption(opts.ms, {
    flag: '--ms',
    min: 0,
    max: 60_000,
    what: 'milliseconds',
    code: 'E_LAB_OPTION',
    example: 2000,
  });
  const lab = await connectLab(ctx);
  const state = (await lab.control('POST', '/lab/control/delay-next', {
    endpoint,
    ms,
    ...(opts.times !== undefined ? { times: times(opts.times) } : {}),
    ...(opts.client !== undefined ? { clientId: opts.client } : {}),
  })) as unknown as LabSwitchState;
  ctx.out.result(state, () => switchLines(state, ctx.out.c));
}
