/** The loopback listener (CL-10): 127.0.0.1 only, one response, then refused; port rules of RFC 8252 §7.3. */
import http from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type CallbackListener, loopbackTarget, startCallbackListener } from '../../../src/http/callback.js';
import { expectFapiError } from '../../helpers/expect-error.js';

let listener: CallbackListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe('loopback callback listener', () => {
  it('CL-10: an ephemeral port on 127.0.0.1 when the registered URI names none', async () => {
    listener = await startCallbackListener({ redirectUri: 'http://127.0.0.1/callback', timeoutMs: 5000 });
    const u = new URL(listener.redirectUri);
    expect(u.hostname).toBe('127.0.0.1');
    expect(Number(u.port)).toBeGreaterThan(0);
    expect(u.pathname).toBe('/callback');
  });

  it('CL-10: the port of the registered URI when it names one', async () => {
    const port = await freePort();
    listener = await startCallbackListener({ redirectUri: `http://127.0.0.1:${port}/cb`, timeoutMs: 5000 });
    expect(listener.redirectUri).toBe(`http://127.0.0.1:${port}/cb`);
  });

  it('CL-10: accepts exactly one response, shows the close-this-tab page, refuses a second hit', async () => {
    listener = await startCallbackListener({ redirectUri: 'http://127.0.0.1/callback', timeoutMs: 5000 });
    const miss = await get(listener.redirectUri.replace('/callback', '/favicon.ico'));
    expect(miss.status).toBe(404);
    const empty = await get(listener.redirectUri);
    expect(empty.status).toBe(400);
    const first = await get(`${listener.redirectUri}?code=c1&state=s&iss=x`);
    expect(first.status).toBe(200);
    expect(first.body).toContain('You can close this tab');
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    expect(first.headers['cache-control']).toBe('no-store');
    const second = await get(`${listener.redirectUri}?code=c2&state=s`);
    expect(second.status).toBe(400);
    expect(second.body).toContain('Already received');
    const params = await listener.response;
    expect(params.get('code')).toBe('c1');
  });

  it('MS-09: a JARM response (only ?response=<JWT>) is an authorization response too', async () => {
    listener = await startCallbackListener({ redirectUri: 'http://127.0.0.1/callback', timeoutMs: 5000 });
    const other = await get(`${listener.redirectUri}?foo=bar`);
    expect(other.status).toBe(400);
    const hit = await get(`${listener.redirectUri}?response=eyJ.eyJ.sig`);
    expect(hit.status).toBe(200);
    expect((await listener.response).get('response')).toBe('eyJ.eyJ.sig');
  });

  it('CL-10: answers only requests addressed to its loopback host (DNS rebinding)', async () => {
    listener = await startCallbackListener({ redirectUri: 'http://127.0.0.1/callback', timeoutMs: 5000 });
    const r = await get(`${listener.redirectUri}?code=c1&state=s`, { host: 'evil.example' });
    expect(r.status).toBe(421);
  });

  it('CL-10: is not reachable on other interfaces (bound to 127.0.0.1)', async () => {
    listener = await startCallbackListener({ redirectUri: 'http://127.0.0.1/callback', timeoutMs: 5000 });
    const { networkInterfaces } = await import('node:os');
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!lan) return; // no LAN interface in this sandbox
    const port = new URL(listener.redirectUri).port;
    await expect(get(`http://${lan.address}:${port}/callback?code=x`)).rejects.toThrow();
  });

  it('refuses redirect URIs it cannot serve', () => {
    for (const uri of [
      'https://app.example/cb',
      'http://192.168.1.2/cb',
      'not a url',
      'https://127.0.0.1/cb',
    ])
      expectFapiError(() => loopbackTarget(uri), { exitCode: 2, label: uri });
    expect(loopbackTarget('http://[::1]:8080/cb')).toMatchObject({ host: '::1', port: 8080 });
  });

  it('fails with a hint when the registered port is in use', async () => {
    const first = await startCallbackListener({ redirectUri: 'http://127.0.0.1/callback', timeoutMs: 5000 });
    try {
      await expect(
        startCallbackListener({ redirectUri: first.redirectUri, timeoutMs: 5000 }),
      ).rejects.toMatchObject({ code: 'E_CALLBACK_PORT_IN_USE' });
    } finally {
      await first.close();
    }
  });

  it('times out, and stops on abort (exit 130)', async () => {
    listener = await startCallbackListener({ redirectUri: 'http://127.0.0.1/callback', timeoutMs: 50 });
    await expect(listener.response).rejects.toMatchObject({ code: 'E_CALLBACK_TIMEOUT' });
    const ac = new AbortController();
    const l2 = await startCallbackListener({
      redirectUri: 'http://127.0.0.1/callback',
      timeoutMs: 5000,
      signal: ac.signal,
    });
    ac.abort();
    await expect(l2.response).rejects.toMatchObject({ code: 'E_INTERRUPTED', exitCode: 130 });
    await l2.close();
  });
});
