/**
 * Pushed authorization requests (RFC 9126; PAR-01..16): the baseline PAR (PAR-01) and login
 * (PAR-16) the other checks build on, then each rule of the pushed request: client
 * authentication, lifetime and binding of the request_uri, PKCE S256, redirect_uri, response type,
 * and the DPoP binding of the code.
 */
import { jwkThumbprint } from '../../core/jwk.js';
import { authorizationUrl } from '../../core/par.js';
import { generateSigningKey } from '../../keys/generate.js';
import type { AuthorizationEnd } from '../follow.js';
import type { CheckContext, Login } from '../context.js';
import { describe, expectRefused, expectSuccess } from '../expect.js';
import { failed, passed, Skip, type Check, type Outcome } from '../types.js';
import { defineCheck, INVALID_CLIENT, SP } from './define.js';

/** The outcome of an authorization the server must refuse: anything but a code. */
export function noCode(what: string, end: AuthorizationEnd, allowErrors?: readonly string[]): Outcome {
  if (end.kind === 'redirect') {
    if (end.params.get('code'))
      return failed(`${what} → a code was issued (HTTP ${end.status} to the redirect URI)`);
    const error = end.params.get('error');
    if (allowErrors && error && !allowErrors.includes(error))
      return failed(`${what} → redirected with error=${error}, expected ${allowErrors.join(' or ')}`);
    return passed(`${what} → redirected to the client with error=${error ?? '(none)'}`);
  }
  if (end.location) return passed(`${what} → ${end.status}, redirected to ${end.location} (not the client)`);
  return passed(
    `${what} → ${end.status === 0 ? 'no answer' : `HTTP ${end.status} page`}${end.snippet ? ` (${end.snippet.slice(0, 80)})` : ''}, no code`,
  );
}

/** Fresh DPoP key of the check's own (ES256). */
export async function otherDpopKey() {
  const k = await generateSigningKey('ES256');
  return { privateKey: k.privateKey, publicJwk: k.publicJwk, alg: k.alg };
}

export const par01 = defineCheck({
  id: 'PAR-01',
  title: 'an authenticated pushed authorization request gets 201 with request_uri and expires_in',
  spec: `${SP} §5.3.2.2-2; RFC 9126 §2.2`,
  level: 'MUST',
  group: 'par',
  needs: {},
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.par(c, { dpopJkt: c.sender === 'dpop' });
    const res = sent.response;
    if (res?.status !== 201) return failed(`PAR (baseline) → ${describe(sent)}, expected 201`);
    if (!(res.header('content-type') ?? '').toLowerCase().includes('application/json'))
      return failed(
        `PAR → 201 with content-type ${res.header('content-type') ?? '(none)'}, expected application/json`,
      );
    let body: Record<string, unknown>;
    try {
      body = res.json() as Record<string, unknown>;
    } catch {
      return failed('PAR → 201 with a body that is not JSON');
    }
    if (typeof body.request_uri !== 'string' || !body.request_uri)
      return failed('PAR → 201 without a request_uri string');
    if (typeof body.expires_in !== 'number')
      return failed(`PAR → 201 with expires_in ${JSON.stringify(body.expires_in)}, expected a number`);
    return passed(`PAR (baseline B1) → 201, request_uri, expires_in ${body.expires_in}`);
  },
});

export const par02 = defineCheck({
  id: 'PAR-02',
  title: 'a pushed request without client authentication is refused',
  spec: `${SP} §5.3.2.2-4; RFC 9126 §2.1`,
  level: 'MUST',
  group: 'par',
  needs: { after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.par(c, { auth: { params: { client_id: c.clientId } }, cert: false });
    return expectRefused(
      `PAR with client_id only (no ${c.auth === 'private_key_jwt' ? 'client_assertion' : 'client certificate'})`,
      sent,
      { errors: INVALID_CLIENT, tls: c.auth !== 'private_key_jwt' },
    );
  },
});

export const par03 = defineCheck({
  id: 'PAR-03',
  title: 'request_uri lives less than 600 s (0 < expires_in < 600)',
  spec: `${SP} §5.3.2.2-12`,
  level: 'MUST',
  group: 'par',
  needs: { after: ['PAR-01'] },
  async run(ctx) {
    const p = await ctx.push(await ctx.client(1));
    const e = p.expiresIn;
    if (typeof e !== 'number' || !(e > 0 && e < 600))
      return failed(`PAR → expires_in ${JSON.stringify(e)}, expected 0 < expires_in < 600`);
    return passed(`PAR → expires_in ${e}`);
  },
});

export const par04 = defineCheck({
  id: 'PAR-04',
  title: 'a request_uri is bound to its client: another client_id cannot use it',
  spec: 'RFC 9126 §2.2, §4',
  level: 'MUST',
  group: 'par',
  needs: { clients: 2, logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const [c, c2] = [await ctx.client(1), await ctx.client(2)];
    const p = await ctx.push(c);
    const url = authorizationUrl(ctx.metadata, c2.clientId, p.requestUri);
    return noCode(
      "client 1's request_uri with client 2's client_id",
      await ctx.probe(url, p.session.redirect_uri),
    );
  },
});

