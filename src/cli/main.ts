/**
 * The fapi command line's entry (bin/fapi.js): parses the arguments with the program of
 * program.ts, and is the one place that turns errors into text and exit codes.
 */
import { ExitCode, isFapiError } from '../errors.js';
import { buildProgram, commander, version } from './program.js';

export { buildProgram };

export function printError(err: unknown, json: boolean): number {
  const stderr = process.stderr;
  if (isFapiError(err)) {
    if (json) {
      stderr.write(JSON.stringify({ error: err.toJSON() }) + '\n');
    } else {
      const color = Boolean(stderr.isTTY) && !process.env.NO_COLOR && !process.argv.includes('--no-color');
      const red = (s: string) => (color ? `\u001b[31m${s}\u001b[39m` : s);
      const lines = [`${red('✖')} ${err.message}`];
      if (err.oauth?.error) {
        lines.push(
          `  server said: ${err.oauth.status ? `HTTP ${err.oauth.status} ` : ''}${err.oauth.error}${err.oauth.error_description ? `: ${err.oauth.error_description}` : ''}`,
        );
      }
      if (err.hint) lines.push(`  hint: ${err.hint}`);
      stderr.write(lines.join('\n') + '\n');
    }
    return err.exitCode;
  }
  if (err instanceof commander.CommanderError) {
    // commander already printed its message.
    return err.exitCode === 0 ? 0 : ExitCode.usage;
  }
  const e = err as Error;
  if (e && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) {
    return ExitCode.interrupted;
  }
  if (json) {
    stderr.write(
      JSON.stringify({
        error: {
          code: 'E_INTERNAL',
          message: String(e?.message ?? e),
          hint: 'This is a bug in fapi; please report it with the command you ran.',
          exit_code: 1,
        },
      }) + '\n',
    );
  } else {
    stderr.write(
      `✖ internal error: ${e?.stack ?? String(e)}\n  hint: this is a bug in fapi; please report it with the command you ran.\n`,
    );
  }
  return ExitCode.internal;
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const onSigint = () => {
    process.stderr.write('\ninterrupted\n');
    process.exit(ExitCode.interrupted);
  };
  process.once('SIGINT', onSigint);
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({
    outputError: (str, write) =>
      write(
        str.replace(/^error: /, '✖ ') +
          (str.includes('hint:') ? '' : '  hint: see `fapi --help` or `fapi <command> --help`.\n'),
      ),
  });
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const s of sub.commands) s.exitOverride();
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = printError(err, json);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * The text of `fapi --help` and `fapi --version`, rendered from this program at build time
 * (scripts/cli-cache.mjs) so bin/fapi.js can print them without loading the CLI. A test checks it
 * equals what commander prints.
 */
export function renderCache(): { version: string; help: string; columns: number } {
  const program = buildProgram();
  program.configureOutput({ getOutHelpWidth: () => 80 });
  return { version: version(), help: program.helpInformation(), columns: 80 };
}
