/**
 * The lab playing ecosystem presets (lab/ecosystem.ts, src/core/ecosystems.ts): the metadata
 * narrowed to what the preset allows, and its rules as named checks, each refusal citing the
 * preset's rule: ECO-01 registration, ECO-02 the pushed request, ECO-03 mTLS on every endpoint,
 * ECO-04 x-fapi-interaction-id, ECO-05 the one sender constraint; the access token lifetime
 * bounded; the status naming the rules the lab does not enforce.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../src/http/client.js';
import { privateKeyPem } from '../../src/keys/generate.js';
import { codeChallengeS256, createCodeVerifier } from '../../src/core/pkce.js';
import { labStatus } from '../../lab/dashboard.js';
import { signJws } from '../../src/core/jws.js';
import {
  assertion,
  form,
  json,
  newDpopKey,
  newKey,
  postForm,
  postJson,
  proof,
  startTestLab,
  type TestLab,
} from './helpers.js';
import { PAY_BOB } from './rar-helpers.js';

let uae: TestLab;
beforeAll(async () => {
  uae = await startTestLab({ ecosystem: 'uae' });
}, 30_000);
afterAll(async () => uae?.close());

interface Party {
  clientId: string;
  http: HttpClient;
  key: Awaited<ReturnType<typeof newKey>>;
}

/** A private_key_jwt client with a lab-CA certificate and mTLS-bound tokens (what uae allows). */
async function mtlsParty(t: TestLab, extra: Record<string, unknown> = {}, alg: 'PS256' | 'ES256' = 'PS256') {
  const key = await newKey(alg);
  const subject = `CN=eco-${randomBytes(4).toString('hex')},O=fapi tests`;
  const cert = await t.lab.ctx.ca.issueClientCertificate({ key, subject });
  const res = await postJson(t.http, `${t.lab.issuer}/register`, {
    redirect_uris: ['https://client.example/cb'],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [key.publicJwk] },
    tls_client_certificate_bound_access_tokens: true,
    ...extra,
  });
  const http = createHttpClient({
    ca: [t.ca],
    cert: cert.pem,
    key: privateKeyPem(key.privateKey),
    timeoutMs: 10_000,
  });
  return { res, party: { clientId: json(res).client_id as string, http, key } as Party };
}

function assertionFor(t: TestLab, p: Party) {
  return assertion(t, { clientId: p.clientId, key: p.key, rat: '', redirectUri: '', registered: {} });
}

/**
 * A pushed request as one signed request object (JAR: what uae, ksa, chile, au-cdr and connectid
 * require), with the client's assertion beside it; `ro` changes the request object's claims.
 */
function pushSigned(
  t: TestLab,
  p: Party,
  params: Record<string, string>,
  o: { headers?: Record<string, string>; ro?: Record<string, unknown> } = {},
) {
  const now = Math.floor(t.now());
  const claims = {
    iss: p.clientId,
    aud: t.lab.issuer,
    client_id: p.clientId,
    response_type: 'code',
    redirect_uri: 'https://client.example/cb',
    ...pkce().params,
    ...params,
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: randomBytes(8).toString('hex'),
    ...o.ro,
  };
  const request = signJws(
    { typ: 'oauth-authz-req+jwt', kid: p.key.kid },
    claims,
    p.key.privateKey,
    p.key.alg,
  );
  return postForm(p.http, `${t.lab.mtls}/par`, { ...assertionFor(t, p), request }, o.headers ?? {});
}

function pkce() {
  const verifier = createCodeVerifier();
  return { verifier, params: { code_challenge: codeChallengeS256(verifier), code_challenge_method: 'S256' } };
}

