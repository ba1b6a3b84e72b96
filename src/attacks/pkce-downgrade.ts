/**
 * pkce-downgrade: an authorization request with PKCE "plain" (the challenge is the verifier, in
 * clear for anyone who reads the request) or no PKCE at all (nothing binds the code to the session
 * that asked for it). FAPI 2.0 requires S256 and refuses the others at the PAR endpoint
 * (FAPI2-SP §5.3.2.2-5; RFC 7636 §4.3: a missing method means plain).
 */
import { createCodeVerifier } from '../core/pkce.js';
import { authorizationUrl, createAuthorizationSession, parParameters } from '../core/par.js';
import {
  attemptOf,
  follow,
  honestParty,
  playScenario,
  redeem,
  refusalOf,
  type Attempt,
  type Party,
  type Play,
} from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'pkce-downgrade',
  title: 'an authorization request with PKCE plain, or without PKCE',
  attacker: 'A3a',
  tried: 'gets an authorization started with PKCE plain or no PKCE, so a stolen code needs no secret',
  story:
    'PKCE makes a stolen code useless without the verifier that only the client knows. With the method "plain" the challenge is the verifier itself, readable by anyone who reads the authorization request; without PKCE there is no verifier at all, and whoever holds the code can have it redeemed. A downgraded request is what a tampered or careless client sends. FAPI 2.0 accepts only S256, and the PAR endpoint refuses anything else.',
  defence: 'PKCE with S256 only, checked at the PAR endpoint',
  rules: [{ id: 'PAR-11', spec: 'FAPI2-SP §5.3.2.2-5; RFC 7636 §4.3' }],
  relax: ['plain-pkce', 'no-pkce'],
  external: true,
};

/** A pushed request with the honest client's credentials and a downgraded PKCE. */
async function pushDowngraded(
  p: Play,
  party: Party,
  pkce: { code_challenge?: string; code_challenge_method?: string },
): Promise<{ attempt: Attempt; requestUri?: string }> {
  const session = createAuthorizationSession({ redirectUri: party.redirectUri, scope: 'openid accounts' });
  const form = {
    ...parParameters(party.clientId, session),
    code_challenge: undefined,
    code_challenge_method: undefined,
    ...pkce,
  };
  const ex = await party.client.sendToAs({
    step: 'PAR',
    endpoint: 'pushed_authorization_request_endpoint',
    form,
    dpop: party.binding === 'dpop',
  });
  const attempt = await attemptOf(p.target, ex.response, 'accepted');
  if (!attempt.succeeded) return { attempt };
  const requestUri = (ex.response.json() as { request_uri?: string }).request_uri;
  return { attempt, ...(requestUri ? { requestUri } : {}) };
}

async function plain(p: Play, party: Party): Promise<void> {
  const verifier = createCodeVerifier();
  await p.attack(
    'attacker',
    'request pushed with code_challenge_method=plain',
    { refusedWith: ['invalid_request'] },
    async () => {
      const r = await pushDowngraded(p, party, { code_challenge: verifier, code_challenge_method: 'plain' });
      if (r.attempt.succeeded) r.attempt.summary += ': the verifier travels in clear in the request';
      return r.attempt;
    },
  );
}

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  await plain(p, honest);
  let requestUri: string | undefined;
  await p.attack('attacker', 'request pushed without code_challenge', {}, async () => {
    const r = await pushDowngraded(p, honest, {});
    requestUri = r.requestUri;
    return r.attempt;
  });
  if (!requestUri) return;
  const uri = requestUri;
  await p.attack('attacker', 'its code is redeemed without any code_verifier', {}, async () => {
    const { params } = await follow(p.target, authorizationUrl(p.target.metadata, honest.clientId, uri));
    const code = params.get('code');
    if (!code) return { succeeded: false, summary: `no code: ${params.get('error') ?? 'no redirect'}` };
    const s = createAuthorizationSession({ redirectUri: honest.redirectUri, scope: 'openid accounts' });
    s.code_verifier = '';
    const ex = await redeem(honest, code, s);
    return ex.response.status === 200
      ? { succeeded: true, status: 200, summary: '200: tokens for whoever holds the code' }
      : refusalOf(p.target, ex.response);
  });
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  await plain(p, honest);
  await p.attack(
    'attacker',
    'request pushed without code_challenge',
    { refusedWith: ['invalid_request'] },
    async () => (await pushDowngraded(p, honest, {})).attempt,
  );
  // RFC 7636 §4.3: no code_challenge_method means plain.
  await p.attack(
    'attacker',
    'request pushed with a challenge but no code_challenge_method',
    { refusedWith: ['invalid_request'] },
    async () => (await pushDowngraded(p, honest, { code_challenge: createCodeVerifier() })).attempt,
  );
}

export const pkceDowngrade: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
