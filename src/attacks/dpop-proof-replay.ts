/**
 * dpop-proof-replay: an attacker who reads requests at the resource server (a TLS-terminating
 * proxy's log, attacker A7) captures a whole request, access token and DPoP proof, and replays it.
 * The proof is single-use (jti replay detection, RFC 9449 §11.1), bound to the server's current
 * nonce (§9) and to one method and URL (§4.3).
 */
import {
  attemptOf,
  honestParty,
  honestTokens,
  playScenario,
  resourceUrl,
  rsRequest,
  type Party,
  type Play,
  type Tokens,
} from './harness.js';
import { callResource } from '../core/resource.js';
import type { Exchange } from '../core/client.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'dpop-proof-replay',
  title: 'a captured request, access token and DPoP proof, is replayed',
  attacker: 'A7',
  tried: 'replays a captured request with its access token and DPoP proof',
  story:
    'An attacker who can read requests after the resource server processed them (a TLS-terminating proxy that logs headers) captures a complete request: the DPoP-bound access token and the DPoP proof that goes with it. It cannot sign new proofs, so it sends the captured ones again. A DPoP proof is good for one request: the server remembers its jti, demands its own fresh nonce in it, and it names one method and one URL.',
  defence: 'single-use DPoP proofs: jti replay detection, server nonces',
  rules: [
    { id: 'DP-12', spec: 'RFC 9449 §11.1' },
    { id: 'DP-10', spec: 'RFC 9449 §9; FAPI2-SP §5.3.2.1-10' },
    { id: 'DP-08', spec: 'RFC 9449 §4.3' },
  ],
  relax: ['dpop-replay', 'no-dpop-nonce'],
  external: true,
};

const STOLE = 'the replay reads the accounts';

/** The honest client's call, and the request an attacker reading the logs captured from it. */
async function capture(p: Play, honest: Party, tokens: Tokens): Promise<Record<string, string>> {
  const url = resourceUrl(p.target);
  const ex: Exchange = await p.setup(
    'client',
    `honest client calls ${new URL(url).pathname} (the request is logged)`,
    () =>
      callResource(honest.client, { method: 'GET', url, accessToken: tokens.accessToken, scheme: 'DPoP' }),
    (e) => `${e.response.status}`,
  );
  if (ex.response.status !== 200)
    throw new Error(`the honest call answered ${ex.response.status}: the token does not work`);
  const sent = ex.attempts[ex.attempts.length - 1]!.request.headers ?? {};
  const headers: Record<string, string> = {};
  for (const k of ['authorization', 'dpop', 'x-fapi-interaction-id']) {
    const v = sent[k];
    if (typeof v === 'string') headers[k] = v;
  }
  return headers;
}

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  const headers = await capture(p, honest, await honestTokens(p, honest));
  await p.attack('attacker', 'attacker replays the captured request', {}, async () =>
    attemptOf(
      p.target,
      await rsRequest(p.target.http('attacker'), { url: resourceUrl(p.target), headers }),
      STOLE,
    ),
  );
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  if (honest.binding !== 'dpop') {
    p.skip('attacker', 'attacker replays a captured DPoP proof', 'the profile does not use DPoP');
    return;
  }
  const url = resourceUrl(p.target);
  const attacker = p.target.http('attacker');
  const headers = await capture(p, honest, await honestTokens(p, honest));
  await p.attack(
    'attacker',
    'attacker replays the captured request at once',
    { refusedWith: ['invalid_dpop_proof', 'use_dpop_nonce'] },
    async () => attemptOf(p.target, await rsRequest(attacker, { url, headers }), STOLE),
  );
  // The proof names GET and this URL (RFC 9449 §4.3 checks 8, 9).
  await p.attack(
    'attacker',
    'attacker reuses the proof for another request (POST /payments)',
    { refusedWith: ['invalid_dpop_proof', 'use_dpop_nonce'] },
    async () =>
      attemptOf(
        p.target,
        await rsRequest(attacker, {
          method: 'POST',
          url: new URL('payments', new URL('./', url)).href,
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ amount: '100.00', currency: 'EUR', creditor: 'attacker' }),
        }),
        'the payment was made',
      ),
  );
  const rotate = p.target.dpopNonceRotateSeconds;
  if (!p.target.advanceClock || !rotate) {
    p.skip('attacker', 'attacker replays it after the server nonce changed', 'needs the lab clock');
    return;
  }
  // Two rotation periods later the nonce in the captured proof is stale (the previous one stays valid).
  const seconds = rotate * 2 + 1;
  p.target.advanceClock(seconds);
  try {
    await p.attack(
      'attacker',
      `attacker replays it ${seconds} s later, after the server nonce changed`,
      { refusedWith: ['use_dpop_nonce'] },
      async () => attemptOf(p.target, await rsRequest(attacker, { url, headers }), STOLE),
    );
  } finally {
    p.target.advanceClock(-seconds);
  }
}

export const dpopProofReplay: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
