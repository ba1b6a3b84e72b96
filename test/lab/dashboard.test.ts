/** The dashboard: endpoints, registered clients and the last requests with their deciding check. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, par, registerClient, startTestLab, type TestLab } from './helpers.js';

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab();
});
afterAll(() => t.close());

describe('dashboard', () => {
  it('shows endpoints, clients, and why a request was refused', async () => {
    const c = await registerClient(t, { client_name: 'Dashboard <b>client</b>' });
    await par(t, c, { params: { code_challenge_method: 'plain' } });
    const r = await t.http({ method: 'GET', url: `${t.lab.issuer}/` });
    expect(r.status).toBe(200);
    expect(r.header('content-type')).toMatch(/^text\/html/);
    expect(r.header('content-security-policy')).toContain("default-src 'none'");
    const html = r.text();
    expect(html).toContain(`${t.lab.issuer}/par`);
    expect(html).toContain(`${t.lab.mtls}/token`);
    expect(html).toContain(c.clientId);
    expect(html).toContain('Dashboard &lt;b&gt;client&lt;/b&gt;');
    expect(html).toMatch(/POST \/par.*invalid_request.*<code>PAR-11<\/code>/s);
    expect(html).toContain('code_challenge_method');
  });

  it('serves the same as JSON at /lab/status, without logging itself', async () => {
    const before = t.lab.ctx.requests.count;
    const s = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/lab/status` }));
    expect(s).toMatchObject({ issuer: t.lab.issuer, rs: t.lab.rs, mtls: t.lab.mtls, strict: true });
    expect((s.requests as { check?: string }[])[0]?.check).toBe('PAR-11');
    expect(t.lab.ctx.requests.count).toBe(before);
  });
});
