/**
 * The checks of rules no lab switch breaks, judged both ways: the strict lab passes them (see
 * ./strict-lab.test.ts), and the lab behind a hostile middlebox that breaks exactly that rule fails
 * them. The middlebox (./helpers.ts `interpose`) plays a server that drops a registered flag, keeps
 * one key per kid, binds a refreshed token to the old certificate, an RS that ignores scopes, a
 * server that mishandles the OIDC claims parameter it offers, a token endpoint that does not
 * verify DPoP proofs, or refuses the ones RFC 9449 lets through, or a server that does not hold
 * the Rich Authorization Requests rules (any details at PAR, none in the token response, a refresh
 * that widens, drops or ignores them).
 */
import { describe, expect, it } from 'vitest';
import { isNonceDemand } from '../../src/core/client.js';
import { createDpopProof } from '../../src/core/dpop.js';
import { decodeJws } from '../../src/core/jws.js';
import { DPOP_TOKEN_CHECKS } from '../../src/conform/checks/dpop.js';
import { otherDpopKey } from '../../src/conform/checks/par.js';
import type { HttpRequest, HttpResponse } from '../../src/http/client.js';
import { DEFAULT_PAYMENT_DETAIL } from '../../src/conform/payment.js';
import type { ConformReport } from '../../src/conform/runner.js';
import type { Variant } from '../../src/conform/types.js';
import {
  conformLab,
  dropFromRegistration,
  formOf,
  jsonAnswer,
  label,
  lines,
  type Interpose,
  type LabRunOptions,
} from './helpers.js';
import type { LabConfig } from '../../lab/config.js';

const PKJWT_DPOP: Variant = { auth: 'private_key_jwt', sender: 'dpop' };
const PKJWT_MTLS: Variant = { auth: 'private_key_jwt', sender: 'mtls' };
const TLS_MTLS: Variant = { auth: 'tls_client_auth', sender: 'mtls' };

async function run(
  config: Partial<LabConfig>,
  only: string[],
  variants: Variant[],
  o: LabRunOptions = {},
): Promise<ConformReport> {
  const { report } = await conformLab(config, {
    only,
    auth: [...new Set(variants.map((v) => v.auth))],
    sender: [...new Set(variants.map((v) => v.sender))],
    ...o,
  });
  return report;
}

/** "ID [variant] result" for the checks of `ids` (their baselines left out). */
function results(report: ConformReport, ...ids: string[]): string[] {
  return report.results
    .filter((r) => ids.includes(r.id))
    .map((r) => `${r.id} [${label(r.variant)}] ${r.result}`);
}

function detail(report: ConformReport, id: string): string {
  return report.results.find((r) => r.id === id)?.detail ?? lines(report.results).join('\n');
}

const isTokenRequest = (req: { method: string; url: string }) =>
  req.method === 'POST' && new URL(req.url).pathname === '/token';

describe('REG-12: the registered flags are honoured', () => {
  it('dpop_bound_access_tokens: a server that drops the flag, and issues unbound tokens otherwise, fails', async () => {
    const report = await run({ relax: ['bearer-tokens'] }, ['REG-12'], [PKJWT_DPOP], {
      interpose: dropFromRegistration('dpop_bound_access_tokens'),
    });
    expect(results(report, 'REG-12'), lines(report.results).join('\n')).toEqual([
      'REG-12 [private_key_jwt+dpop] failed',
    ]);
    expect(detail(report, 'REG-12')).toMatch(
      /^a client registered with dpop_bound_access_tokens: true: PAR without DPoP, then a token request without a proof → 200: a token was issued/,
    );
  }, 60_000);

  it('require_pushed_authorization_requests: a server that drops the flag, and takes front-channel requests otherwise, fails', async () => {
    const report = await run({ relax: ['no-par'] }, ['REG-12.par'], [PKJWT_DPOP], {
      interpose: dropFromRegistration('require_pushed_authorization_requests'),
    });
    expect(results(report, 'REG-12.par')).toEqual(['REG-12.par [private_key_jwt+dpop] failed']);
    expect(detail(report, 'REG-12.par')).toContain('→ a code was issued');
  }, 60_000);

  it('token_endpoint_auth_signing_alg: a server that drops it accepts another algorithm and fails', async () => {
    const report = await run({}, ['REG-12.alg'], [PKJWT_DPOP], {
      interpose: dropFromRegistration('token_endpoint_auth_signing_alg'),
    });
    expect(results(report, 'REG-12.alg')).toEqual(['REG-12.alg [server] failed']);
    expect(detail(report, 'REG-12.alg')).toMatch(
      /PS256 key → 201: accepted, but the client registered ES256/,
    );
  }, 60_000);
});

