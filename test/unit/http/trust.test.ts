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

  it('keeps the NODE_EXTRA_CA_CERTS anchors when --ca adds others (a bundle that repeats the built-in roots, as a system bundle does)', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-extra-ca-'));
    const saved = process.env.NODE_EXTRA_CA_CERTS;
    try {
      const { rootCertificates } = await import('node:tls');
      writeFileSync(path.join(dir, 'extra.pem'), [...rootCertificates.slice(0, 5), server.caPem].join('\n'));
      process.env.NODE_EXTRA_CA_CERTS = path.join(dir, 'extra.pem');
      const other = await createTestCa('CN=the --ca CA');
      const http = createHttpClient({ ca: [other.certPem] });
      expect((await http({ method: 'GET', url: `${server.origin}/x` })).status).toBe(200);
    } finally {
      if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses it with no extra anchors (built-in roots only)', async () => {
    const http = createHttpClient({});
    await expect(http({ method: 'GET', url: `${server.origin}/x` })).rejects.toThrow(/not trusted|verify/i);
  });
});
