/**
 * The attacks of `fapi lab attack --issuer`, part of the run (one implementation): each scenario
 * of src/attacks that runs against an external server is played here against the server under
 * test, with the variant's first client as the honest party (and a fresh token of its own where
 * the scenario calls the resource server). Only the FAPI 2.0 half of a scenario runs: the
 * relaxed-lab half is what `fapi lab attack` shows on its own labs.
 */
import { SCENARIOS, type Scenario } from '../../attacks/index.js';
import { Skip as AttackSkip } from '../../attacks/harness.js';
import { externalTarget } from '../../attacks/external.js';
import type { AttackEnv, AttackTarget } from '../../attacks/types.js';
import type { CheckContext, Tokens } from '../context.js';
import type { TestClient } from '../parties.js';
import { failed, passed, skipped, type Check } from '../types.js';
import { defineCheck } from './define.js';

/** The scenarios that call the resource server with the honest client's token. */
const USES_TOKEN = new Set(['evil-twin', 'dpop-proof-replay', 'token-in-url']);

/** The server under test as an attack target (src/attacks/external.ts), client `c` the honest party. */
export function attackTarget(ctx: CheckContext, c: TestClient, tokens?: Tokens): Promise<AttackTarget> {
  return externalTarget(
    {
      issuer: ctx.issuer,
      clientId: c.clientId,
      client: c.core,
      http: c.http,
      redirectUri: c.redirectUri,
      ...(c.certificate ? { certificateThumbprint: c.certificate.x5t } : {}),
    },
    {
      ...(ctx.resources[0] ? { resource: ctx.resources[0] } : {}),
      loadKey: () => Promise.resolve(c.signingKey),
      loadTokens: () =>
        Promise.resolve(
          tokens && {
            issuer: ctx.issuer,
            client_id: c.clientId,
            access_token: tokens.set.access_token,
            token_type: tokens.set.token_type,
          },
        ),
      http: ctx.env.http,
    },
  );
}

function scenarioCheck(s: Scenario): Check {
  const token = USES_TOKEN.has(s.id);
  return defineCheck({
    id: `attack:${s.id}`,
    title: s.title,
    spec: s.rules.map((r) => `${r.id} (${r.spec})`).join('; '),
    level: 'MUST',
    group: 'attacks',
    needs: token ? { rs: true, logins: 1, after: ['PAR-16', 'RS-01'] } : { after: ['PAR-01'] },
    async run(ctx) {
      const c = await ctx.client(1);
      const tokens = token ? await ctx.tokens(c) : undefined;
      const target = await attackTarget(ctx, c, tokens);
      const env: AttackEnv = {
        relaxed: () => Promise.reject(new AttackSkip('fapi conform plays the FAPI 2.0 half only')),
        fapi2: () => Promise.resolve(target),
      };
      const r = await s.run(env);
      const m = r.fapi2;
      switch (m.verdict) {
        case 'defence-held':
          return passed(`${s.tried}: ${m.summary}`);
        case 'skipped':
          return skipped(m.reason ?? m.summary);
        case 'defence-failed':
          return failed(`${s.tried}: ${m.reason ?? m.summary} (${m.summary})`);
        default:
          return failed(`${s.tried}: could not run: ${m.reason ?? m.summary}`);
      }
    },
  });
}

export const ATTACK_CHECKS: readonly Check[] = SCENARIOS.filter((s) => s.external).map(scenarioCheck);
