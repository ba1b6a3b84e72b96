/**
 * request-tampering: the authorization request is altered on its way through the browser (a
 * malicious extension, a manipulated link): here the scope is widened to `payments`. A pushed
 * request (RFC 9126) travels in the back channel, authenticated; the front channel carries only
 * client_id and request_uri, and the server uses only the pushed parameters (RFC 9126 §4,
 * FAPI2-SP §5.3.2.2-3).
 */
import { authorizationUrl, createAuthorizationSession, parParameters } from '../core/par.js';
import { validateAuthorizationResponse } from '../core/authorization-response.js';
import {
  authorizationAttempt,
  follow,
  frontChannelUrl,
  honestParty,
  playScenario,
  push,
  redeem,
  tokensOf,
  type Attempt,
  type Party,
  type Play,
} from './harness.js';
import type { AuthorizationSession } from '../core/par.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'request-tampering',
  title: 'the authorization request is altered in the front channel',
  attacker: 'A2',
  tried: 'widens the scope of the authorization request on its way through the browser',
  story:
    'In plain OAuth the whole authorization request travels in the browser\'s URL, where a malicious extension, an app or a crafted link can change it: here the attacker widens the scope from "accounts" to "accounts payments", and the user approves more than the client asked for. With PAR the client pushes the request to the server directly, authenticated; the browser carries only client_id and request_uri, and parameters added to that URL are ignored. A request sent the old way is refused.',
  defence: 'pushed authorization requests (PAR) only; front-channel parameters ignored',
  rules: [
    { id: 'AZ-01', spec: 'FAPI2-SP §5.3.2.2-3' },
    { id: 'AZ-06', spec: 'RFC 9126 §4; RFC 9101 §6.3' },
  ],
  relax: ['no-par'],
  external: true,
};

const WIDENED = 'openid accounts payments';

/** The scope the token ended up with, after the client's checks and its token request. */
async function grantedScope(p: Play, party: Party, params: URLSearchParams, session: AuthorizationSession) {
  const { code } = validateAuthorizationResponse(params, {
    issuer: p.target.issuer,
    issParameterSupported: p.target.metadata.authorization_response_iss_parameter_supported === true,
    state: session.state,
  });
  return tokensOf(party, await redeem(party, code, session)).scope ?? '';
}

/** The client's request sent in the front channel, with the scope widened on the way. */
async function frontChannel(p: Play, party: Party): Promise<Attempt> {
  const session = createAuthorizationSession({
    redirectUri: party.redirectUri,
    scope: 'openid accounts',
    ...(party.binding === 'dpop' ? { dpopJkt: party.client.dpopJkt as string } : {}),
  });
  const url = frontChannelUrl(p.target, { ...parParameters(party.clientId, session), scope: WIDENED });
  const r = await follow(p.target, url.href);
  const a = await authorizationAttempt(p.target, r, () => 'code issued');
  if (!a.succeeded || !p.target.lab || r.res.status === 200) return a;
  const scope = await grantedScope(p, party, r.params, session);
  return scope.split(' ').includes('payments')
    ? { ...a, summary: `${r.res.status}, token scope "${scope}": more than the client asked for` }
    : { succeeded: false, status: r.res.status, summary: `${r.res.status}, the tampered scope was ignored` };
}

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop', frontChannel: true });
  await p.attack('attacker', 'the front-channel request is altered: scope + payments', {}, () =>
    frontChannel(p, honest),
  );
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  await p.attack(
    'attacker',
    'the request is sent in the front channel and altered: scope + payments',
    {},
    () => frontChannel(p, honest),
  );
  await p.labOnly(
    'attacker',
    'parameters are added to the pushed request’s URL',
    'needs the lab (auto-approve)',
    () =>
      p
        .attack('attacker', 'scope=payments is added to the pushed request’s URL', {}, async () => {
          const { session, requestUri } = await push(honest, { scope: 'openid accounts' });
          const url = new URL(authorizationUrl(p.target.metadata, honest.clientId, requestUri));
          url.searchParams.set('scope', WIDENED);
          const r = await follow(p.target, url.href);
          if (!r.params.get('code')) return authorizationAttempt(p.target, r, () => undefined);
          const scope = await grantedScope(p, honest, r.params, session);
          return scope.split(' ').includes('payments')
            ? { succeeded: true, status: r.res.status, summary: `${r.res.status}, token scope "${scope}"` }
            : {
                succeeded: false,
                status: r.res.status,
                check: 'AZ-06',
                summary: `${r.res.status}, only the pushed scope counts: "${scope}" (AZ-06)`,
              };
        })
        .then(() => undefined),
  );
}

export const requestTampering: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
