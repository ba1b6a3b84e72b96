/**
 * The lab's request-body limits (`bodyLimit`, 64 KiB by default; `parBodyLimit`, 4 MiB by default,
 * at the PAR endpoint; larger: 413), met from the CLI's own HTTP layer (createHttpClient, as `fapi`
 * sends): a body one byte over the limit, and one far over it (beyond the largest limit the lab can
 * be configured with), on each listener (AS, mTLS aliases, RS), as a string or as bytes, gets a 413
 * JSON error that names the limit, and the lab then serves normal requests on the same client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../src/http/client.js';
import { DEFAULT_LAB_CONFIG } from '../../lab/config.js';
import { json, registerClient, startTestLab, type TestLab } from './helpers.js';

const LIMIT = 4096;
/** Over the largest configurable bodyLimit (10 MiB, lab/config.ts). */
const HUGE = 16 * 1024 * 1024;

let t: TestLab;
beforeAll(async () => {
  // parBodyLimit configured down to bodyLimit: the PAR endpoint then has the same limit.
  t = await startTestLab({ bodyLimit: LIMIT, parBodyLimit: LIMIT });
});
afterAll(() => t.close());

/** The endpoints that take a body, one per listener and content type. */
function targets(): { url: string; type: string }[] {
  const form = 'application/x-www-form-urlencoded';
  return [
    { url: `${t.lab.issuer}/token`, type: form },
    { url: `${t.lab.issuer}/par`, type: form },
    { url: `${t.lab.issuer}/register`, type: 'application/json' },
    { url: `${t.lab.mtls}/token`, type: form },
    { url: `${t.lab.rs}/payments`, type: 'application/json' },
  ];
}

/** A body of exactly `size` bytes of the given type. */
function body(type: string, size: number): string {
  return type === 'application/json' ? `"${'x'.repeat(size - 2)}"` : `a=${'x'.repeat(size - 2)}`;
}

function post(url: string, type: string, b: string | Uint8Array): HttpRequest {
  return { method: 'POST', url, headers: { 'content-type': type }, body: b };
}

describe('request bodies over the lab limit, sent by the CLI HTTP client', () => {
  it('a body at the limit is read; one byte more is 413 with a JSON error naming the limit', async () => {
    for (const { url, type } of targets()) {
      const at = await t.http(post(url, type, body(type, LIMIT)));
      expect(at.status, `${url} at the limit: ${at.text()}`).not.toBe(413);
      const over = await t.http(post(url, type, body(type, LIMIT + 1)));
      expect(over.status, url).toBe(413);
      expect(json(over)).toEqual({
        error: 'invalid_request',
        error_description: `the request body is larger than ${LIMIT} bytes`,
      });
    }
  });

  it('a body far over any limit (16 MiB, string or bytes) gets the same 413, not a reset', async () => {
    const bytes = new Uint8Array(HUGE).fill(0x78);
    for (const { url, type } of targets()) {
      for (const b of [body(type, HUGE), bytes]) {
        const res = await t.http(post(url, type, b));
        expect(res.status, url).toBe(413);
        expect(json(res).error).toBe('invalid_request');
      }
    }
  });

  it('the lab still serves afterwards, on the same client and connections', async () => {
    const meta = await t.http({
      method: 'GET',
      url: `${t.lab.issuer}/.well-known/oauth-authorization-server`,
    });
    expect(meta.status).toBe(200);
    expect(json(meta).issuer).toBe(t.lab.issuer);
    const c = await registerClient(t);
    expect(c.clientId).toBeTruthy();
    const rs = await t.http({ method: 'GET', url: `${t.lab.rs}/accounts` });
    expect(rs.status).toBe(401);
  });
});

describe('at the default limits: the PAR endpoint reads up to 4 MiB, every other endpoint 64 KiB', () => {
  const PAR_LIMIT = 4 * 1024 * 1024;
  const BODY_LIMIT = 64 * 1024;
  const form = 'application/x-www-form-urlencoded';
  let d: TestLab;
  beforeAll(async () => {
    d = await startTestLab();
  });
  afterAll(() => d.close());

  it('defaults to 64 KiB and 4 MiB', () => {
    expect(DEFAULT_LAB_CONFIG.bodyLimit).toBe(BODY_LIMIT);
    expect(DEFAULT_LAB_CONFIG.parBodyLimit).toBe(PAR_LIMIT);
  });

  it('PAR (and its mTLS alias): a body at 4 MiB reaches the checks; one byte more is 413 naming 4194304', async () => {
    for (const url of [`${d.lab.issuer}/par`, `${d.lab.mtls}/par`]) {
      const at = await d.http(post(url, form, body(form, PAR_LIMIT)));
      expect(at.status, `${url} at the limit: ${at.text()}`).toBe(401);
      expect(json(at).error).toBe('invalid_client');
      const over = await d.http(post(url, form, body(form, PAR_LIMIT + 1)));
      expect(over.status, url).toBe(413);
      expect(json(over)).toEqual({
        error: 'invalid_request',
        error_description: `the request body is larger than ${PAR_LIMIT} bytes`,
      });
      expect(d.lab.ctx.requests.recent(1)[0]?.check).toBe('HTTP');
    }
  });

  it('every other endpoint keeps 64 KiB: a body one byte over it, or of 1 MB, is 413 naming 65536', async () => {
    const targets = [
      { url: `${d.lab.issuer}/token`, type: form },
      { url: `${d.lab.mtls}/token`, type: form },
      { url: `${d.lab.issuer}/register`, type: 'application/json' },
      { url: `${d.lab.rs}/payments`, type: 'application/json' },
    ];
    for (const { url, type } of targets) {
      const at = await d.http(post(url, type, body(type, BODY_LIMIT)));
      expect(at.status, `${url} at the limit: ${at.text()}`).not.toBe(413);
      for (const size of [BODY_LIMIT + 1, 1024 * 1024]) {
        const over = await d.http(post(url, type, body(type, size)));
        expect(over.status, `${url} ${size}`).toBe(413);
        expect(json(over)).toEqual({
          error: 'invalid_request',
          error_description: `the request body is larger than ${BODY_LIMIT} bytes`,
        });
      }
    }
    const meta = await d.http({
      method: 'GET',
      url: `${d.lab.issuer}/.well-known/oauth-authorization-server`,
    });
    expect(meta.status).toBe(200);
  });
});
