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
  /** A live line under the running step (listr2 only; about three updates a second at most). */
  progress(text: string): void;
  /** A line of the step's own story on stderr (plain mode only; see RunStepsOptions.narrated). */
  say(line: string): void;
}

export interface Step {
  name: string;
  /** Shown after the name while the step runs (listr2). */
  running?: string;
  run(api: StepApi): Promise<void>;
}

export interface RunStepsOptions {
  /** Width of the name column (default 14). */
  pad?: number;
  /** Run every step even when some fail, each shown failed; then reject with the first failure. */
  keepGoing?: boolean;
  /** Plain mode: the steps tell their own story (`say`) instead of one "✔ name  detail" line each. */
  narrated?: boolean;
  /** The steps report progress often: listr2 redraws only on change and cuts long lines. */
  frequentUpdates?: boolean;
}

export type StepsMode = 'silent' | 'plain' | 'listr';

/** Ignores live progress updates closer together than this (each redraws the whole list). */
const PROGRESS_MS = 300;

/** How the step list is shown: silent with --json, live on a terminal, plain lines otherwise. */
export function stepsMode(ctx: CliContext): StepsMode {
  // A live renderer needs a real terminal of some width (a pty without a size wraps every character).
  const live = Boolean(ctx.out.stderr.isTTY) && (process.stderr.columns ?? 0) >= 40;
  return ctx.json && !ctx.verbose ? 'silent' : live && !ctx.verbose ? 'listr' : 'plain';
}

/** One line for a failed step: the server's status and error, else the message. */
export function failureSummary(err: unknown): string {
  if (isFapiError(err)) {
    if (err.oauth?.error)
      return `${err.oauth.status ? `${err.oauth.status} ` : ''}${err.oauth.error}${err.oauth.error_description ? `: ${err.oauth.error_description}` : ''}`;
    return err.code;
  }
  return (err as Error)?.message ?? String(err);
}

export async function runSteps(ctx: CliContext, steps: Step[], options: RunStepsOptions = {}): Promise<void> {
  const pad = options.pad ?? 14;
  const mode = stepsMode(ctx);
  const c = ctx.out.errC;
  const failures: unknown[] = [];
  if (mode !== 'listr') {
    const plain = mode === 'plain';
    const say = (line: string) => {
      if (plain && options.narrated) ctx.out.stderr.write(line + '\n');
    };
    for (const step of steps) {
      let detail = '';
      try {
        await step.run({ detail: (t) => (detail = t), progress: () => undefined, say });
      } catch (err) {
        if (plain && !options.narrated)
          ctx.out.stderr.write(`  ${c.red('✖')} ${step.name.padEnd(pad)} ${failureSummary(err)}\n`);
        if (!options.keepGoing) throw err;
        failures.push(err);
        continue;
      }
      if (plain && !options.narrated)
        ctx.out.stderr.write(`  ${c.green('✔')} ${step.name.padEnd(pad)} ${detail}\n`);
    }
    if (failures.length) throw failures[0];
    return;
  }
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const stderr = process.stderr;
  const list = new Listr(
    steps.map((step) => ({
      title: step.running === undefined ? step.name : `${step.name.padEnd(pad)} ${step.running}`,
      task: async (_: unknown, task: { title: string; output: string }) => {
        let shown = 0;
        try {
          await step.run({
            detail: (t) => (task.title = `${step.name.padEnd(pad)} ${t}`),
            progress: (t) => {
              const now = Date.now();
              if (now - shown < PROGRESS_MS) return;
              shown = now;
              task.output = t;
            },
            say: () => undefined,
          });
        } catch (err) {
          task.title = `${step.name.padEnd(pad)} ${failureSummary(err)}`;
          failures.push(err);
          throw err;
        }
      },
    })),
    {
      concurrent: false,
      exitOnError: !options.keepGoing,
      // Ctrl-C is main's business (exit 130), not listr2's.
      registerSignalListeners: false,
      renderer: 'default',
      rendererOptions: {
        showErrorMessage: false,
        // Wrap long titles (the authorization URL of --no-browser) instead of cutting them, unless
        // frequent progress lines would make the list jump.
        formatOutput: options.frequentUpdates ? 'truncate' : 'wrap',
        ...(options.frequentUpdates ? { lazy: true } : {}),
        collapseErrors: false,
        // Narration belongs on stderr: stdout carries only the command's result.
        logger: new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stderr, stderr) }),
      },
    },
  );
  if (options.keepGoing) await list.run().catch(() => undefined);
  else await list.run();
  if (failures.length) throw failures[0];
}
