/**
 * The client-test runner with the lab in process (src/conform/client/runner.ts over
 * lab/conform-client.ts), no build needed: the Python example client through a plain BROWSER
 * script; the lab switched per module in under 50 ms and each verdict judged in under 20 ms; the
 * failed TLS handshakes seen; the lab's state put back between modules.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformClientLab, type ConformClientLab } from '../../lab/conform-client.js';
import { CLIENT_MODULES } from '../../src/conform/client/modules.js';
import { contractEnv } from '../../src/conform/client/contract.js';
import { runClientConformance } from '../../src/conform/client/runner.js';
import { ROOT } from '../helpers/cli.js';

let lab: ConformClientLab;
beforeAll(async () => {
  lab = await startConformClientLab({ warmTls: true });
});
afterAll(() => lab.close());

const PYTHON = path.join(ROOT, 'examples/conform-client/python-client.py');
const FOLLOW = path.join(ROOT, 'test/fixtures/conform-client/follow.mjs');

const envOf = () => ({
  PATH: process.env.PATH,
  ...contractEnv({
    issuer: lab.issuer,
    caFile: lab.caFile,
    resource: lab.resource,
    scope: lab.scope,
    browser: `${process.execPath} ${FOLLOW}`,
    auth: 'private_key_jwt',
    sender: 'dpop',
    jarm: false,
  }),
});

describe('runClientConformance with the lab in process', () => {
  it('judges a real client module by module, switching in < 50 ms and judging in < 20 ms', async () => {
    const ids = ['happy-path', 'CL-11.iss-wrong', 'CL-20.kid-unknown', 'CL-19.no-grace', 'CL-01', 'CL-02'];
    const report = await runClientConformance({
      lab,
      command: 'python3',
      args: [PYTHON],
      env: envOf(),
      variant: { auth: 'private_key_jwt', sender: 'dpop' },
      jarm: false,
      modules: CLIENT_MODULES.filter((m) => ids.includes(m.id)),
      timeoutMs: 30_000,
    });
    const lines = report.results.map((r) => `${r.id} ${r.result}: ${r.detail}`);
    expect(
      report.results.map((r) => [r.id, r.result]),
      lines.join('\n'),
    ).toEqual(ids.map((id) => [id, 'passed']));
    expect(report.overhead.switchMs).toBeLessThan(50);
    expect(report.overhead.judgeMs).toBeLessThan(20);
    const tls = report.results.find((r) => r.id === 'CL-01');
    expect(tls?.verdict?.requests).toEqual([expect.stringMatching(/^1 TLS handshake refused \(/)]);
  }, 120_000);

  it('puts the lab back between modules: no switch, no pending failure left over', async () => {
    await lab.apply({ faults: ['iss-wrong', 'tls-wrong-host'], relax: ['rotate-rt'], rsRefusals: 3 });
    await lab.apply({});
    const ca = readFileSync(lab.caFile);
    const get = (url: string) =>
      new Promise<{ status: number; warning: unknown }>((resolve, reject) =>
        https
          .get(url, { ca }, (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, warning: res.headers['x-fapi-lab-warning'] });
          })
          .on('error', reject),
      );
    const mark = lab.mark();
    expect(await get(`${lab.issuer}/.well-known/openid-configuration`)).toEqual({
      status: 200,
      warning: undefined,
    });
    expect((await get(lab.resource)).status).toBe(401);
    const seen = lab.observe(mark);
    expect(seen.requests.map((r) => [r.path, r.status, r.check ?? null])).toEqual([
      ['/.well-known/openid-configuration', 200, null],
      ['/accounts', 401, 'DP-23'], // the RS's own check (no token), not a pending failure (FAIL-NEXT)
    ]);
    expect(seen.handshakeFailures).toBe(0);
    await expect(lab.apply({ faults: ['no-such-fault'] })).rejects.toMatchObject({
      code: 'E_LAB_UNKNOWN_FAULT',
    });
  });
});
