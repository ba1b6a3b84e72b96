/**
 * Dynamic client registration and management (RFC 7591 / 7592; REG-01..12): FAPI 2.0-valid
 * metadata from src/core/registration.ts, altered one field at a time, must be refused
 * (REG-01..07); a valid registration answers 201 with the management coordinates (REG-08), which
 * then read (REG-09), update (REG-10) and delete (REG-11) the client; the registered flags are
 * honoured (REG-12: dpop_bound_access_tokens, require_pushed_authorization_requests,
 * token_endpoint_auth_signing_alg). A client a broken server registers anyway is deleted at the
 * end of the run like the others.
 */
import { endpoint } from '../../core/discovery.js';
import type { ClientMetadata } from '../../core/registration.js';
import type { HttpRequest } from '../../http/client.js';
import { LoginFailed, type CheckContext } from '../context.js';
import { describe, expectRefused, isSuccess, type Answer } from '../expect.js';
import { testClientMaterial, uniqueName, type TestClient } from '../parties.js';
import { failed, passed, Skip, warning, type Check, type Variant } from '../types.js';
import { assertionAlgs, otherTypeKey, ownKeyClient } from './client-auth.js';
import { defineCheck, INVALID_CLIENT } from './define.js';
import { noCode } from './par.js';

const META = ['invalid_client_metadata'] as const;
const REDIRECT = ['invalid_redirect_uri', 'invalid_client_metadata'] as const;
const needs = { scope: 'server', dcr: true } as const;

function variantOf(ctx: CheckContext, auth?: Variant['auth']): Variant {
  const v = ctx.env.defaultVariant;
  if (!v) throw new Skip('no variant to build client metadata for');
  if (!auth) return v;
  const offered = ctx.metadata.token_endpoint_auth_methods_supported ?? [];
  if (!offered.includes(auth)) throw new Skip(`the server does not offer ${auth}`);
  return { auth, sender: v.sender };
}

async function validMetadata(ctx: CheckContext, auth?: Variant['auth']): Promise<ClientMetadata> {
  const variant = variantOf(ctx, auth);
  try {
    const m = await testClientMaterial(ctx.env.provisioning, variant, { name: `${ctx.check.id} probe` });
    return m.metadata;
  } catch (e) {
    // tls_client_auth metadata without a client CA: a made-up subject is enough to be refused.
    if (e instanceof Skip && auth === 'tls_client_auth')
      return {
        ...(
          await testClientMaterial(
            ctx.env.provisioning,
            { ...variant, auth: 'private_key_jwt' },
            { name: 'probe' },
          )
        ).metadata,
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=fapi-conform-reg07,O=fapi conform',
        jwks: undefined,
      };
    throw e;
  }
}

/** POSTs client metadata to the registration endpoint; a client registered anyway is deleted later. */
async function register(
  ctx: CheckContext,
  md: ClientMetadata,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = endpoint(ctx.metadata, 'registration_endpoint', { mtls: false });
  const token = ctx.env.provisioning.initialAccessToken;
  const req: HttpRequest = {
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(md),
  };
  const a = await ctx.raw(ctx.plain, req);
  if (a.response && (a.response.status === 401 || a.response.status === 403))
    throw new Skip(
      `registration answered ${describe(a)}: it needs an initial access token (--initial-access-token)`,
    );
  if (a.response && a.response.status < 300) {
    try {
      const b = a.response.json() as Record<string, unknown>;
      if (typeof b.client_id === 'string')
        ctx.env.registry.add(
          b.client_id,
          ctx.plain,
          typeof b.registration_client_uri === 'string' ? b.registration_client_uri : undefined,
          typeof b.registration_access_token === 'string' ? b.registration_access_token : undefined,
        );
    } catch {
      // not JSON: nothing to clean up
    }
  }
  return a;
}

function refusals(
  id: string,
  title: string,
  spec: string,
  cases: {
    what: string;
    auth?: Variant['auth'];
    alter: (md: ClientMetadata, ctx: CheckContext) => void | Promise<void>;
    errors?: readonly string[];
  }[],
): Check {
  return defineCheck({
    id,
    title,
    spec,
    level: 'MUST',
    group: 'registration',
    needs,
    async run(ctx) {
      const out: string[] = [];
      for (const c of cases) {
        const md = await validMetadata(ctx, c.auth);
        await c.alter(md, ctx);
        const o = expectRefused(`register with ${c.what}`, await register(ctx, md), {
          errors: c.errors ?? META,
          status: [400],
        });
        if (o.result !== 'passed') return o;
        out.push(o.detail);
      }
      return passed(out.join('; '));
    },
  });
}

