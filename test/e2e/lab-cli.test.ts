/**
 * The real `fapi lab` commands as processes: `lab up --port 0 --json` (one JSON line, clean
 * SIGTERM), `--detach` + status + logs + down, reset, bad config files, and `lab cert`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/http/client.js';
import { BIN, ROOT, fapi, tempHome } from '../helpers/cli.js';
import { FAULT_NAMES, RELAXATION_NAMES } from '../../lab/switches.js';

const home = tempHome('fapi-lab-e2e-');
afterAll(async () => {
  await fapi(['--home', home.dir, 'lab', 'down']);
  home.cleanup();
});

interface UpInfo {
  issuer: string;
  rs: string;
  mtls: string;
  ca: string;
  pid: number;
  ports: { as: number; mtls: number; rs: number };
}

/** Starts `fapi lab up ... --json` and resolves with its JSON line and the child. */
function labUp(
  args: string[],
): Promise<{ info: UpInfo; line: string; child: ReturnType<typeof spawn>; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', home.dir, 'lab', 'up', '--port', '0', '--json', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0)
        resolve({ info: JSON.parse(out.slice(0, nl)) as UpInfo, line: out, child, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`lab up exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`lab up did not print its JSON line: ${err}`)), 30_000);
  });
}

const exited = (child: ReturnType<typeof spawn>) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('fapi lab', () => {
  it('the CLI offers every lab relaxation and fault, in --help and as --relax/--fault values', async () => {
    const help = await fapi(['lab', 'up', '--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const name of RELAXATION_NAMES) expect(text).toContain(name);
    // Faults are many: an unknown one is refused with the list of valid ones.
    const bad = await fapi(['lab', 'up', '--fault', 'no-such-fault', '--port', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no-such-fault');
    for (const name of FAULT_NAMES) expect(bad.stderr).toContain(name);
  });

  it('lab up --port 0 --json prints exactly one JSON line, serves, and stops cleanly on SIGTERM', async () => {
    const { info, line, child } = await labUp([]);
    expect(line.trim().split('\n')).toHaveLength(1);
    expect(info.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.rs).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.mtls).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.pid).toBe(child.pid);
    expect(info.ca).toBe(path.join(home.dir, 'lab', 'ca.pem'));
    const http = createHttpClient({ ca: [readFileSync(info.ca, 'utf8')] });
    const m = (
      await http({ method: 'GET', url: `${info.issuer}/.well-known/openid-configuration` })
    ).json() as Record<string, unknown>;
    expect(m.issuer).toBe(info.issuer);
    const status = await fapi(['--home', home.dir, '--json', 'lab', 'status']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      answering: true,
      pid: child.pid,
      issuer: info.issuer,
    });
    const again = await fapi(['--home', home.dir, 'lab', 'up', '--port', '0']);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already running');
    const done = exited(child);
    child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(existsSync(path.join(home.dir, 'lab', 'run.json'))).toBe(false);
  });

  it('lab up --detach returns once ready; status, logs and down work; status then exits 3', async () => {
    const up = await fapi([
      '--home',
      home.dir,
      '--json',
      'lab',
      'up',
      '--port',
      '0',
      '--detach',
      '--relax',
      'no-iss',
    ]);
    expect(up.code, up.stderr).toBe(0);
    const info = JSON.parse(up.stdout) as UpInfo & { warnings: string[] };
    expect(info.warnings.join(' ')).toContain('no-iss');
    const http = createHttpClient({ ca: [readFileSync(info.ca, 'utf8')] });
    const res = await http({ method: 'GET', url: `${info.issuer}/par` });
    expect(res.status).toBe(405);
    expect(res.header('x-fapi-lab-warning')).toContain('relaxed=no-iss');
    const human = await fapi(['--home', home.dir, 'lab', 'status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(info.issuer);
    const logs = await fapi(['--home', home.dir, 'lab', 'logs']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('lab ready');
    expect(logs.stdout).toMatch(/GET \/par 405/);
    // logs -f follows new lines until Ctrl-C.
    const follow = spawn(process.execPath, [BIN, '--home', home.dir, 'lab', 'logs', '-f', '-n', '0'], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let followed = '';
    follow.stdout.on('data', (d: Buffer) => (followed += d.toString()));
    await new Promise((r) => setTimeout(r, 600));
    expect(followed).toBe(''); // -n 0: no old lines
    await http({ method: 'GET', url: `${info.issuer}/jwks` });
    for (let i = 0; i < 40 && !followed.includes('GET /jwks 200'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(followed).toContain('GET /jwks 200');
    const stopped = exited(follow);
    follow.kill('SIGINT');
    expect(await stopped).toBe(0);
    const down = await fapi(['--home', home.dir, '--json', 'lab', 'down']);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ stopped: true, pid: info.pid });
    const after = await fapi(['--home', home.dir, 'lab', 'status']);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('No lab is running');
    const downAgain = await fapi(['--home', home.dir, 'lab', 'down']);
    expect(downAgain.code).toBe(0);
  });

  it('a bad config file is refused with its path and the JSON path of the field (exit 3)', async () => {
    const file = path.join(home.dir, 'lab.config.json');
    writeFileSync(file, JSON.stringify({ codeLifetime: 120 }));
    const r = await fapi(['--home', home.dir, 'lab', 'up', '--config', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('$.codeLifetime');
    const bad = await fapi(['--home', home.dir, 'lab', 'up', '--relax', 'everything']);
    expect(bad.code).toBe(2);
    const port = await fapi(['--home', home.dir, 'lab', 'up', '--port', '99999']);
    expect(port.code).toBe(2);
  });

  it('lab cert issues an mTLS certificate from the lab CA for the profile key', async () => {
    const kg = await fapi(['--home', home.dir, '--profile', 'mtls', 'keygen']);
    expect(kg.code, kg.stderr).toBe(0);
    const r = await fapi(['--home', home.dir, '--profile', 'mtls', '--json', 'lab', 'cert']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { subject: string; file: string; ca: string; x5t_s256: string };
    expect(out.subject).toBe('CN=mtls,O=fapi lab client');
    const cert = new X509Certificate(readFileSync(out.file));
    const ca = new X509Certificate(readFileSync(out.ca));
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    const profile = JSON.parse(
      readFileSync(path.join(home.dir, 'profiles', 'mtls', 'profile.json'), 'utf8'),
    ) as {
      certificate: { x5t_s256: string };
      ca_file: string;
    };
    expect(profile.certificate.x5t_s256).toBe(out.x5t_s256);
    expect(profile.ca_file).toBe(out.ca);
  });

  it('lab reset needs --yes without a TTY, then wipes the lab home', async () => {
    const r = await fapi(['--home', home.dir, 'lab', 'reset']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(existsSync(path.join(home.dir, 'lab', 'ca.pem'))).toBe(true);
    const ok = await fapi(['--home', home.dir, '--json', 'lab', 'reset', '--yes']);
    expect(ok.code).toBe(0);
    expect(existsSync(path.join(home.dir, 'lab'))).toBe(false);
  });
});
