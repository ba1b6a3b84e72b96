/** CA-01..13 (private_key_jwt) and MT-01..06 (mTLS client auth and binding), at PAR and token. */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createClientAssertion } from '../../src/core/client-auth.js';
import { JWT_BEARER } from '../../src/core/client-auth.js';
import { signJws } from '../../src/core/jws.js';
import { createHttpClient } from '../../src/http/client.js';
import { privateKeyPem } from '../../src/keys/generate.js';
import { createCertificate } from '../../src/keys/x509.js';
import {
  assertion,
  decodeJwt,
  json,
  newKey,
  par,
  postForm,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';

let t: TestLab;
let c1: TestClient;
let c2: TestClient;
beforeAll(async () => {
  t = await startTestLab();
  [c1, c2] = await Promise.all([registerClient(t), registerClient(t)]);
});
afterAll(() => t.close());

/** A PAR request authenticated with the given form fields (no DPoP: it is optional at PAR). */
const parWith = (auth: Record<string, string | undefined>, headers: Record<string, string> = {}) =>
  par(t, c1, {
    dpop: null,
    params: { client_assertion: undefined, client_assertion_type: undefined, client_id: undefined, ...auth },
    headers,
  });

const assertionFor = (o: Partial<Parameters<typeof createClientAssertion>[0]>) => assertion(t, c1, o);

/** The checks the last request passed, as the dashboard lists them. */
const passed = () => t.lab.ctx.requests.recent(1)[0]?.passed;

async function expectInvalidClient(
  auth: Record<string, string | undefined>,
  check: string,
  headers: Record<string, string> = {},
) {
  const { res } = await parWith(auth, headers);
  expect(res.status, res.text()).toBe(401);
  expect(json(res).error).toBe('invalid_client');
  expect(t.lab.ctx.requests.recent(1)[0]?.check).toBe(check);
  return res;
}

describe('private_key_jwt', () => {
  it('accepts a correct assertion at PAR (201), logged as the private_key_jwt check (CA-08) and CA-01', async () => {
    const { res } = await parWith(assertionFor({}));
    expect(res.status, res.text()).toBe(201);
    expect(passed()).toEqual(expect.arrayContaining(['CA-08', 'CA-01']));
  });

  it('CA-01: client_secret_basic and client_secret_post are refused', async () => {
    const basic = await expectInvalidClient({ client_id: c1.clientId }, 'CA-01', {
      authorization: `Basic ${Buffer.from(`${c1.clientId}:secret`).toString('base64')}`,
    });
    expect(basic.header('www-authenticate')).toMatch(/^Basic/);
    await expectInvalidClient({ client_id: c1.clientId, client_secret: 'secret' }, 'CA-01');
  });

  it('CA-02: aud must be the issuer as a string: token URL, PAR URL, arrays and others are refused', async () => {
    for (const audience of [
      `${t.lab.issuer}/token`,
      `${t.lab.issuer}/par`,
      [t.lab.issuer, 'https://x'],
      [t.lab.issuer],
      'https://other.example',
    ]) {
      await expectInvalidClient(assertionFor({ audience }), 'CA-02');
    }
  });

  it('CA-03: iss = sub = client_id; sub required', async () => {
    await expectInvalidClient(assertionFor({ claims: { sub: undefined } }), 'CA-03');
    await expectInvalidClient(assertionFor({ claims: { sub: c2.clientId } }), 'CA-03');
  });

  it('CA-04: exp required and not in the past', async () => {
    await expectInvalidClient(assertionFor({ now: t.now() - 300 - 60 }), 'CA-04');
    await expectInvalidClient(assertionFor({ claims: { exp: undefined } }), 'CA-04');
  });

  it('CA-05: assertions living longer than 300 s are refused', async () => {
    await expectInvalidClient(assertionFor({ lifetime: 3600 }), 'CA-05');
  });

  it('CA-06: jti required and single-use', async () => {
    const a = assertionFor({});
    const first = await parWith(a);
    expect(first.res.status).toBe(201);
    await expectInvalidClient(a, 'CA-06');
    await expectInvalidClient(assertionFor({ claims: { jti: undefined } }), 'CA-06');
  });

  it('CA-07: RS256, HS256 and none are refused', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Math.floor(t.now());
    const claims = {
      iss: c1.clientId,
      sub: c1.clientId,
      aud: t.lab.issuer,
      jti: 'x1',
      iat: now,
      exp: now + 60,
    };
    const h = Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url');
    const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const { sign } = await import('node:crypto');
    const rs256 = `${h}.${p}.${sign('sha256', Buffer.from(`${h}.${p}`), rsa.privateKey).toString('base64url')}`;
    await expectInvalidClient(
      { client_id: c1.clientId, client_assertion_type: JWT_BEARER, client_assertion: rs256 },
      'CA-07',
    );
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    await expectInvalidClient(
      { client_id: c1.clientId, client_assertion_type: JWT_BEARER, client_assertion: none },
      'CA-07',
    );
  });

  it("CA-08: an assertion signed with another client's key is refused; a matching kid among several keys verifies", async () => {
    await expectInvalidClient(assertion(t, c1, { privateKey: c2.key.privateKey, kid: c2.key.kid }), 'CA-08');
    const [k1, k2] = await Promise.all([newKey('EdDSA'), newKey()]);
    const multi = await registerClient(
      t,
      { jwks: { keys: [k1.publicJwk, { ...k2.publicJwk, kid: k1.kid }] } },
      k2,
    );
    const { res } = await par(t, multi, { dpop: null, params: assertion(t, multi, { kid: k1.kid }) });
    expect(res.status, res.text()).toBe(201);
  });

  it('CA-09: iat/nbf 8 s in the future is accepted; more than 60 s is refused', async () => {
    const { res } = await parWith(assertionFor({ claims: { nbf: Math.floor(t.now()) + 8 } }));
    expect(res.status, res.text()).toBe(201);
    const now = Math.floor(t.now());
    await expectInvalidClient(
      assertionFor({ claims: { iat: now + 70, nbf: now + 70, exp: now + 130 } }),
      'CA-09',
    );
  });

  it('CA-10: another client_assertion_type is refused', async () => {
    await expectInvalidClient(
      {
        ...assertionFor({}),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      },
      'CA-10',
    );
  });

  it('CA-11: client authentication is mandatory at PAR and at the token endpoint', async () => {
    await expectInvalidClient({ client_id: c1.clientId }, 'CA-11');
    await expectInvalidClient({}, 'CA-11');
    const tok = await postForm(t.http, `${t.lab.issuer}/token`, {
      client_id: c1.clientId,
      grant_type: 'authorization_code',
      code: 'x',
    });
    expect(tok.status).toBe(401);
    expect(json(tok).error).toBe('invalid_client');
  });

  it('CA-12: a client_id parameter must match the assertion', async () => {
    await expectInvalidClient({ ...assertionFor({}), client_id: c2.clientId }, 'CA-12');
  });

  it('CA-13: a JWT of another type (dpop+jwt) is not an assertion; client-authentication+jwt is', async () => {
    await expectInvalidClient(assertionFor({ header: { typ: 'dpop+jwt' } }), 'CA-13');
    const { res } = await parWith(assertionFor({ header: { typ: 'client-authentication+jwt' } }));
    expect(res.status).toBe(201);
  });

  it('NET-08: a client whose jwks_uri cannot be fetched any more gets invalid_client', async () => {
    const k = await newKey();
    const serverKey = await newKey();
    const cert = await t.lab.ctx.ca.issueServerCertificate({
      key: serverKey,
      subject: 'CN=jwks.test',
      sans: [{ type: 'ip', value: '127.0.0.1' }],
    });
    const server = https.createServer(
      { key: privateKeyPem(serverKey.privateKey), cert: cert.pem },
      (_q, res) =>
        res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [k.publicJwk] })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const jwksUri = `https://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    let c: TestClient;
    try {
      c = await registerClient(t, { jwks: undefined, jwks_uri: jwksUri }, k);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const { res } = await par(t, c, { dpop: null });
    expect(res.status, res.text()).toBe(401);
    expect(json(res).error).toBe('invalid_client');
    expect(json(res).error_description).toContain(jwksUri);
    expect(t.lab.ctx.requests.recent(1)[0]?.check).toBe('NET-08');
  });

  it('REG-12: a registered token_endpoint_auth_signing_alg narrows the accepted algorithms', async () => {
    const ed = await newKey('EdDSA');
    const es = await newKey();
    const c = await registerClient(
      t,
      { jwks: { keys: [ed.publicJwk, es.publicJwk] }, token_endpoint_auth_signing_alg: 'EdDSA' },
      es,
    );
    const bad = await par(t, c, { dpop: null });
    expect(bad.res.status).toBe(401);
    const good = await par(t, c, {
      dpop: null,
      params: assertion(t, c, { privateKey: ed.privateKey, alg: 'EdDSA', kid: ed.kid }),
    });
    expect(good.res.status).toBe(201);
  });

  it('signJws is the only signer used (sanity: a hand-made ES256 assertion verifies)', async () => {
    const now = Math.floor(t.now());
    const jwt = signJws(
      { kid: c1.key.kid },
      { iss: c1.clientId, sub: c1.clientId, aud: t.lab.issuer, jti: `h-${now}`, iat: now, exp: now + 30 },
      c1.key.privateKey,
      'ES256',
    );
    const { res } = await parWith({ client_assertion_type: JWT_BEARER, client_assertion: jwt });
    expect(res.status).toBe(201);
    expect(decodeJwt(jwt).header.alg).toBe('ES256');
  });
});

describe('mTLS client authentication (RFC 8705)', () => {
  async function mtlsClient(
    subject: string,
    o: { selfSigned?: boolean; register?: Record<string, unknown> } = {},
  ) {
    const key = await newKey();
    const cert = o.selfSigned
      ? await createCertificate({ key, subject, profile: 'client' })
      : await t.lab.ctx.ca.issueClientCertificate({ key, subject });
    const registered = await registerClient(
      t,
      o.selfSigned
        ? {
            token_endpoint_auth_method: 'self_signed_tls_client_auth',
            jwks: { keys: [{ ...key.publicJwk, x5c: [cert.der.toString('base64')] }] },
            ...o.register,
          }
        : {
            token_endpoint_auth_method: 'tls_client_auth',
            tls_client_auth_subject_dn: subject,
            jwks: undefined,
            ...o.register,
          },
      key,
    );
    const http = createHttpClient({ ca: [t.ca], cert: cert.pem, key: privateKeyPem(key.privateKey) });
    return { ...registered, http, cert };
  }

  const parOverMtls = (
    http: ReturnType<typeof createHttpClient>,
    clientId: string | undefined,
    redirect = 'https://client.example/cb',
  ) =>
    postForm(http, `${t.lab.mtls}/par`, {
      client_id: clientId,
      response_type: 'code',
      redirect_uri: redirect,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      scope: 'accounts',
    });

  it('tls_client_auth: a lab-CA certificate with the registered DN authenticates at the mTLS alias', async () => {
    const c = await mtlsClient('CN=mtls-one,O=Example');
    const r = await parOverMtls(c.http, c.clientId);
    expect(r.status, r.text()).toBe(201);
    expect(passed()).toEqual(expect.arrayContaining(['MT-03', 'CA-01']));
  });

  it('MT-01: with mTLS authentication, client_id is required', async () => {
    const c = await mtlsClient('CN=mtls-noid');
    const r = await parOverMtls(c.http, undefined);
    expect(r.status).toBe(400);
    expect(json(r).error).toBe('invalid_request');
  });

  it("MT-02: no certificate, or another client's certificate, gets invalid_client", async () => {
    const a = await mtlsClient('CN=mtls-a');
    const b = await mtlsClient('CN=mtls-b');
    const none = await parOverMtls(t.http, a.clientId);
    expect(none.status).toBe(401);
    expect(json(none).error).toBe('invalid_client');
    const crossed = await parOverMtls(b.http, a.clientId);
    expect(crossed.status).toBe(401);
    // The AS listener never sees a certificate: the error points to the alias.
    const plain = await postForm(a.http, `${t.lab.issuer}/par`, { client_id: a.clientId });
    expect(plain.status).toBe(401);
    expect(json(plain).error_description).toContain(t.lab.mtls);
  });

  it('MT-03: a certificate with another DN, or not from the lab CA, is refused', async () => {
    const c = await mtlsClient('CN=mtls-dn,O=Example');
    const other = await newKey();
    const wrongDn = await t.lab.ctx.ca.issueClientCertificate({ key: other, subject: 'CN=mtls-dn,O=Evil' });
    const r1 = await parOverMtls(
      createHttpClient({ ca: [t.ca], cert: wrongDn.pem, key: privateKeyPem(other.privateKey) }),
      c.clientId,
    );
    expect(r1.status).toBe(401);
    const selfMade = await createCertificate({
      key: other,
      subject: 'CN=mtls-dn,O=Example',
      profile: 'client',
    });
    const r2 = await parOverMtls(
      createHttpClient({ ca: [t.ca], cert: selfMade.pem, key: privateKeyPem(other.privateKey) }),
      c.clientId,
    );
    expect(r2.status).toBe(401);
    expect(json(r2).error_description).toMatch(/lab CA/);
  });

  it('MT-04: self_signed_tls_client_auth accepts the registered certificate only', async () => {
    const c = await mtlsClient('CN=self-one', { selfSigned: true });
    expect((await parOverMtls(c.http, c.clientId)).status).toBe(201);
    expect(passed()).toEqual(expect.arrayContaining(['MT-04', 'CA-01']));
    const other = await newKey();
    const otherCert = await createCertificate({ key: other, subject: 'CN=self-one', profile: 'client' });
    const r = await parOverMtls(
      createHttpClient({ ca: [t.ca], cert: otherCert.pem, key: privateKeyPem(other.privateKey) }),
      c.clientId,
    );
    expect(r.status).toBe(401);
  });

  it('MT-05/MT-08: tokens issued over mTLS are Bearer with cnf.x5t#S256 of the certificate', async () => {
    const c = await mtlsClient('CN=mtls-cc', {
      register: { grant_types: ['client_credentials'], redirect_uris: undefined },
    });
    const r = await postForm(c.http, `${t.lab.mtls}/token`, {
      client_id: c.clientId,
      grant_type: 'client_credentials',
      scope: 'accounts',
    });
    expect(r.status, r.text()).toBe(200);
    expect(json(r).token_type).toBe('Bearer');
    const at = decodeJwt(json(r).access_token as string).payload;
    expect(at.cnf).toEqual({ 'x5t#S256': c.cert.x5tS256 });
    expect(c.cert.x5tS256).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('MT-06: a certificate-bound client without a certificate gets no token', async () => {
    const c = await registerClient(t, {
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      tls_client_certificate_bound_access_tokens: true,
    });
    const r = await postForm(t.http, `${t.lab.issuer}/token`, {
      ...assertion(t, c),
      grant_type: 'client_credentials',
    });
    expect(r.status).toBe(401);
    expect(json(r).error).toBe('invalid_client');
  });
});
