/**
 * Architecture rules: the layers of MAY_IMPORT (an upward import fails), a pure src/core (no I/O
 * modules), and terminal code in src/cli only. Scans the import statements of every source file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const TERMINAL_MODULES = [
  'commander',
  '@inquirer/prompts',
  'listr2',
  'chalk',
  'picocolors',
  'kleur',
  'ansi-colors',
  'colorette',
];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|js|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

function imports(file: string): { spec: string; typeOnly: boolean }[] {
  const src = readFileSync(file, 'utf8');
  const specs: { spec: string; typeOnly: boolean }[] = [];
  const re =
    /(import|export)\s(type\s)?[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"`]([^'"`]+)['"`]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) {
    specs.push({ spec: (m[3] ?? m[4] ?? m[5]) as string, typeOnly: Boolean(m[2]) });
  }
  return specs;
}

/**
 * The layers, lowest first. A folder (or file) may import only from the entries listed for it;
 * anything not listed is an upward or sideways import and fails. Type-only imports are allowed
 * where TYPE_ONLY says so (core describes the HTTP seam it is given, but never loads it).
 */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'src/errors.ts': [],
  'src/core': ['src/core', 'src/errors.ts'],
  'src/http': ['src/http', 'src/errors.ts'],
  'src/keys': ['src/keys', 'src/core', 'src/errors.ts'],
  'src/store': ['src/store', 'src/keys', 'src/core', 'src/errors.ts'],
  'src/attacks': ['src/attacks', 'src/core', 'src/keys', 'src/http', 'src/store', 'src/errors.ts'],
  'src/conform': [
    'src/conform',
    'src/attacks',
    'src/core',
    'src/keys',
    'src/http',
    'src/store',
    'src/errors.ts',
  ],
  lab: ['lab', 'src/attacks', 'src/core', 'src/keys', 'src/http', 'src/store', 'src/errors.ts'],
  // The package's public entry points (`fapi`, `fapi/lab`): over the lab and the protocol layers,
  // never the CLI (a library loads no terminal code).
  'src/public': ['src/public', 'lab', 'src/core', 'src/keys', 'src/http', 'src/store', 'src/errors.ts'],
  'src/cli': [
    'src/cli',
    'lab',
    'src/conform',
    'src/attacks',
    'src/core',
    'src/keys',
    'src/http',
    'src/store',
    'src/errors.ts',
  ],
};
const TYPE_ONLY: Readonly<Record<string, readonly string[]>> = {
  'src/core': ['src/http/client.ts'],
};
/** Node modules that do I/O: src/core is pure protocol and touches none of them. */
const IO_MODULES = /^node:(fs|http|https|http2|net|tls|child_process|dgram|readline|worker_threads)(\/|$)/;

/** The entry of MAY_IMPORT that governs `rel` (the longest matching folder or file). */
function layerOf(rel: string): string | undefined {
  let best: string | undefined;
  for (const k of Object.keys(MAY_IMPORT)) {
    if ((rel === k || rel.startsWith(k + '/')) && (!best || k.length > best.length)) best = k;
  }
  return best;
}

export function violations(root: string): string[] {
  const problems: string[] = [];
  const srcDir = path.join(root, 'src');
  const cliDir = path.join(srcDir, 'cli');
  const scanned = [...files(srcDir), ...files(path.join(root, 'lab'))];
  for (const file of scanned) {
    const inCli = file.startsWith(cliDir + path.sep);
    const rel = path.relative(root, file).split(path.sep).join('/');
    const layer = layerOf(rel);
    const src = readFileSync(file, 'utf8');
    if (!layer) problems.push(`${rel} is in no layer of MAY_IMPORT`);
    for (const { spec, typeOnly } of imports(file)) {
      if (!inCli && TERMINAL_MODULES.some((m) => spec === m || spec.startsWith(m + '/')))
        problems.push(`${rel} imports terminal module ${spec}`);
      if (layer === 'src/core' && IO_MODULES.test(spec)) problems.push(`${rel} does I/O (${spec})`);
      if (!spec.startsWith('.') || !layer) continue;
      const target = path
        .relative(root, path.resolve(path.dirname(file), spec))
        .split(path.sep)
        .join('/')
        .replace(/\.js$/, '.ts');
      const targetLayer = layerOf(target);
      if (targetLayer && MAY_IMPORT[layer]?.includes(targetLayer)) continue;
      if (typeOnly && TYPE_ONLY[layer]?.includes(target)) continue;
      problems.push(
        `${rel} imports ${target}: ${layer} may not import ${targetLayer ?? 'outside the layers'}`,
      );
    }
    if (!inCli && /\bprocess\.exit\s*\(/.test(src)) problems.push(`${rel} calls process.exit`);
    if (!inCli && /\bconsole\.(log|error|warn|info)\s*\(/.test(src))
      problems.push(`${rel} writes to the console`);
  }
  return problems;
}

describe('architecture', () => {
  it('keeps terminal code in src/cli and the lab out of src', () => {
    expect(violations(ROOT)).toEqual([]);
  });

  it('detects a violation (the rule can fail)', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-arch-'));
    try {
      for (const d of ['src/core', 'src/cli', 'src/keys', 'src/store', 'src/http', 'src/attacks', 'lab'])
        mkdirSync(path.join(dir, d), { recursive: true });
      const write = (f: string, text: string) => writeFileSync(path.join(dir, f), text);
      write(
        'src/core/a.ts',
        [
          "import { Command } from 'commander';",
          "import x from '../../lab/server.js';",
          "import { readFileSync } from 'node:fs';",
          "import type { HttpClient } from '../http/client.js';",
          "import { formBody } from '../http/client.js';",
          "import { saveProfile } from '../store/profile.js';",
          'process.exit(1);',
          '',
        ].join('\n'),
      );
      write('src/keys/k.ts', "import { writeJsonAtomic } from '../store/atomic.js';\n");
      write('src/attacks/s.ts', "import { startLab } from '../../lab/server.js';\n");
      write('src/stray.ts', 'export const x = 1;\n');
      write(
        'src/cli/ok.ts',
        "import { Command } from 'commander';\nimport x from '../../lab/server.js';\nprocess.exit(1);\n",
      );
      write(
        'lab/b.ts',
        "import { select } from '@inquirer/prompts';\nimport { run } from '../src/cli/main.js';\n",
      );
      const v = violations(dir);
      expect(v).toContain('src/core/a.ts imports terminal module commander');
      expect(v).toContain('src/core/a.ts imports lab/server.ts: src/core may not import lab');
      expect(v).toContain('src/core/a.ts does I/O (node:fs)');
      expect(v).toContain('src/core/a.ts imports src/http/client.ts: src/core may not import src/http');
      expect(v.filter((x) => x.includes('src/http/client.ts'))).toHaveLength(1); // the type import is allowed
      expect(v).toContain('src/core/a.ts imports src/store/profile.ts: src/core may not import src/store');
      expect(v).toContain('src/core/a.ts calls process.exit');
      expect(v).toContain('src/keys/k.ts imports src/store/atomic.ts: src/keys may not import src/store');
      expect(v).toContain('src/attacks/s.ts imports lab/server.ts: src/attacks may not import lab');
      expect(v).toContain('src/stray.ts is in no layer of MAY_IMPORT');
      expect(v).toContain('lab/b.ts imports terminal module @inquirer/prompts');
      expect(v).toContain('lab/b.ts imports src/cli/main.ts: lab may not import src/cli');
      expect(v.some((x) => x.startsWith('src/cli/'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