/** Keeps the first key of each kid in a registered JWKS: a server that indexes client keys by kid. */
const oneKeyPerKid: Interpose = (req, send) => {
  if (req.method !== 'POST' || !req.url.endsWith('/register') || req.body === undefined) return undefined;
  const md = JSON.parse(Buffer.from(req.body).toString('utf8')) as { jwks?: { keys: { kid?: string }[] } };
  if (md.jwks) {
    const seen = new Set<string | undefined>();
    md.jwks.keys = md.jwks.keys.filter((k) => !seen.has(k.kid) && seen.add(k.kid));
  }
  return send({ ...req, body: JSON.stringify(md) });
};

describe('CR-08: two client keys under one kid', () => {
  it('a server that keeps one key per kid refuses the assertion signed by the other, and fails', async () => {
    const report = await run({}, ['CR-08'], [PKJWT_DPOP], { interpose: oneKeyPerKid });
    expect(results(report, 'CR-08')).toEqual(['CR-08 [server] failed']);
    expect(detail(report, 'CR-08')).toMatch(
      /PAR with an assertion signed by the PS256 key → 401 invalid_client.*: the server did not choose the key by kty and alg$/,
    );
  }, 60_000);

  it('a server that refuses such a JWKS at registration gets a warning (RFC 7591 lets it refuse)', async () => {
    const report = await run({}, ['CR-08'], [PKJWT_DPOP], {
      interpose: (req) => {
        if (req.method !== 'POST' || !req.url.endsWith('/register') || req.body === undefined)
          return undefined;
        const keys = (
          JSON.parse(Buffer.from(req.body).toString('utf8')) as { jwks?: { keys: { kid?: string }[] } }
        ).jwks?.keys;
        if (!keys || new Set(keys.map((k) => k.kid)).size === keys.length) return undefined;
        return Promise.resolve(
          jsonAnswer(req, 400, {
            error: 'invalid_client_metadata',
            error_description: 'duplicate kid in jwks',
          }),
        );
      },
    });
    expect(results(report, 'CR-08')).toEqual(['CR-08 [server] warning']);
    expect(detail(report, 'CR-08')).toMatch(
      /→ 400 invalid_client_metadata \(duplicate kid in jwks\): refused at registration, which RFC 7591 §3\.2\.2 allows$/,
    );
  }, 60_000);
});

describe('RT-08: refresh over another certificate', () => {
  it('a server that binds the refreshed access token to the first certificate fails', async () => {
    // The access token of the code grant, handed out again for each refresh.
    const first = new Map<string, string>();
    const report = await run({}, ['RT-08'], [PKJWT_MTLS, TLS_MTLS], {
      interpose: (req, send) => {
        if (!isTokenRequest(req)) return undefined;
        const f = formOf(req);
        return send(req).then((res) => {
          if (res.status !== 200) return res;
          const body = res.json() as Record<string, unknown>;
          if (f.get('grant_type') === 'authorization_code' && typeof body.refresh_token === 'string')
            first.set(body.refresh_token, body.access_token as string);
          const old = first.get(f.get('refresh_token') ?? '');
          if (f.get('grant_type') !== 'refresh_token' || !old) return res;
          return jsonAnswer(req, 200, { ...body, access_token: old });
        });
      },
    });
    expect(results(report, 'RT-08')).toEqual([
      'RT-08 [private_key_jwt+mtls] failed',
      'RT-08 [tls_client_auth+mtls] failed',
    ]);
    expect(detail(report, 'RT-08')).toMatch(
      /→ 200, but cnf\.x5t#S256 in the JWT access token is the first certificate's, not the one presented at refresh$/,
    );
  }, 90_000);

  it('a server that binds refresh tokens to the certificate refuses the refresh: that passes too', async () => {
    const certOf = new Map<string, string | undefined>();
    const report = await run({}, ['RT-08'], [PKJWT_MTLS], {
      interpose: (req, send, cert) => {
        if (!isTokenRequest(req)) return undefined;
        const f = formOf(req);
        const rt = f.get('refresh_token');
        if (f.get('grant_type') === 'refresh_token' && rt && certOf.has(rt) && certOf.get(rt) !== cert)
          return Promise.resolve(
            jsonAnswer(req, 400, {
              error: 'invalid_grant',
              error_description: 'bound to another certificate',
            }),
          );
        return send(req).then((res) => {
          const body = res.status === 200 ? (res.json() as Record<string, unknown>) : {};
          if (typeof body.refresh_token === 'string') certOf.set(body.refresh_token, cert);
          return res;
        });
      },
    });
    expect(results(report, 'RT-08')).toEqual(['RT-08 [private_key_jwt+mtls] passed']);
    expect(detail(report, 'RT-08')).toMatch(
      /→ 400 invalid_grant \(bound to another certificate\): the refresh token is bound to the first certificate$/,
    );
  }, 60_000);
});

