/**
 * The lab's request-body limit (`bodyLimit`, 64 KiB by default, larger: 413), met from the CLI's
 * own HTTP layer (createHttpClient, as `fapi` sends): a body one byte over the limit, and one far
 * over it (beyond the largest limit the lab can be configured with), on each listener (AS, mTLS
 * aliases, RS), as a string or as bytes, gets a 413 JSON error that names the limit, and the lab
 * then serves normal requests on the same client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../src/http/client.js';
import { json, registerClient, startTestLab, type TestLab } from './helpers.js';

const LIMIT = 4096;
/** Over the largest configurable bodyLimit (10 MiB, lab/config.ts). */
const HUGE = 16 * 1024 * 1024;

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab({ bodyLimit: LIMIT });
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
