/** The CLI shell: help, version, usage errors, the JSON error object, and local-state errors. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fapi, tempHome } from '../helpers/cli.js';

const home = tempHome();
afterAll(() => home.cleanup());

describe('fapi shell', () => {
  it('prints help and version with exit 0', async () => {
    const h = await fapi(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: fapi');
    expect(h.stdout).toContain('--home <dir>');
    const v = await fapi(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on a usage error, naming the problem and without a stack', async () => {
    const r = await fapi(['--bogus-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus-flag'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const c = await fapi(['no-such-command']);
    expect(c.code).toBe(2);
  });

  it('a usage error in a subcommand has the ✖ line and a hint naming that command; with --json one JSON object', async () => {
    const r = await fapi(['register', '--auth', 'client_secret_basic']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✖ option '--auth <method>' argument 'client_secret_basic' is invalid/);
    expect(r.stderr).toContain('hint: see `fapi register --help`.');
    expect(r.stderr).not.toContain('error:');
    const j = await fapi(['--json', 'lab', 'up', '--fault', 'nope']);
    expect(j.code).toBe(2);
    expect(j.stdout).toBe('');
    expect(JSON.parse(j.stderr)).toMatchObject({
      error: { code: 'E_USAGE', exit_code: 2, hint: 'see `fapi lab up --help`.' },
    });
  });

  it('exits 3 for a missing profile, with a hint, and as one JSON object on stderr with --json', async () => {
    const r = await fapi(['--home', home.dir, 'profile', 'show']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('There is no profile "default"');
    expect(r.stderr).toContain('hint:');
    const j = await fapi(['--home', home.dir, '--json', 'profile', 'show']);
    expect(j.code).toBe(3);
    expect(j.stdout).toBe('');
    const parsed = JSON.parse(j.stderr) as { error: { code: string; message: string; hint: string } };
    expect(parsed.error.code).toBe('E_PROFILE_MISSING');
    expect(parsed.error.hint).toMatch(/fapi keygen/);
  });

  it('exits 3 naming the file and field of a hand-edited profile, and leaves it untouched', async () => {
    const dir = path.join(home.dir, 'profiles', 'broken');
    mkdirSync(dir, { recursive: true });
    const bad = JSON.stringify({
      version: 1,
      name: 'broken',
      issuer: 'http://insecure.example',
      created_at: 'x',
      updated_at: 'x',
    });
    writeFileSync(path.join(dir, 'profile.json'), bad);
    const r = await fapi(['--home', home.dir, '--profile', 'broken', 'profile', 'show']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(path.join(dir, 'profile.json'));
    expect(r.stderr).toContain('$.issuer must be an https URL');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(dir, 'profile.json'), 'utf8')).toBe(bad);
    writeFileSync(path.join(dir, 'profile.json'), '{ not json');
    const j = await fapi(['--home', home.dir, '--profile', 'broken', 'profile', 'show']);
    expect(j.code).toBe(3);
    expect(j.stderr).toContain('is not valid JSON');
  });

  it('refuses a confirmation prompt without a TTY (exit 2 naming the flag)', async () => {
    const dir = path.join(home.dir, 'profiles', 'victim');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'profile.json'),
      JSON.stringify({ version: 1, name: 'victim', created_at: 'x', updated_at: 'x' }),
    );
    const r = await fapi(['--home', home.dir, 'profile', 'delete', 'victim']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    const ok = await fapi(['--home', home.dir, '--json', 'profile', 'delete', 'victim', '--yes']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ deleted: 'victim' });
  });
});

describe('start-up fast path', () => {
  it('answers --help and --version from the build-time cache, identical to what commander prints', async () => {
    const { buildProgram } = await import('../../src/cli/main.js');
    const live = buildProgram();
    live.configureOutput({ getOutHelpWidth: () => 80 });
    const { readFileSync } = await import('node:fs');
    const { ROOT } = await import('../helpers/cli.js');
    const cache = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'cli-cache.json'), 'utf8')) as {
      help: string;
      version: string;
    };
    expect(cache.help).toBe(live.helpInformation());
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(cache.version).toBe(pkg.version);
    expect((await fapi(['--help'])).stdout).toBe(cache.help);
    expect((await fapi(['-V'])).stdout.trim()).toBe(pkg.version);
  });
});