export const reg01 = refusals(
  'REG-01',
  'public clients (token_endpoint_auth_method none) are refused',
  'FAPI2-SP §5.3.2.1-3',
  [
    {
      what: 'token_endpoint_auth_method "none"',
      alter: (md) => void (md.token_endpoint_auth_method = 'none'),
    },
  ],
);

export const reg02 = refusals('REG-02', 'client_secret authentication is refused', 'FAPI2-SP §5.3.2.1-6', [
  {
    what: 'token_endpoint_auth_method "client_secret_basic"',
    alter: (md) => void (md.token_endpoint_auth_method = 'client_secret_basic'),
  },
]);

export const reg03 = refusals(
  'REG-03',
  'password and implicit grants, and response types other than code, are refused',
  'FAPI2-SP §5.3.2.1-2, §5.3.2.2-1',
  [
    {
      what: 'grant_types ["password"]',
      alter: (md) => void (md.grant_types = ['authorization_code', 'password']),
    },
    {
      what: 'grant_types ["implicit"]',
      alter: (md) => void (md.grant_types = ['authorization_code', 'implicit']),
    },
    { what: 'response_types ["token"]', alter: (md) => void (md.response_types = ['token']) },
  ],
);

export const reg04 = refusals(
  'REG-04',
  'redirect URIs: https or loopback http only, no fragment',
  'FAPI2-SP §5.3.2.2-8; RFC 8252 §7.3; RFC 6749 §3.1.2',
  [
    {
      what: 'redirect_uris ["http://client.fapi-conform.example/cb"]',
      alter: (md) => void (md.redirect_uris = ['http://client.fapi-conform.example/cb']),
      errors: REDIRECT,
    },
    {
      what: 'redirect_uris ["https://client.fapi-conform.example/cb#x"]',
      alter: (md) => void (md.redirect_uris = ['https://client.fapi-conform.example/cb#x']),
      errors: REDIRECT,
    },
  ],
);

export const reg05 = refusals('REG-05', 'jwks and jwks_uri together are refused', 'RFC 7591 §2', [
  {
    what: 'both jwks and jwks_uri',
    auth: 'private_key_jwt',
    alter: (md) => void (md.jwks_uri = 'https://client.fapi-conform.example/jwks.json'),
  },
]);

export const reg06 = refusals(
  'REG-06',
  'client keys weaker than RSA 2048 / EC 224 bits are refused',
  'FAPI2-SP §5.4.1-2/3',
  [
    {
      what: 'an RSA-1024 key in jwks',
      auth: 'private_key_jwt',
      alter: async (md, ctx) => {
        md.jwks = { keys: [(await ctx.env.keys.weakRsaKey()).publicJwk] };
        md.token_endpoint_auth_signing_alg = 'PS256';
      },
    },
  ],
);

export const reg07 = refusals(
  'REG-07',
  'tls_client_auth needs exactly one subject field',
  'RFC 8705 §2.1.2',
  [
    {
      what: 'tls_client_auth without a subject field',
      auth: 'tls_client_auth',
      alter: (md) => {
        for (const k of Object.keys(md)) if (k.startsWith('tls_client_auth_')) delete md[k];
      },
    },
    {
      what: 'tls_client_auth with two subject fields',
      auth: 'tls_client_auth',
      alter: (md) => void (md.tls_client_auth_san_dns = 'client.fapi-conform.example'),
    },
  ],
);

export const reg08 = defineCheck({
  id: 'REG-08',
  title: 'a valid registration answers 201 with client_id and the RFC 7592 coordinates',
  spec: 'RFC 7591 §3.2.1; RFC 7592 §3',
  level: 'MUST',
  group: 'registration',
  needs,
  async run(ctx) {
    const a = await register(ctx, await validMetadata(ctx));
    const res = a.response;
    if (!res || res.status !== 201)
      return failed(`register valid FAPI metadata → ${describe(a)}, expected 201`);
    const b = res.json() as Record<string, unknown>;
    if (typeof b.client_id !== 'string') return failed('register → 201 without a client_id');
    const missing = ['registration_access_token', 'registration_client_uri'].filter(
      (k) => typeof b[k] !== 'string',
    );
    if (missing.length)
      return warning(
        `register → 201, client_id; no ${missing.join(' or ')}: clients cannot be managed (RFC 7592)`,
      );
    return passed(
      'register valid FAPI metadata → 201 with client_id, registration_access_token, registration_client_uri',
    );
  },
});

