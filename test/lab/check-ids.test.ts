/**
 * Every check the lab runs is named after a catalogue ID, and every such ID has a test that says
 * so in its title (the full name: describe blocks included), so a reviewer can go from a refusal
 * in the dashboard to the test that proves it. The IDs come from the endpoint tables and from every
 * check exported under lab/as/checks and lab/rs/checks (some run from inline lists).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUTHORIZE_CHECKS } from '../../lab/as/authorize.js';
import { PAR_CHECKS } from '../../lab/as/par.js';
import { METADATA_CHECKS } from '../../lab/as/registration.js';
import { TOKEN_MANAGEMENT_CHECKS } from '../../lab/as/token-lookup.js';
import { CLIENT_CREDENTIALS_CHECKS, CODE_CHECKS, REFRESH_CHECKS, TOKEN_CHECKS } from '../../lab/as/token.js';
import { RS_CHECKS } from '../../lab/rs/pipeline.js';
import { ROOT } from '../helpers/cli.js';

/** Check IDs that need no test title of their own, each with the reason. Keep it short. */
const NO_TITLE: Readonly<Record<string, string>> = {
  FORM: 'a plumbing tag, not a catalogue ID (form-encoded body, no repeated parameter); refused in par-authorize.test.ts ("repeated parameters") and robustness.test.ts',
};

const TABLES = {
  PAR_CHECKS,
  AUTHORIZE_CHECKS,
  TOKEN_CHECKS,
  CODE_CHECKS,
  REFRESH_CHECKS,
  CLIENT_CREDENTIALS_CHECKS,
  METADATA_CHECKS,
  TOKEN_MANAGEMENT_CHECKS,
  RS_CHECKS,
};

/** `DP-01..16` stands for DP-01 to DP-16. */
export function expandId(id: string): string[] {
  const range = /^([A-Z]+)-(\d+)\.\.(\d+)$/.exec(id);
  if (!range) return [id];
  const [, prefix, from, to] = range as unknown as [string, string, string, string];
  const out: string[] = [];
  for (let n = Number(from); n <= Number(to); n++)
    out.push(`${prefix}-${String(n).padStart(from.length, '0')}`);
  return out;
}

async function checkIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const table of Object.values(TABLES))
    for (const c of table) for (const id of expandId(c.id)) ids.add(id);
  for (const dir of ['lab/as/checks', 'lab/rs/checks']) {
    for (const file of sourceFiles(path.join(ROOT, dir))) {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const v of Object.values(mod)) {
        if (v && typeof v === 'object' && 'id' in v && 'run' in v && typeof v.id === 'string')
          for (const id of expandId(v.id)) ids.add(id);
      }
    }
  }
  return ids;
}

/** The .ts files under `dir`, subfolders included (checks may be grouped, e.g. checks/client-auth/). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

/** The titles of it/test/describe blocks (the literal text of template titles). */
export function titles(source: string): string[] {
  const re = /\b(?:it|test|describe)(?:\.\w+(?:\([^)]*\))?)*\(\s*(['"`])((?:\\.|(?!\1)[\s\S])*?)\1/g;
  return [...source.matchAll(re)].map((m) => m[2] as string);
}

/** `DP-1` is not in "DP-12 …", nor `RS-0` in "RS-04". */
export const titleNames = (title: string, id: string) =>
  new RegExp(`(^|[^A-Z0-9-])${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9])`).test(title);

describe('lab check IDs', () => {
  it('every check ID of the lab appears in at least one test title', async () => {
    const ids = await checkIds();
    expect(ids.size).toBeGreaterThan(30);
    const self = path.join(ROOT, 'test/lab/check-ids.test.ts');
    const all = testFiles(path.join(ROOT, 'test'))
      .filter((f) => f !== self)
      .flatMap((f) => titles(readFileSync(f, 'utf8')));
    const untested = [...ids].filter((id) => !(id in NO_TITLE) && !all.some((t) => titleNames(t, id)));
    expect(untested).toEqual([]);
    // An allow-list entry that a check no longer uses, or that a test now names, goes.
    const stale = Object.keys(NO_TITLE).filter((id) => !ids.has(id) || all.some((t) => titleNames(t, id)));
    expect(stale).toEqual([]);
  });

  it('the matching can fail: ranges expand, titles are found, an ID must stand alone', () => {
    expect(expandId('DP-01..03')).toEqual(['DP-01', 'DP-02', 'DP-03']);
    expect(expandId('TK-05')).toEqual(['TK-05']);
    expect(titles("it('TK-05 refuses', …); describe(`RS-04: ${x}`, …); it.each([1])('MT-07 x', …)")).toEqual([
      'TK-05 refuses',
      'RS-04: ${x}',
      'MT-07 x',
    ]);
    expect(titleNames('DP-12: replay', 'DP-12')).toBe(true);
    expect(titleNames('PAR-17/DP-10 nonce', 'DP-10')).toBe(true);
    expect(titleNames('DP-12: replay', 'DP-1')).toBe(false);
    expect(titleNames('XDP-12', 'DP-12')).toBe(false);
    expect(titleNames('REG-01..07', 'REG-05')).toBe(false);
  });
});
