/**
 * RS-side client fault switches (README "Lab fault switches") on a lab started with them:
 * `rs-scheme-case` (CL-17), `dpop-nonce-rotate` (CL-15) and `clock-skew` (CL-23); all loud.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient, startTestLab, type TestLab } from './helpers.js';
import { challenges, dpopTokens, rsCall, type Tokens } from './rs-helpers.js';

let t: TestLab;
let tk: Tokens;

beforeAll(async () => {
  t = await startTestLab({
    faults: ['rs-scheme-case', 'dpop-nonce-rotate', 'clock-skew'],
    clockSkewSeconds: 120,
  });
  // This test client has synced its clock with the lab's (what `--sync-clock` does, CL-23).
  const realNow = t.now;
  t.now = () => realNow() + 120;
  tk = await dpopTokens(t, await registerClient(t));
});
afterAll(() => t.close());

describe('RS fault switches', () => {
  it('rs-scheme-case: the DPoP challenge scheme is lower-case', async () => {
    const res = await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop, proof: { nonce: null } });
    expect(res.status).toBe(401);
    expect(challenges(res)[0]).toMatch(/^dpop error="use_dpop_nonce"/);
  });

  it('dpop-nonce-rotate: a new RS nonce after every success; the old one is then stale', async () => {
    const nonce = t.lab.ctx.nonces.rs.current();
    const ok = await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop, proof: { nonce } });
    expect(ok.status, ok.text()).toBe(200);
    const next = ok.header('dpop-nonce');
    expect(next).toBeTruthy();
    expect(next).not.toBe(nonce);
    const stale = await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop, proof: { nonce } });
    expect(stale.status).toBe(401);
    expect(challenges(stale)[0]).toMatch(/error="use_dpop_nonce"/);
    expect(
      (await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop, proof: { nonce: next } })).status,
    ).toBe(200);
  });

  it('clock-skew: the RS Date header shows the lab clock (120 s ahead); faults are announced', async () => {
    const res = await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop });
    const skew = (Date.parse(res.header('date') as string) - Date.now()) / 1000;
    expect(skew).toBeGreaterThan(115);
    expect(skew).toBeLessThan(125);
    expect(res.header('x-fapi-lab-warning')).toMatch(/fault=rs-scheme-case/);
  });
});
