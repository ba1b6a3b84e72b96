/**
 * token-in-url: an access token sent in the URL's query (RFC 6750 §2.3) ends up in access logs,
 * browser history and Referer headers, where an attacker reads it and replays the URL. A FAPI 2.0
 * resource server never accepts a token in the query (FAPI2-SP §5.3.4-2), so clients cannot leak
 * it that way.
 */
import {
  attemptOf,
  honestParty,
  honestTokens,
  login,
  playScenario,
  resourceUrl,
  rsRequest,
  type Play,
} from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'token-in-url',
  title: 'the access token in a query string',
  attacker: 'A7',
  tried: 'replays a URL carrying the access token, read from an access log',
  story:
    'A client that puts the access token in the URL (?access_token=…, which RFC 6750 §2.3 still allows) leaks it into every access log, proxy log, browser history and Referer header on the way. An attacker who reads a log replays the URL. A FAPI 2.0 resource server never accepts a token in the query, so the token cannot be used, or leaked, that way.',
  defence: 'access tokens only in the Authorization header',
  rules: [{ id: 'RS-02', spec: 'FAPI2-SP §5.3.4-2; RFC 6750 §2.3' }],
  relax: ['bearer-tokens', 'token-in-query'],
  external: true,
};

function withToken(url: string, token: string): string {
  const u = new URL(url);
  u.searchParams.set('access_token', token);
  return u.href;
}

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'bearer' });
  const tokens = await login(p, honest);
  const url = withToken(resourceUrl(p.target), tokens.accessToken);
  await p.setup(
    'client',
    'honest client calls /accounts?access_token=… (the URL is logged)',
    async () => {
      const res = await honest.http({ method: 'GET', url });
      if (res.status !== 200) throw new Error(`the resource server answered ${res.status}`);
      return res;
    },
    (r) => `${r.status}`,
  );
  await p.attack('attacker', 'attacker replays the URL from the log', {}, async () =>
    attemptOf(
      p.target,
      await rsRequest(p.target.http('attacker'), { url }),
      'the attacker reads the accounts',
    ),
  );
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  const tokens = await honestTokens(p, honest);
  const base = resourceUrl(p.target);
  await p.attack('attacker', 'the token is sent in the query: /accounts?access_token=…', {}, async () =>
    attemptOf(
      p.target,
      await rsRequest(p.target.http('attacker'), { url: withToken(base, tokens.accessToken) }),
      'accepted',
    ),
  );
  if (honest.binding !== 'dpop') return;
  // Even next to a valid header and proof, a query token is refused (RFC 6750 §2: one method only).
  await p.attack('attacker', 'in the query as well as in a valid DPoP request', {}, async () => {
    const ex = await honest.client.sendToResource({
      method: 'GET',
      url: withToken(base, tokens.accessToken),
      accessToken: tokens.accessToken,
      scheme: 'DPoP',
    });
    return attemptOf(p.target, ex.response, 'accepted');
  });
}

export const tokenInUrl: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
