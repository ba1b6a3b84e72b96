/**
 * The fapi command line's entry (bin/fapi.js): parses the arguments with the program of
 * program.ts, and is the one place that turns errors into text and exit codes.
 */
import { ExitCode, isFapiError } from '../errors.js';
import { buildProgram, commander, version } from './program.js';
import type { Command } from 'commander';

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
  // Usage errors look like every other error: the ✖ line and a hint, or with --json one JSON
  // object on stderr. Every command and subcommand uses the same output and exits through main.
  const outputError =
    (command: string) =>
    (str: string, write: (s: string) => void): void => {
      const message = str.replace(/^error: /, '').trim();
      const hint = command
        ? `see \`fapi ${command} --help\`.`
        : 'see `fapi --help` or `fapi <command> --help`.';
      if (json)
        write(
          JSON.stringify({ error: { code: 'E_USAGE', message, hint, exit_code: ExitCode.usage } }) + '\n',
        );
      else write(`✖ ${message}\n  hint: ${hint}\n`);
    };
  const configure = (c: Command, path: string): void => {
    c.exitOverride();
    c.configureOutput({ outputError: outputError(path) });
    for (const sub of c.commands) configure(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  configure(program, '');
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
