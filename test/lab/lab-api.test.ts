/**
 * `fapi/lab` in process: a lab started by a test, logged into with the `fapi` helpers, its
 * switches changed while it runs, one-off failures (at every endpoint that takes them) and delays,
 * the request log, users, access tokens for an RS, its start options (home, port, config), and
 * close(). Many labs in one process share nothing.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientAssertionParams,
  createClientAssertion,
  createDpopProof,
  generateKey,
} from '../../src/public/index.js';
import { startLab, type Lab } from '../../src/public/lab.js';
import { expectFapiError } from '../helpers/expect-error.js';
import { decodeJwt } from '../helpers/jwt.js';
import { callRs, login, registerClient, type LoggedIn } from './public-flow.js';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ quiet: true });
});
afterAll(() => lab?.close());

describe('startLab', () => {
  it('serves a strict lab on free ports, with its CA, and a login with the exported helpers works', async () => {
    expect(lab.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(lab.rs).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(lab.caPem).toContain('BEGIN CERTIFICATE');
    expect(lab.faults).toEqual([]);
    expect(lab.relaxations).toEqual([]);
    const me = await login(lab);
    expect(me.tokenResponse.token_type).toBe('DPoP');
    const res = await callRs(lab, me);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fapi-lab-warning')).toBeNull();
  });

  it('refuses unknown switch names and bad config at start, naming them (E_LAB_UNKNOWN_FAULT, E_LAB_CONFIG)', async () => {
    await expectFapiError(startLab({ faults: ['nope' as never] }), { code: 'E_LAB_UNKNOWN_FAULT' });
    await expectFapiError(startLab({ relax: ['nope' as never] }), { code: 'E_LAB_UNKNOWN_RELAXATION' });
    await expectFapiError(startLab({ config: { codeLifetime: 61 } }), { code: 'E_LAB_CONFIG' });
  });
});

describe('switches at run time', () => {
  it('setFaults: effective for the next request, with the warning header and /lab/status; unknown name → nothing changed', async () => {
    const before = await lab.fetch(`${lab.issuer}/.well-known/openid-configuration`);
    expect(before.headers.get('x-fapi-lab-warning')).toBeNull();
    await lab.setFaults(['discovery-issuer-mismatch', 'token-type-case']);
    const after = await lab.fetch(`${lab.issuer}/.well-known/openid-configuration`);
    expect(after.headers.get('x-fapi-lab-warning')).toContain('fault=discovery-issuer-mismatch');
    expect(((await after.json()) as { issuer: string }).issuer).not.toBe(lab.issuer);
    const status = (await (await lab.fetch(`${lab.issuer}/lab/status`)).json()) as Record<string, unknown>;
    expect(status.faults).toEqual(['discovery-issuer-mismatch', 'token-type-case']);
    expect(status.strict).toBe(false);

    await expectFapiError(lab.setFaults(['iss-wrong', 'no-such-fault' as never]), {
      code: 'E_LAB_UNKNOWN_FAULT',
    });
    expect(lab.faults).toEqual(['discovery-issuer-mismatch', 'token-type-case']);

    await lab.setFaults([]);
    const strict = await lab.fetch(`${lab.issuer}/.well-known/openid-configuration`);
    expect(strict.headers.get('x-fapi-lab-warning')).toBeNull();
    expect(((await strict.json()) as { issuer: string }).issuer).toBe(lab.issuer);
  });

  it('CL-11 iss-wrong switched on and off between two logins', async () => {
    await lab.setFaults(['iss-wrong']);
    try {
      await expect(login(lab)).resolves.toBeDefined(); // the lab still issues a code: the client must check iss
      const r = lab.requests({ path: '/authorize' }).at(-1);
      expect(r?.outcome).toBe('accepted');
    } finally {
      await lab.setFaults([]);
    }
  });

  it('setRelaxations: bearer-tokens on, an unbound token reaches the RS; off again, RS-06 refuses it', async () => {
    const t = lab.issueToken({ scope: 'accounts' });
    const call = () =>
      lab.fetch(`${lab.rs}/accounts`, { headers: { authorization: `Bearer ${t.accessToken}` } });
    expect((await call()).status).toBe(401);
    await lab.setRelaxations(['bearer-tokens']);
    const relaxed = await call();
    expect(relaxed.status).toBe(200);
    expect(relaxed.headers.get('x-fapi-lab-warning')).toContain('relaxed=bearer-tokens');
    await lab.setRelaxations([]);
    const refused = await call();
    expect(refused.status).toBe(401);
    expect(lab.requests({ path: '/accounts' }).at(-1)?.check).toBe('RS-06');
    await expectFapiError(lab.setRelaxations(['nope' as never]), { code: 'E_LAB_UNKNOWN_RELAXATION' });
  });

  it('no-dpop-nonce switched on: the RS stops demanding nonces (RS-09) at once', async () => {
    const me = await login(lab);
    const url = `${lab.rs}/accounts`;
    const once = () =>
      lab.fetch(url, {
        headers: {
          authorization: `DPoP ${me.accessToken}`,
          dpop: createDpopProof(me.dpop, { htm: 'GET', htu: url, accessToken: me.accessToken }),
        },
      });
    expect((await once()).status).toBe(401);
    await lab.setRelaxations(['no-dpop-nonce']);
    try {
      expect((await once()).status).toBe(200);
    } finally {
      await lab.setRelaxations([]);
    }
  });

  it('clock-skew switched on moves the lab clock and its Date header (CL-23); off restores it', async () => {
    await lab.setFaults(['clock-skew']);
    const skewed = await lab.fetch(`${lab.issuer}/jwks`);
    const ahead = Date.parse(skewed.headers.get('date') ?? '') - Date.now();
    expect(ahead).toBeGreaterThan(100_000);
    await lab.setFaults([]);
    const normal = await lab.fetch(`${lab.issuer}/jwks`);
    expect(Math.abs(Date.parse(normal.headers.get('date') ?? '') - Date.now())).toBeLessThan(5000);
  });

  it('dpop-nonce-rotate switched on: a new nonce after every success; the old one is refused (CL-15)', async () => {
    const me = await login(lab);
    await lab.setFaults(['dpop-nonce-rotate']);
    try {
      const first = await callRs(lab, me);
      expect(first.status).toBe(200);
      const next = first.headers.get('dpop-nonce') as string;
      const url = `${lab.rs}/accounts`;
      const withNonce = (nonce: string) =>
        lab.fetch(url, {
          headers: {
            authorization: `DPoP ${me.accessToken}`,
            dpop: createDpopProof(me.dpop, { htm: 'GET', htu: url, accessToken: me.accessToken, nonce }),
          },
        });
      const ok = await withNonce(next);
      expect(ok.status).toBe(200);
      expect((await withNonce(next)).status).toBe(401);
    } finally {
      await lab.setFaults([]);
    }
  });
});

describe('failNext and delayNext', () => {
  it('the next token request answers the OAuth error, then the lab is back to normal; recorded as FAIL-NEXT', async () => {
    lab.failNext({ endpoint: 'token', error: 'temporarily_unavailable' });
    await expect(login(lab)).rejects.toThrow(/token: 503 .*temporarily_unavailable/);
    const failed = lab.requests({ path: '/token' }).at(-1);
    expect(failed).toMatchObject({
      status: 503,
      outcome: 'refused',
      check: 'FAIL-NEXT',
      error: 'temporarily_unavailable',
    });
    await expect(login(lab)).resolves.toBeDefined();
  });

  it('times: 2 and a clientId: only that client fails, twice', async () => {
    const key = await generateKey();
    const clientId = await registerClient(lab, key);
    lab.failNext({ endpoint: 'par', status: 400, clientId, times: 2 });
    await expect(login(lab)).resolves.toBeDefined(); // another client: untouched
    await expect(login(lab, { clientId, key })).rejects.toThrow(/PAR: 400 .*invalid_request/);
    await expect(login(lab, { clientId, key })).rejects.toThrow(/PAR: 400/);
    await expect(login(lab, { clientId, key })).resolves.toBeDefined();
  });

  it('rs: a 401 with the RFC 6750 challenge; authorize: an error redirect with state and iss (RFC 6749 §4.1.2.1)', async () => {
    const me = await login(lab);
    lab.failNext({ endpoint: 'rs', error: 'invalid_token', error_description: 'injected' });
    const res = await callRs(lab, me);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(
      /DPoP error="invalid_token", error_description="injected"/,
    );
    expect((await callRs(lab, me)).status).toBe(200);

    lab.failNext({ endpoint: 'authorize', error: 'access_denied' });
    await expect(login(lab)).rejects.toThrow(/authorize: 303 .*error=access_denied.*state=st-1.*iss=/);
  });

  it('bad input: unknown endpoint, times 0 or negative, a status that is no error: a FapiError, nothing pending', () => {
    expectFapiError(() => lab.failNext({ endpoint: 'nope' as never }), { code: 'E_LAB_UNKNOWN_ENDPOINT' });
    expectFapiError(() => lab.failNext({ endpoint: 'token', times: -1 }), { code: 'E_LAB_OPTION' });
    expectFapiError(() => lab.failNext({ endpoint: 'token', times: 0 }), { code: 'E_LAB_OPTION' });
    expectFapiError(() => lab.failNext({ endpoint: 'token', status: 200 }), { code: 'E_LAB_OPTION' });
    expectFapiError(() => lab.delayNext({ endpoint: 'token', ms: -5 }), { code: 'E_LAB_OPTION' });
    expect((lab as unknown as { faults: unknown }).faults).toEqual([]);
    return expect(login(lab)).resolves.toBeDefined();
  });

  it('delayNext: the next token request waits, then succeeds', async () => {
    lab.delayNext({ endpoint: 'token', ms: 300 });
    const started = Date.now();
    await login(lab);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(lab.requests({ path: '/token' }).at(-1)?.ms).toBeGreaterThanOrEqual(290);
  });
});

describe('failNext at introspection, revocation, userinfo and registration', () => {
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
  /** RFC 7662 introspection or RFC 7009 revocation of the access token, with private_key_jwt. */
  const manage = (me: LoggedIn, path: '/introspect' | '/revoke') =>
    lab.fetch(`${lab.issuer}${path}`, {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({
        ...clientAssertionParams(
          me.clientId,
          createClientAssertion({ clientId: me.clientId, audience: lab.issuer, key: me.key }),
        ),
        token: me.accessToken,
      }).toString(),
    });
  const log = (path: string) => lab.requests({ path }).map((r) => [r.status, r.outcome, r.check, r.error]);

  it('introspection: the status given, once (its default error), then the token is reported active again', async () => {
    const me = await login(lab);
    lab.clearRequests();
    lab.failNext({ endpoint: 'introspection', status: 502 });
    const failed = await manage(me, '/introspect');
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ error: 'server_error' });
    const ok = await manage(me, '/introspect');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ active: true, client_id: me.clientId });
    expect(log('/introspect')).toEqual([
      [502, 'refused', 'FAIL-NEXT', 'server_error'],
      [200, 'accepted', undefined, undefined],
    ]);
    expect(lab.requests({ path: '/introspect' })[0]?.clientId).toBe(me.clientId);
  });

  it('revocation: times 2, an error without a status (401 for invalid_client); the failures revoke nothing', async () => {
    const me = await login(lab);
    lab.clearRequests();
    lab.failNext({ endpoint: 'revocation', error: 'invalid_client', times: 2 });
    for (let i = 0; i < 2; i++) {
      const failed = await manage(me, '/revoke');
      expect(failed.status).toBe(401);
      expect(await failed.json()).toMatchObject({
        error: 'invalid_client',
        error_description: 'failure injected by the lab (failNext): no check ran',
      });
    }
    // Nothing was revoked by the failed requests: the RS still accepts the token.
    expect((await callRs(lab, me)).status).toBe(200);
    const revoked = await manage(me, '/revoke');
    expect(revoked.status).toBe(200);
    expect(await (await manage(me, '/introspect')).json()).toEqual({ active: false });
    expect(log('/revoke')).toEqual([
      [401, 'refused', 'FAIL-NEXT', 'invalid_client'],
      [401, 'refused', 'FAIL-NEXT', 'invalid_client'],
      [200, 'accepted', undefined, undefined],
    ]);
  });

  it('userinfo: an RFC 6750 §3 challenge with the error and description given, once; then the claims', async () => {
    const me = await login(lab);
    lab.clearRequests();
    lab.failNext({ endpoint: 'userinfo', error: 'insufficient_scope', error_description: 'injected here' });
    const userinfo = `${lab.issuer}/userinfo`;
    const failed = await callRs(lab, me, userinfo);
    expect(failed.status).toBe(403);
    expect(failed.headers.get('www-authenticate')).toMatch(
      /^DPoP error="insufficient_scope", error_description="injected here".*, Bearer error="insufficient_scope"/,
    );
    expect(await failed.json()).toEqual({ error: 'insufficient_scope', error_description: 'injected here' });
    const ok = await callRs(lab, me, userinfo);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ sub: 'alice' });
    const entries = lab.requests({ path: '/userinfo' });
    expect(entries[0]).toMatchObject({
      status: 403,
      outcome: 'refused',
      check: 'FAIL-NEXT',
      error: 'insufficient_scope',
      clientId: me.clientId,
    });
    expect(entries.slice(1).map((r) => [r.status, r.outcome])).toEqual([
      [401, 'refused'], // the nonce challenge (DP-10) of the call after: the lab checks again
      [200, 'accepted'],
    ]);
    expect(entries[1]?.check).toBe('DP-10');
  });

  it('registration: times 2 over registration and the client configuration endpoint, then both work again', async () => {
    lab.clearRequests();
    const metadata = {
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [(await generateKey()).publicJwk] },
      dpop_bound_access_tokens: true,
    };
    const register = () =>
      lab.fetch(`${lab.issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(metadata),
      });
    const first = await register();
    expect(first.status).toBe(201);
    const client = (await first.json()) as { client_id: string; registration_access_token: string };
    const read = () =>
      lab.fetch(`${lab.issuer}/register/${client.client_id}`, {
        headers: { authorization: `Bearer ${client.registration_access_token}` },
      });

    lab.failNext({
      endpoint: 'registration',
      status: 400,
      error: 'invalid_client_metadata',
      error_description: 'injected',
      times: 2,
    });
    const failedRegister = await register();
    expect(failedRegister.status).toBe(400);
    expect(await failedRegister.json()).toEqual({
      error: 'invalid_client_metadata',
      error_description: 'injected',
    });
    const failedRead = await read();
    expect(failedRead.status).toBe(400);
    expect(((await failedRead.json()) as { error: string }).error).toBe('invalid_client_metadata');

    expect((await read()).status).toBe(200);
    expect((await register()).status).toBe(201);
    expect(lab.requests().map((r) => [r.method, r.path, r.status, r.check])).toEqual([
      ['POST', '/register', 201, undefined],
      ['POST', '/register', 400, 'FAIL-NEXT'],
      ['GET', `/register/${client.client_id}`, 400, 'FAIL-NEXT'],
      ['GET', `/register/${client.client_id}`, 200, undefined],
      ['POST', '/register', 201, undefined],
    ]);
    // The one naming a client (the configuration endpoint's path) is logged as that client's.
    expect(lab.requests({ clientId: client.client_id }).map((r) => r.status)).toContain(400);
  });
});

describe('requests()', () => {
  it('records time, listener, method, path, client, status, outcome, check, grant type, DPoP and certificate', async () => {
    lab.clearRequests();
    expect(lab.requests()).toEqual([]);
    const since = new Date();
    const me = await login(lab);
    await callRs(lab, me);
    const all = lab.requests({ clientId: me.clientId });
    expect(all.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /register 201',
      'POST /par 201',
      'GET /authorize 303',
      'POST /token 200',
      'GET /accounts 401',
      'GET /accounts 200',
    ]);
    const token = all[3]!;
    expect(token).toMatchObject({
      listener: 'as',
      grantType: 'authorization_code',
      dpop: true,
      clientCertificate: false,
      outcome: 'accepted',
    });
    expect(Date.parse(token.time)).toBeGreaterThanOrEqual(since.getTime() - 1000);
    expect(all[4]).toMatchObject({
      listener: 'rs',
      outcome: 'refused',
      check: 'DP-10',
      error: 'use_dpop_nonce',
    });
    expect(lab.requests({ path: /^\/accounts/ })).toHaveLength(2);
    expect(lab.requests({ since: new Date(Date.now() + 60_000) })).toEqual([]);
    expect(lab.requests({ afterId: token.id }).map((r) => r.path)).toEqual(['/accounts', '/accounts']);
    // The credentials are not in the log's public view.
    expect(JSON.stringify(all)).not.toContain(me.accessToken);
  });

  it("a request's detail: the decoded assertion, proof and access token, never the values", async () => {
    const me = await login(lab);
    await callRs(lab, me);
    const token = lab.requests({ clientId: me.clientId, path: '/token' })[0]!;
    const d = lab.request(token.id)!;
    expect(d.clientAssertion?.claims).toMatchObject({ iss: me.clientId, aud: lab.issuer });
    expect(d.dpopProof?.header).toMatchObject({ typ: 'dpop+jwt' });
    expect(d.clientAssertion?.redacted).toMatch(/^«redacted: client_assertion, \d+ chars»$/);
    const refused = lab.requests({ clientId: me.clientId, path: '/accounts' })[0]!;
    const r = lab.request(refused.id)!;
    expect(r.decidedBy).toMatchObject({ check: 'DP-10', spec: expect.stringContaining('RFC 9449') });
    expect(r.accessToken?.claims).toMatchObject({ client_id: me.clientId });
    expect(JSON.stringify(r)).not.toContain(me.accessToken);
  });
});

describe('users', () => {
  it('add, login({ sub }), claims in the ID token and userinfo; remove', async () => {
    lab.users.add({
      sub: 'carol',
      claims: { name: 'Carol Cruz', email: 'carol@example.test', locale: 'pt-BR' },
    });
    lab.login({ sub: 'carol' });
    try {
      const me = await login(lab);
      expect(decodeJwt(me.tokenResponse.id_token as string).payload).toMatchObject({
        sub: 'carol',
        locale: 'pt-BR',
      });
      const ui = await callRs(lab, me, `${lab.issuer}/userinfo`);
      expect(await ui.json()).toMatchObject({ sub: 'carol', name: 'Carol Cruz', locale: 'pt-BR' });
      expect(lab.users.list().map((u) => u.sub)).toEqual(['alice', 'bob', 'carol']);
      lab.users.add({ sub: 'carol', claims: { name: 'Carol C.' } });
      const again = await login(lab);
      expect(decodeJwt(again.tokenResponse.id_token as string).payload).toMatchObject({
        sub: 'carol',
        name: 'Carol C.',
      });
    } finally {
      lab.users.remove('carol');
    }
    const back = await login(lab);
    expect(decodeJwt(back.tokenResponse.id_token as string).payload.sub).toBe('alice');
    expectFapiError(() => lab.users.remove('carol'), { code: 'E_LAB_UNKNOWN_USER' });
    expectFapiError(() => lab.login({ sub: 'nobody' }), { code: 'E_LAB_UNKNOWN_USER' });
    expectFapiError(() => lab.users.add({ sub: 'x', claims: { iss: 'evil' } }), { code: 'E_LAB_USER' });
    expectFapiError(() => lab.users.add({ sub: 'has space', claims: {} }), { code: 'E_LAB_USER' });
  });
});

describe('a user with a password', () => {
  it('the login page asks for it; a wrong one is refused, the right one logs in', async () => {
    const l = await startLab({
      quiet: true,
      autoApprove: false,
      users: [{ sub: 'erin', password: 's3cret', claims: {} }],
    });
    try {
      const key = await generateKey();
      const clientId = await registerClient(l, key);
      const { clientAssertionParams, createClientAssertion, createPkcePair } =
        await import('../../src/public/index.js');
      const pkce = createPkcePair();
      const par = await l.fetch(`${l.issuer}/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          ...clientAssertionParams(clientId, createClientAssertion({ clientId, audience: l.issuer, key })),
          response_type: 'code',
          redirect_uri: 'https://client.example/cb',
          scope: 'openid',
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
        }).toString(),
      });
      const { request_uri } = (await par.json()) as { request_uri: string };
      const page = await l.fetch(
        `${l.issuer}/authorize?${new URLSearchParams({ client_id: clientId, request_uri })}`,
      );
      const html = await page.text();
      expect(html).toContain('type="password" name="password"');
      const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1] as string;
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const decide = (password: string) =>
        l.fetch(`${l.issuer}/authorize/decision`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          body: new URLSearchParams({ interaction, user: 'erin', password, decision: 'approve' }).toString(),
        });
      const wrong = await decide('guess');
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain('wrong password for erin');
      const right = await decide('s3cret');
      expect(right.status).toBe(303);
      expect(new URL(right.headers.get('location') as string).searchParams.get('code')).toBeTruthy();
    } finally {
      await l.close();
    }
  });
});

