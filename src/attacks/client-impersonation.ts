/**
 * client-impersonation: the attacker authenticates as the honest client with a client assertion
 * it did not make for this server: one the client sent to the attacker's own authorization server
 * (audience injection: the attacker's metadata named this server's token or PAR endpoint, or the
 * client put several audiences in an array), or a captured one sent again. FAPI 2.0 accepts only
 * the issuer, as a string, as aud (FAPI2-SP §5.3.2.1-8) and each jti once (RFC 7523 §3).
 */
import { JWT_BEARER, createClientAssertion } from '../core/client-auth.js';
import { endpoint } from '../core/discovery.js';
import { formBody } from '../core/form.js';
import { createAuthorizationSession, parParameters } from '../core/par.js';
import {
  Skip,
  attemptOf,
  capturedForm,
  honestParty,
  playScenario,
  push,
  type Attempt,
  type Party,
  type Play,
} from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'client-impersonation',
  title: 'a client assertion with the wrong audience, or a replayed one',
  attacker: 'A1a',
  tried: 'authenticates as the client with an assertion made for another server, or a replayed one',
  story:
    "An authorization server the client also uses is the attacker's. Its metadata names the honest server's token or PAR endpoint as its own, so the client's assertions for it carry that URL as their audience, or an array of audiences; the attacker sends them on to the honest server and is taken for the client. Or it replays an assertion captured on the way. FAPI 2.0 accepts only the issuer identifier itself, as a string, as an assertion's audience, and each assertion once.",
  defence: 'assertion aud = the issuer, as a string; one-time jti',
  rules: [
    { id: 'CA-02', spec: 'FAPI2-SP §5.3.2.1-8' },
    { id: 'CA-06', spec: 'RFC 7523 §3; OIDC Core §9' },
  ],
  relax: ['lax-assertion-aud', 'assertion-replay'],
  external: true,
};

const AS_CLIENT = 'accepted as the client';

/** A PAR request from the attacker, authenticated as the honest client with `assertion`. */
async function parAs(p: Play, party: Party, assertion: string): Promise<Attempt> {
  const url = endpoint(p.target.metadata, 'pushed_authorization_request_endpoint', { mtls: false });
  const session = createAuthorizationSession({ redirectUri: party.redirectUri, scope: 'openid accounts' });
  const form = {
    ...parParameters(party.clientId, session),
    client_assertion_type: JWT_BEARER,
    client_assertion: assertion,
  };
  const res = await p.target.http('attacker')({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: formBody(form),
  });
  return attemptOf(p.target, res, AS_CLIENT);
}

/** An assertion the client made for another audience (its own key: the attacker only relays it). */
function madeFor(p: Play, party: Party, audience: string | string[]): string {
  const key = party.signingKey;
  if (!key) throw new Skip('the client authenticates with mTLS, not with assertions');
  return createClientAssertion({
    clientId: party.clientId,
    audience,
    privateKey: key.privateKey,
    alg: key.alg,
    ...(key.kid ? { kid: key.kid } : {}),
    now: party.client.clock.now(new URL(p.target.issuer).origin),
  });
}

async function attempts(p: Play, honest: Party): Promise<void> {
  const fapi = p.mode === 'fapi2';
  const refused = { refusedWith: ['invalid_client', 'invalid_request'] };
  const o = fapi ? refused : {};
  const token = endpoint(p.target.metadata, 'token_endpoint', { mtls: false });
  const par = endpoint(p.target.metadata, 'pushed_authorization_request_endpoint', { mtls: false });
  await p.attack('attacker', 'assertion with aud = the token endpoint URL', o, () =>
    parAs(p, honest, madeFor(p, honest, token)),
  );
  await p.attack('attacker', 'assertion with aud = the PAR endpoint URL', o, () =>
    parAs(p, honest, madeFor(p, honest, par)),
  );
  await p.attack('attacker', 'assertion with aud = [issuer, attacker’s server]', o, () =>
    parAs(p, honest, madeFor(p, honest, [p.target.issuer, 'https://as.attacker.fapi-lab.example'])),
  );
  const captured = await p.setup(
    'client',
    'honest client pushes a request (its assertion is captured)',
    async () => {
      const { exchange } = await push(honest);
      const sent = exchange.attempts[exchange.attempts.length - 1]!.request;
      const a = capturedForm(sent.body).get('client_assertion');
      if (!a) throw new Skip('the client sent no client assertion');
      return a;
    },
    () => '201',
  );
  await p.attack('attacker', 'the captured assertion is replayed', o, () => parAs(p, honest, captured));
}

async function relaxed(p: Play): Promise<void> {
  await attempts(p, await honestParty(p, { binding: 'dpop' }));
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  if (honest.client.authMethod !== 'private_key_jwt')
    throw new Skip('the profile authenticates with mTLS, not with client assertions');
  await attempts(p, honest);
}

export const clientImpersonation: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
