/**
 * Client authentication (CA-01..13, MT-01..04): private_key_jwt assertions altered one rule at a
 * time (FAPI2-SP §5.3.2.1-8 aud, RFC 7523 §3 claims, FAPI2-SP §5.4.1-1 algorithms, §5.3.2.1-13
 * clock skew), sent to the PAR endpoint as the OIDF suite does, or to the token endpoint; and mTLS
 * client authentication (RFC 8705 §2) with a missing client_id or another certificate. Every
 * refusal counts only after PAR-01 showed the same request, unaltered, is accepted.
 */
import type { SigningKey } from '../../core/client.js';
import { endpoint } from '../../core/discovery.js';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from '../../core/fapi.js';
import type { Jwk } from '../../core/jwk.js';
import { isFapiError } from '../../errors.js';
import { generateSigningKey, privateKeyPem } from '../../keys/generate.js';
import { createCertificate } from '../../keys/x509.js';
import type { AsOptions, AssertionTweak, CheckContext } from '../context.js';
import { describe, expectRefused, expectSuccess } from '../expect.js';
import {
  registerTestClient,
  uniqueName,
  type RegisterTestClientOptions,
  type TestClient,
} from '../parties.js';
import { failed, passed, Skip, warning, type Check } from '../types.js';
import { defineCheck, INVALID_CLIENT, SP } from './define.js';
import { resignRs256, unsigned } from '../tamper.js';

const PKJWT = ['private_key_jwt'] as const;
/** The mTLS client authentication methods (RFC 8705 §2). */
const TLS_AUTH = CLIENT_AUTH_METHODS.filter((m) => m !== 'private_key_jwt');

/** A PAR request as client 1 with this client authentication; passed when refused as invalid_client. */
function parRefused(
  id: string,
  title: string,
  spec: string,
  what: string,
  auth: (ctx: CheckContext) => Promise<AsOptions> | AsOptions,
  o: {
    level?: 'MUST' | 'SHOULD';
    clients?: 2;
    tls?: boolean;
    authMethods?: readonly ClientAuthMethod[];
  } = {},
): Check {
  return defineCheck({
    id,
    title,
    spec,
    level: o.level ?? 'MUST',
    group: 'client-auth',
    needs: {
      auth: o.authMethods ?? PKJWT,
      after: ['PAR-01'],
      ...(o.clients ? { clients: 2 } : {}),
    },
    async run(ctx) {
      const c = await ctx.client(1);
      const sent = await ctx.par(c, await auth(ctx));
      return expectRefused(`PAR with ${what}`, sent, {
        errors: INVALID_CLIENT,
        ...(o.tls ? { tls: true } : {}),
      });
    },
  });
}

const assertion =
  (t: AssertionTweak | ((ctx: CheckContext) => AssertionTweak | Promise<AssertionTweak>)) =>
  async (ctx: CheckContext): Promise<AsOptions> => ({ auth: typeof t === 'function' ? await t(ctx) : t });

const AUD = `${SP} §5.3.2.1-8`;

export const ca01 = parRefused(
  'CA-01',
  'client_secret authentication is refused',
  `${SP} §5.3.2.1-6`,
  'client_id and client_secret (client_secret_post) instead of the registered method',
  async (ctx) => {
    const c = await ctx.client(1);
    return {
      auth: { params: { client_id: c.clientId, client_secret: 'fapi-conform-not-a-secret' } },
      cert: false,
    };
  },
  { authMethods: CLIENT_AUTH_METHODS },
);

