/**
 * Option values that may name a file: `VALUE`, `@FILE` (read as UTF-8) or `@-` (standard input),
 * as curl's `-d` does. Used by `fapi call -d` and `--authorization-details`.
 */
import { readFile } from 'node:fs/promises';
import { stateError } from '../errors.js';

export async function readAtArgument(
  value: string,
  o: { flag: string; code: string; stdin: NodeJS.ReadableStream },
): Promise<string> {
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of o.stdin) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw stateError(
      o.code,
      `Cannot read ${file} for ${o.flag}: ${(cause as Error).message}.`,
      'Check the path after @.',
      {
        cause,
      },
    );
  }
}
