/**
 * The lab's switches, by name with what each does: relaxations (they weaken the FAPI 2.0 profile,
 * for experiments and for `fapi lab attack`) and client fault injections (README "Lab fault switches").
 * One table for the lab (lab/config.ts) and the CLI's option parsing and help (src/cli/program.ts),
 * kept in a module that imports nothing so the CLI does not load the lab to list them.
 */
/** Relaxations of the profile, each with what it weakens. Only for experiments. */
export const RELAXATIONS = {
  'bearer-tokens':
    'access tokens need not be sender-constrained: tokens without DPoP or mTLS binding are issued (FAPI2-SP §5.3.2.1-4)',
  'no-par':
    'authorization requests without PAR are accepted (FAPI2-SP §5.3.2.2-3 requires pushed authorization requests)',
  'plain-pkce': 'PKCE method "plain" is accepted (FAPI2-SP §5.3.2.2-5 requires S256)',
  'no-dpop-nonce': 'the AS and the RS do not demand DPoP server nonces (RFC 9449 §8, §9)',
  'no-iss': 'authorization responses carry no iss parameter (RFC 9207; FAPI2-SP §5.3.2.2-7 requires it)',
  'rotate-rt':
    'refresh tokens rotate on every use (FAPI2-SP §5.3.2.1-9: only in extraordinary circumstances)',
  // The relaxations below exist for `fapi lab attack`: each switches off one defence a scenario
  // shows at work (src/attacks/).
  'no-pkce': 'authorization requests without PKCE are accepted (FAPI2-SP §5.3.2.2-5 requires PKCE S256)',
  'dpop-replay':
    'DPoP proof jtis are not remembered: a replayed proof is accepted (RFC 9449 §11.1; catalogue DP-12)',
  'refresh-without-client-auth':
    'refresh tokens are redeemed without client authentication, as for a public client (FAPI2-SP §5.3.2.1-3, -6)',
  'unregistered-redirect-uri':
    'redirect URIs need not be registered (FAPI2-SP §5.3.2.2-8; RFC 9700 §4.1.3 requires an exact match)',
  'lax-assertion-aud':
    'client assertions may name the token or PAR endpoint, or an array, as aud (FAPI2-SP §5.3.2.1-8: only the issuer, as a string)',
  'assertion-replay':
    'client assertion jtis are not remembered: a replayed assertion is accepted (RFC 7523 §3; OIDC Core §9)',
  'token-in-query':
    'the resource server accepts access tokens in the URI query (FAPI2-SP §5.3.4-2; RFC 6750 §2.3)',
  'unsigned-request-object':
    'pushed authorization requests without a signed request object are accepted even where one is required (FAPI2-MS §5.3.1-1; catalogue MS-01)',
  'scope-only-payments':
    'POST /payments executes any payment for a token with the payments scope, without a matching payment_initiation authorization detail, as often as asked (RFC 9396 §9; catalogue RAR-08, RAR-09)',
} as const;
export type Relaxation = keyof typeof RELAXATIONS;
export const RELAXATION_NAMES = Object.keys(RELAXATIONS) as Relaxation[];

/**
 * Client fault-injection switches (README "Lab fault switches"): the lab misbehaves on purpose so a
 * client's own checks can be tested offline. Also loud.
 */
