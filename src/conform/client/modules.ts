/**
 * The client-test modules of `fapi conform client`: the OIDF FAPI 2.0 Security Profile client test
 * plan (catalogue part 3.2, prefix `fapi2-security-profile-final-client-test-`) as lab switches
 * (catalogue Appendix A), and a few the plan lacks. Each module names what the lab does, what a
 * conformant client must do, the spec sections and the catalogue client requirement (CL-*, MS-07, MS-09, MS-11)
 * it tests; its ID is that requirement, with a case after the dot (`CL-20.alg-none`), so
 * `--only CL-20` runs every ID-token module. Data only: the runner switches the lab
 * (./runner.ts) and the judge reads the lab's request log (./judge.ts).
 */
import type { LabSetup } from '../../core/client-test-lab.js';
import type { Level } from '../types.js';

/** The groups, in the order they run and are reported. */
export const CLIENT_GROUPS = {
  'happy-path': 'the whole flow',
  discovery: 'discovery',
  'authorization-response': 'the authorization response',
  'id-token': 'the ID token',
  'token-response': 'the token response and the resource server',
  refresh: 'refresh tokens',
  tls: 'TLS',
  jarm: 'JARM (FAPI 2.0 Message Signing, with --jarm)',
  jar: 'request objects at PAR (FAPI 2.0 Message Signing, with --jar)',
  introspection: 'signed introspection (FAPI 2.0 Message Signing, with --introspection)',
} as const;
export type ClientGroup = keyof typeof CLIENT_GROUPS;

/**
 * What the judge asks of the run:
 * - `complete`: the lab saw a successful PAR, a token from the authorization code and a successful
 *   resource call from this client, and the command exited 0 (happy path and tolerance modules);
 * - `request-object` / `request-object-typ`: `complete`, and every accepted pushed request was a
 *   request object as FAPI2-MS §5.3.2 asks (aud the issuer as a string, no sub, nothing but
 *   client_id and the client authentication beside it) / typed `oauth-authz-req+jwt` (RFC 9101 §4);
 * - `complete-after-refresh`: the same, with at least two successful refreshes after the resource
 *   refused the access token, and a successful resource call after the last one;
 * - `signed-introspection`: `complete`, with an introspection request after the token that asked for
 *   a signed answer (RFC 9701 §4) and succeeded, and the successful resource call after it;
 * - `stop-after-discovery`: after the metadata, no other request;
 * - `no-code-redemption`: after the authorization response, no token request with its code;
 * - `no-token-use`: after the token response, no resource, userinfo or refresh request;
 * - `no-resource-after-introspection`: after a signed introspection response asked for, no resource
 *   call;
 * - `no-request-over-tls`: a refused TLS handshake, and no request at all.
 */
export type Expectation =
  | 'complete'
  | 'request-object'
  | 'request-object-typ'
  | 'complete-after-refresh'
  | 'stop-after-discovery'
  | 'no-code-redemption'
  | 'no-token-use'
  | 'signed-introspection'
  | 'no-resource-after-introspection'
  | 'no-request-over-tls';

export interface ClientModule {
  /** The catalogue requirement, with a case after the dot. */
  id: string;
  /** The OIDF client test it mirrors, without the plan's prefix (`…-client-test-`), if any. */
  oidf?: string;
  title: string;
  /** What the lab does in this module. */
  lab: string;
  /** What a conformant client does. */
  client: string;
  spec: string;
  level: Level;
  group: ClientGroup;
  kind: 'happy-path' | 'tolerance' | 'negative';
  setup: LabSetup;
  expect: Expectation;
  /** Only in runs with DPoP (`--sender dpop`), or only with `--jarm`, `--jar` or `--introspection`. */
  needs?: { sender?: 'dpop'; jarm?: true; jar?: true; introspection?: true };
}

/** How many resource calls the refresh modules refuse: two refreshes at least, the second with the rotated token. */
export const RS_REFUSALS = 3;

