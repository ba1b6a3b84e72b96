/**
 * CR-01, CR-06..09 against in-process labs: explicit JWT typing of every JWT the
 * lab receives, the entropy of the one-time values it hands out, its JWKS, key selection among
 * repeated kids, and the clock skew it allows on incoming JWTs.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLabConfig } from '../../lab/config.js';
import { jwkThumbprint } from '../../src/core/jwk.js';
import { randomToken } from '../../src/core/random.js';
import type { GeneratedKey } from '../../src/keys/generate.js';
import {
  assertion,
  authorize,
  code,
  decodeJwt,
  json,
  newDpopKey,
  newKey,
  par,
  postForm,
  postJson,
  proof,
  redeem,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';
import { challenges, dpopTokens, mintAccessToken, rawProof, rsCall, rsProof } from './rs-helpers.js';

let t: TestLab;
let c: TestClient;
beforeAll(async () => {
  t = await startTestLab();
  c = await registerClient(t);
});
afterAll(() => t.close());

const lastCheck = () => t.lab.ctx.requests.recent(1)[0]?.check;

describe('CR-01: JWTs per RFC 8725, with explicit typ checks (RFC 8725 §3.11)', () => {
  it('CR-01: a DPoP proof (DP-04), an access token at the RS (RS-04) and a client assertion (CA-13) of another type are refused; their own typ is accepted', async () => {
    // DPoP proofs at the PAR endpoint: only typ dpop+jwt (RFC 9449 §4.3 check 4).
    const url = `${t.lab.issuer}/par`;
    const key = await newDpopKey();
    const claims = () => ({
      jti: randomBytes(12).toString('base64url'),
      htm: 'POST',
      htu: url,
      iat: Math.floor(t.now()),
      nonce: t.lab.ctx.nonces.as.current(),
    });
    for (const typ of ['JWT', 'at+jwt', 'client-authentication+jwt', 'application/jwt']) {
      const { res } = await par(t, c, { dpop: key, headers: { dpop: rawProof(key, { typ }, claims()) } });
      expect(res.status, `${typ}: ${res.text()}`).toBe(400);
      expect(json(res).error).toBe('invalid_dpop_proof');
      expect(lastCheck(), typ).toBe('DP-04');
    }
    // typ is a media type (RFC 7515 §4.1.9): "application/" optional, case-insensitive.
    for (const typ of ['dpop+jwt', 'application/dpop+jwt', 'DPoP+JWT']) {
      const goodProof = await par(t, c, { dpop: key, headers: { dpop: rawProof(key, { typ }, claims()) } });
      expect(goodProof.res.status, `${typ}: ${goodProof.res.text()}`).toBe(201);
    }

    // Access tokens at the RS: only at+jwt (RFC 9068 §4). An ID token is never an access token.
    const tokens = await dpopTokens(t, c, 'openid accounts');
    const binding = { jkt: jwkThumbprint(tokens.dpop.publicJwk) };
    const atCall = (token: string) => rsCall(t, '/accounts', { token, dpop: tokens.dpop });
    for (const typ of ['JWT', 'dpop+jwt', 'client-authentication+jwt']) {
      const res = await atCall(mintAccessToken(t, { binding, header: { typ } }));
      expect(res.status, typ).toBe(401);
      expect(challenges(res)[0]).toMatch(
        /^DPoP error="invalid_token", error_description="the access token typ/,
      );
      expect(lastCheck(), typ).toBe('RS-04');
    }
    const idToken = tokens.body.id_token as string;
    expect(decodeJwt(idToken).header.typ).toBe('JWT');
    const asAccessToken = await atCall(idToken);
    expect(asAccessToken.status).toBe(401);
    expect(lastCheck()).toBe('RS-04');
    for (const typ of ['at+jwt', 'application/at+jwt']) {
      const res = await atCall(mintAccessToken(t, { binding, header: { typ } }));
      expect(res.status, `${typ}: ${res.text()}`).toBe(200);
    }
    expect((await atCall(tokens.at)).status).toBe(200);

    // Client assertions: JWT, client-authentication+jwt (rfc7523bis §4) or no typ; nothing else.
    const parWith = (typ: string | undefined) =>
      par(t, c, { dpop: null, params: assertion(t, c, { header: { typ } }) });
    for (const typ of ['dpop+jwt', 'at+jwt', 'application/dpop+jwt']) {
      const { res } = await parWith(typ);
      expect(res.status, typ).toBe(401);
      expect(json(res).error).toBe('invalid_client');
      expect(lastCheck(), typ).toBe('CA-13');
    }
    for (const typ of [
      'JWT',
      undefined,
      'client-authentication+jwt',
      'application/client-authentication+jwt',
      'Client-Authentication+JWT',
    ]) {
      const { res } = await parWith(typ);
      expect(res.status, `${String(typ)}: ${res.text()}`).toBe(201);
    }
  });
});

describe('CR-01: one access-token typ rule at the RS and at introspection (RFC 9068 §2.1, §4)', () => {
  it('RS-04 / IN-02: at+jwt in any case, with or without "application/", is accepted by both; another typ by neither', async () => {
    const tokens = await dpopTokens(t, c, 'openid accounts');
    const binding = { jkt: jwkThumbprint(tokens.dpop.publicJwk) };
    const introspect = (token: string) =>
      postForm(t.http, `${t.lab.issuer}/introspect`, { ...assertion(t, c), token });
    for (const [typ, ok] of [
      ['at+jwt', true],
      ['AT+JWT', true],
      ['application/at+jwt', true],
      ['Application/AT+JWT', true],
      ['JWT', false],
      ['application/jwt', false],
    ] as const) {
      const at = mintAccessToken(t, { binding, clientId: c.clientId, header: { typ } });
      const res = await rsCall(t, '/accounts', { token: at, dpop: tokens.dpop });
      expect(res.status, typ).toBe(ok ? 200 : 401);
      expect(json(await introspect(at)).active, typ).toBe(ok);
    }
  });
});

/**
 * `jwt` signed again by jose, which nobody here wrote, with a `crit` header: `b64` (RFC 7797, an
 * extension jose understands) or `exp-x` (one nobody does); without `crit` when none is given.
 */
