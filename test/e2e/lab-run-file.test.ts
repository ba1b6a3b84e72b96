/**
 * The lab's run file between real processes: `fapi lab up --registration-token T --detach` records
 * what `fapi init --lab` needs (issuer, CA, the REG-13 initial access token) and what `fapi lab
 * status` reports, and nothing in between is written by hand.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labPaths } from '../../lab/home.js';
import { readRunFile, writeRunFile } from '../../lab/run-file.js';
import { fapi, tempHome, type RunResult } from '../helpers/cli.js';

const home = tempHome('fapi-lab-run-');
const paths = labPaths(path.join(home.dir, 'lab'));
const TOKEN = 'lab-run-file-iat';
afterAll(async () => {
  await fapi(['--home', home.dir, 'lab', 'down']);
  home.cleanup();
});

const run = (args: string[]) => fapi(['--home', home.dir, ...args]);
const ok = (r: RunResult) => expect(r.code, r.stderr).toBe(0);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of arbitrary profile JSON
type Loose = Record<string, any>;
const profile = (name: string) =>
  JSON.parse(readFileSync(path.join(home.dir, 'profiles', name, 'profile.json'), 'utf8')) as Loose;

describe('the lab run file', () => {
  it('REG-13: `lab up --registration-token T` then `init --lab` registers with T; without T the lab refuses', async () => {
    const up = await run(['--json', 'lab', 'up', '--port', '0', '--detach', '--registration-token', TOKEN]);
    ok(up);
    const info = JSON.parse(up.stdout) as { issuer: string; ca: string };
    // The token is in the run file, which only its owner can read, and never on stdout.
    expect(up.stdout).not.toContain(TOKEN);
    expect(statSync(paths.run).mode & 0o777).toBe(0o600);
    const read = await readRunFile(paths);
    expect(read).toMatchObject({ info: { registration_token: TOKEN } });
    // The detached lab got the token through its environment: its command line (what `ps` shows to
    // every local user) does not carry it.
    if ('info' in read && process.platform === 'linux')
      expect(readFileSync(`/proc/${read.info.pid}/cmdline`, 'utf8')).not.toContain(TOKEN);

    // The lab really gates registration: a client without the token is refused (RFC 7591 §3).
    ok(await run(['-p', 'open', 'keygen']));
    const refused = await run(['-p', 'open', '--ca', info.ca, 'register', '--issuer', info.issuer]);
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toContain('invalid_token');

    // init --lab takes the token from the run file: no --initial-access-token on its command line.
    const init = await run(['init', '--lab', '--yes']);
    ok(init);
    expect(init.stdout).toContain('registered client');
    expect(profile('default')).toMatchObject({ lab: true, issuer: info.issuer, ca_file: info.ca });
    expect(profile('default').client_id).toEqual(expect.any(String));
  });

  it('REG-13: the token may come from FAPI_LAB_REGISTRATION_TOKEN instead of the command line', async () => {
    ok(await run(['lab', 'down']));
    const up = await fapi(['--home', home.dir, '--json', 'lab', 'up', '--port', '0', '--detach'], {
      env: { FAPI_LAB_REGISTRATION_TOKEN: 'from-env-iat' },
    });
    ok(up);
    expect(await readRunFile(paths)).toMatchObject({ info: { registration_token: 'from-env-iat' } });
    const info = JSON.parse(up.stdout) as { issuer: string; ca: string };
    const refused = await run([
      '-p',
      'open',
      '--ca',
      info.ca,
      'register',
      '--issuer',
      info.issuer,
      '--force',
    ]);
    expect(refused.code, refused.stderr).toBe(5);
    const accepted = await run([
      '-p',
      'open',
      '--ca',
      info.ca,
      'register',
      '--issuer',
      info.issuer,
      '--force',
      '--initial-access-token',
      'from-env-iat',
    ]);
    ok(accepted);
  });

  it('records the faults and relaxations by name; `lab status` reads the fault list, not the warning text', async () => {
    ok(await run(['lab', 'down']));
    const up = await run([
      '--json',
      'lab',
      'up',
      '--port',
      '0',
      '--detach',
      '--fault',
      'tls-wrong-host',
      '--relax',
      'no-iss',
    ]);
    ok(up);
    const read = await readRunFile(paths);
    if (!('info' in read)) throw new Error(read.problem);
    expect(read.info).toMatchObject({ faults: ['tls-wrong-host'], relax: ['no-iss'] });
    expect(read.info).not.toHaveProperty('registration_token');
    // Reword the warnings: the status still knows fapi refuses this lab's TLS (CL-01) from `faults`.
    await writeRunFile(paths, { ...read.info, warnings: ['(reworded)'] });
    const status = await run(['lab', 'status']);
    ok(status);
    expect(status.stdout).toContain('not answering fapi: its TLS fault makes fapi refuse the connection');
    await writeRunFile(paths, { ...read.info, faults: [] });
    const plain = await run(['lab', 'status']);
    ok(plain);
    expect(plain.stdout).toContain('— not answering\n');
    ok(await run(['lab', 'down']));
  });

  it('`lab cert --days` takes the range and the words of `fapi keygen --days` (1 to 36500)', async () => {
    const bad = await run(['-p', 'open', 'lab', 'cert', '--days', '36501']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--days 36501 is not a number of days from 1 to 36500.');
    const r = await run(['-p', 'open', '--json', 'lab', 'cert', '--days', '3651']);
    ok(r);
    const days =
      (Date.parse((JSON.parse(r.stdout) as { not_after: string }).not_after) - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(3651);
  });
});