const ID_TOKEN_SPEC = 'OIDC Core §3.1.3.7; FAPI2-SP §5.4.1-1';

/** An ID-token module: the token response carries a tampered ID token; the tokens must not be used. */
function idToken(
  kase: string,
  fault: string,
  oidf: string | undefined,
  title: string,
  lab: string,
  spec = ID_TOKEN_SPEC,
  level: Level = 'MUST',
): ClientModule {
  return {
    id: `CL-20.${kase}`,
    ...(oidf ? { oidf } : {}),
    title,
    lab,
    client:
      'refuses the ID token, and uses none of the tokens of that response (no resource, userinfo or refresh request)',
    spec,
    level,
    group: 'id-token',
    kind: 'negative',
    setup: { faults: [fault] },
    expect: 'no-token-use',
  };
}

/** A JARM module (FAPI2-MS §5.4.2, MS-09): the signed authorization response is tampered with. */
function jarm(kase: string, oidf: string, title: string, lab: string, spec: string): ClientModule {
  return {
    id: `MS-09.${kase}`,
    oidf,
    title,
    lab,
    client: 'refuses the authorization response, and does not redeem its code',
    spec,
    level: 'MUST',
    group: 'jarm',
    kind: 'negative',
    setup: { faults: [`jarm-${kase}`] },
    expect: 'no-code-redemption',
    needs: { jarm: true },
  };
}

/**
 * A signed-introspection module (FAPI2-MS §5.5.2, MS-11): the signed introspection response the
 * client asked for is tampered with; the client must not call the resource.
 */
function introspection(kase: string, title: string, lab: string, spec: string): ClientModule {
  return {
    id: `MS-11.${kase}`,
    title,
    lab: `${lab} (introspection-${kase})`,
    client: 'refuses the introspection response, and does not call the resource with the token',
    spec,
    level: 'MUST',
    group: 'introspection',
    kind: 'negative',
    setup: { faults: [`introspection-${kase}`] },
    expect: 'no-resource-after-introspection',
    needs: { introspection: true },
  };
}

