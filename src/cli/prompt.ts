/** Prompts, loaded lazily, and only ever used when ctx.interactive (a TTY and no CI). */
import { usageError } from '../errors.js';
import type { CliContext } from './context.js';

export async function confirm(ctx: CliContext, message: string, flag: string): Promise<boolean> {
  if (!ctx.interactive)
    throw usageError(
      'E_CONFIRM_NEEDED',
      `${message} needs confirmation, and this is not an interactive terminal.`,
      `Pass ${flag} to confirm.`,
    );
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: false }, { output: process.stderr });
}

export async function input(ctx: CliContext, message: string, flag: string, def?: string): Promise<string> {
  if (!ctx.interactive)
    throw usageError('E_MISSING_OPTION', `Missing a value: ${message}.`, `Pass ${flag}.`, { flag });
  const { input: ask } = await import('@inquirer/prompts');
  return ask({ message, default: def }, { output: process.stderr });
}

export async function password(ctx: CliContext, message: string, flag: string): Promise<string> {
  if (!ctx.interactive)
    throw usageError('E_MISSING_OPTION', `Missing a value: ${message}.`, `Pass ${flag}.`, { flag });
  const { password: ask } = await import('@inquirer/prompts');
  return ask({ message, mask: '*' }, { output: process.stderr });
}

export async function select<T extends string>(
  ctx: CliContext,
  message: string,
  flag: string,
  choices: { value: T; name?: string; description?: string }[],
  def?: T,
): Promise<T> {
  if (!ctx.interactive)
    throw usageError('E_MISSING_OPTION', `Missing a value: ${message}.`, `Pass ${flag}.`, { flag });
  const { select: ask } = await import('@inquirer/prompts');
  return ask<T>({ message, choices, default: def }, { output: process.stderr });
}