export const par05 = defineCheck({
  id: 'PAR-05',
  title: 'an expired request_uri is refused',
  spec: 'RFC 9126 §4',
  level: 'MUST',
  group: 'par',
  needs: { slow: true, logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const p = await ctx.push(c);
    const e = typeof p.expiresIn === 'number' && p.expiresIn > 0 ? Math.min(p.expiresIn, 600) : 60;
    await ctx.wait(e + 1);
    const url = authorizationUrl(ctx.metadata, c.clientId, p.requestUri);
    return noCode(
      `the request_uri ${e + 1} s later (expires_in ${e})`,
      await ctx.probe(url, p.session.redirect_uri),
    );
  },
});

export const par06 = defineCheck({
  id: 'PAR-06',
  title: 'a request_uri is one-time use',
  spec: `RFC 9126 §4, §7.3; ${SP} §6.4`,
  level: 'SHOULD',
  group: 'par',
  needs: { logins: 2, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    ctx.codeOf(l);
    return noCode(
      'the same request_uri after a completed authorization',
      await ctx.probe(l.url, l.session.redirect_uri),
    );
  },
});

export const par07 = defineCheck({
  id: 'PAR-07',
  title: 'a request_uri loaded before the login completes still works (one-time use at authorization)',
  spec: `${SP} §5.3.2.2 Note 3`,
  level: 'SHOULD',
  group: 'par',
  needs: { logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const p = await ctx.push(c);
    const url = authorizationUrl(ctx.metadata, c.clientId, p.requestUri);
    const { followAuthorization } = await import('../follow.js');
    const first = await followAuthorization(ctx.plain, url, p.session.redirect_uri, {
      origins: ctx.env.origins,
      firstOnly: true,
    });
    if (first.kind === 'redirect')
      throw new Skip(
        'the server completed the authorization on the first page load (no login step to come before it)',
      );
    const end = await ctx.authorize(url, p.session.redirect_uri);
    if (end.kind === 'redirect' && end.params.get('code'))
      return passed(`first load → ${first.status}; loaded again and logged in → code`);
    return failed(
      `first load → ${first.status}; the second load ended without a code (${end.kind === 'redirect' ? `error=${end.params.get('error')}` : `HTTP ${end.status}`})`,
    );
  },
});

function parRefusal(
  id: string,
  title: string,
  spec: string,
  what: string,
  par: (ctx: CheckContext) => Record<string, string | undefined>,
  errors: readonly string[],
): Check {
  return defineCheck({
    id,
    title,
    spec,
    level: 'MUST',
    group: 'par',
    needs: { after: ['PAR-01'] },
    async run(ctx) {
      const sent = await ctx.par(await ctx.client(1), { par: par(ctx) });
      return expectRefused(`PAR with ${what}`, sent, { errors, status: [400] });
    },
  });
}

export const par08 = parRefusal(
  'PAR-08',
  'a pushed request carrying request_uri is refused',
  'RFC 9126 §2.1',
  'request_uri=urn:ietf:params:oauth:request_uri:fapi-conform in the body',
  () => ({ request_uri: 'urn:ietf:params:oauth:request_uri:fapi-conform' }),
  ['invalid_request', 'invalid_request_object', 'request_uri_not_supported'],
);

export const par09 = defineCheck({
  id: 'PAR-09',
  title: 'the PAR endpoint accepts POST only',
  spec: 'RFC 9126 §2.1',
  level: 'MUST',
  group: 'par',
  needs: { after: ['PAR-01'] },
  async run(ctx) {
    const sent = await ctx.par(await ctx.client(1), { method: 'GET' });
    const s = sent.response?.status;
    if (s !== undefined && s >= 400) return passed(`GET on the PAR endpoint → ${describe(sent)}`);
    return failed(`GET on the PAR endpoint → ${describe(sent)}, expected 4xx or 5xx`);
  },
});

export const par10 = defineCheck({
  id: 'PAR-10',
  title: 'response types other than code are refused',
  spec: `${SP} §5.3.2.2-1`,
  level: 'MUST',
  group: 'par',
  needs: { after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const out: string[] = [];
    for (const rt of ['token', 'code id_token']) {
      const o = expectRefused(
        `PAR with response_type=${rt}`,
        await ctx.par(c, { par: { response_type: rt } }),
        {
          errors: ['unsupported_response_type', 'invalid_request', 'unauthorized_client'],
          status: [400],
        },
      );
      if (o.result !== 'passed') return o;
      out.push(o.detail);
    }
    return passed(out.join('; '));
  },
});