describe('issueToken', () => {
  it('a DPoP-bound token for the RS, accepted with a proof of that key; bad input refused', async () => {
    const dpop = await generateKey();
    const t = lab.issueToken({ scope: 'accounts', dpopJkt: dpop.thumbprint, sub: 'bob', expiresIn: 120 });
    expect(t.tokenType).toBe('DPoP');
    expect(t.claims).toMatchObject({
      sub: 'bob',
      aud: lab.rs,
      iss: lab.issuer,
      scope: 'accounts',
      cnf: { jkt: dpop.thumbprint },
    });
    expect((t.claims.exp as number) - (t.claims.iat as number)).toBe(120);
    const res = await callRs(lab, { dpop, accessToken: t.accessToken });
    expect(res.status).toBe(200);
    expectFapiError(() => lab.issueToken({ scope: '' }), { code: 'E_LAB_OPTION' });
    expectFapiError(() => lab.issueToken({ scope: 'accounts', dpopJkt: 'x', x5tS256: 'y' }), {
      code: 'E_LAB_OPTION',
    });
    expectFapiError(() => lab.issueToken({ scope: 'accounts', expiresIn: -1 }), { code: 'E_LAB_OPTION' });
  });
});

describe('many labs, close()', () => {
  it('two labs share no state: switches, requests and users are per lab', async () => {
    const other = await startLab({ quiet: true, faults: ['iss-missing'] });
    try {
      expect(other.issuer).not.toBe(lab.issuer);
      expect(lab.faults).toEqual([]);
      other.users.add({ sub: 'dave', claims: {} });
      expect(lab.users.list().map((u) => u.sub)).not.toContain('dave');
      other.failNext({ endpoint: 'token' });
      await expect(login(lab)).resolves.toBeDefined();
      expect(other.requests().length).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('close() frees the ports and removes the temporary home, quickly', async () => {
    const l = await startLab({ quiet: true });
    const port = Number(new URL(l.issuer).port);
    await login(l);
    const started = performance.now();
    await l.close();
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(500); // the bench row holds the real budget (50 ms)
    expect(existsSync(l.home)).toBe(false);
    await expect(
      new Promise((resolve, reject) =>
        net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject),
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

/** Listens on `port` of 127.0.0.1 and closes again: the port it got (rejects when it is taken). */
function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const got = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(got));
    });
  });
}

/** A port P with P + 1 and P + 2 free too (the AS, the mTLS aliases, the RS). */
async function threeFreePorts(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = await listenAndClose(0);
    if (base + 2 > 65_535) continue;
    try {
      await listenAndClose(base + 1);
      await listenAndClose(base + 2);
      return base;
    } catch {
      // One of the next two is taken: try another.
    }
  }
  throw new Error('no three consecutive free ports');
}

describe('startLab options: home, port, config', () => {
  it('a given home is kept after close(), and a lab started on it again has the same CA and clients', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'fapi-lab-given-home-'));
    try {
      const first = await startLab({ quiet: true, home });
      expect(first.home).toBe(home);
      expect(first.caFile.startsWith(home + path.sep)).toBe(true);
      const me = await login(first);
      await first.close();
      expect(existsSync(home)).toBe(true);
      expect(existsSync(first.caFile)).toBe(true);
      expect(readdirSync(home).length).toBeGreaterThan(0);

      const again = await startLab({ quiet: true, home });
      try {
        expect(again.caPem).toBe(first.caPem);
        // The client registered in the first run logs in again: its registration was kept.
        await expect(login(again, { clientId: me.clientId, key: me.key })).resolves.toMatchObject({
          clientId: me.clientId,
        });
      } finally {
        await again.close();
      }
      expect(existsSync(home)).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('port P: the AS on P, the mTLS aliases on P + 1, the RS on P + 2, each serving there', async () => {
    const port = await threeFreePorts();
    const l = await startLab({ quiet: true, port });
    try {
      expect(l.issuer).toBe(`https://127.0.0.1:${port}`);
      expect(l.mtls).toBe(`https://127.0.0.1:${port + 1}`);
      expect(l.rs).toBe(`https://127.0.0.1:${port + 2}`);
      const meta = (await (await l.fetch(`${l.issuer}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
        mtls_endpoint_aliases: Record<string, string>;
      };
      expect(meta.issuer).toBe(l.issuer);
      expect(meta.mtls_endpoint_aliases.token_endpoint).toBe(`${l.mtls}/token`);
      expect((await l.fetch(`${l.mtls}/jwks`)).status).toBe(404); // the aliases serve only their endpoints
      await l.fetch(`${l.mtls}/token`, { method: 'POST' });
      expect((await l.fetch(`${l.rs}/accounts`)).status).toBe(401);
      expect(l.requests().map((r) => [r.listener, r.method, r.path])).toEqual([
        ['as', 'GET', '/.well-known/openid-configuration'],
        ['mtls', 'GET', '/jwks'],
        ['mtls', 'POST', '/token'],
        ['rs', 'GET', '/accounts'],
      ]);
    } finally {
      await l.close();
    }
  });

  it('config: the access-token lifetime and the auto-approved user of the config object take effect', async () => {
    const l = await startLab({ quiet: true, config: { accessTokenLifetime: 123, defaultUser: 'bob' } });
    try {
      const me = await login(l);
      expect(me.tokenResponse.expires_in).toBe(123);
      const at = decodeJwt(me.accessToken).payload;
      expect((at.exp as number) - (at.iat as number)).toBe(123);
      expect(decodeJwt(me.tokenResponse.id_token as string).payload.sub).toBe('bob');
      expect(l.issueToken({ scope: 'accounts' }).expiresIn).toBe(123);
    } finally {
      await l.close();
    }
  });
});
