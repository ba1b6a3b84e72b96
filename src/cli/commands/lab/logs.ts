/** `fapi lab logs [-f]`: the lab log (the last --lines lines), following it with -f until Ctrl-C. */
import { promises as fs } from 'node:fs';
import { stateError } from '../../../errors.js';
import { exists } from '../../../store/atomic.js';
import type { CliContext } from '../../context.js';
import { followFile } from '../../follow.js';
import { parseIntOption } from '../../options.js';
import { nextSignal } from '../../signals.js';
import { labHome, labPaths } from '../../../../lab/home.js';

export interface LabLogsOptions {
  follow?: boolean;
  lines?: string;
}

export async function run(ctx: CliContext, opts: LabLogsOptions): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  if (!(await exists(p.log)))
    throw stateError(
      'E_LAB_NO_LOG',
      `There is no lab log in ${p.home} yet.`,
      'Start the lab with `fapi lab up`.',
    );
  const n =
    parseIntOption(opts.lines, {
      flag: '--lines',
      min: 0,
      what: 'a number of lines',
      code: 'E_LAB_LINES',
      example: 100,
    }) ?? 100;
  const text = await fs.readFile(p.log, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  ctx.out.raw((n === 0 ? [] : lines.slice(-n)).map((l) => l + '\n').join(''));
  if (!opts.follow) return;
  const stop = followFile(p.log, Buffer.byteLength(text), (s) => ctx.out.raw(s));
  await nextSignal(['SIGINT']);
  stop();
}