describe('RS-05: the scope the resource requires (--rs-scope)', () => {
  const rsAnswer =
    (status: number, body: Record<string, string>, www?: string): Interpose =>
    (req, send) => {
      if (!req.url.includes('/accounts')) return undefined;
      return send(req).then((res) =>
        res.status !== 403 ? res : jsonAnswer(req, status, body, www ? { 'www-authenticate': www } : {}),
      );
    };

  it('an RS that ignores the scope fails', async () => {
    const report = await run({}, ['RS-05'], [PKJWT_DPOP], { interpose: rsAnswer(200, { accounts: '[]' }) });
    expect(results(report, 'RS-05')).toEqual(['RS-05 [private_key_jwt+dpop] failed']);
    expect(detail(report, 'RS-05')).toMatch(
      /^a token for "openid offline_access payments" \(without "accounts"\) → 200: accepted$/,
    );
  }, 60_000);

  it('an RS that refuses with another error fails; insufficient_scope with 401 is a warning (RFC 6750 §3.1: 403)', async () => {
    const other = await run({}, ['RS-05'], [PKJWT_DPOP], {
      interpose: rsAnswer(401, { error: 'invalid_token' }, 'DPoP error="invalid_token"'),
    });
    expect(results(other, 'RS-05')).toEqual(['RS-05 [private_key_jwt+dpop] failed']);
    expect(detail(other, 'RS-05')).toMatch(
      /→ 401 invalid_token.*, expected 403 insufficient_scope \(RFC 6750 §3\.1\)$/,
    );
    const status = await run({}, ['RS-05'], [PKJWT_DPOP], {
      interpose: rsAnswer(401, { error: 'insufficient_scope' }, 'DPoP error="insufficient_scope"'),
    });
    expect(results(status, 'RS-05')).toEqual(['RS-05 [private_key_jwt+dpop] warning']);
  }, 60_000);

  it('without --rs-scope it skips, saying what to pass', async () => {
    const report = await run({}, ['RS-05'], [PKJWT_DPOP], { rsScope: undefined });
    expect(detail(report, 'RS-05')).toBe(
      'needs the scope the --rs resource requires, to ask for a token without it: pass --rs-scope SCOPE',
    );
  }, 60_000);
});

