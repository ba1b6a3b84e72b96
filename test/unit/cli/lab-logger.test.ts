import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeLogger, openLog, rotateLog } from '../../../lab/log.js';

describe('lab logger batching', () => {
  afterEach(() => vi.useRealTimers());
  it('batches request lines into one write, and writes warnings and errors at once, in order', () => {
    vi.useFakeTimers();
    const writes: string[] = [];
    const log = makeLogger([{ write: (s: string) => writes.push(s) }]);
    log.info('a');
    log.info('b');
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(writes).toEqual(['a\nb\n']);
    log.info('c');
    log.warn('w');
    expect(writes).toEqual(['a\nb\n', 'c\nwarning: w\n']);
    log.info('d');
    log.flush();
    expect(writes.at(-1)).toBe('d\n');
    vi.advanceTimersByTime(200);
    expect(writes).toHaveLength(3);
  });
});

describe('lab log rotation', () => {
  it('moves a log past the limit to .1, once, and leaves a small or missing log alone', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-log-'));
    try {
      const file = path.join(dir, 'lab.log');
      await rotateLog(file, 10); // no log yet
      writeFileSync(file, 'short\n');
      await rotateLog(file, 10);
      expect(readFileSync(file, 'utf8')).toBe('short\n');
      writeFileSync(file, 'a line longer than ten bytes\n');
      await rotateLog(file, 10);
      expect(existsSync(file)).toBe(false);
      expect(readFileSync(`${file}.1`, 'utf8')).toBe('a line longer than ten bytes\n');
      const log = await openLog(file);
      await new Promise<void>((r) => log.end('new\n', r));
      expect(readFileSync(file, 'utf8')).toBe('new\n');
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