export const FAULTS = {
  'discovery-issuer-mismatch': 'the metadata issuer differs from the URL it was fetched from',
  'iss-wrong': 'authorization responses carry a wrong iss',
  'iss-missing': 'authorization responses carry no iss',
  'state-wrong': 'authorization responses carry a tampered state',
  'state-missing': 'authorization responses carry no state',
  'dpop-nonce-rotate': 'DPoP nonces rotate after every successful request',
  'rs-scheme-case': 'the RS answers with a lower-case "dpop" WWW-Authenticate scheme',
  'token-type-case': 'token responses say token_type "dPoP"',
  'no-expires-in': 'token responses omit expires_in',
  'rotate-rt-no-grace':
    'refresh tokens rotate on every use and the replaced one stops working at once (no retry window): a client that keeps the old one fails',
  'idtoken-iss': 'ID tokens carry a wrong iss',
  'idtoken-aud': 'ID tokens carry a wrong aud',
  'idtoken-secondary-aud': 'ID tokens carry an extra, untrusted aud',
  'idtoken-alg-none': 'ID tokens are unsigned (alg none)',
  'idtoken-alg-rs256': 'ID tokens are signed with RS256',
  'idtoken-exp-expired': 'ID tokens have already expired',
  'idtoken-exp-missing': 'ID tokens have no exp',
  'idtoken-aud-missing': 'ID tokens have no aud',
  'idtoken-iss-missing': 'ID tokens have no iss',
  'idtoken-nonce-wrong': 'ID tokens carry a wrong nonce',
  'idtoken-nonce-missing': 'ID tokens carry no nonce',
  'idtoken-sig-invalid':
    'ID tokens carry a FAPI alg and the lab kid, but a signature that does not verify (a client that pins the alg and never checks the signature accepts them)',
  'idtoken-kid-unknown':
    'ID tokens are signed (ES256) by a key that is not in jwks_uri, under a kid the lab never published',
  'idtoken-aud-array': 'ID tokens carry aud as a one-element array (valid: clients must accept it)',
  'clock-skew': 'the lab clock runs ahead by clockSkewSeconds',
  'tls-wrong-host':
    'the HTTPS listeners serve a lab-CA certificate for wrong-host.fapi-lab.example only, not 127.0.0.1 or localhost: clients that check the host name (RFC 9525) refuse every connection',
  'tls12-dhe-only':
    'the HTTPS listeners speak only TLS 1.2 with DHE cipher suites, which FAPI 2.0 forbids (FAPI2-SP §5.2.2; RFC 9325 §4.1, §4.2): FAPI clients cannot connect',
  'jarm-iss-missing': 'JARM authorization responses (response_mode=jwt) carry no iss',
  'jarm-iss-wrong': 'JARM authorization responses carry a wrong iss',
  'jarm-aud-missing': 'JARM authorization responses carry no aud',
  'jarm-aud-wrong': 'JARM authorization responses carry a wrong aud',
  'jarm-exp-missing': 'JARM authorization responses carry no exp',
  'jarm-exp-expired': 'JARM authorization responses have already expired',
  'jarm-sig-invalid': 'JARM authorization responses carry a signature that does not verify',
  'jarm-alg-none': 'JARM authorization responses are unsigned (alg none)',
  'introspection-sig-invalid':
    'signed introspection responses (application/token-introspection+jwt) carry a signature that does not verify',
  'introspection-typ-wrong':
    'signed introspection responses carry typ "JWT" instead of token-introspection+jwt',
  'introspection-aud-wrong': 'signed introspection responses carry another client as aud',
  'introspection-unsigned': 'introspection answers plain JSON where a signed JWT was asked for (a downgrade)',
} as const;
export type Fault = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as Fault[];

/** The faults that change the listeners' TLS, under which TLS clients refuse the lab by design (CL-01, CL-02). */
export const TLS_FAULTS: readonly Fault[] = ['tls-wrong-host', 'tls12-dhe-only'];

/** The only name in the certificate served under `tls-wrong-host` (never 127.0.0.1 or localhost). */
export const WRONG_TLS_HOST = 'wrong-host.fapi-lab.example';

/**
 * The suites served under `tls12-dhe-only`: ephemeral finite-field Diffie-Hellman, AEAD, TLS 1.2.
 * RFC 9325 §4.1: "TLS 1.2 implementations SHOULD NOT negotiate cipher suites based on ephemeral
 * finite-field Diffie-Hellman key agreement (i.e., TLS_DHE_* suites)", and §4.2 recommends only
 * the four ECDHE AES-GCM suites. FAPI2-SP §5.2.2-1/2: servers shall, and clients should, permit
 * only those; so a FAPI client (src/http/client.ts FAPI_CIPHERS) shares no suite with this lab.
 */
export const DHE_ONLY_CIPHERS = ['DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384'];

/** The endpoints a test can make fail or wait (`failNext`, `delayNext`; lab/overrides.ts), by name. */
export const LAB_ENDPOINTS = [
  'par',
  'authorize',
  'token',
  'introspection',
  'revocation',
  'userinfo',
  'registration',
  'rs',
] as const;
export type LabEndpoint = (typeof LAB_ENDPOINTS)[number];