export const reg09 = defineCheck({
  id: 'REG-09',
  title: 'the client is read with its registration access token; a wrong one gets 401 and no data',
  spec: 'RFC 7592 §2.1',
  level: 'MUST',
  group: 'registration',
  needs,
  async run(ctx) {
    const c = await ctx.ownClient();
    if (!c.registration) throw new Skip('the server gave no registration_client_uri (RFC 7592)');
    const get = (rat: string) =>
      ctx.raw(ctx.plain, {
        method: 'GET',
        url: c.registration!.uri,
        headers: { authorization: `Bearer ${rat}`, accept: 'application/json' },
      });
    const good = await get(c.registration.rat);
    if (good.response?.status !== 200)
      return failed(`GET the client with its token → ${describe(good)}, expected 200`);
    const bad = await get(`${c.registration.rat.slice(0, -4)}AAAA`);
    if (bad.response?.status !== 401)
      return failed(`GET with a wrong registration access token → ${describe(bad)}, expected 401`);
    if (bad.response.text().includes(c.clientId) && !c.registration.uri.includes(c.clientId))
      return failed('GET with a wrong registration access token → 401, but the body names the client');
    return passed('GET with the token → 200; with a wrong token → 401');
  },
});

export const reg10 = defineCheck({
  id: 'REG-10',
  title: 'an update (PUT) replaces the configuration; invalid metadata is refused',
  spec: 'RFC 7592 §2.2',
  level: 'MUST',
  group: 'registration',
  needs,
  async run(ctx) {
    const c = await ctx.ownClient();
    if (!c.registration) throw new Skip('the server gave no registration_client_uri (RFC 7592)');
    const put = (md: ClientMetadata) =>
      ctx.raw(ctx.plain, {
        method: 'PUT',
        url: c.registration!.uri,
        headers: {
          authorization: `Bearer ${c.registration!.rat}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ ...md, client_id: c.clientId }),
      });
    const base: ClientMetadata = { ...c.registered };
    for (const k of [
      'registration_access_token',
      'registration_client_uri',
      'client_id_issued_at',
      'client_secret_expires_at',
      'client_secret',
    ])
      delete base[k];
    const renamed = await put({ ...base, client_name: 'fapi conform renamed' });
    if (renamed.response?.status !== 200)
      return failed(`PUT with a new client_name → ${describe(renamed)}, expected 200`);
    const name = (renamed.response.json() as Record<string, unknown>).client_name;
    if (name !== 'fapi conform renamed')
      return failed(`PUT with a new client_name → 200, but client_name is ${JSON.stringify(name)}`);
    // The update is validated like a registration: a public client (REG-01) is refused.
    const o = expectRefused(
      'PUT with token_endpoint_auth_method "none"',
      await put({ ...base, token_endpoint_auth_method: 'none' }),
      {
        errors: META,
        status: [400],
      },
    );
    if (o.result !== 'passed') return o;
    return passed(`PUT with a new client_name → 200; ${o.detail}`);
  },
});

export const reg11 = defineCheck({
  id: 'REG-11',
  title: 'a deleted client and its registration access token are dead',
  spec: 'RFC 7592 §2.3',
  level: 'MUST',
  group: 'registration',
  needs,
  async run(ctx) {
    const c = await ctx.ownClient();
    if (!c.registration) throw new Skip('the server gave no registration_client_uri (RFC 7592)');
    const auth = { authorization: `Bearer ${c.registration.rat}`, accept: 'application/json' };
    const del = await ctx.raw(ctx.plain, { method: 'DELETE', url: c.registration.uri, headers: auth });
    if (del.response?.status !== 204) return failed(`DELETE the client → ${describe(del)}, expected 204`);
    ctx.env.registry.forget(c.clientId);
    const get = await ctx.raw(ctx.plain, { method: 'GET', url: c.registration.uri, headers: auth });
    if (get.response?.status !== 401)
      return failed(`DELETE → 204, then GET → ${describe(get)}, expected 401`);
    const par = await ctx.push(c).then(
      () => undefined,
      (e: Error) => e.message,
    );
    if (par === undefined)
      return failed('DELETE → 204, but the deleted client still pushes authorization requests');
    if (!/invalid_client|401/.test(par))
      return failed(`DELETE → 204; a PAR as the deleted client → ${par}, expected 401 invalid_client`);
    return passed(`DELETE → 204; GET → 401; ${par.replace(/^PAR/, 'PAR as the deleted client')}`);
  },
});

/**
 * Client 1, whose registered flags the run knows: it registered it with the FAPI 2.0 template
 * (dpop_bound_access_tokens or tls_client_certificate_bound_access_tokens, and
 * require_pushed_authorization_requests, src/core/registration.ts). A client given as a profile
 * was registered elsewhere, with flags fapi cannot know.
 */
async function flaggedClient(ctx: CheckContext): Promise<TestClient> {
  if (ctx.env.provisioning.provided)
    throw new Skip(
      'the clients were registered outside this run (--client): fapi does not know their registered flags',
    );
  return ctx.client(1);
}

const NO_PROOF = ['invalid_dpop_proof', 'invalid_request', 'invalid_grant', 'invalid_client'] as const;

export const reg12 = defineCheck({
  id: 'REG-12',
  title: 'a client registered with dpop_bound_access_tokens gets no token without a DPoP proof',
  spec: 'RFC 9449 §5.2',
  level: 'MUST',
  group: 'registration',
  needs: { sender: 'dpop', logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await flaggedClient(ctx);
    const flag = 'a client registered with dpop_bound_access_tokens: true';
    const out: string[] = [];
    // A code bound to no key (no proof, no dpop_jkt at PAR), so only the flag can refuse the token.
    let l;
    try {
      l = await ctx.login(c, { dpopJkt: false, parDpop: false });
    } catch (e) {
      if (!(e instanceof LoginFailed) || !/^PAR →/.test(e.message)) throw e;
      out.push(`PAR without DPoP → refused (${e.message.replace(/^PAR → /, '')})`);
    }
    if (l) {
      const what = 'PAR without DPoP, then a token request without a proof';
      const sent = await ctx.redeem(c, l, { dpop: false });
      if (isSuccess(sent))
        return failed(
          `${flag}: ${what} → ${describe(sent)}: a token was issued (RFC 9449 §5.2: MUST reject)`,
        );
      const o = expectRefused(what, sent, { errors: NO_PROOF });
      if (o.result !== 'passed') return { ...o, detail: `${flag}: ${o.detail}` };
      out.push(o.detail);
    }
    if (
      ctx.metadata.grant_types_supported?.includes('client_credentials') &&
      c.grantTypes.includes('client_credentials')
    ) {
      const what = 'client_credentials without a proof';
      const sent = await ctx.as(c, 'token_endpoint', { grant_type: 'client_credentials' }, { dpop: false });
      if (isSuccess(sent))
        return failed(
          `${flag}: ${what} → ${describe(sent)}: a token was issued (RFC 9449 §5.2: MUST reject)`,
        );
      const o = expectRefused(what, sent, { errors: NO_PROOF });
      if (o.result !== 'passed') return { ...o, detail: `${flag}: ${o.detail}` };
      out.push(o.detail);
    }
    return passed(`${flag}: ${out.join('; ')}`);
  },
});

export const reg12Par = defineCheck({
  id: 'REG-12.par',
  title: 'a client registered with require_pushed_authorization_requests gets no code without PAR',
  spec: 'RFC 9126 §6',
  level: 'MUST',
  group: 'registration',
  needs: { logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await flaggedClient(ctx);
    const { form, session } = ctx.session(c);
    const u = new URL(endpoint(ctx.metadata, 'authorization_endpoint', { mtls: false }));
    for (const [k, v] of Object.entries(form)) if (v !== undefined) u.searchParams.set(k, v);
    return noCode(
      'a client registered with require_pushed_authorization_requests: true, a front-channel authorization request (no request_uri)',
      await ctx.probe(u.href, session.redirect_uri),
    );
  },
});

export const reg12Alg = defineCheck({
  id: 'REG-12.alg',
  title: 'a registered token_endpoint_auth_signing_alg is the only algorithm accepted for the client',
  spec: 'OIDC Registration §2; RFC 7591 §2',
  level: 'MUST',
  group: 'registration',
  needs: { scope: 'server', dcr: true },
  async run(ctx) {
    if (!assertionAlgs(ctx).includes('ES256'))
      throw new Skip('the server does not accept ES256 client assertions');
    const kid = uniqueName('reg12');
    const other = await otherTypeKey(ctx, kid);
    // Registered: an ES256 key (token_endpoint_auth_signing_alg ES256) and a key of another type.
    const c = await ownKeyClient(ctx, { extraKeys: [other.publicJwk] });
    const alg = c.signingKey.alg;
    const ok = await ctx.par(c);
    if (ok.response?.status !== 201 && ok.response?.status !== 200)
      return failed(
        `PAR with an assertion signed with the registered ${alg} → ${describe(ok)}, expected 201`,
      );
    return expectRefused(
      `registered token_endpoint_auth_signing_alg ${alg} and a second key (${other.alg}, kid "${kid}"); PAR with an assertion signed with the ${other.alg} key`,
      await ctx.par(c, { auth: { key: other } }),
      { errors: INVALID_CLIENT, why: `the client registered ${alg} as its only algorithm` },
    );
  },
});

export const REGISTRATION_CHECKS: readonly Check[] = [
  reg01,
  reg02,
  reg03,
  reg04,
  reg05,
  reg06,
  reg07,
  reg08,
  reg09,
  reg10,
  reg11,
  reg12,
  reg12Par,
  reg12Alg,
];