export const par11 = parRefusal(
  'PAR-11',
  'PKCE is required',
  `${SP} §5.3.2.2-5; RFC 7636 §4.4.1`,
  'no code_challenge',
  () => ({ code_challenge: undefined, code_challenge_method: undefined }),
  ['invalid_request'],
);
export const par11Plain = parRefusal(
  'PAR-11.plain',
  'PKCE method plain is refused',
  `${SP} §5.3.2.2-5`,
  'code_challenge_method=plain',
  () => ({
    code_challenge: 'fapi-conform-plain-pkce-verifier-0123456789abcdefghij',
    code_challenge_method: 'plain',
  }),
  ['invalid_request'],
);
export const par11NoMethod = parRefusal(
  'PAR-11.no-method',
  'a code_challenge without code_challenge_method (which means plain) is refused',
  `${SP} §5.3.2.2-5; RFC 7636 §4.3`,
  'a code_challenge and no code_challenge_method',
  () => ({ code_challenge_method: undefined }),
  ['invalid_request'],
);
export const par12 = parRefusal(
  'PAR-12',
  'redirect_uri is required in the pushed request',
  `${SP} §5.3.2.2-6`,
  'no redirect_uri',
  () => ({ redirect_uri: undefined }),
  ['invalid_request', 'invalid_redirect_uri'],
);
export const par13 = parRefusal(
  'PAR-13',
  'an unregistered redirect_uri is refused',
  `${SP} §5.3.2.2-8; RFC 9700 §4.1.3`,
  'redirect_uri=https://attacker.fapi-conform.example/cb',
  () => ({ redirect_uri: 'https://attacker.fapi-conform.example/cb' }),
  ['invalid_request', 'invalid_redirect_uri', 'invalid_request_object'],
);

export const par13Port = defineCheck({
  id: 'PAR-13.loopback-port',
  title: 'a registered loopback redirect URI is accepted with any port',
  spec: 'RFC 8252 §7.3; FAPI2-SP §5.3.2.2-8',
  level: 'MUST',
  group: 'par',
  needs: { after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const u = new URL(c.redirectUri);
    if (u.hostname !== '127.0.0.1' && u.hostname !== '[::1]')
      throw new Skip('the client has no loopback redirect URI');
    u.port = String(u.port === '49153' ? 49154 : 49153);
    const sent = await ctx.par(c, { par: { redirect_uri: u.href } });
    return expectSuccess(
      `PAR with redirect_uri ${u.href} (registered with port ${new URL(c.redirectUri).port || 'none'})`,
      sent,
      [201],
    );
  },
});

export const par14 = defineCheck({
  id: 'PAR-14',
  title: 'a code pushed with a DPoP proof is bound to its key: another key at the token endpoint is refused',
  spec: `${SP} §5.3.2.1-12; RFC 9449 §10`,
  level: 'MUST',
  group: 'par',
  needs: { sender: 'dpop', logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c, { dpopJkt: false });
    const sent = await ctx.redeem(c, l, { dpop: { key: await otherDpopKey() } });
    return expectRefused('PAR proof by key K (no dpop_jkt), token request proof by key K′', sent, {
      errors: ['invalid_grant', 'invalid_dpop_proof', 'invalid_request'],
    });
  },
});

export const par14Same = defineCheck({
  id: 'PAR-14.same-key',
  title: 'a code pushed with a DPoP proof is redeemed with the same key',
  spec: `${SP} §5.3.2.1-12; RFC 9449 §10`,
  level: 'MUST',
  group: 'par',
  needs: { sender: 'dpop', logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c, { dpopJkt: false });
    return expectSuccess(
      'PAR proof by key K (no dpop_jkt), token request proof by K',
      await ctx.redeem(c, l),
      [200],
    );
  },
});

export const par15 = defineCheck({
  id: 'PAR-15',
  title: 'dpop_jkt that differs from the PAR proof key is refused',
  spec: 'RFC 9449 §10.1',
  level: 'MUST',
  group: 'par',
  needs: { sender: 'dpop', after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const k2 = await otherDpopKey();
    const sent = await ctx.par(c, { par: { dpop_jkt: jwkThumbprint(k2.publicJwk) } });
    return expectRefused('PAR with dpop_jkt of key K2 and a proof by key K1', sent, {
      errors: ['invalid_dpop_proof', 'invalid_request'],
    });
  },
});

export const par16 = defineCheck({
  id: 'PAR-16',
  title: 'the authorization request needs only client_id and request_uri (baseline login)',
  spec: 'RFC 9126 §4; FAPI2-SP §5.3.2.2',
  level: 'MUST',
  group: 'par',
  needs: { logins: 1, after: ['PAR-01'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const l: Login = await ctx.login(c);
    ctx.codeOf(l);
    return passed(
      `authorization with client_id and request_uri only → HTTP ${l.end.kind === 'redirect' && l.end.status ? l.end.status : '—'} to the redirect URI with a code`,
    );
  },
});

export const PAR_CHECKS: readonly Check[] = [
  par01,
  par02,
  par03,
  par04,
  par05,
  par06,
  par07,
  par08,
  par09,
  par10,
  par11,
  par11Plain,
  par11NoMethod,
  par12,
  par13,
  par13Port,
  par14,
  par14Same,
  par15,
  par16,
];
