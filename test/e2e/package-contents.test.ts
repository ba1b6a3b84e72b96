/**
 * What `npm publish` would ship: the CLI, the lab and the templates, built, with the type
 * declarations of the two library entry points (`fapi`, `fapi/lab`: src/public) and of what they
 * reference; not the benchmark, the tests or the TypeScript sources.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the npm package', () => {
  it('ships bin, dist/src, dist/lab (with .d.ts), the --help cache and templates, and nothing else', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const needed of [
      'bin/fapi.js',
      'dist/cli-cache.json',
      'dist/src/cli/main.js',
      'dist/lab/server.js',
      'dist/src/public/index.js',
      'dist/src/public/index.d.ts',
      'dist/src/public/lab.js',
      'dist/src/public/lab.d.ts',
      'dist/lab/control.d.ts',
      'templates/lab.config.json',
      'README.md',
    ])
      expect(files).toContain(needed);
    const stray = files.filter(
      (f) =>
        !/^(bin\/|dist\/(src|lab)\/|dist\/cli-cache\.json$|templates\/|README\.md$|package\.json$)/.test(f),
    );
    expect(stray).toEqual([]);
    // The exports map points at shipped files.
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { types: string; default: string }>;
    };
    for (const target of Object.values(pkg.exports))
      for (const f of typeof target === 'string' ? [target] : [target.types, target.default])
        if (f !== './package.json') expect(files).toContain(f.replace(/^\.\//, ''));
  });
});
