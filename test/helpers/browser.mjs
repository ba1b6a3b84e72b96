#!/usr/bin/env node
/**
 * A non-interactive "browser" for end-to-end tests of `fapi login`: run as `BROWSER="node
 * test/helpers/browser.mjs"`. It follows the authorization URL (argv[2]) like a browser would,
 * with cookies, trusting the test CA in FAPI_TEST_BROWSER_CA (a PEM file), through the server's
 * automatic login and consent, until a redirect leaves the server's origin: that is the client's
 * loopback redirect URI, which it then requests once (as the browser would load it).
 *
 * FAPI_TEST_BROWSER_LOG (optional): a file where each visited URL is appended, one per line.
 * FAPI_TEST_BROWSER_MODE (optional): `stop` follows the server but never calls the redirect URI;
 * `twice` calls it twice (the second hit must be refused).
 * FAPI_TEST_BROWSER_REWRITE (optional): `param=value` set on the final redirect (fault injection);
 * `param=` removes the parameter.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const start = new URL(process.argv[2] ?? '');
const ca = process.env.FAPI_TEST_BROWSER_CA
  ? readFileSync(process.env.FAPI_TEST_BROWSER_CA, 'utf8')
  : undefined;
const log = process.env.FAPI_TEST_BROWSER_LOG;
const mode = process.env.FAPI_TEST_BROWSER_MODE ?? 'normal';
const jar = new Map();

function get(url) {
  if (log) appendFileSync(log, url.href + '\n');
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'GET',
        ca,
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), accept: 'text/html' },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let current = start;
for (let hop = 0; hop < 15; hop++) {
  const res = await get(current);
  for (const c of res.headers['set-cookie'] ?? []) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    if (i > 0) jar.set(pair.slice(0, i), pair.slice(i + 1));
  }
  const location = res.headers.location;
  if (!location || res.status < 300 || res.status >= 400) {
    process.stderr.write(
      `browser: stopped at ${current.href} with HTTP ${res.status}: ${res.body.slice(0, 300)}\n`,
    );
    process.exit(3);
  }
  const next = new URL(location, current);
  if (next.origin !== start.origin) {
    const rewrite = process.env.FAPI_TEST_BROWSER_REWRITE;
    if (rewrite) {
      const i = rewrite.indexOf('=');
      const [k, v] = [rewrite.slice(0, i), rewrite.slice(i + 1)];
      if (v === '') next.searchParams.delete(k);
      else next.searchParams.set(k, v);
    }
    if (mode === 'stop') process.exit(0);
    const hit = await get(next);
    if (mode === 'twice') {
      const again = await get(next).catch((e) => ({ status: `refused (${e.code})` }));
      if (log) appendFileSync(log, `second hit: ${again.status}\n`);
    }
    process.exit(hit.status === 200 ? 0 : 4);
  }
  current = next;
}
process.stderr.write('browser: too many redirects\n');
process.exit(5);
