/**
 * The only module that writes fapi's files. Every write goes to a temp file in the same folder,
 * is fsynced, then renamed over the target, so a crash or a failed command never leaves a
 * half-written file. Secrets are written 0600, folders 0700.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { stateError } from '../errors.js';

export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;
export const DIR_MODE = 0o700;

export async function ensureDir(dir: string, mode = DIR_MODE): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode });
  } catch (cause) {
    throw stateError(
      'E_DIR_CREATE',
      `Cannot create folder ${dir}: ${(cause as Error).message}`,
      'Check the path and its permissions, or choose another with --home.',
      { cause },
    );
  }
}

export interface WriteOptions {
  /** File mode; 0600 unless the content is public. */
  mode?: number;
  /** Fail if the target already exists. */
  exclusive?: boolean;
}

export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? SECRET_FILE_MODE;
  const dir = path.dirname(file);
  await ensureDir(dir);
  if (options.exclusive && (await exists(file))) {
    throw stateError(
      'E_FILE_EXISTS',
      `${file} already exists.`,
      'Pass --force to replace it, or choose another location.',
    );
  }
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, mode);
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, file);
  } catch (cause) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw stateError(
      'E_FILE_WRITE',
      `Cannot write ${file}: ${(cause as Error).message}`,
      'Check the folder exists and is writable.',
      { cause },
    );
  }
  await syncDir(dir);
}

export async function writeJsonAtomic(
  file: string,
  value: unknown,
  options: WriteOptions = {},
): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', options);
}

async function syncDir(dir: string): Promise<void> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, fsc.O_RDONLY);
    await h.sync();
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic.
  } finally {
    await h?.close().catch(() => undefined);
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Reads a file, turning "not found" and permission problems into local-state errors naming it. */
export async function readText(file: string, what = 'file'): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw stateError('E_FILE_MISSING', `The ${what} ${file} does not exist.`, 'Check the path.', { cause });
    throw stateError(
      'E_FILE_READ',
      `Cannot read the ${what} ${file}: ${(cause as Error).message}`,
      'Check its permissions.',
      { cause },
    );
  }
}

/** Reads and parses JSON; a syntax error names the file and the position. */
export async function readJson(file: string, what = 'file'): Promise<unknown> {
  const text = await readText(file, what);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw stateError(
      'E_FILE_CORRUPT',
      `The ${what} ${file} is not valid JSON (${(cause as Error).message}).`,
      'Fix the file by hand, or delete it and recreate it; fapi never overwrites it silently.',
      { cause },
    );
  }
}

export async function removeFile(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}
