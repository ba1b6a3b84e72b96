/**
 * stolen-refresh-token: a refresh token leaks (the client's logs, a backup) and the thief redeems
 * it for fresh access tokens. Refresh tokens of confidential clients are not bound to a DPoP key
 * (RFC 9449 §5), so what protects them is client authentication at every refresh (RFC 6749 §6;
 * FAPI2-SP §5.3.2.1-6, RT-04) and their binding to the client they were issued to (RT-03).
 */
import { JWT_BEARER, createClientAssertion } from '../core/client-auth.js';
import { createDpopProof } from '../core/dpop.js';
import { formBody } from '../core/form.js';
import type { HttpClient } from '../http/client.js';
import {
  attemptOf,
  honestParty,
  login,
  ownDpopKey,
  playScenario,
  registerParty,
  resourceUrl,
  rsRequest,
  type Attempt,
  type Play,
} from './harness.js';
import { endpoint } from '../core/discovery.js';
import type { DpopKey } from '../core/dpop.js';
import type { AttackTarget, Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'stolen-refresh-token',
  title: 'a leaked refresh token is redeemed without the client’s credentials',
  attacker: 'A1',
  tried: 'redeems a leaked refresh token for new access tokens',
  story:
    "A refresh token leaks from the client's logs or a backup. It lives for a day, so a thief who redeems it gets fresh access tokens for as long as it lasts, and can bind them to a DPoP key of its own (refresh tokens of confidential clients are not bound to a DPoP key). FAPI 2.0 clients are confidential: every refresh must authenticate as the client the token was issued to, with the client's private key or certificate, which the thief does not have.",
  defence: 'client authentication at the token endpoint; refresh tokens bound to their client',
  rules: [
    { id: 'RT-04', spec: 'RFC 6749 §6; FAPI2-SP §5.3.2.1-6' },
    { id: 'CA-11', spec: 'RFC 6749 §3.2.1; FAPI2-SP §5.3.2.1-6' },
    { id: 'RT-03', spec: 'RFC 6749 §6, §10.4' },
  ],
  relax: ['refresh-without-client-auth'],
  external: false,
};

/** The thief's refresh request with a proof of its own key, optionally authenticated as its own client. */
async function thiefRefresh(
  target: AttackTarget,
  http: HttpClient,
  o: { refreshToken: string; clientId: string; dpopKey: DpopKey; assertion?: string },
): Promise<{ attempt: Attempt; accessToken?: string }> {
  const url = endpoint(target.metadata, 'token_endpoint', { mtls: false });
  const form: Record<string, string> = {
    grant_type: 'refresh_token',
    refresh_token: o.refreshToken,
    client_id: o.clientId,
  };
  if (o.assertion) Object.assign(form, { client_assertion_type: JWT_BEARER, client_assertion: o.assertion });
  let nonce: string | undefined;
  for (let i = 0; ; i++) {
    const res = await http({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: createDpopProof(o.dpopKey, { htm: 'POST', htu: url, ...(nonce ? { nonce } : {}) }),
      },
      body: formBody(form),
    });
    // RFC 9449 §8: a thief plays by the rules too, and retries once with the server's nonce.
    if (i === 0 && res.status === 400 && res.header('dpop-nonce') && res.text().includes('use_dpop_nonce')) {
      nonce = res.header('dpop-nonce');
      continue;
    }
    const attempt = await attemptOf(target, res, 'new access token for the thief');
    const body = attempt.succeeded ? (res.json() as Record<string, unknown>) : {};
    return {
      attempt,
      ...(typeof body.access_token === 'string' ? { accessToken: body.access_token } : {}),
    };
  }
}

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  const tokens = await login(p, honest);
  if (!tokens.refreshToken) throw new Error('the lab issued no refresh token');
  const http = p.target.http('attacker');
  const key = await ownDpopKey();
  let accessToken: string | undefined;
  await p.attack('attacker', 'thief redeems the refresh token with only the client_id', {}, async () => {
    const r = await thiefRefresh(p.target, http, {
      refreshToken: tokens.refreshToken!,
      clientId: honest.clientId,
      dpopKey: key,
    });
    accessToken = r.accessToken;
    return r.attempt;
  });
  if (!accessToken) return;
  await p.attack('attacker', 'thief calls the API with its new token', {}, async () =>
    attemptOf(
      p.target,
      await rsRequest(http, { url: resourceUrl(p.target), token: accessToken, scheme: 'DPoP', dpopKey: key }),
      'the thief reads the accounts',
    ),
  );
}

async function fapi2(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'dpop' });
  const tokens = await login(p, honest);
  if (!tokens.refreshToken) throw new Error('the lab issued no refresh token');
  const http = p.target.http('attacker');
  const key = await ownDpopKey();
  await p.attack(
    'attacker',
    'thief redeems the refresh token with only the client_id',
    { refusedWith: ['invalid_client', 'invalid_grant', 'invalid_request'] },
    async () =>
      (
        await thiefRefresh(p.target, http, {
          refreshToken: tokens.refreshToken!,
          clientId: honest.clientId,
          dpopKey: key,
        })
      ).attempt,
  );
  const own = await p.setup(
    'attacker',
    'thief registers a client of its own',
    () => registerParty(p.target, 'attacker', { binding: 'dpop' }),
    (c) => `client_id ${c.clientId.slice(0, 8)}…`,
  );
  const signing = own.signingKey!;
  await p.attack(
    'attacker',
    'thief redeems it authenticated as its own client',
    { refusedWith: ['invalid_grant', 'invalid_client'] },
    async () =>
      (
        await thiefRefresh(p.target, http, {
          refreshToken: tokens.refreshToken!,
          clientId: own.clientId,
          dpopKey: key,
          assertion: createClientAssertion({
            clientId: own.clientId,
            audience: p.target.issuer,
            privateKey: signing.privateKey,
            alg: signing.alg,
            ...(signing.kid ? { kid: signing.kid } : {}),
          }),
        })
      ).attempt,
  );
}

export const stolenRefreshToken: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
