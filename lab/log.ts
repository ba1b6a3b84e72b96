/**
 * The lab log: a batched LabLogger over any number of sinks (the terminal, the log file), and the
 * log file itself, `<lab home>/lab.log`, rotated once it grows past LOG_ROTATE_BYTES (one old
 * generation is kept, as lab.log.1).
 */
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import type { LabLogger } from './context.js';

export const LOG_ROTATE_BYTES = 5 * 1024 * 1024;

/** Anything the logger can write to: a stream, or a test's recorder. */
export interface LogSink {
  write(s: string): unknown;
}

/**
 * Request lines are batched: one write per FLUSH_MS instead of one per request (a write per line
 * cost ~40 µs of CPU per request, measured under load); `fapi lab logs -f`
 * sees them at most that late. Warnings and errors, and `flush()`, write at once, so the log stays
 * in order and nothing is lost on shutdown.
 */
const FLUSH_MS = 100;
export function makeLogger(sinks: LogSink[]): LabLogger & { flush(): void } {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending) return;
    const text = pending;
    pending = '';
    for (const sink of sinks) sink.write(text);
  };
  const line = (level: string, s: string) => {
    pending += level === 'info' ? `${s}\n` : `${level}: ${s}\n`;
    if (level !== 'info' || pending.length > 65_536) return flush();
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, FLUSH_MS).unref();
    }
  };
  return {
    info: (s) => line('info', s),
    warn: (s) => line('warning', s),
    error: (s) => line('error', s),
    flush,
  };
}

/** Moves `file` to `file.1` when it is larger than `maxBytes`; nothing when there is no log yet. */
export async function rotateLog(file: string, maxBytes = LOG_ROTATE_BYTES): Promise<void> {
  try {
    const st = await fs.stat(file);
    if (st.size > maxBytes) await fs.rename(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

/** The log file, rotated first, opened for appending (0600). */
export async function openLog(file: string): Promise<WriteStream> {
  await rotateLog(file);
  return createWriteStream(file, { flags: 'a', mode: 0o600 });
}
