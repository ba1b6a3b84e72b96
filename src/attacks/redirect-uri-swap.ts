/**
 * redirect-uri-swap: the attacker sends the victim an authorization link for the honest client
 * with its own redirect URI, to receive the victim's code. FAPI 2.0 accepts only pushed requests,
 * which need the client's credentials (FAPI2-SP §5.3.2.2-3), and a pushed redirect URI must be
 * one the client registered, matched exactly (FAPI2-SP §5.3.2.2-8; RFC 9700 §4.1.3). Errors never
 * redirect to an unvalidated URI (RFC 9700 §4.11).
 */
import { createAuthorizationSession, parParameters } from '../core/par.js';
import { codeChallengeS256, createCodeVerifier } from '../core/pkce.js';
import {
  ATTACKER_REDIRECT_URI,
  attemptOf,
  authorizationAttempt,
  follow,
  frontChannelUrl,
  honestParty,
  playScenario,
  type Attempt,
  type Party,
  type Play,
} from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'redirect-uri-swap',
  title: 'an unregistered redirect URI to steal the code',
  attacker: 'A1',
  tried: "sends the victim a login link for the client with the attacker's own redirect URI",
  story:
    "The attacker sends the victim a link that starts a login at the honest client's authorization server, but with the attacker's own redirect URI. If the server takes it, the victim's code goes to the attacker. FAPI 2.0 accepts only pushed requests, which need the client's credentials, and the redirect URI in a pushed request must be one the client registered, matched exactly; an error never redirects to an unvalidated URI.",
  defence: 'PAR only; registered redirect URIs, exact match; no open redirects',
  rules: [
    { id: 'AZ-01', spec: 'FAPI2-SP §5.3.2.2-3' },
    { id: 'PAR-13', spec: 'FAPI2-SP §5.3.2.2-8; RFC 9700 §4.1.3' },
    { id: 'AZ-03', spec: 'RFC 9700 §4.11' },
  ],
  relax: ['no-par', 'unregistered-redirect-uri'],
  external: true,
};

const toAttacker = (loc: URL) =>
  loc.href.startsWith(ATTACKER_REDIRECT_URI) ? `the victim's code goes to ${loc.origin}` : undefined;

/** The attacker's link: the honest client's id, the attacker's redirect URI and PKCE challenge. */
async function link(p: Play, party: Party): Promise<Attempt> {
  const url = frontChannelUrl(p.target, {
    client_id: party.clientId,
    response_type: 'code',
    redirect_uri: ATTACKER_REDIRECT_URI,
    scope: 'openid accounts',
    state: 'attacker-state',
    code_challenge: codeChallengeS256(createCodeVerifier()),
    code_challenge_method: 'S256',
  });
  return authorizationAttempt(p.target, await follow(p.target, url.href), toAttacker);
}

const LINK = "victim follows the attacker's link (redirect_uri = the attacker's)";

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop', frontChannel: true });
  await p.attack('attacker', LINK, {}, () => link(p, honest));
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  await p.attack('attacker', LINK, {}, () => link(p, honest));
  await p.attack(
    'attacker',
    "a pushed request names the attacker's redirect_uri",
    { refusedWith: ['invalid_request', 'invalid_redirect_uri', 'invalid_request_object'] },
    async () => {
      const session = createAuthorizationSession({
        redirectUri: ATTACKER_REDIRECT_URI,
        scope: 'openid accounts',
      });
      const ex = await honest.client.sendToAs({
        step: 'PAR',
        endpoint: 'pushed_authorization_request_endpoint',
        form: parParameters(honest.clientId, session),
        dpop: honest.binding === 'dpop',
      });
      return attemptOf(p.target, ex.response, 'accepted: the code would go to the attacker');
    },
  );
}

export const redirectUriSwap: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
