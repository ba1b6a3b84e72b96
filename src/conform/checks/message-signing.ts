/**
 * FAPI 2.0 Message Signing at the authorization server, when the server advertises it: signed
 * request objects at PAR (JAR, RFC 9101; FAPI2-MS §5.3.1; MS-01..06, the OIDF suite's
 * ensure-request-object-* and ensure-signed-request-object-with-RS256-fails modules) and signed
 * introspection responses (RFC 9701; FAPI2-MS §5.5.1; MS-10). The request objects are made by
 * src/core/request-object.ts (the client's one implementation) and altered for each negative
 * check; the signed introspection response is verified by src/core/introspection-jwt.ts.
 *
 * The checks act as a client registered for request objects (require_signed_request_object), so
 * MS-01 can be seen even where the server does not require them of every client.
 */
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import {
  INTROSPECTION_JWT_MEDIA_TYPE,
  processSignedIntrospectionResponse,
} from '../../core/introspection-jwt.js';
import { jwksLoader } from '../../core/issuer-jws.js';
import { isStringArray } from '../../core/discovery.js';
import { isFapiError } from '../../errors.js';
import { generateSigningKey } from '../../keys/generate.js';
import type { CheckContext, RequestObjectTweak } from '../context.js';
import { describe, expectRefused, expectSuccess } from '../expect.js';
import type { TestClient } from '../parties.js';
import { failed, passed, Skip, type Check, type Outcome } from '../types.js';
import { defineCheck } from './define.js';

/** What a refused request object gets (RFC 9101 §6.3); the OIDF suite also accepts invalid_request. */
const INVALID_RO = ['invalid_request_object', 'invalid_request'] as const;
const MS = 'FAPI2-MS';

/** Skips unless the server advertises request objects (RFC 9101 §10.5; OIDC Discovery §3). */
function offersRequestObjects(ctx: CheckContext): void {
  const m = ctx.metadata;
  const algs = m.request_object_signing_alg_values_supported;
  if (
    !(isStringArray(algs) && algs.length > 0) &&
    m.request_parameter_supported !== true &&
    m.require_signed_request_object !== true
  )
    throw new Skip(
      'the server does not offer signed request objects (no request_object_signing_alg_values_supported): FAPI 2.0 Message Signing only',
    );
}

/** The pass's client registered for request objects (one per variant), or client 1 given as a profile. */
const jarClients = new WeakMap<object, Promise<TestClient>>();
function jarClient(ctx: CheckContext): Promise<TestClient> {
  offersRequestObjects(ctx);
  let p = jarClients.get(ctx.pass);
  if (!p) {
    p = ctx.env.provisioning.provided ? ctx.client(1) : ctx.ownClient({ name: 'JAR client', jar: true });
    jarClients.set(ctx.pass, p);
  }
  return p;
}

/** A PAR with a request object altered by `t`, as the pass's JAR client. */
async function parWith(ctx: CheckContext, t: RequestObjectTweak) {
  const c = await jarClient(ctx);
  return ctx.par(c, { dpopJkt: c.sender === 'dpop', requestObject: t });
}