describe('oidc:claims-parameter (the OIDC claims parameter, when offered)', () => {
  const isPar = (req: { method: string; url: string }) =>
    req.method === 'POST' && new URL(req.url).pathname === '/par';
  const isUserinfo = (req: { url: string }) => new URL(req.url).pathname === '/userinfo';
  /** Rewrites the JSON of the lab's userinfo answers. */
  const userinfo =
    (alter: (body: Record<string, unknown>) => Record<string, unknown>): Interpose =>
    (req, send) =>
      isUserinfo(req)
        ? send(req).then((res) =>
            res.status === 200 ? jsonAnswer(req, 200, alter(res.json() as Record<string, unknown>)) : res,
          )
        : undefined;

  it('a server that offers it but refuses a request with it fails', async () => {
    const report = await run({}, ['oidc:claims-parameter'], [PKJWT_DPOP], {
      interpose: (req) =>
        isPar(req) && formOf(req).has('claims')
          ? Promise.resolve(jsonAnswer(req, 400, { error: 'invalid_request', error_description: 'claims' }))
          : undefined,
    });
    expect(results(report, 'oidc:claims-parameter')).toEqual([
      'oidc:claims-parameter [private_key_jwt+dpop] failed',
    ]);
    expect(detail(report, 'oidc:claims-parameter')).toBe(
      'claims_parameter_supported is true, but the flow with a claims parameter failed: PAR → 400 invalid_request (claims)',
    );
  }, 60_000);

  it('userinfo for another subject, or a claim of the wrong type, fails', async () => {
    const sub = await run({}, ['oidc:claims-parameter'], [PKJWT_DPOP], {
      interpose: userinfo((b) => ({ ...b, sub: 'someone-else' })),
    });
    expect(detail(sub, 'oidc:claims-parameter')).toBe(
      'userinfo sub "someone-else" is not the ID token\'s "alice" (OIDC Core §5.3.2: they must be the same)',
    );
    const type = await run({}, ['oidc:claims-parameter'], [PKJWT_DPOP], {
      interpose: userinfo((b) => ({ ...b, email: ['alice@lab.fapi.example'] })),
    });
    expect(detail(type, 'oidc:claims-parameter')).toBe(
      'userinfo has email as array, not string (OIDC Core §5.1)',
    );
  }, 60_000);

  it('an unknown claim that comes back is a warning', async () => {
    let unknown = '';
    const report = await run({}, ['oidc:claims-parameter'], [PKJWT_DPOP], {
      interpose: (req, send) => {
        if (isPar(req)) {
          const claims = formOf(req).get('claims');
          if (claims)
            unknown = Object.keys((JSON.parse(claims) as { userinfo: object }).userinfo).pop() ?? '';
          return undefined;
        }
        return userinfo((b) => ({ ...b, [unknown]: 'made up' }))(req, send, undefined);
      },
    });
    expect(unknown).toMatch(/^fapi_conform_/);
    expect(results(report, 'oidc:claims-parameter')).toEqual([
      'oidc:claims-parameter [private_key_jwt+dpop] warning',
    ]);
    expect(detail(report, 'oidc:claims-parameter')).toMatch(/the unknown claim came back/);
  }, 60_000);

  it('a server that does not offer it: skipped, saying so', async () => {
    const report = await run({}, ['oidc:claims-parameter'], [PKJWT_DPOP], {
      interpose: (req, send) =>
        req.url.includes('/.well-known/')
          ? send(req).then((res) =>
              jsonAnswer(req, 200, { ...(res.json() as object), claims_parameter_supported: false }),
            )
          : undefined,
    });
    expect(detail(report, 'oidc:claims-parameter')).toBe(
      'the server does not offer the claims parameter (claims_parameter_supported is not true), which is optional (OIDC Discovery §3)',
    );
  }, 60_000);
});

