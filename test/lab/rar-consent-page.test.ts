/**
 * RAR-04 in a real browser (headless Chromium, playwright-core): the consent page shows each
 * authorization detail in words (RFC 9396 §3.1), and a creditor name carrying HTML stays text
 * (RFC 9396 §12: the AS must sanitise what the client sends): no element is created from it and
 * no script runs. Approving issues a code whose grant carries exactly the details shown.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, json, par, registerClient, startTestLab, type TestClient, type TestLab } from './helpers.js';
import { PAY_BOB, READ_ACCOUNTS } from './rar-helpers.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'];

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
    if (url.pathname === '/cb') hits.push(url);
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>client</title><p>back at the client</p>');
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  callbackBase = `http://127.0.0.1:${(callback.address() as AddressInfo).port}`;
  [t, browser] = await Promise.all([
    startTestLab({ autoApprove: false }),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
  ]);
  client = await registerClient(t, { client_name: 'Pay Buddy', redirect_uris: ['http://127.0.0.1/cb'] });
  context = await browser.newContext({ ignoreHTTPSErrors: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await new Promise((r) => callback?.close(r));
  await t?.close();
});

const INJECTION = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>Bob "the Builder" & Co`;

describe('the consent page in Chromium', () => {
  it('RAR-04 shows each detail in words; HTML in a creditor name stays text; approval grants exactly those', async () => {
    const evil = { ...PAY_BOB, creditorName: INJECTION };
    const { res } = await par(t, client, {
      params: {
        redirect_uri: `${callbackBase}/cb`,
        scope: 'openid',
        authorization_details: JSON.stringify([evil, READ_ACCOUNTS]),
      },
    });
    expect(res.status, res.text()).toBe(201);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(
      `${t.lab.issuer}/authorize?${form({ client_id: client.clientId, request_uri: json(res).request_uri as string })}`,
    );
    const list = page.locator('#authorization-details');
    const items = await list.locator('li').allTextContents();
    expect(items).toEqual([
      `payment_initiation — Pay 10.00 EUR to ${INJECTION} (IBAN DE02100100109307118603), reference "Invoice 42", once`,
      'account_information — List your accounts, read their balances: only the accounts IBAN DE89370400440532013000, IBAN DE02120300000000202051',
    ]);
    // The markup in the name created no element, and nothing ran.
    expect(await list.locator('img, script').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(errors).toEqual([]);

    const before = hits.length;
    await page.click('#approve');
    for (let i = 0; i < 200 && hits.length === before; i++) await new Promise((r) => setTimeout(r, 25));
    const hit = hits[before] as URL;
    const code = t.lab.ctx.codes.get(hit.searchParams.get('code') as string);
    expect(code?.authorizationDetails).toEqual([evil, READ_ACCOUNTS]);
    expect(t.lab.ctx.requests.recent(1)[0]?.passed).toContain('RAR-04');
    await page.close();
  });
});
