/** `tail -f` for the CLI: print what is appended to a file, polling, until stopped. */
import { promises as fs } from 'node:fs';

/**
 * Polls `file` every `intervalMs` and passes on what was appended after `offset` (from the start
 * again when the file shrank, i.e. was rotated). Returns the function that stops following.
 */
export function followFile(
  file: string,
  offset: number,
  write: (text: string) => void,
  intervalMs = 250,
): () => void {
  let at = offset;
  const timer = setInterval(() => {
    void (async () => {
      const st = await fs.stat(file).catch(() => undefined);
      if (!st) return;
      if (st.size < at) at = 0;
      if (st.size === at) return;
      const h = await fs.open(file, 'r');
      try {
        const buf = Buffer.alloc(st.size - at);
        await h.read(buf, 0, buf.length, at);
        at = st.size;
        write(buf.toString('utf8'));
      } finally {
        await h.close();
      }
    })();
  }, intervalMs);
  return () => clearInterval(timer);
}