const refusedWith = (
  res: { status: number; text(): string },
  status: number,
  error: string,
  check: string,
  t: TestLab,
  why: RegExp,
) => {
  expect(res.status, res.text()).toBe(status);
  const body = JSON.parse(res.text()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  expect(body.error_description).toMatch(why);
  expect(t.lab.ctx.requests.recent(1)[0]?.check).toBe(check);
};

describe('uae: the metadata says only what the ecosystem allows', () => {
  it('mTLS-bound tokens, private_key_jwt, PS256, no JARM, endpoints on the mTLS listener without aliases', async () => {
    const m = json(
      await uae.http({ method: 'GET', url: `${uae.lab.issuer}/.well-known/openid-configuration` }),
    );
    expect(m.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
    expect(m.token_endpoint_auth_signing_alg_values_supported).toEqual(['PS256']);
    expect(m).not.toHaveProperty('dpop_signing_alg_values_supported');
    expect(m.tls_client_certificate_bound_access_tokens).toBe(true);
    expect(m.response_modes_supported).toEqual(['query']);
    expect(m).not.toHaveProperty('mtls_endpoint_aliases');
    expect(m.token_endpoint).toBe(`${uae.lab.mtls}/token`);
    expect(m.pushed_authorization_request_endpoint).toBe(`${uae.lab.mtls}/par`);
    expect(m.authorization_endpoint).toBe(`${uae.lab.issuer}/authorize`);
    expect(m.authorization_details_types_supported).toEqual(['payment_initiation', 'account_information']);
  });

  it('the dashboard shows the preset and, loudly, what the lab does not enforce (escaped)', async () => {
    const page = await uae.http({ method: 'GET', url: `${uae.lab.issuer}/` });
    const html = page.text();
    expect(html).toContain('Ecosystem preset: uae — UAE Open Finance (CBUAE)');
    expect(html).toMatch(/Not supported by fapi: this lab does not claim uae conformance for/);
    expect(html).toMatch(/<ul id="not-supported"><li>uae\.algs: PS256 for every JWS/);
  });

  it('the status names the preset and the rules the lab does not enforce', () => {
    const s = labStatus(uae.lab.ctx);
    expect(s.ecosystem.name).toBe('uae');
    expect(s.ecosystem.not_supported).toEqual([
      expect.stringMatching(/^uae\.algs: PS256 for every JWS.*ES256 key/),
    ]);
    expect(s.ecosystem.enforced.join('\n')).toMatch(/uae\.jar: signed request objects/);
    expect(uae.lab.ctx.config.requireSignedRequestObject).toBe(true);
  });
});

describe('ECO-01 registration within the ecosystem', () => {
  it('ECO-01 refuses DPoP-bound tokens, another authentication method and non-PS256 keys, citing the rule', async () => {
    const key = await newKey('PS256');
    const dpop = await postJson(uae.http, `${uae.lab.issuer}/register`, {
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [key.publicJwk] },
      dpop_bound_access_tokens: true,
    });
    refusedWith(
      dpop,
      400,
      'invalid_client_metadata',
      'ECO-01',
      uae,
      /uae binds access tokens to the client certificate.*\(uae\.sender: Open Finance UAE/,
    );
    const tls = await postJson(uae.http, `${uae.lab.issuer}/register`, {
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=x',
      tls_client_certificate_bound_access_tokens: true,
    });
    refusedWith(
      tls,
      400,
      'invalid_client_metadata',
      'ECO-01',
      uae,
      /tls_client_auth is not used in uae.*uae\.authMethods/,
    );
    const { res } = await mtlsParty(uae, {}, 'ES256');
    refusedWith(res, 400, 'invalid_client_metadata', 'ECO-01', uae, /\(ES256\) is not for PS256.*uae\.algs/);
    expect((await mtlsParty(uae)).res.status).toBe(201);
  });
});

describe('ECO-03 mTLS on every endpoint', () => {
  it('ECO-03 refuses the plain listener (naming the mTLS URL) and a request without a certificate', async () => {
    const { party } = await mtlsParty(uae);
    const plain = await postForm(uae.http, `${uae.lab.issuer}/par`, {
      ...assertionFor(uae, party),
      response_type: 'code',
    });
    refusedWith(
      plain,
      400,
      'invalid_request',
      'ECO-03',
      uae,
      new RegExp(`send this request to ${uae.lab.mtls}/par`),
    );
    const noCert = await postForm(uae.http, `${uae.lab.mtls}/par`, {
      ...assertionFor(uae, party),
      response_type: 'code',
    });
    refusedWith(noCert, 401, 'invalid_client', 'ECO-03', uae, /without a TLS client certificate/);
  });
});

describe('ECO-02 the pushed request within the ecosystem', () => {
  const push = async (p: Party, params: Record<string, string>) =>
    pushSigned(uae, p, { scope: 'openid payments', ...params });

  it('ECO-02 uae: RAR required, only registered types, no JARM, openid', async () => {
    const { party } = await mtlsParty(uae, { authorization_details_types: ['payment_initiation'] });
    refusedWith(
      await push(party, {}),
      400,
      'invalid_request',
      'ECO-02',
      uae,
      /conveys the user's consent as authorization_details.*uae\.rar/,
    );
    const details = JSON.stringify([PAY_BOB]);
    refusedWith(
      await push(party, { authorization_details: details, response_mode: 'jwt' }),
      400,
      'invalid_request',
      'ECO-02',
      uae,
      /without JARM.*uae\.jarm/,
    );
    refusedWith(
      await push(party, { authorization_details: details, scope: 'payments' }),
      400,
      'invalid_scope',
      'ECO-02',
      uae,
      /must include openid.*uae\.openid/,
    );
    expect((await push(party, { authorization_details: details })).status).toBe(201);
    const { party: untyped } = await mtlsParty(uae);
    refusedWith(
      await push(untyped, { authorization_details: details }),
      400,
      'invalid_authorization_details',
      'ECO-02',
      uae,
      /registered none.*uae\.rarRegisteredTypes/,
    );
  });

  it('ECO-02 au-cdr requires JARM; ksa refuses RAR', async () => {
    for (const [name, params, why] of [
      ['au-cdr', {}, /requires JARM: send response_mode=jwt/],
      ['ksa', { authorization_details: JSON.stringify([PAY_BOB]) }, /does not use authorization_details/],
    ] as const) {
      const t = await startTestLab({ ecosystem: name });
      try {
        const { party } = await mtlsParty(t, {}, 'ES256');
        refusedWith(
          await pushSigned(t, party, { scope: 'openid', ...params }),
          400,
          'invalid_request',
          'ECO-02',
          t,
          why,
        );
      } finally {
        await t.close();
      }
    }
  });
});

describe('ECO-05 one sender constraint', () => {
  it('ECO-05 uae refuses a DPoP-bound token request', async () => {
    const { party } = await mtlsParty(uae, { authorization_details_types: ['payment_initiation'] });
    const dpop = await newDpopKey();
    const { verifier, params } = pkce();
    const par = await pushSigned(uae, party, {
      scope: 'openid',
      authorization_details: JSON.stringify([PAY_BOB]),
      ...params,
    });
    expect(par.status, par.text()).toBe(201);
    const auth = await uae.http({
      method: 'GET',
      url: `${uae.lab.issuer}/authorize?${form({ client_id: party.clientId, request_uri: json(par).request_uri as string })}`,
    });
    const code = new URL(auth.header('location') as string).searchParams.get('code') as string;
    const url = `${uae.lab.mtls}/token`;
    const res = await postForm(
      party.http,
      url,
      {
        ...assertionFor(uae, party),
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'https://client.example/cb',
        code_verifier: verifier,
      },
      { dpop: proof(uae, dpop, 'POST', url) },
    );
    refusedWith(res, 400, 'invalid_request', 'ECO-05', uae, /not with DPoP.*uae\.sender/);
  });
});

describe('ECO-04 x-fapi-interaction-id (connectid)', () => {
  it('ECO-04 PAR without the header is refused; with it, it is echoed', async () => {
    const t = await startTestLab({ ecosystem: 'connectid' });
    try {
      const { party } = await mtlsParty(t, {}, 'ES256');
      refusedWith(
        await pushSigned(t, party, { scope: 'openid' }),
        400,
        'invalid_request',
        'ECO-04',
        t,
        /x-fapi-interaction-id.*connectid\.interactionIdAtAs/,
      );
      const id = '7b5b4e3c-1d2a-4f5e-8c3b-9a0d6e2f1b4c';
      const headers = { 'x-fapi-interaction-id': id };
      const ok = await pushSigned(t, party, { scope: 'openid' }, { headers });
      expect(ok.status, ok.text()).toBe(201);
      expect(ok.header('x-fapi-interaction-id')).toBe(id);
      // ECO-02: ConnectID's request objects live at most 10 minutes after nbf.
      const long = await pushSigned(
        t,
        party,
        { scope: 'openid' },
        { headers, ro: { exp: Math.floor(t.now()) + 900 } },
      );
      refusedWith(
        long,
        400,
        'invalid_request_object',
        'ECO-02',
        t,
        /exp is 900 s after its nbf; connectid allows at most 600 s/,
      );
    } finally {
      await t.close();
    }
  });
});

describe('ECO-02 request object lifetime (ksa)', () => {
  it('ECO-02 ksa: exp at most 600 s after nbf, nbf at most 600 s old; within both it is accepted', async () => {
    const t = await startTestLab({ ecosystem: 'ksa' });
    try {
      const { party } = await mtlsParty(t);
      const now = Math.floor(t.now());
      // 660 s of lifetime is within MS-04's 60 minutes, but not within KSA's 10 minutes.
      refusedWith(
        await pushSigned(t, party, { scope: 'openid' }, { ro: { nbf: now, exp: now + 660 } }),
        400,
        'invalid_request_object',
        'ECO-02',
        t,
        /exp is 660 s after its nbf; ksa allows at most 600 s.*ksa\.requestObjectLifetime/,
      );
      // nbf 605 s old (MS-03 allows 60 minutes); exp 5 s ago is within the lab's 10 s allowance.
      refusedWith(
        await pushSigned(t, party, { scope: 'openid' }, { ro: { nbf: now - 605, exp: now - 5 } }),
        400,
        'invalid_request_object',
        'ECO-02',
        t,
        /nbf is 60[5-9] s old; ksa allows at most 600 s/,
      );
      const ok = await pushSigned(t, party, { scope: 'openid' }, { ro: { nbf: now - 500, exp: now + 100 } });
      expect(ok.status, ok.text()).toBe(201);
    } finally {
      await t.close();
    }
  });
});

describe('access token lifetimes', () => {
  it('connectid bounds it to 600 s, brazil to 300..900 s', async () => {
    for (const [name, configured, expected] of [
      ['connectid', 3600, 600],
      ['brazil', 60, 300],
      ['uae', 300, 300],
    ] as const) {
      const t = await startTestLab({ ecosystem: name, accessTokenLifetime: configured });
      try {
        expect(t.lab.ctx.config.accessTokenLifetime).toBe(expected);
      } finally {
        await t.close();
      }
    }
  });
});
