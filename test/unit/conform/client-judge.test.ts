/**
 * The verdicts of `fapi conform client` (src/conform/client/judge.ts), from hand-made lab
 * observations: each expectation passes on what a conformant client does and fails, naming the
 * request, on what a broken one does; a negative module counts only once the lab misbehaved.
 */
import { describe, expect, it } from 'vitest';
import type { ObservedRequest, Observation } from '../../../src/core/client-test-lab.js';
import {
  FLOOD_LIMIT,
  judgeModule,
  verdictDetail,
  type CommandExit,
} from '../../../src/conform/client/judge.js';
import { CLIENT_MODULES, type ClientModule } from '../../../src/conform/client/modules.js';
import type { Variant } from '../../../src/conform/types.js';

const DPOP: Variant = { auth: 'private_key_jwt', sender: 'dpop' };
const mod = (id: string): ClientModule => {
  const m = CLIENT_MODULES.find((x) => x.id === id);
  if (!m) throw new Error(`no module ${id}`);
  return m;
};

/**
 * `METHOD PATH[@listener] STATUS [ERROR] [GRANT]`: `POST /token 200 refresh_token`,
 * `GET /accounts@rs 401 invalid_token`; a token request without a grant redeems a code.
 */
function reqs(...lines: string[]): ObservedRequest[] {
  const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'];
  return lines.map((l, i) => {
    const [method, where, status, ...rest] = l.split(' ') as [string, string, string, ...string[]];
    const [p, listener] = where.split('@') as [string, 'as' | 'mtls' | 'rs' | undefined];
    const s = Number(status);
    const grant = rest.find((x) => GRANTS.includes(x)) ?? 'authorization_code';
    const error = rest.find((x) => !GRANTS.includes(x));
    return {
      id: 100 + i,
      listener: listener ?? 'as',
      method,
      path: p,
      status: s,
      outcome: s < 400 ? 'accepted' : 'refused',
      clientId: 'c1',
      ...(p === '/token' ? { grantType: grant } : {}),
      ...(error ? { error } : {}),
      dpop: true,
      clientCertificate: false,
    };
  });
}

function observe(requests: ObservedRequest[], o: Partial<Observation> = {}): Observation {
  return {
    requests,
    total: requests.length,
    handshakeFailures: 0,
    handshakeReasons: [],
    clients: { c1: { auth: 'private_key_jwt', sender: 'dpop' } },
    ...o,
  };
}

const exit = (code: number | null, o: Partial<CommandExit> = {}): CommandExit => ({
  code,
  signal: null,
  timedOut: false,
  ms: 800,
  stderr: [],
  ...o,
});

const FLOW = [
  'GET /.well-known/openid-configuration 200',
  'POST /register 201',
  'POST /par 400 use_dpop_nonce',
  'POST /par 201',
  'GET /authorize 303',
  'POST /token 400 use_dpop_nonce',
  'POST /token 200 authorization_code',
  'GET /accounts@rs 401 use_dpop_nonce',
  'GET /accounts@rs 200',
];

