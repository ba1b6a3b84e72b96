/**
 * lab/run-file.ts: what a started lab records (URLs, CA, relaxations and faults by name, the REG-13
 * registration token), written 0600 and read back in one shape; and the liveness rule (a run file
 * whose process is gone or is no longer fapi is stale and removed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labPaths } from '../../lab/home.js';
import {
  labRunInfo,
  labRunState,
  readRunFile,
  runningLab,
  writeRunFile,
  type LabRunInfo,
} from '../../lab/run-file.js';
import { startTestLab, type TestLab } from './helpers.js';

let t: TestLab;
let info: LabRunInfo;
const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-run-file-'));
const paths = labPaths(dir);

beforeAll(async () => {
  t = await startTestLab({ registrationToken: 'run-file-iat', relax: ['no-iss'], faults: ['iss-wrong'] });
  info = labRunInfo(t.lab, { pid: 4242, paths: labPaths(t.home), startedAt: new Date(0) });
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A process that lives until killed, with `marker` on its command line. */
function sleeper(marker: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

describe('lab run file', () => {
  it('records where the lab is, its switches by name and its registration token', () => {
    expect(info).toMatchObject({
      pid: 4242,
      issuer: t.lab.issuer,
      rs: t.lab.rs,
      mtls: t.lab.mtls,
      ca: t.lab.caFile,
      dashboard: `${t.lab.issuer}/`,
      ports: t.lab.ports,
      log: labPaths(t.home).log,
      started_at: '1970-01-01T00:00:00.000Z',
      relax: ['no-iss'],
      faults: ['iss-wrong'],
      registration_token: 'run-file-iat',
    });
    expect(info.warnings).toEqual(t.lab.warnings);
  });

  it('is written 0600 (it holds a secret) and read back as written', async () => {
    await writeRunFile(paths, info);
    expect(statSync(paths.run).mode & 0o777).toBe(0o600);
    expect(await readRunFile(paths)).toEqual({ info });
  });

  it('leaves out the registration token when registration is open', async () => {
    const open = await startTestLab();
    try {
      const i = labRunInfo(open.lab, { pid: 1, paths: labPaths(open.home), startedAt: new Date() });
      expect(i).not.toHaveProperty('registration_token');
      expect(i).toMatchObject({ relax: [], faults: [], warnings: [] });
    } finally {
      await open.close();
    }
  });

  it('a run file whose process runs fapi is the running lab', async () => {
    const child = await sleeper('fapi-lab-stand-in');
    try {
      await writeRunFile(paths, { ...info, pid: child.pid! });
      expect(await runningLab(paths)).toEqual({ ...info, pid: child.pid });
      expect(existsSync(paths.run)).toBe(true);
    } finally {
      child.kill();
    }
  });

  it('is stale, and removed, when its process is gone, runs something else, or the file is not a run file', async () => {
    const gone = await sleeper('fapi');
    const exited = new Promise((r) => gone.once('exit', r));
    gone.kill();
    await exited;
    await writeRunFile(paths, { ...info, pid: gone.pid! });
    expect(await labRunState(paths)).toEqual({ running: false, why: `its process ${gone.pid} is gone` });
    expect(existsSync(paths.run)).toBe(false);

    // A recycled pid: alive, but not fapi (Linux /proc/<pid>/cmdline).
    const other = await sleeper('something-else');
    try {
      await writeRunFile(paths, { ...info, pid: other.pid! });
      const state = await labRunState(paths);
      if (existsSync(`/proc/${other.pid}/cmdline`)) {
        expect(state).toEqual({ running: false, why: `its process ${other.pid} is no longer fapi` });
        expect(existsSync(paths.run)).toBe(false);
      }
    } finally {
      other.kill();
    }

    writeFileSync(paths.run, '{ not json');
    expect(await labRunState(paths)).toEqual({ running: false, why: `${paths.run} is not valid JSON` });
    expect(existsSync(paths.run)).toBe(false);

    // The shape of another writer (`ca_file`, no URLs) is not a run file.
    writeFileSync(paths.run, JSON.stringify({ pid: process.pid, issuer: t.lab.issuer, ca_file: info.ca }));
    const state = await labRunState(paths);
    expect(state).toMatchObject({ running: false, why: expect.stringContaining('is not a lab run file') });
    expect(existsSync(paths.run)).toBe(false);
  });
});
