/**
 * The RS under the loud relaxations (lab/config.ts): `no-dpop-nonce` (proofs without a server
 * nonce are accepted, DP-20 is a MAY) and `bearer-tokens` (unbound tokens accepted as Bearer,
 * which FAPI 2.0 forbids: FAPI2-SP §5.3.2.1-4) and `token-in-query` (FAPI2-SP §5.3.4-2 forbids
 * it). Every answer says the lab is not conformant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient, startTestLab, type TestLab } from './helpers.js';
import { dpopTokens, mintAccessToken, rsCall, rsProof } from './rs-helpers.js';

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab({ relax: ['no-dpop-nonce', 'bearer-tokens'] });
});
afterAll(() => t.close());

describe('RS relaxations', () => {
  it('no-dpop-nonce: a proof without a nonce is accepted, and no DPoP-Nonce is sent', async () => {
    const tk = await dpopTokens(t, await registerClient(t));
    const res = await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop, proof: { nonce: null } });
    expect(res.status, res.text()).toBe(200);
    expect(res.header('dpop-nonce')).toBeUndefined();
    expect(res.header('x-fapi-lab-warning')).toMatch(/relaxed=no-dpop-nonce.*NOT FAPI 2.0 conformant/);
  });

  it('bearer-tokens: an unbound token is accepted as Bearer, a DPoP-bound one still is not', async () => {
    const res = await rsCall(t, '/accounts', { scheme: 'Bearer', token: mintAccessToken(t), dpop: null });
    expect(res.status, res.text()).toBe(200);
    const tk = await dpopTokens(t, await registerClient(t));
    expect((await rsCall(t, '/accounts', { scheme: 'Bearer', token: tk.at, dpop: null })).status).toBe(401);
  });
});

describe('RS relaxation token-in-query (RS-02)', () => {
  let q: TestLab;
  beforeAll(async () => {
    q = await startTestLab({ relax: ['token-in-query'] });
  });
  afterAll(() => q.close());

  it('a DPoP-bound token in the query, with its proof (ath), is accepted as a DPoP token', async () => {
    const tk = await dpopTokens(q, await registerClient(q));
    const url = `${q.lab.rs}/accounts`;
    const res = await q.http({
      method: 'GET',
      url: `${url}?access_token=${tk.at}`,
      headers: { dpop: rsProof(q, tk.dpop, 'GET', url, tk.at) },
    });
    expect(res.status, res.text()).toBe(200);
    expect(res.header('x-fapi-lab-warning')).toMatch(/relaxed=token-in-query/);
  });

  it('without a proof it is still refused: a DPoP-bound token is never a Bearer token (DP-21)', async () => {
    const tk = await dpopTokens(q, await registerClient(q));
    const res = await q.http({ method: 'GET', url: `${q.lab.rs}/accounts?access_token=${tk.at}` });
    expect(res.status).toBe(401);
  });
});