describe('happy path and tolerance modules', () => {
  it('pass on PAR, a token from the code and a resource call, exit 0; the evidence lists the requests', () => {
    const v = judgeModule(mod('happy-path'), observe(reqs(...FLOW)), exit(0), DPOP);
    expect([v.result, v.reason]).toEqual(['passed', 'complete: PAR, token, resource 200; exit 0']);
    expect(v.requests).toContain('POST /token authorization_code 200');
    expect(v.requests).toContain('GET /accounts [rs] 401 use_dpop_nonce');
    expect(verdictDetail(v)).toMatch(
      /^complete: .* — lab: GET \/.well-known\/openid-configuration 200, .* — exit 0$/,
    );
  });
  it('fail when a step is missing, naming it', () => {
    const noRs = judgeModule(mod('happy-path'), observe(reqs(...FLOW.slice(0, 7))), exit(0), DPOP);
    expect([noRs.result, noRs.reason]).toEqual(['failed', 'incomplete: no resource call']);
    const refused = judgeModule(
      mod('CL-17.token-type'),
      observe(reqs(...FLOW.slice(0, 7), 'GET /accounts@rs 401 invalid_token')),
      exit(1),
      DPOP,
    );
    expect(refused.reason).toMatch(/^incomplete: no successful resource call \(GET \/accounts \[rs\] 401/);
    const noPar = judgeModule(
      mod('happy-path'),
      observe(reqs(FLOW[0] as string, 'POST /par 400 x')),
      exit(1),
      DPOP,
    );
    expect(noPar.reason).toBe('incomplete: no successful PAR');
  });
  it('fail when the lab saw everything but the command reported a failure (it refused something valid)', () => {
    const v = judgeModule(mod('CL-20.aud-array'), observe(reqs(...FLOW)), exit(3), DPOP);
    expect(v.result).toBe('failed');
    expect(v.reason).toMatch(/the command reported a failure \(exit 3\): the client refused something valid/);
  });
  it('fail when the client used another variant than the run tests', () => {
    const mtls: Variant = { auth: 'tls_client_auth', sender: 'mtls' };
    const v = judgeModule(mod('happy-path'), observe(reqs(...FLOW)), exit(0), mtls);
    expect(v.reason).toMatch(/authenticates with private_key_jwt; this run tests tls_client_auth/);
    const bearer = judgeModule(
      mod('happy-path'),
      observe(reqs(...FLOW).map((r) => ({ ...r, dpop: false }))),
      exit(0),
      DPOP,
    );
    expect(bearer.reason).toMatch(/no DPoP proof/);
  });
  it('refresh modules need two successful refreshes and a resource call after the last one', () => {
    const base = [...FLOW.slice(0, 7), 'GET /accounts@rs 401 invalid_token'];
    const good = reqs(
      ...base,
      'POST /token 200 refresh_token',
      'GET /accounts@rs 401 invalid_token',
      'POST /token 200 refresh_token',
      'GET /accounts@rs 200',
    );
    expect(judgeModule(mod('CL-19.no-grace'), observe(good), exit(0), DPOP).reason).toBe(
      'complete: PAR, token, resource 200, 2 refreshes; exit 0',
    );
    const stale = reqs(
      ...base,
      'POST /token 200 refresh_token',
      'GET /accounts@rs 401 invalid_token',
      'POST /token 400 invalid_grant refresh_token',
    );
    stale[stale.length - 1]!.check = 'RT-02';
    const v = judgeModule(mod('CL-19.no-grace'), observe(stale), exit(5), DPOP);
    expect(v.result).toBe('failed');
    expect(v.reason).toMatch(
      /a refresh was refused .*invalid_grant \(RT-02\)\): the client refreshed with a refresh token that had been replaced/,
    );
    const none = judgeModule(
      mod('CL-19.rotation'),
      observe(reqs(...base, 'GET /accounts@rs 200')),
      exit(0),
      DPOP,
    );
    expect(none.reason).toMatch(/0 successful refreshes \(the resource refused the access token 3 times/);
  });
});

describe('negative modules', () => {
  it('CL-11: no token request after a bad authorization response passes; redeeming the code fails', () => {
    const stop = reqs(...FLOW.slice(0, 5));
    expect(judgeModule(mod('CL-11.iss-wrong'), observe(stop), exit(5), DPOP).reason).toBe(
      'the client refused the authorization response: no token request (exit 5)',
    );
    const v = judgeModule(mod('CL-11.iss-wrong'), observe(reqs(...FLOW)), exit(0), DPOP);
    expect([v.result, v.reason]).toEqual([
      'failed',
      'the client redeemed the code of the bad authorization response: POST /token authorization_code 400 use_dpop_nonce, POST /token authorization_code 200',
    ]);
  });
  it('a SHOULD module (CL-12) is judged the same; the level makes a failure a warning later', () => {
    expect(judgeModule(mod('CL-12.state-wrong'), observe(reqs(...FLOW)), exit(0), DPOP).result).toBe(
      'failed',
    );
  });
  it('CL-20: no resource, userinfo or refresh request with the tokens of a bad ID token', () => {
    expect(
      judgeModule(mod('CL-20.sig-invalid'), observe(reqs(...FLOW.slice(0, 7))), exit(5), DPOP).result,
    ).toBe('passed');
    const used = judgeModule(mod('CL-20.sig-invalid'), observe(reqs(...FLOW)), exit(0), DPOP);
    expect(used.reason).toMatch(
      /^the client used the tokens of the bad token response: GET \/accounts \[rs\] 401/,
    );
    const refresh = judgeModule(
      mod('CL-20.nonce-wrong'),
      observe(reqs(...FLOW.slice(0, 7), 'POST /token 200 refresh_token')),
      exit(1),
      DPOP,
    );
    expect(refresh.result).toBe('failed');
    const userinfo = judgeModule(
      mod('CL-20.iss'),
      observe(reqs(...FLOW.slice(0, 7), 'GET /userinfo 200')),
      exit(1),
      DPOP,
    );
    expect(userinfo.reason).toMatch(/GET \/userinfo 200/);
  });
  it('CL-03: after the metadata, nothing else', () => {
    expect(judgeModule(mod('CL-03'), observe(reqs(FLOW[0] as string)), exit(6), DPOP).result).toBe('passed');
    const on = judgeModule(mod('CL-03'), observe(reqs(...FLOW.slice(0, 2))), exit(0), DPOP);
    expect(on.reason).toBe('the client went on after metadata naming another issuer: POST /register 201');
  });
  it('CL-01 / CL-02: a refused handshake and no request passes; any request fails', () => {
    const tls = observe([], { handshakeFailures: 1, handshakeReasons: ['as: certificate unknown'] });
    const v = judgeModule(mod('CL-01'), tls, exit(4), DPOP);
    expect(v.reason).toBe('the client refused the TLS connection: 1 handshake failed, no request (exit 4)');
    expect(v.requests).toEqual(['1 TLS handshake refused (as: certificate unknown)']);
    const lax = judgeModule(mod('CL-01'), observe(reqs(...FLOW.slice(0, 2))), exit(0), DPOP);
    expect(lax.reason).toMatch(
      /^the client sent requests over a TLS connection it should have refused: GET \/.well-known/,
    );
  });
  it('a client that stops but exits 0 passes with a warning: it did not report the failure', () => {
    const v = judgeModule(mod('CL-11.iss-missing'), observe(reqs(...FLOW.slice(0, 5))), exit(0), DPOP);
    expect([v.result, v.reason]).toEqual([
      'warning',
      'the client refused the authorization response: no token request, but exited 0: it did not report the failure',
    ]);
  });
  it('a client that stopped before the lab misbehaved proves nothing: failed', () => {
    const v = judgeModule(mod('CL-20.alg-none'), observe(reqs(...FLOW.slice(0, 4))), exit(1), DPOP);
    expect(v.result).toBe('failed');
    expect(v.reason).toMatch(/stopped before the lab misbehaved: no token response was sent/);
    const auth = judgeModule(mod('CL-12.state-missing'), observe(reqs(...FLOW.slice(0, 3))), exit(1), DPOP);
    expect(auth.reason).toMatch(/no authorization response was sent/);
  });
});

describe('request objects at PAR (MS-07, --jar)', () => {
  const good = {
    typ: 'oauth-authz-req+jwt',
    aud: 'string' as const,
    sub: false,
    params: ['client_id', 'request'],
  };
  const withRo = (ro: ObservedRequest['requestObject']) =>
    observe(
      reqs(...FLOW).map((r) => (r.path === '/par' && r.status === 201 ? { ...r, requestObject: ro } : r)),
    );
  const verdict = (id: string, ro: ObservedRequest['requestObject']) =>
    judgeModule(mod(id), withRo(ro), exit(0), DPOP);
  it('passes a request object as FAPI2-MS §5.3.2 asks', () => {
    expect(
      verdict('MS-07', { ...good, params: [...good.params, 'client_assertion', 'client_assertion_type'] })
        .result,
    ).toBe('passed');
    expect(verdict('MS-07.typ', good).result).toBe('passed');
  });
  it('fails a plain pushed request, an aud array, a sub, parameters beside it; MS-07.typ an untyped one', () => {
    expect(verdict('MS-07', undefined).reason).toBe(
      'a pushed request without a request object (FAPI2-MS §5.3.2)',
    );
    expect(verdict('MS-07', { ...good, aud: 'array' }).reason).toMatch(
      /^the request object aud is an array: send the issuer as a string/,
    );
    expect(verdict('MS-07', { ...good, sub: true }).reason).toMatch(
      /has a sub claim: it could pass for a client assertion/,
    );
    expect(verdict('MS-07', { ...good, params: ['client_id', 'request', 'scope', 'state'] }).reason).toBe(
      'parameters beside the request object: scope, state (only client_id and request, with the client authentication)',
    );
    const { typ: _typ, ...untyped } = good;
    expect(verdict('MS-07', untyped).result).toBe('passed');
    expect(verdict('MS-07.typ', untyped).reason).toBe(
      'the request object typ is missing, not "oauth-authz-req+jwt" (RFC 9101 §4)',
    );
  });
});

describe('signed introspection (MS-11, --introspection)', () => {
  /** FLOW with an introspection request (`jwt`: asking for a signed answer) before the resource call. */
  const withIntrospection = (status: number, jwt: boolean, after = false) => {
    const line = `POST /introspect ${status}`;
    const lines = after ? [...FLOW, line] : [...FLOW.slice(0, 7), line, ...FLOW.slice(7)];
    return reqs(...lines).map((r) => (r.path === '/introspect' ? { ...r, introspectionJwt: jwt } : r));
  };
  it('MS-11 passes the whole flow with a signed introspection asked for, then the resource call', () => {
    const v = judgeModule(mod('MS-11'), observe(withIntrospection(200, true)), exit(0), DPOP);
    expect([v.result, v.reason]).toEqual([
      'passed',
      'complete: PAR, token, signed introspection, resource 200; exit 0',
    ]);
    expect(v.requests).toContain('POST /introspect 200');
  });
  it('MS-11 fails without an introspection, a plain one, a refused one, or one after the resource call', () => {
    const reason = (rs: ObservedRequest[]) => judgeModule(mod('MS-11'), observe(rs), exit(0), DPOP).reason;
    expect(reason(reqs(...FLOW))).toBe(
      'the client never introspected its access token (FAPI_INTROSPECT=1 asks it to, before the resource call)',
    );
    expect(reason(withIntrospection(200, false))).toBe(
      'the client introspected without asking for a signed response (Accept: application/token-introspection+jwt, RFC 9701 §4): POST /introspect 200',
    );
    expect(reason(withIntrospection(401, true))).toBe(
      'the signed introspection request was refused: POST /introspect 401',
    );
    expect(reason(withIntrospection(200, true, true))).toMatch(
      /^the client called the resource before it introspected the access token/,
    );
  });
  it('the negative modules pass when no resource call follows the bad answer; fail naming the call', () => {
    const stop = withIntrospection(200, true).slice(0, 8);
    expect(judgeModule(mod('MS-11.sig-invalid'), observe(stop), exit(2), DPOP).reason).toBe(
      'the client refused the introspection response: no resource call (exit 2)',
    );
    expect(judgeModule(mod('MS-11.unsigned'), observe(stop), exit(0), DPOP).result).toBe('warning');
    const used = judgeModule(mod('MS-11.aud-wrong'), observe(withIntrospection(200, true)), exit(0), DPOP);
    expect([used.result, used.reason]).toEqual([
      'failed',
      'the client called the resource after the bad introspection response: GET /accounts [rs] 401 use_dpop_nonce, GET /accounts [rs] 200',
    ]);
  });
  it('a client that never asked for a signed introspection proves nothing: failed, saying why', () => {
    const none = judgeModule(mod('MS-11.typ-wrong'), observe(reqs(...FLOW)), exit(0), DPOP);
    expect([none.result, none.reason]).toEqual([
      'failed',
      'the client never introspected its access token (FAPI_INTROSPECT=1 asks it to, before the resource call); this module proves nothing',
    ]);
    const plain = judgeModule(
      mod('MS-11.sig-invalid'),
      observe(withIntrospection(200, false)),
      exit(0),
      DPOP,
    );
    expect(plain.reason).toMatch(/^the client introspected without asking for a signed response/);
    const early = judgeModule(mod('MS-11.sig-invalid'), observe(reqs(...FLOW.slice(0, 4))), exit(1), DPOP);
    expect(early.reason).toMatch(/stopped before the lab misbehaved: no token response was sent/);
  });
});

describe('any module', () => {
  it('a command that made no request fails with "the client made no request"', () => {
    for (const id of ['happy-path', 'CL-03', 'CL-11.iss-wrong', 'CL-20.aud', 'CL-01', 'CL-12.state-wrong']) {
      const v = judgeModule(mod(id), observe([]), exit(0), DPOP);
      expect([id, v.result, v.reason, v.unjudged]).toEqual([
        id,
        'failed',
        'the client made no request',
        true,
      ]);
    }
  });
  it("what says nothing about the module's rule is unjudged (failed even for a SHOULD); a refusal not made is judged", () => {
    const t = exit(null, { timedOut: true, signal: 'SIGTERM', ms: 30_000 });
    const hung = judgeModule(mod('CL-12.state-wrong'), observe(reqs(...FLOW.slice(0, 4))), t, DPOP);
    expect([hung.result, hung.unjudged]).toEqual(['failed', true]);
    const noStart = judgeModule(
      mod('CL-20.sig-invalid'),
      observe([]),
      exit(null, { error: 'x: ENOENT' }),
      DPOP,
    );
    expect(noStart.unjudged).toBe(true);
    // Stopped before the lab misbehaved: this module proves nothing.
    const early = judgeModule(mod('CL-20.sig-invalid'), observe(reqs(...FLOW.slice(0, 2))), exit(1), DPOP);
    expect([early.result, early.unjudged, early.reason]).toEqual([
      'failed',
      true,
      expect.stringMatching(/proves nothing$/) as string,
    ]);
    // A client that used the tokens of the bad ID token: judged on the rule (a SHOULD: a warning).
    const used = judgeModule(mod('CL-20.sig-invalid'), observe(reqs(...FLOW)), exit(0), DPOP);
    expect([used.result, used.unjudged]).toEqual(['failed', undefined]);
  });
  it('a timeout fails with "timed out" and says when nothing was requested', () => {
    const t = exit(null, { timedOut: true, signal: 'SIGTERM', ms: 30_000 });
    expect(judgeModule(mod('happy-path'), observe([]), t, DPOP).reason).toBe(
      'timed out; the client made no request (the process group was killed)',
    );
    const v = judgeModule(mod('happy-path'), observe(reqs(...FLOW.slice(0, 4))), t, DPOP);
    expect([v.reason, v.exit]).toEqual([
      'timed out (the process group was killed)',
      'killed after the timeout (30.0 s)',
    ]);
  });
  it('a client that used what it had to refuse, then hung, is judged by what it used', () => {
    const t = exit(null, { timedOut: true, signal: 'SIGTERM', ms: 30_000 });
    for (const id of ['CL-01', 'CL-02']) {
      const v = judgeModule(mod(id), observe(reqs(...FLOW.slice(0, 5))), t, DPOP);
      expect(v.reason).toMatch(
        /^the client sent requests over a TLS connection it should have refused: .*; then it timed out \(the process group was killed\)$/,
      );
      // Judged on the module's rule, not unjudged: a SHOULD module (CL-02) stays a warning.
      expect([id, v.result, v.unjudged]).toEqual([id, 'failed', undefined]);
    }
    expect(mod('CL-02').level).toBe('SHOULD');
    // The same for a client that used the tokens of a bad ID token and then hung.
    const used = judgeModule(mod('CL-20.sig-invalid'), observe(reqs(...FLOW)), t, DPOP);
    expect([used.result, used.unjudged, used.reason]).toEqual([
      'failed',
      undefined,
      expect.stringMatching(
        /^the client used the tokens of the bad token response: .*; then it timed out/,
      ) as string,
    ]);
  });
  it('a flood fails, and the evidence stays short (the first and the last requests)', () => {
    const many = reqs(...Array.from({ length: 700 }, () => 'POST /par 400 invalid_client'));
    const v = judgeModule(mod('happy-path'), observe(many.slice(-650), { total: 700 }), exit(0), DPOP);
    expect(v.reason).toBe(
      `the client flooded the lab: 700 requests in one module (a FAPI login takes about ten)`,
    );
    expect(700).toBeGreaterThan(FLOOD_LIMIT);
    expect(v.requests.length).toBeLessThanOrEqual(26);
    expect(v.requests[0]).toBe("(the 50 earliest requests are no longer in the lab's log)");
    expect(v.requests).toContain('… 626 more …');
  });
  it('a command that could not start fails with the reason', () => {
    const v = judgeModule(mod('happy-path'), observe([]), exit(null, { error: 'my-client: ENOENT' }), DPOP);
    expect([v.reason, v.exit]).toEqual([
      'the command could not start: my-client: ENOENT',
      'could not start: my-client: ENOENT',
    ]);
  });
});
