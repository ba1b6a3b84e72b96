#!/usr/bin/env node
/**
 * A real browser for end-to-end tests of `fapi login`: `BROWSER="node
 * test/helpers/chromium-browser.mjs"`. Headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) opens the authorization URL (argv[2]), picks the user in FAPI_TEST_USER (default
 * the first) on the fapi lab's sign-in page, clicks Approve (or Deny with FAPI_TEST_DECISION=deny;
 * with FAPI_TEST_DECISION=asked, Deny when the page's client name asks for it, as the client that
 * `fapi conform server` registers for user-rejects-authentication does, else Approve), and waits
 * until the loopback redirect shows fapi's "you can close this tab" page.
 *
 * The test browser does not check the lab's TLS certificate (ignoreHTTPSErrors, this browser only);
 * fapi itself always verifies it. FAPI_TEST_BROWSER_LOG (optional) receives the final page text.
 */
import { appendFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const url = process.argv[2];
const log = process.env.FAPI_TEST_BROWSER_LOG;
const browser = await chromium.launch({
  executablePath: process.env.FAPI_TEST_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let code = 0;
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(url);
  const user = process.env.FAPI_TEST_USER;
  if (user) await page.check(`input[name="user"][value="${user}"]`);
  const decision = process.env.FAPI_TEST_DECISION;
  const asked =
    decision === 'asked' && /press Cancel or Deny/.test((await page.textContent('#client-name')) ?? '');
  await Promise.all([
    page.waitForURL((u) => u.hostname === '127.0.0.1' && u.protocol === 'http:', { timeout: 20_000 }),
    page.click(decision === 'deny' || asked ? '#deny' : '#approve'),
  ]);
  const text = (await page.textContent('body')) ?? '';
  if (log) appendFileSync(log, text + '\n');
  if (!text.includes('You can close this tab')) code = 4;
} catch (e) {
  process.stderr.write(`chromium-browser: ${e instanceof Error ? e.message : String(e)}\n`);
  code = 3;
} finally {
  await browser.close();
}
process.exit(code);
