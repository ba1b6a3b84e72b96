/**
 * mix-up: a client that talks to several authorization servers receives, in a login it started
 * with the attacker's server, an authorization response from the honest server. Without knowing
 * which server answered, it sends the honest server's code (and PKCE verifier) to the attacker's
 * token endpoint. The `iss` parameter of the response (RFC 9207) names the server that answered;
 * the client compares it with the one it expects and stops (FAPI2-SP §5.3.3.2-5, CL-11).
 */
import { isFapiError } from '../errors.js';
import { validateAuthorizationResponse } from '../core/authorization-response.js';
import { authorizationUrl } from '../core/par.js';
import { follow, honestParty, playScenario, push, type Attempt, type Party, type Play } from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'mix-up',
  title: 'an authorization response from another issuer, in a login with the attacker’s server',
  attacker: 'A1a',
  tried: "has the honest server's response land in a login the client keeps with the attacker's server",
  story:
    "The client works with several authorization servers, and the attacker runs one of them. A user starts a login with the attacker's server, which sends the user on to the honest server. The honest server's response, with its code, comes back to the client's redirect URI, in the login the client keeps for the attacker's server: the client would redeem the code at the attacker's token endpoint, handing it the code and the PKCE verifier. The response's iss parameter (RFC 9207) says which server answered; the client compares it with the server it expects and stops.",
  defence: 'the client checks iss in the authorization response (RFC 9207)',
  rules: [{ id: 'CL-11', spec: 'RFC 9207 §2.4; FAPI2-SP §5.3.3.2-5' }],
  relax: ['no-iss'],
  external: false,
};

/** The attacker's authorization server, as the client knows it. */
export const ATTACKER_ISSUER = 'https://as.attacker.fapi-lab.example';

async function mixUp(p: Play, honest: Party): Promise<Attempt> {
  // The request the attacker's server sends the user on with: the client's, at the honest server.
  const { session, requestUri } = await push(honest);
  const { res, params } = await follow(
    p.target,
    authorizationUrl(p.target.metadata, honest.clientId, requestUri),
  );
  if (!params.get('code')) return { succeeded: false, status: res.status, summary: `${res.status}: no code` };
  try {
    // The login expects the attacker's server, which does not advertise iss (the weakest case).
    validateAuthorizationResponse(params, {
      issuer: ATTACKER_ISSUER,
      issParameterSupported: false,
      state: session.state,
    });
  } catch (e) {
    if (!isFapiError(e)) throw e;
    const iss = params.get('iss');
    return {
      succeeded: false,
      error: e.code,
      check: 'CL-11',
      summary: `client stops: ${e.code}${iss ? ` (iss is ${iss}, not ${ATTACKER_ISSUER})` : ''}`,
    };
  }
  return {
    succeeded: true,
    summary: `accepted: the client would send the code and its PKCE verifier to ${ATTACKER_ISSUER}`,
  };
}

const ACTION = "honest AS's response lands in the login with the attacker's AS";

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  await p.attack('attacker', ACTION, {}, () => mixUp(p, honest));
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  await p.attack('attacker', ACTION, { refusedWith: ['E_ISS_MISMATCH'] }, () => mixUp(p, honest));
}

export const mixUpScenario: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
