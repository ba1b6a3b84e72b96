/**
 * DPoP server nonces at the AS under the `dpop-nonce-rotate` fault (a new nonce after every
 * accepted proof, only the newest valid): every response carries the nonce to use next (RFC 9449
 * §8, §8.2), as it stands when the response is sent, also when another request rotated it while
 * this one was being processed (here: a client authentication that waits for its jwks_uri).
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateKeyPem } from '../../src/keys/generate.js';
import { json, newKey, par, registerClient, startTestLab, type TestLab } from './helpers.js';

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab({ faults: ['dpop-nonce-rotate'] });
});
afterAll(() => t.close());

describe('dpop-nonce-rotate at the AS (RFC 9449 §8)', () => {
  it('a PAR with a proof answers with the rotated nonce, which the next PAR uses', async () => {
    const c = await registerClient(t);
    const before = t.lab.ctx.nonces.as.current();
    const first = await par(t, c);
    expect(first.res.status, first.res.text()).toBe(201);
    const next = first.res.header('dpop-nonce');
    expect(next).not.toBe(before);
    expect(next).toBe(t.lab.ctx.nonces.as.current());
    const second = await par(t, c, { headers: {} });
    expect(second.res.status, second.res.text()).toBe(201);
  });

  it('a PAR that waited while another request rotated the nonce answers with the new one, not the one from its start', async () => {
    // A client whose jwks_uri answers only when released: its PAR waits in client authentication.
    const k = await newKey();
    const serverKey = await newKey();
    const cert = await t.lab.ctx.ca.issueServerCertificate({
      key: serverKey,
      subject: 'CN=jwks.test',
      sans: [{ type: 'ip', value: '127.0.0.1' }],
    });
    let hold = false;
    const waiting: (() => void)[] = [];
    const server = https.createServer(
      { key: privateKeyPem(serverKey.privateKey), cert: cert.pem },
      (_q, res) => {
        const answer = () =>
          res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [k.publicJwk] }));
        if (hold) waiting.push(answer);
        else answer();
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const jwksUri = `https://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      const slow = await registerClient(t, { jwks: undefined, jwks_uri: jwksUri }, k);
      const other = await registerClient(t);
      // The lab caches a jwks_uri for 300 s: move past that, so the PAR fetches it again.
      t.advance(301);
      hold = true;
      const pending = par(t, slow, { dpop: null });
      for (let i = 0; i < 200 && waiting.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(waiting.length).toBe(1);
      const rotated = await par(t, other);
      expect(rotated.res.status, rotated.res.text()).toBe(201);
      hold = false;
      for (const answer of waiting.splice(0)) answer();
      const { res } = await pending;
      expect(res.status, res.text()).toBe(201);
      expect(json(res).request_uri).toBeTruthy();
      expect(res.header('dpop-nonce')).toBe(t.lab.ctx.nonces.as.current());
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