export const ca02TokenUrl = parRefused(
  'CA-02.token-url',
  'client assertion aud = the token endpoint URL is refused',
  AUD,
  'client_assertion aud = the token endpoint URL',
  assertion((ctx) => ({ audience: endpoint(ctx.metadata, 'token_endpoint', { mtls: false }) })),
);
export const ca02ParUrl = parRefused(
  'CA-02.par-url',
  'client assertion aud = the PAR endpoint URL is refused',
  AUD,
  'client_assertion aud = the PAR endpoint URL',
  assertion((ctx) => ({
    audience: endpoint(ctx.metadata, 'pushed_authorization_request_endpoint', { mtls: false }),
  })),
);
export const ca02Array = parRefused(
  'CA-02.array',
  'client assertion aud = [issuer, another] is refused',
  AUD,
  'client_assertion aud = [issuer, "https://as.fapi-conform.example"]',
  assertion((ctx) => ({ audience: [ctx.issuer, 'https://as.fapi-conform.example'] })),
);
export const ca02IssuerArray = parRefused(
  'CA-02.issuer-array',
  'client assertion aud = [issuer] (an array) is refused',
  AUD,
  'client_assertion aud = [issuer]',
  assertion((ctx) => ({ audience: [ctx.issuer] })),
);
export const ca02Other = parRefused(
  'CA-02.other-server',
  'client assertion aud = another server is refused',
  AUD,
  'client_assertion aud = "https://as.fapi-conform.example"',
  assertion({ audience: 'https://as.fapi-conform.example' }),
);

export const ca02TokenRequest = defineCheck({
  id: 'CA-02.token-request',
  title: 'at the token endpoint too, an assertion aud = the token endpoint URL is refused',
  spec: AUD,
  level: 'MUST',
  group: 'client-auth',
  needs: { auth: PKJWT, logins: 1, after: ['PAR-01', 'PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    const sent = await ctx.redeem(c, l, {
      auth: { audience: endpoint(ctx.metadata, 'token_endpoint', { mtls: false }) },
    });
    return expectRefused('token request with client_assertion aud = the token endpoint URL', sent, {
      errors: INVALID_CLIENT,
    });
  },
});

export const ca03NoSub = parRefused(
  'CA-03.no-sub',
  'a client assertion without sub is refused',
  'OIDC Core §9; RFC 7523 §3',
  'a client_assertion without sub',
  assertion({ claims: { sub: undefined } }),
);
export const ca03OtherSub = parRefused(
  'CA-03.other-sub',
  'a client assertion whose sub is not the client_id is refused',
  'OIDC Core §9; RFC 7523 §3',
  'a client_assertion with sub ≠ iss = client_id',
  assertion({ claims: { sub: 'fapi-conform-someone-else' } }),
);
export const ca04 = parRefused(
  'CA-04',
  'an expired client assertion (exp 5 minutes ago) is refused',
  'RFC 7523 §3; OIDC Core §9',
  'a client_assertion that expired 300 s ago',
  assertion({ iatOffset: -360, lifetime: 60 }),
);

export const ca06 = defineCheck({
  id: 'CA-06',
  title: 'a client assertion is accepted once only (jti)',
  spec: 'RFC 7523 §3; OIDC Core §9',
  level: 'MUST',
  group: 'client-auth',
  needs: { auth: PKJWT, after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const url = ctx.url('pushed_authorization_request_endpoint', c);
    const fixed = ctx.assertionParams(c, url).client_assertion as string;
    const first = await ctx.par(c, { auth: { fixed } });
    if (first.retried)
      throw new Skip('the server demanded a DPoP nonce on the first use, so the test is not clean');
    if (first.response?.status !== 201)
      throw new Skip(`the first use of the assertion was refused (${describe(first)})`);
    const again = await ctx.par(c, { auth: { fixed } });
    return expectRefused('PAR with the same client_assertion again', again, { errors: INVALID_CLIENT });
  },
});

