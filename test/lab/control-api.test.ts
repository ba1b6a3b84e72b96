/**
 * The control API (`/lab/control/…`) of a lab: the operations of `fapi/lab` over HTTP for tests in
 * other languages. Only on the AS listener, only with the run's secret; every attempt in the
 * request log, never the secret; bad input is a 400 with a JSON error and leaves the lab as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/public/index.js';
import { startLab, type Lab } from '../../src/public/lab.js';
import { callRs, login } from './public-flow.js';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ quiet: true });
});
afterAll(() => lab?.close());

const control = (
  method: string,
  path: string,
  body?: unknown,
  secret: string | null = lab.controlSecret,
  base = lab.issuer,
) =>
  lab.fetch(`${base}${path}`, {
    method,
    headers: {
      ...(secret !== null ? { authorization: `Bearer ${secret}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

describe('the control API', () => {
  it('refuses a request without the secret or with another one (401), changes nothing, and logs the attempt', async () => {
    const none = await control('PUT', '/lab/control/faults', { faults: ['iss-wrong'] }, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="fapi-lab-control"');
    const wrong = await control('PUT', '/lab/control/faults', { faults: ['iss-wrong'] }, 'not-the-secret');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(lab.faults).toEqual([]);
    const tried = lab.requests({ path: '/lab/control/faults' });
    expect(tried.map((r) => [r.status, r.check])).toEqual([
      [401, 'LAB-CONTROL'],
      [401, 'LAB-CONTROL'],
    ]);
    expect(JSON.stringify(lab.requests())).not.toContain(lab.controlSecret);
  });

  it('is not reachable from the mTLS aliases or the RS (404, logged)', async () => {
    for (const base of [lab.mtls, lab.rs]) {
      const res = await control(
        'PUT',
        '/lab/control/faults',
        { faults: ['iss-wrong'] },
        lab.controlSecret,
        base,
      );
      expect(res.status).toBe(404);
    }
    expect(lab.faults).toEqual([]);
    expect(
      lab
        .requests({ path: '/lab/control/faults' })
        .filter((r) => r.listener !== 'as')
        .map((r) => r.status),
    ).toEqual([404, 404]);
  });

  it('switches faults and relaxations; an unknown name is a 400 with a JSON error, nothing changed', async () => {
    const ok = await control('PUT', '/lab/control/faults', { faults: ['iss-wrong', 'no-expires-in'] });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ faults: ['iss-wrong', 'no-expires-in'], strict: false });
    expect(lab.faults).toEqual(['iss-wrong', 'no-expires-in']);
    const bad = await control('PUT', '/lab/control/faults', { faults: ['iss-wrong', 'no-such-fault'] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_request', code: 'E_LAB_UNKNOWN_FAULT' });
    expect(lab.faults).toEqual(['iss-wrong', 'no-expires-in']);
    expect((await control('PUT', '/lab/control/relaxations', { relaxations: ['nope'] })).status).toBe(400);
    expect((await control('PUT', '/lab/control/relaxations', { relaxations: ['rotate-rt'] })).status).toBe(
      200,
    );
    expect(lab.relaxations).toEqual(['rotate-rt']);
    await control('PUT', '/lab/control/faults', { faults: [] });
    await control('PUT', '/lab/control/relaxations', { relaxations: [] });
    expect([lab.faults, lab.relaxations]).toEqual([[], []]);
  });

  it('fail-next and delay-next; bad input (unknown endpoint, negative times, bad JSON) is a 400', async () => {
    for (const [body, code] of [
      [{ endpoint: 'nowhere' }, 'E_LAB_UNKNOWN_ENDPOINT'],
      [{ endpoint: 'token', times: -1 }, 'E_LAB_OPTION'],
      [{ endpoint: 'token', status: 302 }, 'E_LAB_OPTION'],
    ] as const) {
      const res = await control('POST', '/lab/control/fail-next', body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code });
    }
    const notJson = await lab.fetch(`${lab.issuer}/lab/control/fail-next`, {
      method: 'POST',
      headers: { authorization: `Bearer ${lab.controlSecret}`, 'content-type': 'application/json' },
      body: '{"endpoint":',
    });
    expect(notJson.status).toBe(400);
    const status = (await (await lab.fetch(`${lab.issuer}/lab/status`)).json()) as { pending: unknown[] };
    expect(status.pending).toEqual([]);

    const armed = await control('POST', '/lab/control/fail-next', { endpoint: 'token', status: 500 });
    expect(((await armed.json()) as { pending: unknown[] }).pending).toEqual([
      { endpoint: 'token', kind: 'fail', remaining: 1, error: 'server_error', status: 500 },
    ]);
    await expect(login(lab)).rejects.toThrow(/token: 500/);
    expect((await control('POST', '/lab/control/delay-next', { endpoint: 'rs', ms: 1 })).status).toBe(200);
    expect((await control('DELETE', '/lab/control/pending')).status).toBe(200);
  });

  it('users, login and tokens', async () => {
    expect((await control('PUT', '/lab/control/users/erin', { claims: { name: 'Erin' } })).status).toBe(200);
    expect((await control('PUT', '/lab/control/login', { sub: 'erin' })).status).toBe(200);
    const me = await login(lab);
    expect(lab.requests({ clientId: me.clientId, path: '/authorize' })).toHaveLength(1);
    expect((await control('PUT', '/lab/control/login', { sub: 'nobody' })).status).toBe(400);
    expect((await control('DELETE', '/lab/control/users/erin')).status).toBe(200);
    expect((await control('DELETE', '/lab/control/users/erin')).status).toBe(400);

    const dpop = await generateKey();
    const issued = await control('POST', '/lab/control/token', {
      scope: 'accounts',
      dpopJkt: dpop.thumbprint,
    });
    expect(issued.status).toBe(200);
    const t = (await issued.json()) as { accessToken: string; tokenType: string };
    expect(t.tokenType).toBe('DPoP');
    expect((await callRs(lab, { dpop, accessToken: t.accessToken })).status).toBe(200);
    expect((await control('POST', '/lab/control/token', { scope: 'accounts', expiresIn: -5 })).status).toBe(
      400,
    );
  });

  it('the request log is readable without the secret, like the dashboard: filters and one request', async () => {
    const me = await login(lab);
    const list = (await (
      await lab.fetch(`${lab.issuer}/lab/requests?client_id=${me.clientId}&path=/token`)
    ).json()) as {
      requests: { id: number; path: string; grantType: string }[];
    };
    expect(list.requests).toHaveLength(1);
    expect(list.requests[0]).toMatchObject({ path: '/token', grantType: 'authorization_code' });
    const one = await lab.fetch(`${lab.issuer}/lab/requests/${list.requests[0]!.id}`);
    expect(await one.json()).toMatchObject({ clientAssertion: { claims: { iss: me.clientId } } });
    expect((await lab.fetch(`${lab.issuer}/lab/requests/999999`)).status).toBe(404);
    expect((await lab.fetch(`${lab.issuer}/lab/requests?after=x`)).status).toBe(400);
    expect((await lab.fetch(`${lab.issuer}/lab/requests?since=yesterday`)).status).toBe(400);
    // Reading the log is not itself logged.
    expect(lab.requests({ path: '/lab/requests' })).toEqual([]);
  });
});