async function resigned(jwt: string, key: KeyObject, crit?: 'b64' | 'exp-x'): Promise<string> {
  const { header, payload } = decodeJwt(jwt);
  const extra = crit === 'b64' ? { crit: ['b64'], b64: true } : crit ? { crit: [crit], [crit]: 1 } : {};
  return new jose.SignJWT(payload)
    .setProtectedHeader({ ...header, ...extra } as jose.JWTHeaderParameters)
    .sign(key, crit === 'exp-x' ? { crit: { 'exp-x': true } } : {});
}

describe('CR-01: a JWS with a crit header is refused wherever the lab receives one (RFC 7515 §4.1.11)', () => {
  const CRITS = ['b64', 'exp-x'] as const;

  it('DP-02: a DPoP proof with crit is refused at PAR, at the token endpoint and at the RS; re-signed by jose without crit it is accepted', async () => {
    const parUrl = `${t.lab.issuer}/par`;
    const key = await newDpopKey();
    for (const crit of CRITS) {
      const { res } = await par(t, c, {
        dpop: key,
        headers: { dpop: await resigned(proof(t, key, 'POST', parUrl), key.privateKey, crit) },
      });
      expect(res.status, `${crit}: ${res.text()}`).toBe(400);
      expect(json(res).error).toBe('invalid_dpop_proof');
      expect(lastCheck(), crit).toBe('DP-02');
    }
    const control = await par(t, c, {
      dpop: key,
      headers: { dpop: await resigned(proof(t, key, 'POST', parUrl), key.privateKey) },
    });
    expect(control.res.status, control.res.text()).toBe(201);

    const tokenUrl = `${t.lab.issuer}/token`;
    const { code: cv, flow } = await code(t, c);
    const redeemWith = async (crit?: 'b64' | 'exp-x') =>
      postForm(
        t.http,
        tokenUrl,
        {
          ...assertion(t, c),
          grant_type: 'authorization_code',
          code: cv,
          redirect_uri: c.redirectUri,
          code_verifier: flow.verifier,
        },
        { dpop: await resigned(proof(t, flow.dpop, 'POST', tokenUrl), flow.dpop.privateKey, crit) },
      );
    for (const crit of CRITS) {
      const res = await redeemWith(crit);
      expect(res.status, `${crit}: ${res.text()}`).toBe(400);
      expect(json(res).error).toBe('invalid_dpop_proof');
      expect(lastCheck(), crit).toBe('DP-02');
    }
    // The refused proofs burned nothing: the code is still good.
    const redeemed = await redeemWith();
    expect(redeemed.status, redeemed.text()).toBe(200);

    const at = json(redeemed).access_token as string;
    const rsUrl = `${t.lab.rs}/accounts`;
    const rsWith = async (crit?: 'b64' | 'exp-x') =>
      rsCall(t, '/accounts', {
        token: at,
        proofHeader: await resigned(rsProof(t, flow.dpop, 'GET', rsUrl, at), flow.dpop.privateKey, crit),
      });
    for (const crit of CRITS) {
      const res = await rsWith(crit);
      expect(res.status, crit).toBe(401);
      expect(challenges(res)[0]).toMatch(/^DPoP error="invalid_dpop_proof"/);
      expect(lastCheck(), crit).toBe('DP-02');
    }
    expect((await rsWith()).status).toBe(200);
  });

  it('CA-08: a client assertion with crit is refused at PAR and at the token endpoint; re-signed by jose without crit it is accepted', async () => {
    const withAssertion = async (crit?: 'b64' | 'exp-x') => {
      const a = assertion(t, c);
      return { ...a, client_assertion: await resigned(a.client_assertion as string, c.key.privateKey, crit) };
    };
    for (const crit of CRITS) {
      const { res } = await par(t, c, { dpop: null, params: await withAssertion(crit) });
      expect(res.status, `${crit}: ${res.text()}`).toBe(401);
      expect(json(res).error).toBe('invalid_client');
      expect(lastCheck(), crit).toBe('CA-08');
    }
    const control = await par(t, c, { dpop: null, params: await withAssertion() });
    expect(control.res.status, control.res.text()).toBe(201);

    const { code: cv, flow } = await code(t, c);
    for (const crit of CRITS) {
      const res = await redeem(t, c, cv, flow, { params: await withAssertion(crit) });
      expect(res.status, `${crit}: ${res.text()}`).toBe(401);
      expect(json(res).error).toBe('invalid_client');
      expect(lastCheck(), crit).toBe('CA-08');
    }
    const redeemed = await redeem(t, c, cv, flow, { params: await withAssertion() });
    expect(redeemed.status, redeemed.text()).toBe(200);
  });

  it('RS-04: an access token with crit is refused at the RS and is not active at introspection; re-signed by jose without crit it is accepted', async () => {
    const tokens = await dpopTokens(t, c, 'openid accounts');
    const binding = { jkt: jwkThumbprint(tokens.dpop.publicJwk) };
    const signing = t.lab.ctx.keys.signing.privateKey;
    const introspect = (token: string) =>
      postForm(t.http, `${t.lab.issuer}/introspect`, { ...assertion(t, c), token });
    for (const crit of CRITS) {
      const at = await resigned(mintAccessToken(t, { binding, clientId: c.clientId }), signing, crit);
      const res = await rsCall(t, '/accounts', { token: at, dpop: tokens.dpop });
      expect(res.status, crit).toBe(401);
      expect(challenges(res)[0]).toMatch(/^DPoP error="invalid_token"/);
      expect(lastCheck(), crit).toBe('RS-04');
      expect((await introspect(at)).text(), crit).toBe('{"active":false}');
    }
    const control = await resigned(mintAccessToken(t, { binding, clientId: c.clientId }), signing);
    const res = await rsCall(t, '/accounts', { token: control, dpop: tokens.dpop });
    expect(res.status, res.text()).toBe(200);
    expect(json(await introspect(control)).active).toBe(true);
  });
});