export const ca07 = defineCheck({
  id: 'CA-07',
  title: 'a client assertion signed with RS256 is refused',
  spec: `${SP} §5.4.1-1`,
  level: 'MUST',
  group: 'client-auth',
  needs: { auth: PKJWT, clients: 2, after: ['PAR-01'] },
  async run(ctx) {
    // As client 2, whose registered key is RSA: only the algorithm is wrong.
    const c2 = await ctx.client(2);
    if (c2.signingKey.alg !== 'PS256') throw new Skip('the second client has no RSA key');
    const sent = await ctx.par(c2, { auth: { tamper: (jwt) => resignRs256(jwt, c2.signingKey.privateKey) } });
    return expectRefused(
      "PAR with a client_assertion signed with RS256 by the client's registered RSA key",
      sent,
      {
        errors: INVALID_CLIENT,
      },
    );
  },
});

export const ca07None = parRefused(
  'CA-07.none',
  'an unsigned client assertion (alg none) is refused',
  `${SP} §5.4.1-1.3`,
  'an unsigned client_assertion (alg none)',
  assertion({ tamper: unsigned }),
);

export const ca08 = parRefused(
  'CA-08',
  "a client assertion signed with another client's key is refused",
  `${SP} §5.4.3; RFC 7523 §3`,
  "client 1's client_assertion signed with client 2's key",
  async (ctx) => ({ auth: { key: (await ctx.client(2)).signingKey } }),
  { clients: 2 },
);

export const ca09Future8 = defineCheck({
  id: 'CA-09.nbf-8s',
  title: 'a client assertion with iat and nbf 8 s in the future is accepted',
  spec: `${SP} §5.3.2.1-13`,
  level: 'MUST',
  group: 'client-auth',
  needs: { auth: PKJWT, after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.par(c, { auth: { iatOffset: 8, claims: { nbf: ctx.now() + 8 } } });
    return expectSuccess('PAR with client_assertion iat = nbf = now + 8 s', sent, [201]);
  },
});
export const ca09Future70 = parRefused(
  'CA-09.nbf-70s',
  'a client assertion with iat and nbf 70 s in the future is refused',
  `${SP} §5.3.2.1-13`,
  'client_assertion iat = nbf = now + 70 s, exp = now + 130 s',
  (ctx) => ({ auth: { iatOffset: 70, claims: { nbf: ctx.now() + 70 } } }),
);
export const ca10 = parRefused(
  'CA-10',
  'another client_assertion_type is refused',
  'RFC 7521 §4.2',
  'client_assertion_type urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
  assertion({ type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }),
);

export const ca11 = defineCheck({
  id: 'CA-11',
  title: 'the token endpoint requires client authentication',
  spec: `${SP} §5.3.2.2-4; RFC 6749 §3.2.1`,
  level: 'MUST',
  group: 'client-auth',
  needs: { logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    const sent = await ctx.redeem(c, l, {
      auth: { params: { client_id: c.clientId } },
      ...(c.auth === 'private_key_jwt' ? {} : { cert: false as const }),
    });
    return expectRefused(
      `token request without ${c.auth === 'private_key_jwt' ? 'client_assertion' : 'the client certificate'}`,
      sent,
      { errors: INVALID_CLIENT, tls: c.auth !== 'private_key_jwt' },
    );
  },
});

export const ca12 = defineCheck({
  id: 'CA-12',
  title: "a client_id parameter that is not the authenticated client's is refused",
  spec: 'RFC 6749 §3.2.1; RFC 7521 §4.2',
  level: 'MUST',
  group: 'client-auth',
  needs: { auth: PKJWT, clients: 2, logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const [c, c2] = [await ctx.client(1), await ctx.client(2)];
    const l = await ctx.login(c);
    const sent = await ctx.redeem(c, l, { auth: { clientId: c2.clientId } });
    return expectRefused("token request with client 2's client_id and client 1's assertion", sent, {
      errors: ['invalid_client', 'invalid_request', 'invalid_grant'],
    });
  },
});

export const ca13 = parRefused(
  'CA-13',
  'a JWT of another type (typ dpop+jwt) is refused as a client assertion',
  'RFC 8725 §3.11; draft-ietf-oauth-rfc7523bis §4',
  'a client_assertion with typ "dpop+jwt"',
  assertion({ header: { typ: 'dpop+jwt' } }),
  { level: 'SHOULD' },
);

