/**
 * Architecture rules (style.md §1): terminal code lives in src/cli only; src/ never imports lab/.
 * Scans the import statements of every source file.
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

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"`]([^'"`]+)['"`]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3]) as string);
  return specs;
}

export function violations(root: string): string[] {
  const problems: string[] = [];
  const srcDir = path.join(root, 'src');
  const cliDir = path.join(srcDir, 'cli');
  const scanned = [...files(srcDir), ...files(path.join(root, 'lab'))];
  for (const file of scanned) {
    const inCli = file.startsWith(cliDir + path.sep);
    const rel = path.relative(root, file);
    const src = readFileSync(file, 'utf8');
    for (const spec of imports(file)) {
      if (!inCli && TERMINAL_MODULES.some((m) => spec === m || spec.startsWith(m + '/')))
        problems.push(`${rel} imports terminal module ${spec}`);
      if (!inCli && spec.includes('/cli/')) problems.push(`${rel} imports CLI code ${spec}`);
      if (file.startsWith(srcDir + path.sep) && !inCli) {
        const resolved = spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : '';
        if (resolved.startsWith(path.join(root, 'lab'))) problems.push(`${rel} imports the lab (${spec})`);
      }
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
      mkdirSync(path.join(dir, 'src', 'core'), { recursive: true });
      mkdirSync(path.join(dir, 'src', 'cli'), { recursive: true });
      mkdirSync(path.join(dir, 'lab'), { recursive: true });
      writeFileSync(
        path.join(dir, 'src', 'core', 'a.ts'),
        "import { Command } from 'commander';\nimport x from '../../lab/server.js';\nprocess.exit(1);\n",
      );
      writeFileSync(
        path.join(dir, 'src', 'cli', 'ok.ts'),
        "import { Command } from 'commander';\nprocess.exit(1);\n",
      );
      writeFileSync(path.join(dir, 'lab', 'b.ts'), "import { select } from '@inquirer/prompts';\n");
      const v = violations(dir);
      expect(v).toContain('src/core/a.ts imports terminal module commander');
      expect(v).toContain('src/core/a.ts imports the lab (../../lab/server.js)');
      expect(v).toContain('src/core/a.ts calls process.exit');
      expect(v).toContain('lab/b.ts imports terminal module @inquirer/prompts');
      expect(v.some((x) => x.startsWith('src/cli/'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