describe('DP-*.token: DPoP proofs at the token endpoint (catalogue §1.9)', () => {
  const TOKEN = DPOP_TOKEN_CHECKS.map((c) => c.id);
  const isPar = (req: { method: string; url: string }) =>
    req.method === 'POST' && new URL(req.url).pathname === '/par';
  /** "ID result" of every DP-*.token check that did not pass. */
  const notPassed = (report: ConformReport) =>
    report.results
      .filter((r) => TOKEN.includes(r.id) && r.result !== 'passed')
      .map((r) => `${r.id} ${r.result}`);

  /**
   * A token endpoint that does not verify DPoP proofs: whatever proof comes (none, several, a
   * forged one), the lab behind it sees a valid proof by the middlebox's own key, for a code the
   * middlebox left unbound at PAR (no dpop_jkt, no PAR proof), and binds the token to that key.
   */
  function unverified(): Interpose {
    const key = otherDpopKey();
    let nonce: string | undefined;
    const learn = (res: HttpResponse) => {
      nonce = res.header('dpop-nonce') ?? nonce;
      return res;
    };
    return (req, send) => {
      if (isPar(req)) {
        const form = formOf(req);
        form.delete('dpop_jkt');
        const { dpop: _, ...headers } = req.headers ?? {};
        return send({ ...req, headers, body: form.toString() }).then(learn);
      }
      if (!isTokenRequest(req)) return undefined;
      const once = async () => {
        const proof = createDpopProof(await key, {
          htm: 'POST',
          htu: req.url,
          ...(nonce ? { nonce } : {}),
        });
        return learn(await send({ ...req, headers: { ...req.headers, dpop: proof } }));
      };
      return once().then((res) => (isNonceDemand(res) ? once() : res));
    };
  }

  it('a token endpoint that does not verify proofs fails every refusal (a replay: a warning) and passes the tolerances', async () => {
    const report = await run({}, TOKEN, [PKJWT_DPOP], { interpose: unverified() });
    expect(notPassed(report), lines(report.results).join('\n')).toEqual([
      'DP-01.token failed',
      'DP-02.token failed',
      'DP-03.token failed',
      'DP-04.token failed',
      'DP-05.token failed',
      'DP-06.token failed',
      'DP-07.token failed',
      'DP-08.token failed',
      'DP-09.token failed',
      'DP-11.token failed',
      'DP-12.token warning',
    ]);
    expect(detail(report, 'DP-08.token')).toBe('token request with htm PUT → 200: accepted');
    expect(detail(report, 'DP-11.token')).toMatch(
      /^token request with iat = now \+ 3600 s and a valid server nonce → 200: accepted \(FAPI2-SP §5\.3\.2\.1-13: more than 60 s in the future must be refused\)$/,
    );
  }, 60_000);

  /**
   * A token endpoint stricter than RFC 9449 allows: htu compared byte for byte (§4.3 (9) ignores
   * the query, and normalises), no claim it does not know (§4.2: ignore them; nbf and exp are JWT
   * claims, RFC 7519), iat within 5 s of its clock (FAPI2-SP §5.3.2.1-13: 10 s ahead accepted).
   */
  const strict: Interpose = (req) => {
    const proof = req.headers?.dpop;
    if (!isTokenRequest(req) || typeof proof !== 'string') return undefined;
    let claims: Record<string, unknown>;
    try {
      claims = decodeJws(proof).payload;
    } catch {
      return undefined;
    }
    const known = ['jti', 'htm', 'htu', 'iat', 'nonce'];
    const why =
      claims.htu !== req.url
        ? `htu ${String(claims.htu)} is not ${req.url}`
        : Object.keys(claims).some((k) => !known.includes(k))
          ? 'unknown claim'
          : Math.abs(Number(claims.iat) - Date.now() / 1000) > 5
            ? 'iat more than 5 s off'
            : undefined;
    if (!why) return undefined;
    return Promise.resolve(jsonAnswer(req, 400, { error: 'invalid_dpop_proof', error_description: why }));
  };

  it('a token endpoint that refuses what RFC 9449 lets through fails the tolerances (normalisation: a warning)', async () => {
    const report = await run({}, TOKEN, [PKJWT_DPOP], { interpose: strict });
    expect(notPassed(report), lines(report.results).join('\n')).toEqual([
      'DP-09.query.token failed',
      'DP-09.normalised.token warning',
      'DP-11.skew.token failed',
      'DP-15.token failed',
      'DP-16.token failed',
    ]);
    expect(detail(report, 'DP-16.token')).toBe(
      'token request with nbf = now, exp = now + 300 s → 400 invalid_dpop_proof (unknown claim), expected success',
    );
    expect(detail(report, 'DP-11.skew.token')).toBe(
      'token request with iat = now + 8 s → 400 invalid_dpop_proof (iat more than 5 s off), expected success',
    );
  }, 60_000);
});

