/** `fapi lab down`: stops the running lab (SIGTERM, then SIGKILL after 10 s). */
import type { CliContext } from '../../context.js';
import { labHome, labPaths } from '../../../../lab/home.js';
import { runningLab } from '../../../../lab/run-file.js';
import { stopLab } from '../../../../lab/supervise.js';

export async function run(ctx: CliContext): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  const info = await runningLab(p);
  if (!info) {
    ctx.out.result({ stopped: false, running: false }, () => `No lab is running for ${ctx.home}.`);
    return;
  }
  const { forced } = await stopLab(p, info);
  ctx.out.result({ stopped: true, pid: info.pid, forced }, () =>
    forced
      ? `Killed the lab (pid ${info.pid}): it did not stop within 10 s.`
      : `Stopped the lab (pid ${info.pid}).`,
  );
}
