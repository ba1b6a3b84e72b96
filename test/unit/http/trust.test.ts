/**
 * `--ca` trust in the HTTP client (NET-*: TLS verification always on): extra anchors are added to
 * Node's built-in roots without re-parsing them per connection, a server from the extra CA is
 * trusted, and a server from any other CA is still refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/http/client.js';
import { startHttpsServer, type TestHttpsServer } from '../../helpers/https-server.js';
import { createTestCa } from '../../helpers/tls.js';

let server: TestHttpsServer;
beforeAll(async () => {
  server = await startHttpsServer(() => ({ status: 200, body: { ok: true } }));
});
afterAll(() => server.close());

describe('HTTP client trust (--ca)', () => {
  it('trusts a server whose certificate chains to an extra CA', async () => {
    const http = createHttpClient({ ca: [server.caPem] });
    const res = await http({ method: 'GET', url: `${server.origin}/x` });
    expect(res.status).toBe(200);
  });

  it('refuses a server from another CA, even with extra anchors given', async () => {
    const other = await createTestCa('CN=another CA');
    const http = createHttpClient({ ca: [other.certPem] });
    await expect(http({ method: 'GET', url: `${server.origin}/x` })).rejects.toMatchObject({
      code: expect.stringMatching(/^E_/),
    });
  });

  it('refuses it with no extra anchors (built-in roots only)', async () => {
    const http = createHttpClient({});
    await expect(http({ method: 'GET', url: `${server.origin}/x` })).rejects.toThrow(/not trusted|verify/i);
  });
});
