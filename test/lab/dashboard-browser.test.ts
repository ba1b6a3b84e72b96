/**
 * The dashboard in a real browser (headless Chromium): the request log grows without a reload, a
 * click shows a request's detail (the decoded assertion and proof, the checks, the refusing check
 * and why), the switches change through the control API with the secret asked once and kept in
 * sessionStorage; under the page's strict CSP (its one script is a same-origin file), and with
 * attacker-controlled values (client names, request paths) shown as text, never run.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/public/lab.js';
import { login } from './public-flow.js';
import { generateKey } from '../../src/public/index.js';

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

let lab: Lab;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  [lab, browser] = await Promise.all([
    startLab({ quiet: true }),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
  ]);
  // The lab CA is trusted for this test only, as a user would import it.
  context = await browser.newContext({ ignoreHTTPSErrors: true });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  // A client whose name is markup: it must show as text.
  const key = await generateKey();
  await lab.fetch(`${lab.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: '<img src=x onerror="window.__xss=1">',
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['authorization_code'],
      jwks: { keys: [key.publicJwk] },
      dpop_bound_access_tokens: true,
    }),
  });
  await page.goto(`${lab.issuer}/`);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await lab?.close();
});

const lastId = () => lab.requests().at(-1)?.id ?? 0;

describe('the dashboard', () => {
  it('serves its script as a same-origin file under a CSP without inline scripts', async () => {
    const res = await lab.fetch(`${lab.issuer}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const html = await res.text();
    expect(html).toContain('<script src="/lab/dashboard.js"></script>');
    expect(html).not.toMatch(/<script>/);
    expect(html).toContain('&lt;img src=x onerror=');
    const js = await lab.fetch(`${lab.issuer}/lab/dashboard.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('shows new requests without a reload, attacker-controlled paths as text', async () => {
    await login(lab);
    await lab.fetch(`${lab.issuer}/%3Cimg%20src=x%20onerror=window.__xss=2%3E`);
    const id = lastId();
    const row = page.locator(`#requests tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('404');
    expect(await page.evaluate('window.__xss')).toBeUndefined();
  });

  it("a click shows a request's detail: decoded assertion and proof, checks passed, the refusing check", async () => {
    const me = await login(lab);
    const token = lab.requests({ clientId: me.clientId, path: '/token' })[0]!;
    await page.locator(`#requests tr[data-id="${token.id}"]`).waitFor({ timeout: 10_000 });
    await page.locator(`#requests tr[data-id="${token.id}"]`).click();
    const detail = page.locator('#detail');
    await detail.getByText('Client assertion').waitFor();
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain(`Request ${token.id}: POST /token → 200`);
    expect(text).toContain('DPoP proof');
    expect(text).toContain('dpop+jwt');
    expect(text).toContain('«redacted: client_assertion');
    expect(text).toContain('TK-06');

    // A refusal: the check, the rule and why.
    await lab.fetch(`${lab.issuer}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `client_id=${me.clientId}&response_type=code`,
    });
    const refused = lastId();
    await page.locator(`#requests tr[data-id="${refused}"]`).click({ timeout: 10_000 });
    await detail.getByText('Refused by').waitFor();
    expect((await detail.textContent()) ?? '').toMatch(/Refused by [A-Z]+-\d+/);
  });

  it('changes the switches with the control secret, asked once and kept in sessionStorage', async () => {
    const wrong = await context.newPage();
    await wrong.goto(`${lab.issuer}/`);
    await wrong.check('input[name=fault][value="iss-wrong"]');
    await wrong.fill('#control-secret', 'not-the-secret');
    await wrong.click('#apply-switches');
    await wrong.getByText('The lab refused the control secret').waitFor();
    expect(lab.faults).toEqual([]);
    await wrong.close();

    await page.reload();
    await page.check('input[name=fault][value="iss-wrong"]');
    await page.check('input[name=relax][value="rotate-rt"]');
    await page.fill('#control-secret', lab.controlSecret);
    await page.click('#apply-switches');
    await page.getByText('Now on: iss-wrong, rotate-rt').waitFor();
    expect(lab.faults).toEqual(['iss-wrong']);
    expect(lab.relaxations).toEqual(['rotate-rt']);
    expect(await page.evaluate("sessionStorage.getItem('fapi-lab-control-secret')")).toBe(lab.controlSecret);
    expect(await page.evaluate('localStorage.length')).toBe(0);

    // Asked once: after a reload, the secret comes from this tab's session.
    await page.reload();
    expect(await page.locator('#control-secret').isVisible()).toBe(false);
    await page.uncheck('input[name=fault][value="iss-wrong"]');
    await page.uncheck('input[name=relax][value="rotate-rt"]');
    await page.click('#apply-switches');
    await page.getByText('Strict FAPI 2.0 again.').waitFor();
    expect([lab.faults, lab.relaxations]).toEqual([[], []]);
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
