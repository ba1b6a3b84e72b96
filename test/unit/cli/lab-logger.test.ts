import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeLogger } from '../../../src/cli/commands/lab.js';

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