/** A request object re-signed with another header (alg RS256 with an RSA key, or alg none). */
function resign(jws: string, alg: 'RS256' | 'none'): string {
  const [h, p] = jws.split('.') as [string, string];
  const header = { ...(JSON.parse(Buffer.from(h, 'base64url').toString()) as object), alg };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}`;
  if (alg === 'none') return `${input}.`;
  const key = createPrivateKey(rsaPem());
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

let rsa: string | undefined;
const rsaPem = () =>
  (rsa ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string);

/** A signature of the right size that does not verify: its first byte flipped. */
function flipSignature(jws: string): string {
  const dot = jws.lastIndexOf('.');
  const sig = Buffer.from(jws.slice(dot + 1), 'base64url');
  sig[0] = (sig[0] ?? 0) ^ 0xff;
  return `${jws.slice(0, dot + 1)}${sig.toString('base64url')}`;
}

const PAR = { after: ['PAR-01'] } as const;

/** One negative request-object check: the altered request object must be refused. */
function refusal(
  id: string,
  title: string,
  spec: string,
  what: string,
  t: (ctx: CheckContext) => Promise<RequestObjectTweak> | RequestObjectTweak,
): Check {
  return defineCheck({
    id,
    title,
    spec,
    level: 'MUST',
    group: 'par',
    needs: PAR,
    async run(ctx) {
      return expectRefused(what, await parWith(ctx, await t(ctx)), { errors: INVALID_RO, status: [400] });
    },
  });
}

/** One positive request-object check: the request object must be accepted (201). */
function accepted(
  id: string,
  title: string,
  spec: string,
  what: string,
  t: (ctx: CheckContext) => RequestObjectTweak,
): Check {
  return defineCheck({
    id,
    title,
    spec,
    level: 'MUST',
    group: 'par',
    needs: PAR,
    async run(ctx) {
      return expectSuccess(what, await parWith(ctx, t(ctx)), [201]);
    },
  });
}

export const ms01 = defineCheck({
  id: 'MS-01',
  title: 'signed request objects are required at PAR: a plain pushed request is refused',
  spec: `${MS} §5.3.1-1; RFC 9101 §10.1, §10.5`,
  level: 'MUST',
  group: 'par',
  needs: PAR,
  async run(ctx): Promise<Outcome> {
    const required = ctx.metadata.require_signed_request_object === true;
    const c = required ? await ctx.client(1) : await jarClient(ctx);
    if (!ctx.requiresRequestObject(c))
      throw new Skip(
        'the server neither requires request objects (require_signed_request_object) nor kept that metadata for a client that asked',
      );
    const sent = await ctx.par(c, { dpopJkt: c.sender === 'dpop', requestObject: false });
    return expectRefused(
      `plain PAR parameters ${required ? '(the metadata requires request objects)' : 'from a client registered with require_signed_request_object'}`,
      sent,
      { errors: ['invalid_request', 'invalid_request_object'], status: [400] },
    );
  },
});

export const ms05 = accepted(
  'MS-05',
  'a request object signed by the client with a FAPI algorithm is accepted',
  `${MS} §5.3.1; RFC 9101 §4, §6.2`,
  'PAR with a request object (typ oauth-authz-req+jwt, iss, aud the issuer, client_id, nbf, exp 5 min, jti)',
  () => ({}),
);

export const ms05Rs256 = refusal(
  'MS-05.rs256',
  'a request object signed with RS256 is refused',
  `${MS} §5.3.1; FAPI2-SP §5.4.1-1`,
  'PAR with a request object signed RS256',
  () => ({ tamper: (j) => resign(j, 'RS256') }),
);

export const ms05None = refusal(
  'MS-05.none',
  'an unsigned request object (alg none) is refused',
  `${MS} §5.3.1; FAPI2-SP §5.4.1-1`,
  'PAR with an unsigned request object (alg none)',
  () => ({ tamper: (j) => resign(j, 'none') }),
);

export const ms05Signature = refusal(
  'MS-05.signature',
  'a request object whose signature does not verify is refused',
  'RFC 9101 §6.2',
  'PAR with a request object whose signature does not verify',
  () => ({ tamper: flipSignature }),
);

export const ms05OtherKey = refusal(
  'MS-05.other-key',
  "a request object signed by a key the client did not register is refused (even with the client's kid)",
  'RFC 9101 §6.2',
  "PAR with a request object signed by another key under the client's kid",
  async (ctx) => {
    const c = await jarClient(ctx);
    const k = await generateSigningKey('ES256');
    return { key: { privateKey: k.privateKey, alg: 'ES256', kid: c.signingKey.kid ?? k.kid } };
  },
);

export const ms02 = refusal(
  'MS-02',
  'a request object whose aud is another server is refused',
  `${MS} §5.3.1-2`,
  'PAR with a request object aud = https://other-server.example',
  () => ({ claims: { aud: 'https://other-server.example' } }),
);

export const ms02Array = accepted(
  'MS-02.array',
  'a request object whose aud is an array containing the issuer is accepted',
  `${MS} §5.3.1-2`,
  'PAR with a request object aud = [issuer, another]',
  (ctx) => ({ claims: { aud: [ctx.issuer, 'https://other-server.example'] } }),
);

export const ms03 = refusal(
  'MS-03',
  'a request object without nbf is refused',
  `${MS} §5.3.1-3`,
  'PAR with a request object without nbf',
  () => ({ claims: { nbf: undefined } }),
);

export const ms03Old = refusal(
  'MS-03.over-60',
  'a request object whose nbf is 70 minutes old is refused',
  `${MS} §5.3.1-3`,
  'PAR with a request object nbf 70 min ago (exp in 5 min)',
  (ctx) => ({ iatOffset: -4200, claims: { exp: Math.floor(ctx.now()) + 300 } }),
);

export const ms03Future = accepted(
  'MS-03.future',
  'a request object whose nbf is 8 s in the future is accepted (clock skew)',
  `${MS} §5.3.1-3; FAPI2-SP §5.3.2.1-13`,
  'PAR with a request object nbf and iat 8 s ahead',
  () => ({ iatOffset: 8 }),
);

export const ms04 = refusal(
  'MS-04',
  'a request object without exp is refused',
  `${MS} §5.3.1-4`,
  'PAR with a request object without exp',
  () => ({ claims: { exp: undefined } }),
);

export const ms04Over60 = refusal(
  'MS-04.over-60',
  'a request object whose exp is 70 minutes after its nbf is refused',
  `${MS} §5.3.1-4`,
  'PAR with a request object exp = nbf + 70 min',
  (ctx) => ({ claims: { exp: Math.floor(ctx.now()) + 4200 } }),
);

export const ms04Expired = refusal(
  'MS-04.expired',
  'an expired request object is refused',
  `${MS} §5.3.1-4`,
  'PAR with a request object that expired 5 min ago',
  () => ({ iatOffset: -600 }),
);

export const ms06 = refusal(
  'MS-06',
  'a request object containing request_uri is refused',
  'RFC 9126 §2.1; RFC 9101 §6.3',
  'PAR with request_uri inside the request object',
  () => ({ claims: { request_uri: 'urn:ietf:params:oauth:request_uri:fapi-conform' } }),
);

export const ms10 = defineCheck({
  id: 'MS-10',
  title:
    'introspection answers a signed token-introspection+jwt when asked (typ, iss, aud, iat, token_introspection)',
  spec: `${MS} §5.5.1; RFC 9701 §4, §5`,
  level: 'MUST',
  group: 'introspection',
  needs: { endpoints: ['introspection_endpoint'], logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    if (!isStringArray(ctx.metadata.introspection_signing_alg_values_supported))
      throw new Skip(
        'the server does not offer signed introspection (no introspection_signing_alg_values_supported)',
      );
    const c = await ctx.client(1);
    const t = await ctx.tokens(c);
    const sent = await ctx.as(
      c,
      'introspection_endpoint',
      { token: t.set.access_token },
      { dpop: false, headers: { accept: INTROSPECTION_JWT_MEDIA_TYPE } },
    );
    if (!sent.response || sent.response.status !== 200)
      return failed(
        `introspection with Accept: ${INTROSPECTION_JWT_MEDIA_TYPE} → ${describe(sent)}, expected 200`,
      );
    try {
      const v = await processSignedIntrospectionResponse(
        { step: 'introspection', url: sent.url, attempts: [], response: sent.response },
        { issuer: ctx.issuer, clientId: c.clientId, now: ctx.now(), jwks: jwksLoader(c.core) },
      );
      if (v.introspection.active !== true)
        return failed('a signed response, but the fresh access token is not active in it');
      return passed(
        `a token-introspection+jwt signed ${v.alg}: typ, iss, aud, iat, token_introspection.active verified`,
      );
    } catch (e) {
      return failed(isFapiError(e) ? e.message : String(e));
    }
  },
});

export const MESSAGE_SIGNING_CHECKS: readonly Check[] = [
  ms01,
  ms05,
  ms05Rs256,
  ms05None,
  ms05Signature,
  ms05OtherKey,
  ms06,
  ms02,
  ms02Array,
  ms03,
  ms03Old,
  ms03Future,
  ms04,
  ms04Over60,
  ms04Expired,
  ms10,
];
