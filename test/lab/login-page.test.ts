/**
 * The login-and-consent page in a real browser (headless Chromium, playwright-core): log in as
 * alice and approve → the redirect URI gets code, state and iss (AZ-02); deny → access_denied with
 * state and iss; the page names the client and the scopes (AZ-11); loading the page twice and
 * approving the second works, the first is then refused (PAR-07, PAR-06).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, json, par, registerClient, startTestLab, type TestClient, type TestLab } from './helpers.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let t: TestLab;
let client: TestClient;
let browser: Browser;
let context: BrowserContext;
let callback: http.Server;
let callbackBase: string;
const hits: URL[] = [];

beforeAll(async () => {
  callback = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', callbackBase);
    if (url.pathname === '/cb') hits.push(url); // not /favicon.ico
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>client callback</title><p>back at the client</p>');
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  callbackBase = `http://127.0.0.1:${(callback.address() as AddressInfo).port}`;
  [t, browser] = await Promise.all([
    startTestLab({ autoApprove: false }),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
  ]);
  client = await registerClient(t, { client_name: 'Budget Buddy', redirect_uris: ['http://127.0.0.1/cb'] });
  // The lab CA is trusted explicitly for this test only, as a user would import it.
  context = await browser.newContext({ ignoreHTTPSErrors: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await new Promise((r) => callback?.close(r));
  await t?.close();
});

async function pushed(scope = 'openid accounts payments') {
  const { res, flow } = await par(t, client, { params: { redirect_uri: `${callbackBase}/cb`, scope } });
  expect(res.status, res.text()).toBe(201);
  const url = `${t.lab.issuer}/authorize?${form({ client_id: client.clientId, request_uri: json(res).request_uri as string })}`;
  return { url, flow };
}

async function waitForHit(n: number): Promise<URL> {
  for (let i = 0; i < 200 && hits.length < n; i++) await new Promise((r) => setTimeout(r, 25));
  expect(hits.length).toBe(n);
  return hits[n - 1] as URL;
}

describe('login page in Chromium', () => {
  it('AZ-11 + AZ-02: shows the client and scopes; alice approves → code, state and iss at the redirect URI', async () => {
    const { url, flow } = await pushed();
    const page = await context.newPage();
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['strict-transport-security']).toMatch(/max-age/);
    await expect(page.locator('#client-name').textContent()).resolves.toBe('Budget Buddy');
    const scopes = (await page.locator('#scopes').textContent()) ?? '';
    for (const s of ['openid', 'accounts', 'payments']) expect(scopes).toContain(s);
    expect(scopes).toContain('initiate payments');
    await page.check('input[name=user][value=alice]');
    const before = hits.length;
    await page.click('#approve');
    const hit = await waitForHit(before + 1);
    expect(hit.pathname).toBe('/cb');
    expect(hit.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hit.searchParams.get('state')).toBe(flow.state);
    expect(hit.searchParams.get('iss')).toBe(t.lab.issuer);
    const code = t.lab.ctx.codes.get(hit.searchParams.get('code') as string);
    expect(code?.sub).toBe('alice');
    await page.close();
  });

  it('deny → access_denied with state and iss', async () => {
    const { url, flow } = await pushed('accounts');
    const page = await context.newPage();
    await page.goto(url);
    await page.check('input[name=user][value=bob]');
    const before = hits.length;
    await page.click('#deny');
    const hit = await waitForHit(before + 1);
    expect(hit.searchParams.get('error')).toBe('access_denied');
    expect(hit.searchParams.get('state')).toBe(flow.state);
    expect(hit.searchParams.get('iss')).toBe(t.lab.issuer);
    expect(hit.searchParams.has('code')).toBe(false);
    await page.close();
  });

  it('PAR-07: two page loads do not burn the request_uri; approving one consumes it (PAR-06 for the other)', async () => {
    const { url } = await pushed('accounts');
    const first = await context.newPage();
    const second = await context.newPage();
    await first.goto(url);
    await second.goto(url);
    const before = hits.length;
    await second.click('#approve');
    const hit = await waitForHit(before + 1);
    expect(hit.searchParams.get('code')).toBeTruthy();
    const refused = first.waitForResponse((r) => r.url().endsWith('/authorize/decision'));
    await first.click('#approve');
    expect((await refused).status()).toBe(400);
    await expect(first.locator('#error').textContent()).resolves.toBe('invalid_request_uri');
    expect(hits.length).toBe(before + 1);
    await first.close();
    await second.close();
  });

  it('AZ-04: the decision is a 303; a decision without the browser cookie of the page is refused (CSRF)', async () => {
    const { url } = await pushed('accounts');
    const page = await t.http({ method: 'GET', url });
    expect(page.status).toBe(200);
    const interaction = /name="interaction" value="([^"]+)"/.exec(page.text())?.[1] as string;
    const cookie = (page.header('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^__Host-fapi-lab-browser=/);
    expect(page.header('set-cookie')).toMatch(/Secure; HttpOnly; SameSite=Lax/);
    const decide = (headers: Record<string, string>) =>
      t.http({
        method: 'POST',
        url: `${t.lab.issuer}/authorize/decision`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: form({ interaction, user: 'alice', decision: 'approve' }),
      });
    const forged = await decide({});
    expect(forged.status).toBe(400);
    expect(forged.header('location')).toBeUndefined();
    const ok = await decide({ cookie });
    expect(ok.status).toBe(303);
    expect(new URL(ok.header('location') as string).searchParams.get('code')).toBeTruthy();
  });
});
