/**
 * evil-twin: an access token stolen from a log is replayed from another machine. A bearer token is
 * all a thief needs; FAPI 2.0 issues only sender-constrained tokens (FAPI2-SP §5.3.2.1-4), which
 * the resource server accepts only with a proof of the client's DPoP key (RFC 9449 §7.1) or over
 * the client's own TLS certificate (RFC 8705 §3).
 */
import { privateKeyPem } from '../keys/generate.js';
import {
  attackerKey,
  attemptOf,
  honestCall,
  honestParty,
  honestTokens,
  login,
  ownDpopKey,
  playScenario,
  registerParty,
  resourceUrl,
  rsRequest,
  type Party,
  type Play,
} from './harness.js';
import type { Scenario, ScenarioInfo } from './types.js';

const info: ScenarioInfo = {
  id: 'evil-twin',
  title: 'an access token stolen from a log is replayed from another machine',
  attacker: 'A7',
  tried: 'replays an access token stolen from a log, from another machine',
  story:
    "The honest client's access token ends up in a log: a TLS-terminating proxy, a crash dump, a container's environment. An imposter machine, the evil twin, replays it to the API. With a bearer token that is all it takes. FAPI 2.0 issues only sender-constrained tokens: a DPoP-bound token is accepted only with a fresh proof signed by the client's private key, a certificate-bound one only over the client's TLS certificate, and the thief has neither.",
  defence: 'sender-constrained access tokens (DPoP or mTLS)',
  rules: [
    { id: 'DP-03', spec: 'RFC 9449 §4.3, §7.1' },
    { id: 'DP-14', spec: 'RFC 9449 §7.1' },
    { id: 'DP-21', spec: 'RFC 9449 §7.2' },
    { id: 'MT-07', spec: 'RFC 8705 §3' },
    { id: 'TK-08', spec: 'FAPI2-SP §5.3.2.1-4' },
  ],
  relax: ['bearer-tokens'],
  external: true,
};

const STOLE = 'the thief reads the accounts';

async function relaxed(p: Play): Promise<void> {
  const honest = await honestParty(p, { binding: 'bearer' });
  const tokens = await login(p, honest);
  await honestCall(p, honest, tokens);
  const thief = p.target.http('attacker');
  await p.attack('attacker', 'thief replays the token from another machine', {}, async () =>
    attemptOf(
      p.target,
      await rsRequest(thief, { url: resourceUrl(p.target), token: tokens.accessToken, scheme: 'Bearer' }),
      STOLE,
    ),
  );
}

async function dpopBound(p: Play, honest: Party): Promise<void> {
  const tokens = await honestTokens(p, honest);
  await honestCall(p, honest, tokens);
  const url = resourceUrl(p.target);
  const thief = p.target.http('attacker');
  // RFC 9449 §7.1: a DPoP-bound token without a proof is refused.
  await p.attack('attacker', 'thief replays the token, no proof', {}, async () =>
    attemptOf(p.target, await rsRequest(thief, { url, token: tokens.accessToken, scheme: 'DPoP' }), STOLE),
  );
  // RFC 9449 §7.2: nor is it accepted as a bearer token (a downgrade).
  await p.attack('attacker', 'thief sends it as a Bearer token', {}, async () =>
    attemptOf(p.target, await rsRequest(thief, { url, token: tokens.accessToken, scheme: 'Bearer' }), STOLE),
  );
  // RFC 9449 §7.1 / §6.1: the proof key must be the one in cnf.jkt.
  const ownKey = await ownDpopKey();
  await p.attack(
    'attacker',
    'thief signs a proof with its own key',
    { refusedWith: ['invalid_token', 'invalid_dpop_proof'] },
    async () =>
      attemptOf(
        p.target,
        await rsRequest(thief, { url, token: tokens.accessToken, scheme: 'DPoP', dpopKey: ownKey }),
        STOLE,
      ),
  );
}

async function certificateBound(p: Play, honest: Party): Promise<void> {
  const tokens = await honestTokens(p, honest);
  await honestCall(p, honest, tokens);
  const url = resourceUrl(p.target);
  await p.attack('attacker', 'thief replays the token without the client certificate', {}, async () =>
    attemptOf(
      p.target,
      await rsRequest(p.target.http('attacker'), { url, token: tokens.accessToken, scheme: 'Bearer' }),
      STOLE,
    ),
  );
  await p.labOnly('attacker', 'thief presents its own client certificate', 'needs the lab CA', async () => {
    // The thief's own certificate, from the same CA as the client's: only the thumbprint differs.
    const key = await attackerKey();
    const issued = await p.target.issueCertificate!(key, 'CN=evil-twin,O=fapi lab attack');
    const http = p.target.http('attacker', { cert: issued.pem, key: privateKeyPem(key.privateKey) });
    await p.attack(
      'attacker',
      'thief presents its own client certificate',
      { refusedWith: ['invalid_token'] },
      async () =>
        attemptOf(
          p.target,
          await rsRequest(http, { url, token: tokens.accessToken, scheme: 'Bearer' }),
          STOLE,
        ),
    );
  });
}

async function fapi2(p: Play): Promise<void> {
  if (!p.target.lab) {
    const honest = await honestParty(p, { binding: 'dpop' });
    return honest.binding === 'mtls' ? certificateBound(p, honest) : dpopBound(p, honest);
  }
  await dpopBound(p, await honestParty(p, { binding: 'dpop' }));
  const mtls = await p.setup(
    'client',
    'honest mTLS client registers (certificate-bound tokens)',
    () => registerParty(p.target, 'client', { binding: 'mtls' }),
    (c) => `certificate x5t#S256 ${c.certificate?.x5t.slice(0, 8)}…`,
  );
  await certificateBound(p, mtls);
}

export const evilTwin: Scenario = {
  ...info,
  run: (env) => playScenario(info, env, relaxed, fapi2),
};
