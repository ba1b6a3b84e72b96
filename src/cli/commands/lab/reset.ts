/** `fapi lab reset`: wipes the lab home (CA, keys, clients, grants, log) after confirmation. */
import { promises as fs } from 'node:fs';
import { stateError } from '../../../errors.js';
import { exists } from '../../../store/atomic.js';
import type { CliContext } from '../../context.js';
import { confirm } from '../../prompt.js';
import { labHome, labPaths } from '../../../../lab/home.js';
import { runningLab } from '../../../../lab/run-file.js';

export interface LabResetOptions {
  yes?: boolean;
}

export async function run(ctx: CliContext, opts: LabResetOptions): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  const info = await runningLab(p);
  if (info)
    throw stateError(
      'E_LAB_RUNNING',
      `The lab is running (pid ${info.pid}); it cannot be reset while it runs.`,
      'Stop it first: `fapi lab down`.',
    );
  if (!(await exists(p.home))) {
    ctx.out.result({ reset: false, home: p.home }, () => `Nothing to reset: ${p.home} does not exist.`);
    return;
  }
  if (!opts.yes) {
    const ok = await confirm(
      ctx,
      `Delete all lab state in ${p.home} (CA, keys, registered clients, grants)?`,
      '--yes',
    );
    if (!ok) {
      ctx.out.result({ reset: false, home: p.home }, () => 'Nothing deleted.');
      return;
    }
  }
  await fs.rm(p.home, { recursive: true, force: true });
  ctx.out.result({ reset: true, home: p.home }, () => [
    `Deleted ${p.home}.`,
    'The next `fapi lab up` creates a new CA: profiles that trusted the old one need the new ca.pem, and clients must register again.',
  ]);
}
