import { describe, expect, it } from 'vitest';
import { randomToken } from '../../../src/core/random.js';

describe('randomToken (pooled CSPRNG identifiers)', () => {
  it('gives base64url strings of the requested entropy', () => {
    expect(randomToken(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomToken(5000)).toHaveLength(Math.ceil((5000 * 4) / 3));
  });
  it('never repeats a value, across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(randomToken(24)); // ~29 refills of the 4 KiB pool
    expect(seen.size).toBe(5000);
  });
  it('hands out no zero-filled (already used) bytes at a refill boundary', () => {
    // A used byte is zeroed; a value made only of zeros would mean the pool was read twice.
    for (let i = 0; i < 2000; i++) expect(randomToken(32)).not.toBe('A'.repeat(43));
  });
});

describe('one random-value helper', () => {
  it('src and lab make base64url random values only through randomToken', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const root = path.resolve(import.meta.dirname, '../../..');
    const files = (dir: string): string[] =>
      readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? files(path.join(dir, e.name))
          : e.name.endsWith('.ts')
            ? [path.join(dir, e.name)]
            : [],
      );
    const copies = [...files('src'), ...files('lab')]
      .filter((f) => f !== path.join('src', 'core', 'random.ts'))
      .filter((f) =>
        /random(?:Bytes|FillSync)\([^)]*\)\s*\.\s*toString\(\s*'base64url'/.test(
          readFileSync(path.join(root, f), 'utf8'),
        ),
      );
    expect(copies).toEqual([]);
  });
});
