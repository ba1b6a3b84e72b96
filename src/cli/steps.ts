/**
 * The step list of multi-step commands (`fapi login`, `fapi lab attack`): a listr2 task list on an
 * interactive stderr, plain "✔ step  detail" lines otherwise (pipes, CI, --verbose, where a live
 * renderer would garble the trace), nothing with --json. listr2 is imported only when it is used.
 */
import { isFapiError } from '../errors.js';
import type { CliContext } from './context.js';

export interface StepApi {
  /** The text shown after the step name once it is done. */
  detail(text: string): void;
}

export interface Step {
  name: string;
  run(api: StepApi): Promise<void>;
}

const PAD = 14;

/** One line for a failed step: the server's status and error, else the message. */
export function failureSummary(err: unknown): string {
  if (isFapiError(err)) {
    if (err.oauth?.error)
      return `${err.oauth.status ? `${err.oauth.status} ` : ''}${err.oauth.error}${err.oauth.error_description ? `: ${err.oauth.error_description}` : ''}`;
    return err.code;
  }
  return (err as Error)?.message ?? String(err);
}

export async function runSteps(ctx: CliContext, steps: Step[]): Promise<void> {
  // A live renderer needs a real terminal of some width (a pty without a size wraps every character).
  const live = Boolean(ctx.out.stderr.isTTY) && (process.stderr.columns ?? 0) >= 40;
  const mode = ctx.json && !ctx.verbose ? 'silent' : live && !ctx.verbose ? 'listr' : 'plain';
  const c = ctx.out.errC;
  if (mode !== 'listr') {
    for (const step of steps) {
      let detail = '';
      try {
        await step.run({ detail: (t) => (detail = t) });
      } catch (err) {
        if (mode === 'plain')
          ctx.out.stderr.write(`  ${c.red('✖')} ${step.name.padEnd(PAD)} ${failureSummary(err)}\n`);
        throw err;
      }
      if (mode === 'plain') ctx.out.stderr.write(`  ${c.green('✔')} ${step.name.padEnd(PAD)} ${detail}\n`);
    }
    return;
  }
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const stderr = process.stderr;
  const list = new Listr(
    steps.map((step) => ({
      title: step.name,
      task: async (_: unknown, task: { title: string }) => {
        try {
          await step.run({ detail: (t) => (task.title = `${step.name.padEnd(PAD)} ${t}`) });
        } catch (err) {
          task.title = `${step.name.padEnd(PAD)} ${failureSummary(err)}`;
          throw err;
        }
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      // Ctrl-C is main's business (exit 130), not listr2's.
      registerSignalListeners: false,
      renderer: 'default',
      rendererOptions: {
        showErrorMessage: false,
        // Wrap long titles (the authorization URL of --no-browser) instead of cutting them.
        formatOutput: 'wrap',
        collapseErrors: false,
        // Narration belongs on stderr: stdout carries only the command's result.
        logger: new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stderr, stderr) }),
      },
    },
  );
  await list.run();
}
