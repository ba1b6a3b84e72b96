/**
 * The verdicts of src/attacks/harness.ts without a lab: an attack that does not work where
 * its defence is relaxed proves nothing (a failure), an attack step under FAPI 2.0 must be refused
 * with an error its rule prescribes, and a failed honest step ends the run as an error.
 */
import { describe, expect, it } from 'vitest';
import { Skip, playScenario, type Play } from '../../src/attacks/harness.js';
import type { AttackEnv, AttackTarget, ScenarioInfo } from '../../src/attacks/types.js';

const target = (mode: 'relaxed' | 'fapi2', lab = true): AttackTarget => ({
  mode,
  label: mode === 'relaxed' ? 'relaxed lab (x)' : 'FAPI 2.0 lab',
  issuer: 'https://127.0.0.1:1',
  metadata: { issuer: 'https://127.0.0.1:1' },
  lab,
  http: () => {
    throw new Error('no HTTP in these tests');
  },
});
const env = (lab = true): AttackEnv => ({
  relaxed: async () => target('relaxed'),
  fapi2: async () => target('fapi2', lab),
});
const info: ScenarioInfo = {
  id: 'test',
  title: 'a test scenario',
  attacker: 'A1',
  tried: 'something',
  story: 'a story',
  defence: 'a rule',
  rules: [{ id: 'XX-01', spec: 'RFC 0 §1' }],
  relax: ['x'],
  external: false,
};

const refused = (error: string) => async () => ({
  succeeded: false,
  status: 400,
  error,
  summary: `400 ${error}`,
});
const worked = async () => ({ succeeded: true, status: 200, summary: '200' });
const attempt = (
  p: Play,
  fn: () => Promise<{ succeeded: boolean; summary: string }>,
  refusedWith = ['bad'],
) => p.attack('attacker', 'try', { refusedWith }, fn);

describe('attack verdicts', () => {
  it('ok: the attack works where relaxed and is refused as the rule prescribes', async () => {
    const r = await playScenario(
      info,
      env(),
      (p) => attempt(p, worked).then(() => undefined),
      (p) => attempt(p, refused('bad')).then(() => undefined),
    );
    expect([r.relaxed.verdict, r.fapi2.verdict, r.ok]).toEqual(['attack-worked', 'defence-held', true]);
    expect(r.stoppedBy).toEqual(['bad']);
  });

  it('an attack refused even where its defence is relaxed proves nothing: a failure', async () => {
    const r = await playScenario(
      info,
      env(),
      (p) => attempt(p, refused('bad')).then(() => undefined),
      (p) => attempt(p, refused('bad')).then(() => undefined),
    );
    expect(r.relaxed.verdict).toBe('attack-failed');
    expect(r.relaxed.reason).toMatch(/proves nothing/);
    expect(r.ok).toBe(false);
  });

  it('an attack that succeeds under FAPI 2.0, or is refused for another reason, is a failed defence', async () => {
    const through = await playScenario(
      info,
      env(),
      (p) => attempt(p, worked).then(() => undefined),
      (p) => attempt(p, worked).then(() => undefined),
    );
    expect(through.fapi2.verdict).toBe('defence-failed');
    expect(through.fapi2.reason).toMatch(/succeeded/);
    const other = await playScenario(
      info,
      env(),
      (p) => attempt(p, worked).then(() => undefined),
      (p) => attempt(p, refused('use_dpop_nonce')).then(() => undefined),
    );
    expect(other.fapi2.verdict).toBe('defence-failed');
    expect(other.steps.at(-1)?.summary).toBe('400 use_dpop_nonce (expected bad)');
    expect(other.ok).toBe(false);
  });

  it('a failed honest step ends the run as an error; a run without attack steps proves nothing', async () => {
    const r = await playScenario(
      info,
      env(),
      (p) =>
        p
          .setup(
            'client',
            'honest client logs in',
            async () => {
              throw new Error('the lab is down');
            },
            () => '',
          )
          .then(() => undefined),
      async () => undefined,
    );
    expect(r.relaxed).toMatchObject({ verdict: 'error' });
    expect(r.relaxed.reason).toContain('honest client logs in: the lab is down');
    expect(r.fapi2.verdict).toBe('skipped');
    expect(r.ok).toBe(false);
  });

  it('against an external server, lab-only scenarios and unsupported parts are skipped, not failed', async () => {
    const r = await playScenario(
      info,
      env(false),
      (p) => attempt(p, worked).then(() => undefined),
      async () => {
        throw new Error('must not run');
      },
    );
    expect(r.fapi2.verdict).toBe('skipped');
    expect(r.fapi2.reason).toMatch(/needs the lab/);
    const partial = await playScenario(
      { ...info, external: true },
      env(false),
      (p) => attempt(p, worked).then(() => undefined),
      async (p) => {
        await attempt(p, refused('bad'));
        await p.labOnly('attacker', 'the lab-only part', 'needs the lab clock', async () => {
          throw new Skip('unreachable');
        });
      },
    );
    expect(partial.ok).toBe(true);
    expect(partial.steps.at(-1)).toMatchObject({ kind: 'skipped', summary: 'needs the lab clock' });
  });
});
