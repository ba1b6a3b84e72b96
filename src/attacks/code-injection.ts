/**
 * code-injection: an authorization code leaks from the victim's authorization response, and the
 * attacker injects it into a login of its own at the honest client, so the client redeems it and
 * the attacker's session holds the victim's access. PKCE (RFC 7636, FAPI2-SP §5.3.2.2-5) binds the
 * code to the session that asked for it; codes are also bound to their client (RFC 6749 §4.1.3)
 * and single-use, a second redemption revoking what the first one got (RFC 6749 §4.1.2).
 */
import { validateAuthorizationResponse } from '../core/authorization-response.js';
import type { Exchange } from '../core/client.js';
import { createAuthorizationSession, type AuthorizationSession } from '../core/par.js';
import { callResource } from '../core/resource.js';
import {
  authorize,
  honestParty,
  playScenario,
  push,
  redeem,
  refusalOf,
  registerParty,
  resourceUrl,
  tokensOf,
  type Attempt,
  type Party,
  type Play,
} from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'code-injection',
  title: 'a stolen authorization code is redeemed in the attacker’s session',
  attacker: 'A1',
  tried:
    'injects a stolen code into its own login at the client, redeems it with its own client, or reuses it',
  story:
    "The victim's authorization response leaks (browser history, a log, a Referer header) with its code. The attacker starts a login of its own at the honest client and feeds it the victim's code instead of its own: the client redeems it, and the attacker is now logged in with the victim's access. Or it tries the code with a client of its own, or after the victim used it. With PKCE the code is only good with the verifier of the session that asked for it; codes are bound to their client and single-use, and a second redemption revokes the tokens of the first.",
  defence: 'PKCE binds the code to its session; codes bound to their client and single-use',
  rules: [
    { id: 'TK-06', spec: 'RFC 7636 §4.6; FAPI2-SP §5.3.2.2-5' },
    { id: 'TK-04', spec: 'RFC 6749 §4.1.3' },
    { id: 'TK-03', spec: 'RFC 6749 §4.1.2; FAPI2-SP §5.3.2.2-9' },
    { id: 'RS-03', spec: 'FAPI2-SP §5.3.4-3' },
  ],
  relax: ['no-pkce'],
  external: false,
};

/** The callback the attacker crafts for its own session: the victim's code with its own state. */
function inject(p: Play, code: string, session: AuthorizationSession): void {
  const params = new URLSearchParams({ code, state: session.state });
  if (p.target.metadata.authorization_response_iss_parameter_supported) params.set('iss', p.target.issuer);
  // The client's own checks pass: the state is the attacker's session's own (CL-11, CL-12).
  validateAuthorizationResponse(params, {
    issuer: p.target.issuer,
    issParameterSupported: p.target.metadata.authorization_response_iss_parameter_supported === true,
    state: session.state,
  });
}

async function redeemAttempt(p: Play, party: Party, ex: Exchange, success: string): Promise<Attempt> {
  if (ex.response.status === 200) {
    const t = tokensOf(party, ex);
    return { succeeded: true, status: 200, summary: `200 ${success}${t.scope ? ` (scope ${t.scope})` : ''}` };
  }
  return refusalOf(p.target, ex.response);
}

const VICTIM = 'victim logs in at the honest client; the code leaks';
const INJECT = "attacker injects the victim's code into its own login at the client";

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  // Plain OAuth: no PKCE in the victim's login nor in the attacker's.
  const victim = await p.setup(
    'browser',
    `${VICTIM} (no PKCE)`,
    () => authorize(p.target, honest, { pkce: false }),
    () => 'code issued',
  );
  const { session } = await p.setup(
    'attacker',
    'attacker starts its own login at the client',
    () => push(honest, { pkce: false }),
    () => 'request pushed',
  );
  await p.attack('attacker', INJECT, {}, async () => {
    inject(p, victim.code, session);
    return redeemAttempt(
      p,
      honest,
      await redeem(honest, victim.code, session),
      "the attacker's session holds the victim's tokens",
    );
  });
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  const victim = await p.setup(
    'browser',
    VICTIM,
    () => authorize(p.target, honest),
    () => 'code issued (PKCE S256)',
  );
  const { session } = await p.setup(
    'attacker',
    'attacker starts its own login at the client',
    () => push(honest),
    () => 'request pushed',
  );
  await p.attack('attacker', INJECT, { refusedWith: ['invalid_grant'] }, async () => {
    inject(p, victim.code, session);
    return redeemAttempt(
      p,
      honest,
      await redeem(honest, victim.code, session),
      "the attacker's session holds the victim's tokens",
    );
  });
  const own = await p.setup(
    'attacker',
    'attacker registers a client of its own',
    () => registerParty(p.target, 'attacker', { binding: 'dpop' }),
    (c) => `client_id ${c.clientId.slice(0, 8)}…`,
  );
  await p.attack(
    'attacker',
    'attacker redeems the code with its own client',
    { refusedWith: ['invalid_grant'] },
    async () => {
      const s = createAuthorizationSession({ redirectUri: honest.redirectUri, scope: 'openid accounts' });
      return redeemAttempt(
        p,
        own,
        await redeem(own, victim.code, s),
        'the attacker holds the victim’s tokens',
      );
    },
  );
  // The victim's own login completes, then the attacker replays the code.
  const first = await p.setup(
    'client',
    "victim's login redeems the code",
    async () => tokensOf(honest, await redeem(honest, victim.code, victim.session)),
    (t) => `${t.tokenType} access token`,
  );
  await p.attack(
    'attacker',
    'attacker injects the code again after the victim used it',
    { refusedWith: ['invalid_grant'] },
    async () =>
      redeemAttempt(
        p,
        honest,
        await redeem(honest, victim.code, session),
        "the attacker's session holds the victim's tokens",
      ),
  );
  // RFC 6749 §4.1.2: the tokens issued from a replayed code should be revoked.
  await p.attack(
    'client',
    "the victim's access token from that code still works",
    { refusedWith: ['invalid_token'] },
    async () => {
      const ex = await callResource(honest.client, {
        method: 'GET',
        url: resourceUrl(p.target),
        accessToken: first.accessToken,
        scheme: 'DPoP',
      });
      return ex.response.status === 200
        ? { succeeded: true, status: 200, summary: '200: the tokens of the replayed code were not revoked' }
        : refusalOf(p.target, ex.response);
    },
  );
}

export const codeInjection: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
