/**
 * The DPoP proof cases (src/conform/checks/dpop.ts) at the token endpoint: each altered proof
 * redeems a code of its own login, so a check announces as many logins as its case makes proofs
 * (the count the run shows before it starts, and the pace of a real browser).
 */
import { describe, expect, it } from 'vitest';
import { DPOP_TOKEN_CHECKS, PROOF_CASES } from '../../../src/conform/checks/dpop.js';
import type { CheckContext } from '../../../src/conform/context.js';
import { generateSigningKey } from '../../../src/keys/generate.js';

describe('DPoP proof cases at the token endpoint', () => {
  it('each check announces one login per proof it sends', async () => {
    const es = await generateSigningKey('ES256');
    const rsa = await generateSigningKey('PS256');
    const ctx = {
      env: { keys: { rsaKey: async () => rsa } },
      now: () => 1_800_000_000,
    } as unknown as CheckContext;
    const t = {
      key: { privateKey: es.privateKey, publicJwk: es.publicJwk, alg: es.alg },
      url: 'https://as.example/token',
    } as unknown as Parameters<(typeof PROOF_CASES)[number]['proofs']>[1];
    for (const p of PROOF_CASES) {
      const check = DPOP_TOKEN_CHECKS.find((c) => c.id === `${p.rule}.token`);
      expect(check?.needs.logins, p.rule).toBe((await p.proofs(ctx, t)).length);
    }
    // DP-11 (an hour ahead, an hour behind) and DP-12 (the proof, then its replay): two each.
    expect(DPOP_TOKEN_CHECKS.filter((c) => !PROOF_CASES.some((p) => c.id === `${p.rule}.token`))).toEqual([
      expect.objectContaining({ id: 'DP-11.token', needs: expect.objectContaining({ logins: 2 }) }),
      expect.objectContaining({ id: 'DP-12.token', needs: expect.objectContaining({ logins: 2 }) }),
    ]);
  });
});