// ── mTLS client authentication (RFC 8705 §2) ──

export const mt01 = defineCheck({
  id: 'MT-01',
  title: 'mTLS client authentication needs the client_id parameter',
  spec: 'RFC 8705 §2',
  level: 'MUST',
  group: 'client-auth',
  needs: { auth: TLS_AUTH, after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.par(c, { par: { client_id: undefined }, auth: { params: {} } });
    return expectRefused('PAR over mTLS without client_id', sent, {
      errors: ['invalid_request', 'invalid_client'],
      tls: true,
    });
  },
});

export const mt02 = parRefused(
  'MT-02',
  "another client's certificate is refused",
  'RFC 8705 §2',
  "client 1's client_id over client 2's certificate",
  async (ctx) => ({ cert: await ctx.client(2) }),
  { authMethods: TLS_AUTH, clients: 2, tls: true },
);

export const mt03 = defineCheck({
  id: 'MT-03',
  title: 'tls_client_auth: a certificate from the trusted CA with another subject is refused',
  spec: 'RFC 8705 §2.1, §2.1.2',
  level: 'MUST',
  group: 'client-auth',
  needs: { auth: ['tls_client_auth'], after: ['PAR-01'] },
  async run(ctx) {
    const ca = ctx.env.provisioning.clientCa;
    if (!ca) throw new Skip('needs --client-ca-cert and --client-ca-key');
    const c = await ctx.client(1);
    const key = await generateSigningKey('ES256');
    const cert = await createCertificate({
      key,
      subject: 'CN=fapi-conform-impostor,O=fapi conform',
      profile: 'client',
      days: 1,
      issuer: ca,
    });
    const impostor = { ...c, http: ctx.env.http({ cert: cert.pem, key: privateKeyPem(key.privateKey) }) };
    const sent = await ctx.par(c, { cert: impostor });
    return expectRefused(
      `PAR as ${c.clientId} over a CA-issued certificate for CN=fapi-conform-impostor`,
      sent,
      {
        errors: INVALID_CLIENT,
        tls: true,
      },
    );
  },
});

export const mt04 = defineCheck({
  id: 'MT-04',
  title: 'self_signed_tls_client_auth: a certificate that is not registered is refused',
  spec: 'RFC 8705 §2.2',
  level: 'MUST',
  group: 'client-auth',
  needs: { auth: ['self_signed_tls_client_auth'], after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const key = await generateSigningKey('ES256');
    const cert = await createCertificate({
      key,
      subject: c.certificate?.subject ?? 'CN=fapi-conform',
      profile: 'client',
      days: 1,
    });
    const impostor = { ...c, http: ctx.env.http({ cert: cert.pem, key: privateKeyPem(key.privateKey) }) };
    const sent = await ctx.par(c, { cert: impostor });
    return expectRefused('PAR over another self-signed certificate with the same subject', sent, {
      errors: INVALID_CLIENT,
      tls: true,
    });
  },
});

/**
 * A private_key_jwt client of the check's own (RFC 7591), for the server-wide checks that need a
 * JWKS of their making; Skip when the run cannot register one.
 */
export async function ownKeyClient(
  ctx: CheckContext,
  o: Omit<RegisterTestClientOptions, 'name'>,
): Promise<TestClient> {
  const p = ctx.env.provisioning;
  if (!ctx.metadata.registration_endpoint || p.provided)
    throw new Skip(
      "needs a client registered with a JWKS of the run's making: dynamic registration (RFC 7591)",
    );
  if (!ctx.metadata.token_endpoint_auth_methods_supported?.includes('private_key_jwt'))
    throw new Skip('the server does not offer private_key_jwt');
  const sender = ctx.env.defaultVariant?.sender ?? 'dpop';
  return registerTestClient(p, { auth: 'private_key_jwt', sender }, { name: `${ctx.check.id} client`, ...o });
}

