/**
 * Start-up stays fast because heavy modules load lazily: `fapi --help` and `fapi --version` resolve
 * none of jose, node-forge, @peculiar/x509, listr2, @inquirer/prompts or fastify, and
 * `fapi keygen --cert` loads no PKCS#12 or X.509 library. A preloaded resolve hook records every
 * module the real binary resolves; the positive control shows the hook sees a lazy import.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, tempHome } from '../helpers/cli.js';

const tmp = tempHome('fapi-lazy-');
afterAll(() => tmp.cleanup());
const HOOK = pathToFileURL(path.join(ROOT, 'test', 'helpers', 'record-imports.mjs')).href;
const HEAVY = [
  'jose',
  'node-forge',
  '@peculiar/x509',
  'reflect-metadata',
  'listr2',
  '@inquirer/prompts',
  'fastify',
];

let n = 0;
/** The packages under node_modules that `fapi ...args` resolved. */
function packagesLoaded(args: string[]): { code: number; packages: string[]; modules: string[] } {
  const log = path.join(tmp.dir, `imports-${n++}.log`);
  rmSync(log, { force: true });
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', FAPI_TEST_IMPORT_LOG: log },
    encoding: 'utf8',
  });
  const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const packages = new Set<string>();
  for (const url of modules) {
    const m = url.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (m) packages.add(m[1] as string);
  }
  return { code: r.status ?? 1, packages: [...packages].sort(), modules };
}

describe('lazy imports', () => {
  it('fapi --help and fapi --version load none of the heavy modules', () => {
    // The top-level --help and --version come from the build-time cache: not even the CLI loads.
    for (const args of [['--help'], ['--version']]) {
      const r = packagesLoaded(args);
      expect(r.code).toBe(0);
      expect(r.modules.some((u) => u.includes('/dist/src/'))).toBe(false);
      expect(r.packages).toEqual([]);
    }
    // Command help goes through the CLI (commander is required as CommonJS, so this ESM hook does
    // not list it): still nothing heavy.
    for (const args of [
      ['keygen', '--help'],
      ['--help', '--no-color'],
    ]) {
      const r = packagesLoaded(args);
      expect(r.code).toBe(0);
      expect(r.modules.some((u) => u.endsWith('/dist/src/cli/main.js'))).toBe(true);
      for (const h of HEAVY) expect(r.packages).not.toContain(h);
      expect(r.modules.some((u) => u.includes('/dist/src/keys/'))).toBe(false);
    }
  });

  it('fapi keygen --cert loads no third-party crypto library; --p12 loads node-forge (the hook sees lazy imports)', () => {
    const plain = packagesLoaded(['--home', path.join(tmp.dir, 'h1'), '--json', 'keygen', '--cert']);
    expect(plain.code).toBe(0);
    expect(plain.modules.some((u) => u.endsWith('/dist/src/keys/x509.js'))).toBe(true);
    for (const h of HEAVY) expect(plain.packages).not.toContain(h);
    const p12 = packagesLoaded([
      '--home',
      path.join(tmp.dir, 'h2'),
      '--json',
      'keygen',
      '--cert',
      '--p12',
      '--p12-password',
      'pw',
      '--out',
      path.join(tmp.dir, 'o2'),
    ]);
    expect(p12.code).toBe(0);
    expect(p12.packages).toContain('node-forge');
    for (const h of HEAVY.filter((x) => x !== 'node-forge')) expect(p12.packages).not.toContain(h);
  });
});
