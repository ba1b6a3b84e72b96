import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, json, redeem, registerClient, startTestLab, type TestLab } from './helpers.js';

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab();
});
afterAll(() => t.close());

describe('smoke', () => {
  it('runs the baseline flow', async () => {
    const c = await registerClient(t);
    const { code: cv, flow } = await code(t, c);
    const res = await redeem(t, c, cv, flow);
    expect(res.status, res.text()).toBe(200);
    expect(json(res).token_type).toBe('DPoP');
  });
});