export const CLIENT_MODULES: readonly ClientModule[] = [
  {
    id: 'happy-path',
    oidf: 'happy-path',
    title: 'the whole FAPI 2.0 flow against a strict server',
    lab: 'strict FAPI 2.0: PAR, PKCE S256, sender-constrained tokens, DPoP server nonces demanded at PAR, token endpoint and RS',
    client:
      'registers, pushes the request (PKCE S256), logs in, redeems the code, calls the resource (answering nonce challenges), exits 0',
    spec: 'FAPI2-SP §5.3.3; CL-06..CL-16',
    level: 'MUST',
    group: 'happy-path',
    kind: 'happy-path',
    setup: {},
    expect: 'complete',
  },
  {
    id: 'happy-path-no-dpop-nonce',
    oidf: 'happy-path-no-dpop-nonce',
    title: 'the whole flow against a server that demands no DPoP nonce',
    lab: 'no DPoP server nonces at the AS or the RS (the no-dpop-nonce relaxation)',
    client: 'completes the flow without a server nonce',
    spec: 'RFC 9449 §8, §9; CL-15',
    level: 'MUST',
    group: 'happy-path',
    kind: 'tolerance',
    setup: { relax: ['no-dpop-nonce'] },
    expect: 'complete',
    needs: { sender: 'dpop' },
  },
  {
    id: 'CL-03',
    oidf: 'discovery-issuer-mismatch',
    title: 'the metadata issuer differs from the issuer the client was given',
    lab: 'the metadata names another issuer than the URL it is fetched from (discovery-issuer-mismatch)',
    client: 'stops after discovery: no registration, no PAR, no other request',
    spec: 'FAPI2-SP §5.3.3.1-9; RFC 8414 §3.3; OIDC Discovery §4.3',
    level: 'MUST',
    group: 'discovery',
    kind: 'negative',
    setup: { faults: ['discovery-issuer-mismatch'] },
    expect: 'stop-after-discovery',
  },
  {
    id: 'CL-11.iss-wrong',
    oidf: 'invalid-authorization-response-iss',
    title: 'the authorization response carries a wrong iss',
    lab: 'the authorization response names another issuer (iss-wrong)',
    client: 'refuses the authorization response (a mix-up) and does not redeem its code',
    spec: 'FAPI2-SP §5.3.3.2-5; RFC 9207 §2.4',
    level: 'MUST',
    group: 'authorization-response',
    kind: 'negative',
    setup: { faults: ['iss-wrong'] },
    expect: 'no-code-redemption',
  },
  {
    id: 'CL-11.iss-missing',
    oidf: 'remove-authorization-response-iss',
    title: 'the authorization response carries no iss',
    lab: 'the authorization response has no iss, although the metadata says it always does (iss-missing)',
    client: 'refuses the authorization response and does not redeem its code',
    spec: 'FAPI2-SP §5.3.3.2-5; RFC 9207 §2.4',
    level: 'MUST',
    group: 'authorization-response',
    kind: 'negative',
    setup: { faults: ['iss-missing'] },
    expect: 'no-code-redemption',
  },
  {
    id: 'CL-12.state-wrong',
    oidf: 'ensure-authorization-response-with-invalid-state-fails',
    title: 'the authorization response carries a tampered state',
    lab: 'the authorization response carries another state than the one sent (state-wrong)',
    client: 'refuses the authorization response (CSRF) and does not redeem its code',
    spec: 'RFC 6749 §10.12; RFC 9700 §4.7',
    level: 'SHOULD',
    group: 'authorization-response',
    kind: 'negative',
    setup: { faults: ['state-wrong'] },
    expect: 'no-code-redemption',
  },
  {
    id: 'CL-12.state-missing',
    oidf: 'ensure-authorization-response-with-invalid-missing-state-fails',
    title: 'the authorization response carries no state',
    lab: 'the authorization response has no state (state-missing)',
    client: 'refuses the authorization response and does not redeem its code',
    spec: 'RFC 6749 §10.12; RFC 9700 §4.7',
    level: 'SHOULD',
    group: 'authorization-response',
    kind: 'negative',
    setup: { faults: ['state-missing'] },
    expect: 'no-code-redemption',
  },
  idToken('iss', 'idtoken-iss', 'invalid-iss', 'the ID token names another issuer', 'iss is not the issuer'),
  idToken('iss-missing', 'idtoken-iss-missing', 'invalid-missing-iss', 'the ID token has no iss', 'no iss'),
  idToken(
    'aud',
    'idtoken-aud',
    'invalid-aud',
    'the ID token is for another client',
    'aud is not the client_id',
  ),
  idToken('aud-missing', 'idtoken-aud-missing', 'invalid-missing-aud', 'the ID token has no aud', 'no aud'),
  idToken(
    'secondary-aud',
    'idtoken-secondary-aud',
    'invalid-secondary-aud',
    'the ID token names an extra, untrusted audience',
    'aud is [client_id, another party]',
  ),
  idToken(
    'alg-none',
    'idtoken-alg-none',
    'invalid-null-alg',
    'the ID token is unsigned (alg none)',
    'alg none, no signature',
  ),
  idToken(
    'alg-rs256',
    'idtoken-alg-rs256',
    'invalid-alternate-alg',
    'the ID token is signed with RS256, not a FAPI algorithm',
    'alg RS256 (FAPI 2.0 allows PS256, ES256, EdDSA)',
  ),
  idToken(
    'exp-expired',
    'idtoken-exp-expired',
    'invalid-expired-exp',
    'the ID token has expired',
    'exp 5 minutes ago',
  ),
  idToken('exp-missing', 'idtoken-exp-missing', 'invalid-missing-exp', 'the ID token has no exp', 'no exp'),
  idToken(
    'nonce-wrong',
    'idtoken-nonce-wrong',
    'invalid-nonce',
    'the ID token carries another nonce',
    'nonce is not the one pushed',
  ),
  idToken(
    'nonce-missing',
    'idtoken-nonce-missing',
    'invalid-missing-nonce',
    'the ID token has no nonce',
    'no nonce',
  ),
  idToken(
    'sig-invalid',
    'idtoken-sig-invalid',
    undefined,
    'the ID token signature does not verify (beyond the OIDF plan)',
    'a FAPI alg and the lab kid, but a signature that does not verify: a client that pins the alg and never checks the signature passes every OIDF module',
    'OIDC Core §3.1.3.7 (6); FAPI2-SP §5.4.1-1; RFC 7515 §5.2',
    // OIDC Core §3.1.3.7 (6) lets a client that got the ID token from the token endpoint over TLS
    // rely on TLS instead of the signature; checking it is what non-repudiation needs: a SHOULD.
    'SHOULD',
  ),
  idToken(
    'kid-unknown',
    'idtoken-kid-unknown',
    undefined,
    'the ID token is signed by a key that is not in jwks_uri (beyond the OIDF plan)',
    'a valid ES256 signature by a key the lab never published, under an unknown kid',
    'OIDC Core §3.1.3.7 (6), §10.1; RFC 7515 §4.1.4',
    'SHOULD',
  ),
  {
    id: 'CL-20.aud-array',
    oidf: 'valid-aud-as-array',
    title: 'the ID token aud is a one-element array',
    lab: 'aud is [client_id] (idtoken-aud-array): valid',
    client: 'accepts it and completes the flow',
    spec: 'OIDC Core §2; CL-20',
    level: 'MUST',
    group: 'id-token',
    kind: 'tolerance',
    setup: { faults: ['idtoken-aud-array'] },
    expect: 'complete',
  },
  {
    id: 'CL-17.token-type',
    oidf: 'token-type-case-insensitivity',
    title: 'the token response says token_type "dPoP"',
    lab: 'token_type in inverted case (token-type-case)',
    client: 'compares token_type without case and completes the flow',
    spec: 'RFC 6749 §5.1, §7.1',
    level: 'MUST',
    group: 'token-response',
    kind: 'tolerance',
    setup: { faults: ['token-type-case'] },
    expect: 'complete',
  },
  {
    id: 'CL-18',
    oidf: 'token-endpoint-response-without-expires_in',
    title: 'the token response has no expires_in',
    lab: 'token responses without expires_in (no-expires-in)',
    client: 'copes (expires_in is only RECOMMENDED) and completes the flow',
    spec: 'RFC 6749 §5.1',
    level: 'MUST',
    group: 'token-response',
    kind: 'tolerance',
    setup: { faults: ['no-expires-in'] },
    expect: 'complete',
  },
  {
    id: 'CL-17.rs-scheme',
    oidf: 'rs-dpop-auth-scheme-case-insensitivity',
    title: 'the resource server challenges with a lower-case "dpop" scheme',
    lab: 'the RS answers WWW-Authenticate: dpop error="use_dpop_nonce" (rs-scheme-case)',
    client: 'parses the challenge without case, retries with the nonce and completes the flow',
    spec: 'RFC 9110 §11.1; RFC 9449 §9',
    level: 'MUST',
    group: 'token-response',
    kind: 'tolerance',
    setup: { faults: ['rs-scheme-case'] },
    expect: 'complete',
    needs: { sender: 'dpop' },
  },
  {
    id: 'CL-15.rotate',
    title: 'DPoP nonces rotate after every request (the OIDF mock AS and RS)',
    lab: 'a new DPoP nonce after every success at the AS and the RS, only the newest valid (dpop-nonce-rotate)',
    client: 'takes the newest nonce from every answer, retries once on use_dpop_nonce, completes the flow',
    spec: 'RFC 9449 §8, §8.2, §9; FAPI2-SP §5.3.3.1-8',
    level: 'MUST',
    group: 'token-response',
    kind: 'tolerance',
    setup: { faults: ['dpop-nonce-rotate'] },
    expect: 'complete',
    needs: { sender: 'dpop' },
  },
  {
    id: 'CL-19.rotation',
    title: 'refresh tokens rotate on every refresh (the OIDF mock AS)',
    lab: `the RS refuses the first ${RS_REFUSALS} calls with 401 invalid_token; every refresh returns a new refresh token, the old one usable for a retry window (rotate-rt)`,
    client:
      'refreshes after each 401 invalid_token (RFC 6749 §6), keeps the new refresh token, calls again until the call succeeds',
    spec: 'FAPI2-SP §5.3.3.1-6; RFC 6749 §6, §5.1',
    level: 'MUST',
    group: 'refresh',
    kind: 'tolerance',
    setup: { relax: ['rotate-rt'], rsRefusals: RS_REFUSALS },
    expect: 'complete-after-refresh',
  },
  {
    id: 'CL-19.no-grace',
    title: 'refresh tokens rotate and the old one dies at once (beyond the OIDF plan)',
    lab: `as CL-19.rotation, but the replaced refresh token stops working at once (rotate-rt-no-grace)`,
    client: 'always refreshes with the newest refresh token it was given, and completes the flow',
    spec: 'FAPI2-SP §5.3.3.1-6; RFC 6749 §6',
    level: 'MUST',
    group: 'refresh',
    kind: 'tolerance',
    setup: { faults: ['rotate-rt-no-grace'], rsRefusals: RS_REFUSALS },
    expect: 'complete-after-refresh',
  },
  {
    id: 'CL-01',
    title: 'the server certificate names another host',
    lab: 'every listener serves a lab-CA certificate for wrong-host.fapi-lab.example only (tls-wrong-host)',
    client: 'refuses the TLS connection (host name check) and sends no request',
    spec: 'FAPI2-SP §5.2.1-1, §5.2.1-5; RFC 9525 §6.3',
    level: 'MUST',
    group: 'tls',
    kind: 'negative',
    setup: { faults: ['tls-wrong-host'] },
    expect: 'no-request-over-tls',
  },
  {
    id: 'CL-02',
    title: 'the server speaks only TLS 1.2 with DHE cipher suites',
    lab: 'every listener offers only TLS 1.2 DHE-RSA suites, which FAPI 2.0 forbids (tls12-dhe-only)',
    client: 'offers only the BCP 195 suites, so the handshake fails and no request is sent',
    spec: 'FAPI2-SP §5.2.2-2; RFC 9325 §4.1, §4.2',
    level: 'SHOULD',
    group: 'tls',
    kind: 'negative',
    setup: { faults: ['tls12-dhe-only'] },
    expect: 'no-request-over-tls',
  },
  {
    id: 'MS-07',
    title: 'the pushed request is one signed request object, as Message Signing asks',
    lab: 'requires a signed request object at PAR (require_signed_request_object) and verifies it (MS-01..06)',
    client:
      'pushes a request object signed with its registered key: aud the issuer as a string, iss and client_id, nbf and exp at most 60 minutes apart, a jti, no sub; beside it only client_id, request and the client authentication',
    spec: 'FAPI2-MS §5.3.2; RFC 9101 §4, §10.8',
    level: 'MUST',
    group: 'jar',
    kind: 'happy-path',
    setup: {},
    expect: 'request-object',
    needs: { jar: true },
  },
  {
    id: 'MS-07.typ',
    title: 'the request object is explicitly typed',
    lab: 'as MS-07',
    client: 'sets typ "oauth-authz-req+jwt" in the request object header',
    spec: 'RFC 9101 §4; RFC 8725 §3.11',
    level: 'SHOULD',
    group: 'jar',
    kind: 'happy-path',
    setup: {},
    expect: 'request-object-typ',
    needs: { jar: true },
  },
  jarm(
    'iss-missing',
    'ensure-jarm-without-iss',
    'the JARM response has no iss',
    'no iss in the signed authorization response',
    'FAPI2-MS §5.4.2; JARM §2.4 (2)',
  ),
  jarm(
    'iss-wrong',
    'ensure-jarm-with-invalid-iss',
    'the JARM response names another issuer',
    'a wrong iss in the signed authorization response',
    'FAPI2-MS §5.4.2; JARM §2.4 (2)',
  ),
  jarm(
    'aud-missing',
    'ensure-jarm-without-aud',
    'the JARM response has no aud',
    'no aud in the signed authorization response',
    'FAPI2-MS §5.4.2; JARM §2.4 (3)',
  ),
  jarm(
    'aud-wrong',
    'ensure-jarm-with-invalid-aud',
    'the JARM response is for another client',
    'aud is not the client_id',
    'FAPI2-MS §5.4.2; JARM §2.4 (3)',
  ),
  jarm(
    'exp-missing',
    'ensure-jarm-without-exp',
    'the JARM response has no exp',
    'no exp in the signed authorization response',
    'FAPI2-MS §5.4.2; JARM §2.4 (4)',
  ),
  jarm(
    'exp-expired',
    'ensure-jarm-with-expired-exp',
    'the JARM response has expired',
    'exp 10 minutes ago',
    'FAPI2-MS §5.4.2; JARM §2.4 (4)',
  ),
  jarm(
    'sig-invalid',
    'ensure-jarm-with-invalid-sig',
    'the JARM response signature does not verify',
    'a signature that does not verify',
    'FAPI2-MS §5.4.2; JARM §2.4 (5)',
  ),
  jarm(
    'alg-none',
    'ensure-jarm-signature-is-not-none',
    'the JARM response is unsigned (alg none)',
    'alg none, no signature',
    'FAPI2-MS §5.4.2; JARM §2.4 (5)',
  ),
  {
    id: 'MS-11',
    title: 'the client asks for a signed introspection response and verifies it',
    lab: 'answers introspection requests that ask for application/token-introspection+jwt with a JWT signed by its key (MS-10)',
    client:
      "after the token response, introspects its access token with Accept: application/token-introspection+jwt, verifies the answer (the issuer's key from jwks_uri, a FAPI alg, typ token-introspection+jwt, iss the issuer, aud its client_id, iat), then calls the resource and exits 0",
    spec: 'FAPI2-MS §5.5.2; RFC 9701 §4, §5',
    level: 'MUST',
    group: 'introspection',
    kind: 'happy-path',
    setup: {},
    expect: 'signed-introspection',
    needs: { introspection: true },
  },
  introspection(
    'sig-invalid',
    'the signed introspection response signature does not verify',
    "a FAPI alg and the lab's kid, but a signature that does not verify",
    'FAPI2-MS §5.5.2; RFC 9701 §5; RFC 7515 §5.2',
  ),
  introspection(
    'typ-wrong',
    'the signed introspection response is not typed token-introspection+jwt',
    'typ "JWT" instead of token-introspection+jwt',
    'FAPI2-MS §5.5.2; RFC 9701 §5; RFC 8725 §3.11',
  ),
  introspection(
    'aud-wrong',
    'the signed introspection response is for another client',
    'aud names another client than the caller',
    'FAPI2-MS §5.5.2; RFC 9701 §5',
  ),
  introspection(
    'unsigned',
    'plain JSON where a signed introspection response was asked for (a downgrade)',
    'a plain RFC 7662 JSON answer, although the request asked for application/token-introspection+jwt',
    'FAPI2-MS §5.5.2; RFC 9701 §4',
  ),
];