/** base64url values of one length; an estimate of their entropy, or the reason there is none. */
function entropy(values: string[]): { bits: number; problem?: string } {
  const length = values[0]?.length ?? 0;
  if (values.some((v) => !/^[A-Za-z0-9_-]+$/.test(v))) return { bits: 0, problem: 'not base64url' };
  if (values.some((v) => v.length !== length)) return { bits: 0, problem: 'lengths differ' };
  if (new Set(values).size !== values.length) return { bits: 0, problem: 'a value repeats' };
  // Shannon entropy of the characters over the whole sample, times the length: a uniform
  // base64url source gives ~6 bits a character; hex gives 4, counters and words far less.
  const counts = new Map<string, number>();
  for (const v of values) for (const ch of v) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const total = length * values.length;
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / total) * Math.log2(n / total);
  const bits = Math.floor(perChar * length);
  return bits >= 128 ? { bits } : { bits, problem: `about ${bits} bits` };
}

describe('CR-06: ≥ 128 bits of entropy in every value the lab hands out (FAPI2-SP §5.4.1-4)', () => {
  const N = 200;
  let e: TestLab;
  beforeAll(async () => {
    e = await startTestLab();
  });
  afterAll(() => e.close());

  it(`CR-06: ${N} codes, access-token jtis, refresh tokens, request_uris, registration access tokens and DPoP nonces: all distinct, base64url, ≥ 128 bits`, async () => {
    const key = await newKey();
    const client = await registerClient(e, {}, key);
    const samples = {
      code: [] as string[],
      jti: [] as string[],
      refresh_token: [] as string[],
      request_uri: [] as string[],
      registration_access_token: [] as string[],
      as_nonce: [] as string[],
      rs_nonce: [] as string[],
    };
    const flow = async () => {
      const { res, flow: f } = await par(e, client);
      const requestUri = json(res).request_uri as string;
      expect(requestUri.startsWith('urn:ietf:params:oauth:request_uri:')).toBe(true);
      samples.request_uri.push(requestUri.slice('urn:ietf:params:oauth:request_uri:'.length));
      const { params } = await authorize(e, client.clientId, requestUri);
      const codeValue = params.get('code') as string;
      samples.code.push(codeValue);
      const tok = json(await redeem(e, client, codeValue, f));
      samples.jti.push(decodeJwt(tok.access_token as string).payload.jti as string);
      samples.refresh_token.push(tok.refresh_token as string);
    };
    const register = async () => {
      const r = json(
        await postJson(e.http, `${e.lab.issuer}/register`, {
          redirect_uris: ['https://client.example/cb'],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [key.publicJwk] },
        }),
      );
      samples.registration_access_token.push(r.registration_access_token as string);
    };
    for (let i = 0; i < N; i += 20)
      await Promise.all(Array.from({ length: 20 }, (_, j) => (j % 2 ? flow() : flow().then(register))));
    while (samples.registration_access_token.length < N) await register();
    // Nonces change once a rotation period: sample one per period (the lab's clock moves on).
    for (let i = 0; i < N; i++) {
      e.advance(e.lab.ctx.config.dpopNonceRotateSeconds);
      samples.as_nonce.push(e.lab.ctx.nonces.as.current());
      samples.rs_nonce.push(e.lab.ctx.nonces.rs.current());
    }
    for (const [kind, values] of Object.entries(samples)) {
      expect(values, kind).toHaveLength(N);
      const r = entropy(values);
      expect(r.problem, `${kind}: ${values.slice(0, 3).join(', ')}`).toBeUndefined();
      expect(r.bits, kind).toBeGreaterThanOrEqual(128);
    }
    // The generator behind them (src/core/random.ts), sampled 5000 times: 256 and 128 bits.
    expect(entropy(Array.from({ length: 5000 }, () => randomToken(32))).bits).toBeGreaterThan(250);
    expect(entropy(Array.from({ length: 5000 }, () => randomToken(16))).problem).toBeUndefined();
  });

  it('CR-06: the same estimate refuses short, hex, counter-like and repeating values', () => {
    const many = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
    expect(entropy(many(N, () => randomBytes(15).toString('base64url'))).problem).toMatch(/bits/); // 120 bits
    expect(entropy(many(N, () => randomBytes(16).toString('hex').slice(0, 30))).problem).toMatch(/bits/);
    expect(entropy(many(N, (i) => `code-${String(i).padStart(40, '0')}`)).problem).toMatch(/bits/);
    expect(entropy(many(N, (i) => randomToken(32).slice(0, 40) + (i % 2 ? 'AAA' : 'BBB'))).problem).toBe(
      undefined,
    );
    const repeated = many(N, () => randomToken(32));
    repeated[7] = repeated[3] as string;
    expect(entropy(repeated).problem).toBe('a value repeats');
    expect(entropy(many(N, (i) => (i ? randomToken(32) : `${randomToken(31)}+x`))).problem).toBe(
      'not base64url',
    );
  });
});