/** The FAPI algorithms the server accepts for client assertions, in FAPI2-SP §5.4.1-1's order. */
export function assertionAlgs(ctx: CheckContext): string[] {
  const offered = ctx.metadata.token_endpoint_auth_signing_alg_values_supported;
  return ['ES256', 'PS256', 'EdDSA'].filter((a) => !Array.isArray(offered) || offered.includes(a));
}

/** A key of another type than ES256 (PS256: RSA, EdDSA: OKP) under this kid. */
export async function otherTypeKey(ctx: CheckContext, kid: string): Promise<SigningKey & { publicJwk: Jwk }> {
  const alg = assertionAlgs(ctx).find((a) => a !== 'ES256');
  if (!alg)
    throw new Skip(
      'the server accepts only ES256 client assertions: two keys of one kid would not differ in kty, crv or alg',
    );
  const k = alg === 'PS256' ? await ctx.env.keys.rsaKey() : await generateSigningKey('EdDSA');
  return {
    privateKey: k.privateKey,
    alg: k.alg,
    kid,
    publicJwk: { ...k.publicJwk, kid, alg: k.alg, use: 'sig' },
  };
}

export const cr08 = defineCheck({
  id: 'CR-08',
  title:
    'two client keys under one kid: assertions signed with either verify (the key chosen by kty and alg)',
  spec: `${SP} §5.4.3; RFC 7517 §4.5`,
  level: 'MUST',
  group: 'client-auth',
  needs: { scope: 'server', dcr: true },
  async run(ctx) {
    const kid = uniqueName('cr08');
    const ec = await generateSigningKey('ES256', { kid });
    const other = await otherTypeKey(ctx, kid);
    const keys = `an ES256 key and a ${other.alg} key, both kid "${kid}"`;
    let c: TestClient;
    try {
      // No token_endpoint_auth_signing_alg: it would narrow the algorithms to one (REG-12.alg).
      c = await ownKeyClient(ctx, {
        key: ec,
        extraKeys: [other.publicJwk],
        overrides: { token_endpoint_auth_signing_alg: undefined },
      });
    } catch (e) {
      // RFC 7591 §3.2.2 lets a server refuse metadata it does not like; it then never has to choose
      // among keys of one kid, but clients that rotate keys that way (RFC 7517 §4.5) cannot register.
      if (isFapiError(e) && e.oauth?.status === 400)
        return warning(
          `register a JWKS with ${keys} → ${e.oauth.status} ${e.oauth.error ?? ''}${e.oauth.error_description ? ` (${e.oauth.error_description.slice(0, 70)})` : ''}: refused at registration, which RFC 7591 §3.2.2 allows`,
        );
      throw e;
    }
    const out: string[] = [];
    for (const [what, key] of [
      ['ES256 key', ec],
      [`${other.alg} key`, other],
    ] as const) {
      const sent = await ctx.par(c, { auth: { key } });
      const o = expectSuccess(
        `JWKS with ${keys}; PAR with an assertion signed by the ${what}`,
        sent,
        [201, 200],
      );
      if (o.result !== 'passed')
        return failed(`${o.detail}: the server did not choose the key by kty and alg`);
      out.push(`signed by the ${what} → ${describe(sent)}`);
    }
    return passed(`JWKS with ${keys}; PAR with an assertion ${out.join(', ')}`);
  },
});

export const CLIENT_AUTH_CHECKS: readonly Check[] = [
  ca01,
  ca02TokenUrl,
  ca02ParUrl,
  ca02Array,
  ca02IssuerArray,
  ca02Other,
  ca02TokenRequest,
  ca03NoSub,
  ca03OtherSub,
  ca04,
  ca06,
  ca07,
  ca07None,
  ca08,
  ca09Future8,
  ca09Future70,
  ca10,
  ca11,
  ca12,
  ca13,
  mt01,
  mt02,
  mt03,
  mt04,
  cr08,
];
