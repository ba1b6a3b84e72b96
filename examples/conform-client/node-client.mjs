#!/usr/bin/env node
// A FAPI 2.0 client in plain Node (node:https, node:crypto) with fapi's building blocks for the
// keys, PKCE, client assertions and DPoP proofs: the shape of any client `fapi conform client`
// can test (README "Test your own client"):
//
//   fapi conform client -- node examples/conform-client/node-client.mjs
//
// It follows the contract: FAPI_ISSUER, FAPI_CA_FILE (also in NODE_EXTRA_CA_CERTS), FAPI_SCOPE,
// FAPI_RESOURCE, BROWSER, FAPI_AUTH / FAPI_SENDER (private_key_jwt + DPoP, or tls_client_auth + mTLS
// with FAPI_CLIENT_CERT / FAPI_CLIENT_KEY), FAPI_INTROSPECT=1 (a signed introspection of the access
// token before the resource call). Each client-side check is one function of CHECKS (fapi's tests
// swap one out at a time to show the module that catches its absence).
import { execFile } from 'node:child_process';
import { constants, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import {
  clientAssertionParams,
  createClientAssertion,
  createDpopProof,
  createPkcePair,
  generateKey,
} from 'fapi';

const FAPI_ALGS = ['PS256', 'ES256', 'EdDSA'];
/** TLS 1.2 suites of BCP 195 (RFC 9325 §4.2), TLS 1.3 first: FAPI2-SP §5.2.2 (CL-02). */
const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
].join(':');

class Refused extends Error {}
const refuse = (why) => {
  throw new Refused(why);
};

/** The client's own checks, one per rule. */
export const CHECKS = {
  /** CL-01: the certificate names the host (RFC 9525). */
  tlsHost: tls.checkServerIdentity,
  /** CL-03: the metadata is for the issuer we were given (RFC 8414 §3.3). */
  discoveryIssuer: (meta, issuer) =>
    meta.issuer === issuer || refuse(`metadata issuer ${meta.issuer} is not ${issuer}`),
  /** CL-11: the authorization response names our issuer (RFC 9207 §2.4). */
  authorizationIss: (params, issuer) =>
    params.get('iss') === issuer ||
    refuse(`authorization response iss ${params.get('iss')} is not ${issuer}`),
  /** CL-12: the state we sent comes back (RFC 6749 §10.12). */
  state: (params, state) => params.get('state') === state || refuse('authorization response state mismatch'),
  /** CL-20: the ID token alg is a FAPI one (FAPI2-SP §5.4.1-1); true when it must be verified. */
  idTokenAlg: (alg) => FAPI_ALGS.includes(alg) || refuse(`ID token alg ${alg} is not allowed`),
  /** CL-20: the issuer's key of that kid, from jwks_uri (OIDC Core §10.1). */
  idTokenKey: (jwks, header) =>
    jwks.keys.find((k) => k.kid === header.kid) ?? refuse(`ID token kid ${header.kid} is not in jwks_uri`),
  /** CL-20: the signature verifies (OIDC Core §3.1.3.7 (6)). */
  idTokenSignature: (input, signature, jwk, alg) =>
    verifies(input, signature, jwk, alg) || refuse('ID token signature does not verify'),
  idTokenIss: (claims, issuer) => claims.iss === issuer || refuse(`ID token iss ${claims.iss}`),
  /** aud is our client_id, or an array of exactly it (no untrusted audience). */
  idTokenAud: (claims, clientId) =>
    claims.aud === clientId ||
    (Array.isArray(claims.aud) && claims.aud.length === 1 && claims.aud[0] === clientId) ||
    refuse(`ID token aud ${JSON.stringify(claims.aud)}`),
  idTokenExp: (claims, now) =>
    (typeof claims.exp === 'number' && claims.exp > now - 30) || refuse('ID token expired or without exp'),
  idTokenNonce: (claims, nonce) => claims.nonce === nonce || refuse('ID token nonce mismatch'),
  /** MS-11: the answer is the signed one asked for, not plain JSON (RFC 9701 §4: a downgrade). */
  introspectionSigned: (contentType) =>
    /^application\/token-introspection\+jwt\b/i.test(contentType ?? '') ||
    refuse(`introspection answered ${contentType} where a signed response was asked for`),
  /** MS-11: explicitly typed (RFC 9701 §5), so no other JWT of the issuer passes for it. */
  introspectionTyp: (header) =>
    /^(application\/)?token-introspection\+jwt$/i.test(String(header.typ)) ||
    refuse(`introspection response typ ${header.typ}`),
  /** MS-11: signed by the issuer's key (RFC 9701 §5; FAPI2-MS §5.5.2). */
  introspectionSignature: (input, signature, jwk, alg) =>
    verifies(input, signature, jwk, alg) || refuse('introspection response signature does not verify'),
  /** MS-11: made for this client (RFC 9701 §5: aud is the caller). */
  introspectionAud: (claims, clientId) =>
    claims.aud === clientId ||
    (Array.isArray(claims.aud) && claims.aud.includes(clientId)) ||
    refuse(`introspection response aud ${JSON.stringify(claims.aud)}`),
};