describe('CR-07: the JWKS over TLS only, distinct kids, no x5u/jku (FAPI2-SP §5.4.2)', () => {
  it('CR-07: jwks_uri is https and answers only over TLS; its keys are public, with distinct kids and no x5u/jku', async () => {
    const m = json(
      await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/oauth-authorization-server` }),
    );
    const jwksUri = m.jwks_uri as string;
    expect(new URL(jwksUri).protocol).toBe('https:');
    const jwks = json(await t.http({ method: 'GET', url: jwksUri })) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    const kids = jwks.keys.map((k) => k.kid);
    expect(kids.every((k) => typeof k === 'string' && k.length > 0)).toBe(true);
    expect(new Set(kids).size).toBe(kids.length);
    for (const k of jwks.keys) {
      for (const member of ['x5u', 'jku', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'])
        expect(k[member], member).toBeUndefined();
      expect(k.use).toBe('sig');
    }
    // The same path in plain HTTP gets no HTTP answer: the listener speaks TLS only.
    const { port, pathname } = new URL(jwksUri);
    const answer = await new Promise<string>((resolve) => {
      const s = netConnect(Number(port), '127.0.0.1', () =>
        s.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
      );
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
      s.setTimeout(3000, () => s.destroy());
    });
    expect(answer).not.toMatch(/^HTTP\/1\.1 200/);
    expect(answer).not.toContain('"keys"');
  });

  it('CR-07: a client jwks_uri over http is refused; a lab key file with a repeated kid does not start; x5u/jku in it are never served', async () => {
    const r = await postJson(t.http, `${t.lab.issuer}/register`, {
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: `http://127.0.0.1:${t.lab.ports.as}/jwks`,
    });
    expect(r.status).toBe(400);
    expect(json(r).error).toBe('invalid_client_metadata');
    expect(json(r).error_description).toMatch(/https/);

    const [k1, k2] = await Promise.all([newKey(), newKey()]);
    const home = mkdtempSync(path.join(os.tmpdir(), 'fapi-cr07-'));
    try {
      mkdirSync(home, { recursive: true });
      writeFileSync(
        path.join(home, 'keys.json'),
        JSON.stringify({ version: 1, keys: [k1.privateJwk, { ...k2.privateJwk, kid: k1.kid }] }),
      );
      await expect(startTestLab({}, { home, keepHome: true })).rejects.toMatchObject({
        code: 'E_LAB_KEYS',
        message: expect.stringMatching(/\$\.keys\[1\]: kid .* is used by another key/) as unknown,
      });
      writeFileSync(
        path.join(home, 'keys.json'),
        JSON.stringify({
          version: 1,
          keys: [{ ...k1.privateJwk, x5u: 'https://evil.example/x5u', jku: 'https://evil.example/jku' }],
        }),
      );
      const lab = await startTestLab({}, { home, keepHome: true });
      try {
        const served = json(await lab.http({ method: 'GET', url: `${lab.lab.issuer}/jwks` })) as {
          keys: Record<string, unknown>[];
        };
        expect(served.keys.map((k) => k.kid)).toEqual([k1.kid]);
        expect(served.keys[0]?.x5u).toBeUndefined();
        expect(served.keys[0]?.jku).toBeUndefined();
        expect(served.keys[0]?.d).toBeUndefined();
      } finally {
        await lab.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('CR-08: with repeated kids the key is selected by kty/crv/use/alg (FAPI2-SP §5.4.3)', () => {
  it('CR-08: EC, Ed25519 and RSA keys registered under one kid each verify their assertions; the enc key or an unregistered key under that kid → invalid_client', async () => {
    const kid = 'shared-kid';
    const [ec, ed, rsa, enc, strangerEc, strangerEd] = await Promise.all([
      newKey('ES256'),
      newKey('EdDSA'),
      newKey('PS256'),
      newKey('ES256'),
      newKey('ES256'),
      newKey('EdDSA'),
    ]);
    const under = (k: GeneratedKey, extra: Record<string, unknown> = {}) => ({
      ...k.publicJwk,
      kid,
      ...extra,
    });
    const multi = await registerClient(
      t,
      {
        grant_types: ['authorization_code', 'client_credentials'],
        jwks: {
          keys: [under(enc, { use: 'enc', alg: undefined }), under(rsa), under(ec), under(ed)],
        },
      },
      ec,
    );
    const signedWith = (k: GeneratedKey) =>
      assertion(t, multi, { privateKey: k.privateKey, alg: k.alg, kid });
    for (const k of [ec, ed, rsa]) {
      const { res } = await par(t, multi, { dpop: null, params: signedWith(k) });
      expect(res.status, `${k.alg}: ${res.text()}`).toBe(201);
    }
    // The token endpoint selects the same way.
    const dpop = await newDpopKey();
    const tokenUrl = `${t.lab.issuer}/token`;
    const tok = await postForm(
      t.http,
      tokenUrl,
      { ...signedWith(ed), grant_type: 'client_credentials', scope: 'accounts' },
      { dpop: proof(t, dpop, 'POST', tokenUrl) },
    );
    expect(tok.status, tok.text()).toBe(200);
    for (const [what, k] of [
      ['the encryption key', enc],
      ['an unregistered EC key', strangerEc],
      ['an unregistered Ed25519 key', strangerEd],
    ] as const) {
      const { res } = await par(t, multi, { dpop: null, params: signedWith(k) });
      expect(res.status, what).toBe(401);
      expect(json(res).error).toBe('invalid_client');
      expect(lastCheck(), what).toBe('CA-08');
    }
  });
});

describe('CR-09: clock skew on every JWT the AS receives (FAPI2-SP §5.3.2.1-13)', () => {
  // The lab accepts iat/nbf up to 10 s ahead (client assertions; DPoP: dpopIatFuture, default 10,
  // at most 60) and refuses anything further. Times are fractional so that nothing rounds.
  const ahead = (s: number) => t.now() + s;

  it('CR-09: client assertions with iat/nbf 9 or 10 s ahead are accepted; 11 or 61 s ahead → invalid_client', async () => {
    const at = (s: number) =>
      assertion(t, c, { claims: { iat: ahead(s), nbf: ahead(s), exp: ahead(s) + 60 } });
    for (const s of [9, 10]) {
      const { res } = await par(t, c, { dpop: null, params: at(s) });
      expect(res.status, `+${s} s: ${res.text()}`).toBe(201);
    }
    for (const s of [11, 61]) {
      const { res } = await par(t, c, { dpop: null, params: at(s) });
      expect(res.status, `+${s} s`).toBe(401);
      expect(json(res).error).toBe('invalid_client');
      expect(lastCheck()).toBe('CA-09');
    }
    // The same at the token endpoint.
    const m = await registerClient(t, { grant_types: ['client_credentials'], redirect_uris: undefined });
    const dpop = await newDpopKey();
    const url = `${t.lab.issuer}/token`;
    const cc = (s: number) =>
      postForm(
        t.http,
        url,
        {
          ...assertion(t, m, { claims: { iat: ahead(s), exp: ahead(s) + 60 } }),
          grant_type: 'client_credentials',
        },
        { dpop: proof(t, dpop, 'POST', url) },
      );
    expect((await cc(61)).status).toBe(401);
    expect(lastCheck()).toBe('CA-09');
    const ok = await cc(9);
    expect(ok.status, ok.text()).toBe(200);
  });

  it('CR-09: DPoP proofs with iat 9 or 10 s ahead are accepted at PAR and token; 11 or 61 s ahead → invalid_dpop_proof', async () => {
    const key = await newDpopKey();
    const parAt = (s: number) =>
      par(t, c, {
        dpop: key,
        headers: { dpop: proof(t, key, 'POST', `${t.lab.issuer}/par`, { extraClaims: { iat: ahead(s) } }) },
      });
    for (const s of [11, 61]) {
      const { res } = await parAt(s);
      expect(res.status, `+${s} s`).toBe(400);
      expect(json(res).error).toBe('invalid_dpop_proof');
      expect(lastCheck()).toBe('DP-11');
    }
    for (const s of [9, 10]) {
      const { res } = await parAt(s);
      expect(res.status, `+${s} s: ${res.text()}`).toBe(201);
    }
    const { code: cv, flow } = await code(t, c);
    for (const s of [61, 11]) {
      const res = await redeem(t, c, cv, flow, { proofOptions: { extraClaims: { iat: ahead(s) } } });
      expect(res.status, `+${s} s`).toBe(400);
      expect(json(res).error).toBe('invalid_dpop_proof');
      expect(lastCheck()).toBe('DP-11');
    }
    // A refused proof burns nothing: the code is still good for a proof 10 s ahead.
    const ok = await redeem(t, c, cv, flow, { proofOptions: { extraClaims: { iat: ahead(10) } } });
    expect(ok.status, ok.text()).toBe(200);
  });

  it('CR-09: the DPoP window widens to 60 s and no further: with dpopIatFuture 60, +59 s is accepted and +61 s refused; 61 or 9 is not a valid setting', async () => {
    expect(checkLabConfig({ dpopIatFuture: 61 })).toMatch(/dpopIatFuture must be an integer from 10 to 60/);
    expect(checkLabConfig({ dpopIatFuture: 9 })).toMatch(/dpopIatFuture must be an integer from 10 to 60/);
    expect(checkLabConfig({ dpopIatFuture: 60 })).toBeUndefined();
    const w = await startTestLab({ dpopIatFuture: 60 });
    try {
      const wc = await registerClient(w);
      const key = await newDpopKey();
      const url = `${w.lab.issuer}/par`;
      const parAt = (s: number) =>
        par(w, wc, {
          dpop: key,
          headers: { dpop: proof(w, key, 'POST', url, { extraClaims: { iat: w.now() + s } }) },
        });
      const refused = await parAt(61);
      expect(refused.res.status).toBe(400);
      expect(json(refused.res).error).toBe('invalid_dpop_proof');
      const accepted = await parAt(59);
      expect(accepted.res.status, accepted.res.text()).toBe(201);
    } finally {
      await w.close();
    }
  });
});
