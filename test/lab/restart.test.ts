/** What survives a restart: the CA and TLS certificate, the lab key, clients, grants and refresh tokens. */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { startLab } from '../../lab/server.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertion,
  code,
  json,
  newDpopKey,
  postForm,
  proof,
  redeem,
  registerClient,
  startTestLab,
} from './helpers.js';

let home = '';
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('restart', () => {
  it('keeps the CA, keys, clients and refresh tokens; files holding secrets are 0600', async () => {
    const a = await startTestLab({}, { keepHome: true });
    home = a.home;
    const c = await registerClient(a);
    const { code: cv, flow } = await code(a, c);
    const tokens = json(await redeem(a, c, cv, flow));
    const jwks = json(await a.http({ method: 'GET', url: `${a.lab.issuer}/jwks` }));
    const ca = readFileSync(a.lab.caFile, 'utf8');
    await a.close();
    for (const f of ['ca-key.pem', 'server-key.pem', 'keys.json', 'state.json', `clients/${c.clientId}.json`])
      expect(statSync(`${home}/${f}`).mode & 0o777, f).toBe(0o600);

    const b = await startTestLab({}, { home, keepHome: true });
    try {
      expect(readFileSync(b.lab.caFile, 'utf8')).toBe(ca);
      expect(json(await b.http({ method: 'GET', url: `${b.lab.issuer}/jwks` }))).toEqual(jwks);
      expect(b.lab.ctx.clients.get(c.clientId)).toBeDefined();
      const url = `${b.lab.issuer}/token`;
      const r = await postForm(
        b.http,
        url,
        { ...assertion(b, c), grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string },
        { dpop: proof(b, await newDpopKey(), 'POST', url) },
      );
      expect(r.status, r.text()).toBe(200);
    } finally {
      await b.close();
    }
  });

  it('starts with a note instead of failing when saved state is unreadable', async () => {
    writeFileSync(`${home}/state.json`, '{ broken');
    const c = await startTestLab({}, { home, keepHome: true });
    expect(c.lab.ctx.clients.size).toBeGreaterThan(0);
    await c.close();
  });

  it('a port in use is a local-state error (exit 3) naming the cause', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startLab({ home, config: { port: 0, rsPort: port } })).rejects.toMatchObject({
        code: 'E_LAB_PORT',
        kind: 'localState',
        message: expect.stringContaining('EADDRINUSE'),
      });
    } finally {
      blocker.close();
    }
  });
});

describe('a start that fails', () => {
  it('leaves no work behind: the CA it was creating is complete when startLab rejects', async () => {
    const { mkdtempSync, existsSync } = await import('node:fs');
    const { X509Certificate } = await import('node:crypto');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-lab-failed-start-'));
    try {
      // A key file that is refused at once, while the CA (a key pair and two certificates) is made.
      writeFileSync(path.join(dir, 'keys.json'), '{"version": 1, "keys": "not a list"}');
      await expect(startLab({ home: dir, config: { port: 0 } })).rejects.toMatchObject({
        code: 'E_LAB_KEYS',
      });
      const ca = new X509Certificate(readFileSync(path.join(dir, 'ca.pem')));
      const server = new X509Certificate(readFileSync(path.join(dir, 'server.pem')));
      expect(server.verify(ca.publicKey)).toBe(true);
      expect(existsSync(path.join(dir, 'server-key.pem'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