/** Whether a JWS signature by `jwk` with a FAPI `alg` verifies. */
function verifies(input, signature, jwk, alg) {
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return alg === 'EdDSA'
    ? verify(null, Buffer.from(input), key, signature)
    : alg === 'PS256'
      ? verify(
          'sha256',
          Buffer.from(input),
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          signature,
        )
      : verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** Opens the authorization URL with the BROWSER command (the contract's: it completes the login). */
export function openBrowser(url) {
  const quoted = `'${url.replace(/'/g, `'\\''`)}'`;
  execFile(
    '/bin/sh',
    ['-c', `${process.env.BROWSER} ${quoted}`],
    (e) => e && console.error(`BROWSER: ${e.message}`),
  );
}

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

export async function run({ checks = CHECKS, browser = openBrowser } = {}) {
  const env = process.env;
  const issuer = env.FAPI_ISSUER;
  const mtls = env.FAPI_SENDER === 'mtls';
  const certAuth = env.FAPI_AUTH === 'tls_client_auth';
  const agent = new https.Agent({
    ca: readFileSync(env.FAPI_CA_FILE),
    minVersion: 'TLSv1.2',
    ciphers: CIPHERS,
    checkServerIdentity: checks.tlsHost,
    ...(env.FAPI_CLIENT_CERT
      ? { cert: readFileSync(env.FAPI_CLIENT_CERT), key: readFileSync(env.FAPI_CLIENT_KEY) }
      : {}),
  });
  const nonces = new Map(); // the newest DPoP-Nonce per origin (RFC 9449 §8, §9)

  /** One HTTPS request; JSON in and out. */
  const request = (method, url, { headers = {}, form, json } = {}) =>
    new Promise((resolve, reject) => {
      const body = form ? new URLSearchParams(form).toString() : json ? JSON.stringify(json) : undefined;
      const h = { accept: 'application/json', ...headers };
      if (form) h['content-type'] = 'application/x-www-form-urlencoded';
      if (json) h['content-type'] = 'application/json';
      const req = https.request(url, { method, headers: h, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const nonce = res.headers['dpop-nonce'];
          if (nonce) nonces.set(new URL(url).origin, nonce);
          let data;
          try {
            data = JSON.parse(text);
          } catch {
            data = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, data, text });
        });
      });
      req.on('error', reject);
      req.end(body);
    });

  // Discovery (CL-03).
  const meta = (await request('GET', `${issuer}/.well-known/openid-configuration`)).data;
  checks.discoveryIssuer(meta, issuer);
  const endpoint = (name) =>
    (mtls || certAuth ? meta.mtls_endpoint_aliases?.[name] : undefined) ?? meta[name];

  // Callback listener on a loopback IP literal, any port (RFC 8252 §7.3).
  const callback = http.createServer();
  await new Promise((r) => callback.listen(0, '127.0.0.1', r));
  const redirectUri = `http://127.0.0.1:${callback.address().port}/callback`;
  const response = new Promise((resolve) =>
    callback.once('request', (req, res) => {
      res.end('You can close this tab.');
      resolve(new URL(req.url, redirectUri).searchParams);
    }),
  );

  // Registration (RFC 7591).
  const key = await generateKey('ES256');
  const dpopKey = await generateKey('ES256');
  const reg = await request('POST', meta.registration_endpoint, {
    json: {
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: certAuth ? 'tls_client_auth' : 'private_key_jwt',
      ...(certAuth
        ? { tls_client_auth_subject_dn: 'CN=fapi-conform-client,O=fapi conform' }
        : { jwks: { keys: [key.publicJwk] }, token_endpoint_auth_signing_alg: 'ES256' }),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      ...(mtls ? { tls_client_certificate_bound_access_tokens: true } : { dpop_bound_access_tokens: true }),
    },
  });
  if (reg.status !== 201) refuse(`registration failed: ${reg.status} ${JSON.stringify(reg.data)}`);
  const clientId = reg.data.client_id;
  const auth = () =>
    certAuth
      ? { client_id: clientId }
      : clientAssertionParams(clientId, createClientAssertion({ clientId, audience: issuer, key }));
  const dpop = (method, url, accessToken) =>
    mtls
      ? {}
      : {
          dpop: createDpopProof(dpopKey, {
            htm: method,
            htu: url,
            nonce: nonces.get(new URL(url).origin),
            ...(accessToken ? { accessToken } : {}),
          }),
        };
  /** A form POST with client authentication and a DPoP proof, retried once on use_dpop_nonce. */
  const post = async (url, params) => {
    let r = await request('POST', url, { form: { ...params, ...auth() }, headers: dpop('POST', url) });
    if (r.status === 400 && r.data?.error === 'use_dpop_nonce')
      r = await request('POST', url, { form: { ...params, ...auth() }, headers: dpop('POST', url) });
    return r;
  };

  // PAR with PKCE S256, state and nonce (FAPI2-SP §5.3.2.2).
  const pkce = createPkcePair();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const par = await post(endpoint('pushed_authorization_request_endpoint'), {
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: env.FAPI_SCOPE,
    state,
    nonce,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...(mtls ? {} : { dpop_jkt: dpopKey.thumbprint }),
  });
  if (par.status !== 201) refuse(`PAR failed: ${par.status} ${JSON.stringify(par.data)}`);
  const authorize = new URL(meta.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: clientId,
    request_uri: par.data.request_uri,
  }).toString();
  browser(authorize.href);
  const params = await response;
  callback.close();

  // The authorization response (CL-11, CL-12), before anything else in it is used.
  checks.authorizationIss(params, issuer);
  checks.state(params, state);
  if (params.get('error')) refuse(`authorization failed: ${params.get('error')}`);

  // The token request.
  const token = await post(endpoint('token_endpoint'), {
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: redirectUri,
    code_verifier: pkce.verifier,
  });
  if (token.status !== 200) refuse(`token request failed: ${token.status} ${JSON.stringify(token.data)}`);
  const tokens = token.data;
  const scheme = mtls ? 'bearer' : 'dpop';
  if (String(tokens.token_type).toLowerCase() !== scheme) refuse(`token_type ${tokens.token_type}`); // CL-17

  // The ID token (CL-20), before any token is used.
  const [h, p, s] = String(tokens.id_token).split('.');
  const header = b64json(h);
  const claims = b64json(p);
  let jwks;
  const issuerKeys = async () => (jwks ??= (await request('GET', meta.jwks_uri)).data);
  if (checks.idTokenAlg(header.alg)) {
    checks.idTokenSignature(
      `${h}.${p}`,
      Buffer.from(s ?? '', 'base64url'),
      checks.idTokenKey(await issuerKeys(), header),
      header.alg,
    );
  }
  checks.idTokenIss(claims, issuer);
  checks.idTokenAud(claims, clientId);
  checks.idTokenExp(claims, Date.now() / 1000);
  checks.idTokenNonce(claims, nonce);

  // With FAPI_INTROSPECT=1: the access token introspected, a signed answer asked for (RFC 9701 §4)
  // and verified before the resource call (FAPI2-MS §5.5.2, MS-11).
  if (env.FAPI_INTROSPECT === '1') {
    const r = await request('POST', endpoint('introspection_endpoint'), {
      form: { token: tokens.access_token, token_type_hint: 'access_token', ...auth() },
      headers: { accept: 'application/token-introspection+jwt' },
    });
    if (r.status !== 200) refuse(`introspection failed: ${r.status} ${r.text}`);
    let introspection = r.data; // plain JSON: only when the signed check is switched off
    if (/token-introspection\+jwt/i.test(r.headers['content-type'] ?? '')) {
      const [ih, ip, is] = r.text.trim().split('.');
      const iheader = b64json(ih);
      const iclaims = b64json(ip);
      checks.introspectionTyp(iheader);
      checks.idTokenAlg(iheader.alg);
      checks.introspectionSignature(
        `${ih}.${ip}`,
        Buffer.from(is ?? '', 'base64url'),
        checks.idTokenKey(await issuerKeys(), iheader),
        iheader.alg,
      );
      if (iclaims.iss !== issuer) refuse(`introspection response iss ${iclaims.iss}`);
      checks.introspectionAud(iclaims, clientId);
      if (typeof iclaims.iat !== 'number') refuse('introspection response without iat');
      introspection = iclaims.token_introspection;
    } else checks.introspectionSigned(r.headers['content-type']);
    if (introspection?.active !== true) refuse('the access token is not active');
  }

  // The resource: answer DPoP nonce challenges (scheme in any case, CL-17), refresh on invalid_token
  // (CL-19: keep the newest refresh token).
  const resource = env.FAPI_RESOURCE;
  let refreshes = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    const r = await request('GET', resource, {
      headers: {
        authorization: `${mtls ? 'Bearer' : 'DPoP'} ${tokens.access_token}`,
        ...dpop('GET', resource, tokens.access_token),
      },
    });
    if (r.status === 200) return console.log(`resource: ${r.status}`);
    const challenge = String(r.headers['www-authenticate'] ?? '');
    if (r.status === 401 && /^dpop\s.*error="use_dpop_nonce"/i.test(challenge)) continue;
    if (
      r.status === 401 &&
      /error="invalid_token"/.test(challenge) &&
      tokens.refresh_token &&
      refreshes++ < 3
    ) {
      const fresh = await post(endpoint('token_endpoint'), {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      if (fresh.status !== 200) refuse(`refresh failed: ${fresh.status} ${JSON.stringify(fresh.data)}`);
      Object.assign(tokens, fresh.data);
      continue;
    }
    refuse(`resource answered ${r.status} ${challenge}`);
  }
  refuse('resource: too many attempts');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then(
    () => process.exit(0),
    (e) => {
      console.error(e instanceof Refused ? `refused: ${e.message}` : e);
      process.exit(e instanceof Refused ? 2 : 1);
    },
  );
}
