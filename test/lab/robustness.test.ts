/**
 * Bad input never crashes the lab or yields a 500: a batch of malformed requests against every
 * endpoint of every listener (wrong methods, malformed JSON and forms, bodies over the endpoint's
 * limit → 413, bad JWTs, unknown clients, odd paths and headers), then a full flow still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parBodyLimitOf } from '../../lab/config.js';
import type { HttpRequest } from '../../src/http/client.js';
import { assertion, json, postForm, proof, registerClient, startTestLab, type TestLab } from './helpers.js';
import { dpopTokens, rsCall } from './rs-helpers.js';

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab();
});
afterAll(() => t.close());

const JUNK_JWT = 'eyJhbGciOiJub25lIn0.eyJmb28iOiJiYXIifQ.';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function bases(listener: 'as' | 'rs', mtlsAlias: boolean | undefined): string[] {
  if (listener === 'rs') return [t.lab.rs];
  return mtlsAlias ? [t.lab.issuer, t.lab.mtls] : [t.lab.issuer];
}

function paths(path: string): string[] {
  if (!path.includes(':')) return [`${path}?x=%ZZ&x=1`];
  return ['unknown', '%00', 'a'.repeat(300)].map((v) => path.replace(/:\w+/g, v));
}

function badRequests(url: string, limit: number): HttpRequest[] {
  const out: HttpRequest[] = [];
  for (const method of METHODS) out.push({ method, url });
  const bodies: [string, string][] = [
    ['application/json', '{"a":'],
    ['application/json', '[1,2,3]'],
    ['application/json', '"just a string"'],
    ['application/json', '{"__proto__":{"polluted":true}}'],
    ['application/json', '{"constructor":{"prototype":{"x":1}}}'],
    [
      'application/json',
      JSON.stringify({ redirect_uris: 'nope', jwks: { keys: [{ kty: 'RSA', n: 'AA', e: 'AQAB' }] } }),
    ],
    ['application/x-www-form-urlencoded', 'a=%ZZ&&=&b'],
    ['application/x-www-form-urlencoded', 'grant_type=authorization_code&grant_type=refresh_token'],
    [
      'application/x-www-form-urlencoded',
      `client_id=unknown-client&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=${JUNK_JWT}&token=${JUNK_JWT}&grant_type=authorization_code&code=x&request_uri=urn:x`,
    ],
    [
      'application/x-www-form-urlencoded',
      'client_id=%00%ff&response_type=code&redirect_uri=javascript:alert(1)',
    ],
    ['text/plain', 'hello'],
    ['application/xml', '<x/>'],
    ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
    ['application/json; charset=utf-16', '{}'],
  ];
  // Every body as a POST; PUT (RFC 7592 client updates) gets the JSON ones.
  for (const [type, body] of bodies)
    out.push({ method: 'POST', url, headers: { 'content-type': type }, body });
  for (const [type, body] of bodies.slice(0, 6))
    out.push({ method: 'PUT', url, headers: { 'content-type': type }, body });
  for (const method of ['POST', 'PUT']) {
    out.push({
      method,
      url,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0xff, 0xfe, 0x7b]),
    });
    // Oversized: one byte over the limit.
    out.push({
      method,
      url,
      headers: { 'content-type': 'application/json' },
      body: `"${'x'.repeat(limit)}"`,
    });
    out.push({
      method,
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `a=${'x'.repeat(limit)}`,
    });
  }
  const authHeaders: Record<string, string | string[]>[] = [
    { authorization: `DPoP ${JUNK_JWT}`, dpop: JUNK_JWT },
    { authorization: 'DPoP', dpop: 'x' },
    { authorization: 'Bearer a.b.c' },
    { authorization: 'Basic Og==' },
    { authorization: `DPoP ${'a'.repeat(7000)}`, dpop: 'a.'.repeat(3000) },
    { dpop: ['a.b.c', 'd.e.f'] },
    { 'x-fapi-interaction-id': '\t' },
    { accept: 'application/json', origin: 'https://evil.example', cookie: 'x=%ZZ' },
  ];
  authHeaders.forEach((headers, i) => {
    // Each header set once per URL, alternating GET and a form POST.
    if (i % 2 === 0) out.push({ method: 'GET', url, headers });
    else
      out.push({
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${JUNK_JWT}`,
      });
  });
  return out;
}

describe('bad input', () => {
  it('never gets a 500 from any endpoint, and oversized bodies get 413', async () => {
    const limit = t.lab.ctx.config.bodyLimit;
    // Each request with the body limit that applies to it: its route's (the PAR endpoint has a
    // larger one) for the route's methods, the lab's for the others (answered 405).
    const limits = new Map<HttpRequest, number>();
    for (const route of t.lab.ctx.routes)
      for (const base of bases(route.listener, route.mtlsAlias))
        for (const p of paths(route.path)) {
          const routeLimit = route.bodyLimit ?? limit;
          for (const r of badRequests(base + p, routeLimit))
            limits.set(r, (route.methods as string[]).includes(r.method) ? routeLimit : limit);
        }
    for (const base of [t.lab.issuer, t.lab.mtls, t.lab.rs])
      for (const r of [...badRequests(`${base}/does-not-exist`, limit), { method: 'GET', url: `${base}/%` }])
        limits.set(r, limit);
    const requests = [...limits.keys()];
    expect(requests.length).toBeGreaterThan(500);

    const failures: string[] = [];
    let oversized = 0;
    const check = (r: HttpRequest, status: number, body: string) => {
      const size = r.body === undefined ? 0 : Buffer.byteLength(r.body);
      const limit = limits.get(r) as number;
      // A server may answer 413 before the body is read and then close the connection, so a
      // client still sending an oversized body can see a reset instead (RFC 9110 §15.5.14).
      const resetWhileSendingTooMuch = status === 0 && size > limit && /ECONNRESET|EPIPE/.test(body);
      if (status >= 500 || (status === 0 && !resetWhileSendingTooMuch))
        failures.push(
          `${r.method} ${r.url.slice(0, 120)} [${String(r.headers?.['content-type'])} ${size}] → ${status} ${body.slice(0, 200)}`,
        );
      if (size > limit && r.method !== 'GET' && status >= 400 && status < 500) {
        oversized++;
        if (![400, 404, 405, 413, 414].includes(status))
          failures.push(`${r.method} ${r.url} oversized → ${status}`);
      }
    };
    // 16 workers pull from one queue (no batch waits for its slowest request).
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const r = requests[next++] as HttpRequest;
        await t.http(r).then(
          (res) => check(r, res.status, res.text()),
          (e: Error) => check(r, 0, e.message),
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(failures).toEqual([]);
    expect(oversized).toBeGreaterThan(0);
  }, 120_000);

  it('an oversized body on a real endpoint is 413 with a JSON error', async () => {
    const limit = t.lab.ctx.config.bodyLimit;
    const targets: [string, number][] = [
      [`${t.lab.issuer}/token`, limit],
      [`${t.lab.issuer}/par`, parBodyLimitOf(t.lab.ctx.config)],
      [`${t.lab.rs}/payments`, limit],
    ];
    for (const [url, max] of targets) {
      const res = await postForm(t.http, url, { a: 'x'.repeat(max) });
      expect(res.status, url).toBe(413);
      expect(json(res).error).toBeTruthy();
    }
    const big = await t.http({
      method: 'POST',
      url: `${t.lab.issuer}/register`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'y'.repeat(limit) }),
    });
    expect(big.status).toBe(413);
  });

  it('still serves a full flow afterwards: DCR, PAR, authorization, token, RS, refresh, introspection, revocation', async () => {
    const c = await registerClient(t);
    const tk = await dpopTokens(t, c);
    expect((await rsCall(t, '/accounts', { token: tk.at, dpop: tk.dpop })).status).toBe(200);
    const url = `${t.lab.issuer}/token`;
    const refreshed = await postForm(
      t.http,
      url,
      { ...assertion(t, c), grant_type: 'refresh_token', refresh_token: tk.rt as string },
      { dpop: proof(t, tk.dpop, 'POST', url) },
    );
    expect(refreshed.status, refreshed.text()).toBe(200);
    const at2 = json(refreshed).access_token as string;
    expect((await rsCall(t, '/accounts', { token: at2, dpop: tk.dpop })).status).toBe(200);
    const intro = await postForm(t.http, `${t.lab.issuer}/introspect`, { ...assertion(t, c), token: at2 });
    expect(json(intro).active).toBe(true);
    const rv = await postForm(t.http, `${t.lab.issuer}/revoke`, {
      ...assertion(t, c),
      token: tk.rt as string,
    });
    expect(rv.status).toBe(200);
    expect((await rsCall(t, '/accounts', { token: at2, dpop: tk.dpop })).status).toBe(401);
  });
});
