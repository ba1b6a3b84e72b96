/**
 * The attack scenarios against in-process labs (lab/attack-targets.ts): one strict lab and one
 * relaxed lab per scenario, shared by every test of a file, in a temporary lab home.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAttackLabs, type AttackLabs } from '../../lab/attack-targets.js';
import type { AttackEnv, ScenarioResult, StepResult } from '../../src/attacks/types.js';
import type { Scenario } from '../../src/attacks/index.js';

export interface AttackTestLabs {
  labs: AttackLabs;
  env: AttackEnv;
  close(): Promise<void>;
}

export function startAttackLabs(): AttackTestLabs {
  const home = mkdtempSync(path.join(os.tmpdir(), 'fapi-attack-test-'));
  const labs = createAttackLabs({ home });
  return {
    labs,
    env: { relaxed: (r) => labs.relaxed(r), fapi2: () => labs.strict() },
    async close() {
      await labs.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The attack steps of one mode, as "action → summary" lines (readable failures). */
export function attacks(r: ScenarioResult, mode: 'relaxed' | 'fapi2'): StepResult[] {
  return r.steps.filter((s) => s.mode === mode && s.kind === 'attack');
}

export function explain(r: ScenarioResult): string {
  return [
    `${r.id}: relaxed ${r.relaxed.verdict} (${r.relaxed.reason ?? r.relaxed.summary}); fapi2 ${r.fapi2.verdict} (${r.fapi2.reason ?? r.fapi2.summary})`,
    ...r.steps.map((s) => `  [${s.mode}] ${s.party}: ${s.action} → ${s.summary}`),
  ].join('\n');
}

export async function play(t: AttackTestLabs, s: Scenario): Promise<ScenarioResult> {
  return s.run(t.env);
}