describe('RAR-02..06: Rich Authorization Requests at the authorization server (RFC 9396)', () => {
  const RAR_AS = ['RAR-02', 'RAR-03', 'RAR-05', 'RAR-06'];
  /** "ID result" of every RAR check at the AS that did not pass (a skip too: each must run). */
  const notPassed = (report: ConformReport) => {
    const rar = report.results.filter((r) => r.id.startsWith('RAR-'));
    expect(rar.map((r) => r.id)).toEqual(['RAR-02', 'RAR-03', 'RAR-05', 'RAR-05.refresh', 'RAR-06']);
    return rar.filter((r) => r.result !== 'passed').map((r) => `${r.id} ${r.result}`);
  };
  const isPar = (req: { method: string; url: string }) =>
    req.method === 'POST' && new URL(req.url).pathname === '/par';
  const grantOf = (req: HttpRequest) => formOf(req).get('grant_type');
  /** The lab's JSON answer with `edit` applied (its Date and DPoP-Nonce kept). */
  const edited = (req: HttpRequest, res: HttpResponse, edit: (b: Record<string, unknown>) => void) => {
    if (res.status !== 200) return res;
    const body = res.json() as Record<string, unknown>;
    edit(body);
    const keep: Record<string, string> = {};
    for (const h of ['date', 'dpop-nonce']) {
      const v = res.header(h);
      if (v) keep[h] = v;
    }
    return jsonAnswer(req, 200, body, keep);
  };
  /** The refresh request without its authorization_details (a server that ignores the parameter). */
  const withoutDetails = (req: HttpRequest): HttpRequest => {
    const form = formOf(req);
    form.delete('authorization_details');
    return { ...req, body: form.toString() };
  };

  it('a PAR endpoint that does not validate the details (it takes any type, any shape) fails RAR-02 and RAR-03 only', async () => {
    // What reaches the lab is the payment detail every time: the middlebox's server "accepts" the rest.
    const lax: Interpose = (req, send) => {
      const form = formOf(req);
      if (!isPar(req) || !form.has('authorization_details')) return undefined;
      form.set('authorization_details', JSON.stringify([DEFAULT_PAYMENT_DETAIL]));
      return send({ ...req, body: form.toString() });
    };
    const report = await run({}, RAR_AS, [PKJWT_DPOP], { interpose: lax });
    expect(notPassed(report), lines(report.results).join('\n')).toEqual(['RAR-02 failed', 'RAR-03 failed']);
    expect(detail(report, 'RAR-02')).toMatch(
      /^PAR with authorization_details \[\{"type": "urn:fapi:conform:unknown-type"\}\] → 201: accepted/,
    );
  }, 60_000);

  it('a token response without the consented details fails RAR-05 only', async () => {
    const bare: Interpose = (req, send) =>
      isTokenRequest(req) && grantOf(req) === 'authorization_code'
        ? send(req).then((res) => edited(req, res, (b) => delete b.authorization_details))
        : undefined;
    const report = await run({}, RAR_AS, [PKJWT_DPOP], { interpose: bare });
    expect(notPassed(report), lines(report.results).join('\n')).toEqual(['RAR-05 failed']);
    expect(detail(report, 'RAR-05')).toBe(
      'consent to 1.00 EUR to Bob Example, token response: no authorization_details (RFC 9396 §7 requires them)',
    );
  }, 60_000);

  it('a refresh that widens the grant to what it is asked for fails RAR-06 only', async () => {
    const widening: Interpose = (req, send) => {
      const asked = formOf(req).get('authorization_details');
      if (!isTokenRequest(req) || grantOf(req) !== 'refresh_token' || asked === null) return undefined;
      return send(withoutDetails(req)).then((res) =>
        edited(req, res, (b) => (b.authorization_details = JSON.parse(asked) as unknown)),
      );
    };
    const report = await run({}, RAR_AS, [PKJWT_DPOP], { interpose: widening });
    expect(notPassed(report), lines(report.results).join('\n')).toEqual(['RAR-06 failed']);
    expect(detail(report, 'RAR-06')).toMatch(
      /^consent to 1\.00 EUR to Bob Example, refresh with authorization_details for 2\.00 EUR to Bob Example → 200 with the wider detail: the grant was widened$/,
    );
  }, 60_000);

  it('a refresh that drops the details fails RAR-05.refresh and RAR-06; one that ignores the parameter is a warning', async () => {
    const dropping: Interpose = (req, send) =>
      isTokenRequest(req) && grantOf(req) === 'refresh_token'
        ? send(withoutDetails(req)).then((res) => edited(req, res, (b) => delete b.authorization_details))
        : undefined;
    const dropped = await run({}, RAR_AS, [PKJWT_DPOP], { interpose: dropping });
    expect(notPassed(dropped), lines(dropped.results).join('\n')).toEqual([
      'RAR-05.refresh failed',
      'RAR-06 failed',
    ]);
    const ignoring: Interpose = (req, send) =>
      isTokenRequest(req) && grantOf(req) === 'refresh_token' ? send(withoutDetails(req)) : undefined;
    const ignored = await run({}, RAR_AS, [PKJWT_DPOP], { interpose: ignoring });
    expect(notPassed(ignored), lines(ignored.results).join('\n')).toEqual(['RAR-06 warning']);
    expect(detail(ignored, 'RAR-06')).toMatch(
      /with the granted details: the parameter was ignored, not refused \(RFC 9396 §6 asks for invalid_authorization_details\)$/,
    );
  }, 90_000);
});
