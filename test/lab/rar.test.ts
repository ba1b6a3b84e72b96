/**
 * Rich Authorization Requests (RFC 9396) at the lab's authorization server, row by row of the RFC:
 * §10 metadata and registration, §2/§5 validation at PAR (RAR-01..03) with the bad input of the
 * brief (non-JSON, 1 MB, 1,000 details, deep nesting, unknown fields, bad amounts and currencies:
 * 400 with a clear description, nothing granted, the lab still serving), §3.1 the consent page
 * (RAR-04), §7/§9 the token response, the access token and introspection (RAR-05), §6/§6.1
 * narrowing at the token endpoint (RAR-06), and client credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertion,
  authorize,
  decodeJwt,
  form,
  json,
  newDpopKey,
  par,
  postForm,
  proof,
  redeem,
  registerClient,
  startTestLab,
  type TestClient,
  type TestLab,
} from './helpers.js';
import { PAY_BOB, READ_ACCOUNTS } from './rar-helpers.js';
import { signJws } from '../../src/core/jws.js';
import { codeChallengeS256 } from '../../src/core/pkce.js';

let t: TestLab;
let c: TestClient;

beforeAll(async () => {
  t = await startTestLab();
  c = await registerClient(t);
}, 30_000);
afterAll(async () => t?.close());

const ad = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** PAR with authorization_details; returns the response. */
async function parWith(details: unknown, o: { client?: TestClient; scope?: string } = {}) {
  return par(t, o.client ?? c, {
    params: { authorization_details: ad(details), scope: o.scope ?? 'openid' },
  });
}

/** PAR + authorization + token: the token response body, the flow and the refresh token. */
async function tokensFor(details: unknown, o: { tokenParams?: Record<string, string> } = {}) {
  const { res, flow } = await parWith(details);
  expect(res.status, res.text()).toBe(201);
  const { params } = await authorize(t, c.clientId, json(res).request_uri as string);
  const tok = await redeem(t, c, params.get('code') as string, flow, { params: o.tokenParams ?? {} });
  return { tok, flow };
}

async function refresh(
  rt: string,
  dpop: Awaited<ReturnType<typeof newDpopKey>>,
  extra: Record<string, string> = {},
) {
  const url = `${t.lab.issuer}/token`;
  return postForm(
    t.http,
    url,
    { ...assertion(t, c), grant_type: 'refresh_token', refresh_token: rt, ...extra },
    { dpop: proof(t, dpop, 'POST', url) },
  );
}

function expectRefused(res: { status: number; text(): string }, check: string, description: RegExp) {
  expect(res.status, res.text()).toBe(400);
  const body = JSON.parse(res.text()) as { error: string; error_description: string };
  expect(body.error).toBe('invalid_authorization_details');
  expect(body.error_description).toMatch(description);
  const last = t.lab.ctx.requests.recent(1)[0];
  expect(last?.check).toBe(check);
}

describe('RFC 9396 §10 metadata and registration', () => {
  it('advertises authorization_details_types_supported', async () => {
    const m = json(await t.http({ method: 'GET', url: `${t.lab.issuer}/.well-known/openid-configuration` }));
    expect(m.authorization_details_types_supported).toEqual(['payment_initiation', 'account_information']);
  });

  it('RAR-07 registers authorization_details_types of supported types; refuses unknown ones', async () => {
    const ok = await registerClient(t, { authorization_details_types: ['account_information'] });
    expect(ok.registered.authorization_details_types).toEqual(['account_information']);
    const bad = await t.http({
      method: 'POST',
      url: `${t.lab.issuer}/register`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: ['https://client.example/cb'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [c.key.publicJwk] },
        authorization_details_types: ['crypto_transfer'],
      }),
    });
    expect(bad.status).toBe(400);
    expect(json(bad).error).toBe('invalid_client_metadata');
    expect(json(bad).error_description).toMatch(/crypto_transfer.*not supported/);
  });

  it('RAR-02 a client registered for some types cannot use another', async () => {
    const reader = await registerClient(t, { authorization_details_types: ['account_information'] });
    expect((await parWith([READ_ACCOUNTS], { client: reader })).res.status).toBe(201);
    expectRefused(
      (await parWith([PAY_BOB], { client: reader })).res,
      'RAR-02',
      /not registered for this client/,
    );
  });
});

describe('RFC 9396 §2, §5: validation at PAR (RAR-01, RAR-02, RAR-03)', () => {
  it('RAR-01..03 accept a payment and an account request, store them with the pushed request', async () => {
    const { res } = await parWith([READ_ACCOUNTS, PAY_BOB]);
    expect(res.status, res.text()).toBe(201);
    const pushed = t.lab.ctx.requestUris.get(json(res).request_uri as string);
    expect(pushed?.authorizationDetails).toEqual([READ_ACCOUNTS, PAY_BOB]);
    expect(pushed?.extra).not.toHaveProperty('authorization_details');
  });

  const cases: [string, unknown, string, RegExp][] = [
    ['non-JSON', '[{type:payment_initiation}', 'RAR-01', /is not JSON/],
    ['an object, not an array', PAY_BOB, 'RAR-01', /must be a JSON array of objects.*not an object/],
    ['an empty array', [], 'RAR-01', /must not be an empty array/],
    [
      'an entry that is not an object',
      ['payment_initiation'],
      'RAR-01',
      /\[0\] must be a JSON object, not a string/,
    ],
    ['an entry without type', [{ creditorName: 'x' }], 'RAR-01', /\[0\]\.type is missing/],
    [
      '1,000 details',
      Array.from({ length: 1000 }, () => ({ type: 'x' })),
      'RAR-01',
      /has 1000 entries; this server accepts at most 10/,
    ],
    [
      'deeply nested objects',
      [
        {
          type: 'payment_initiation',
          creditorAccount: JSON.parse('{"a":'.repeat(50) + '1' + '}'.repeat(50)),
        },
      ],
      'RAR-01',
      /nested more than 6 levels/,
    ],
    [
      'an unknown type',
      [{ type: 'crypto_transfer' }],
      'RAR-02',
      /"crypto_transfer" is not supported; this server supports payment_initiation, account_information/,
    ],
    [
      'an unknown field',
      [{ ...PAY_BOB, debtorAccount: { iban: 'DE89370400440532013000' } }],
      'RAR-03',
      /\[0\]\.debtorAccount is not a field of payment_initiation/,
    ],
    [
      'a missing required field',
      [
        {
          type: 'payment_initiation',
          instructedAmount: { currency: 'EUR', amount: '1.00' },
          creditorName: 'Bob',
        },
      ],
      'RAR-03',
      /\[0\]\.creditorAccount is missing \(required for payment_initiation\)/,
    ],
    [
      'a negative amount',
      [{ ...PAY_BOB, instructedAmount: { currency: 'EUR', amount: '-10.00' } }],
      'RAR-03',
      /amount "-10.00" is not a positive decimal amount/,
    ],
    [
      'a non-numeric amount',
      [{ ...PAY_BOB, instructedAmount: { currency: 'EUR', amount: 'ten' } }],
      'RAR-03',
      /amount "ten" is not a positive decimal amount/,
    ],
    [
      'a numeric (not string) amount',
      [{ ...PAY_BOB, instructedAmount: { currency: 'EUR', amount: 10 } }],
      'RAR-03',
      /amount must be a string/,
    ],
    [
      'a zero amount',
      [{ ...PAY_BOB, instructedAmount: { currency: 'EUR', amount: '0.00' } }],
      'RAR-03',
      /is not a positive decimal amount/,
    ],
    [
      'a currency not in ISO 4217',
      [{ ...PAY_BOB, instructedAmount: { currency: 'XYZ', amount: '1.00' } }],
      'RAR-03',
      /currency "XYZ" is not an ISO 4217 currency code/,
    ],
    [
      'a lower-case currency',
      [{ ...PAY_BOB, instructedAmount: { currency: 'eur', amount: '1.00' } }],
      'RAR-03',
      /currency "eur" is not an ISO 4217/,
    ],
    [
      'an IBAN with spaces',
      [{ ...PAY_BOB, creditorAccount: { iban: 'DE02 1001 0010 9307 1186 03' } }],
      'RAR-03',
      /iban .* is not an IBAN/,
    ],
    [
      'a creditor name of 141 characters',
      [{ ...PAY_BOB, creditorName: 'x'.repeat(141) }],
      'RAR-03',
      /creditorName must be the name of the payee, 1 to 140 characters/,
    ],
    [
      'an unknown account action',
      [{ ...READ_ACCOUNTS, actions: ['transfer'] }],
      'RAR-03',
      /actions\[0\] "transfer" is not one of "list_accounts"/,
    ],
  ];
  for (const [what, details, check, description] of cases) {
    it(`${check} refuses ${what}: 400 invalid_authorization_details, nothing stored, the lab still serving`, async () => {
      const before = t.lab.ctx.requestUris.size;
      const { res } = await parWith(details);
      expectRefused(res, check, description);
      expect(t.lab.ctx.requestUris.size).toBe(before);
      expect((await parWith([PAY_BOB])).res.status).toBe(201);
    });
  }

  it('RAR-01 a 1 MB details array → 400 invalid_authorization_details at the default limits (the PAR endpoint reads up to 4 MiB), nothing stored', async () => {
    // 6,000 payments (1.5 MB URL-encoded), and an array of exactly 1,000,000 bytes that
    // URL-encodes to 3 MB (every character of "{}," is percent-encoded), the most such an array takes.
    const payments = JSON.stringify(Array.from({ length: 6_000 }, () => ({ ...PAY_BOB })));
    const worst = `[${'{},'.repeat(333_332)}{}]`;
    expect(payments.length).toBeGreaterThan(1_000_000);
    expect(worst.length).toBe(1_000_000);
    expect(form({ authorization_details: worst }).length).toBeGreaterThan(3_000_000);
    for (const huge of [payments, worst]) {
      const before = t.lab.ctx.requestUris.size;
      const { res } = await parWith(huge);
      expectRefused(res, 'RAR-01', /is \d+ characters long; this server accepts at most 16384/);
      expect(t.lab.ctx.requestUris.size).toBe(before);
    }
    expect((await parWith([PAY_BOB])).res.status).toBe(201);
  });
});

describe('RFC 9396 §3.1, §12: the consent page', () => {
  it('RAR-04 shows each detail in words and escapes what the client sent', async () => {
    const noAuto = await startTestLab({ autoApprove: false });
    try {
      const nc = await registerClient(noAuto);
      const evil = { ...PAY_BOB, creditorName: '<img src=x onerror=alert(1)>"Bob"' };
      const { res } = await par(noAuto, nc, { params: { authorization_details: ad([evil, READ_ACCOUNTS]) } });
      expect(res.status, res.text()).toBe(201);
      const page = await noAuto.http({
        method: 'GET',
        url: `${noAuto.lab.issuer}/authorize?${form({ client_id: nc.clientId, request_uri: json(res).request_uri as string })}`,
      });
      expect(page.status).toBe(200);
      const html = page.text();
      expect(html).toContain(
        'Pay 10.00 EUR to &lt;img src=x onerror=alert(1)&gt;&quot;Bob&quot; (IBAN DE02100100109307118603), reference &quot;Invoice 42&quot;, once',
      );
      expect(html).not.toContain('<img src=x');
      expect(html).toContain(
        'List your accounts, read their balances: only the accounts IBAN DE89370400440532013000, IBAN DE02120300000000202051',
      );
    } finally {
      await noAuto.close();
    }
  });
});

describe('RFC 9396 §7, §9: what carries the granted details', () => {
  it('RAR-05 the token response, the JWT access token and introspection carry them', async () => {
    const { tok } = await tokensFor([PAY_BOB]);
    expect(tok.status, tok.text()).toBe(200);
    const body = json(tok);
    expect(body.authorization_details).toEqual([PAY_BOB]);
    expect(decodeJwt(body.access_token as string).payload.authorization_details).toEqual([PAY_BOB]);
    const intro = json(
      await postForm(t.http, `${t.lab.issuer}/introspect`, {
        ...assertion(t, c),
        token: body.access_token as string,
      }),
    );
    expect(intro.active).toBe(true);
    expect(intro.authorization_details).toEqual([PAY_BOB]);
    const rtIntro = json(
      await postForm(t.http, `${t.lab.issuer}/introspect`, {
        ...assertion(t, c),
        token: body.refresh_token as string,
      }),
    );
    expect(rtIntro.authorization_details).toEqual([PAY_BOB]);
  });

  it('RAR-05 a request without details gets a token without them', async () => {
    const { res, flow } = await par(t, c);
    const { params } = await authorize(t, c.clientId, json(res).request_uri as string);
    const body = json(await redeem(t, c, params.get('code') as string, flow));
    expect(body).not.toHaveProperty('authorization_details');
    expect(decodeJwt(body.access_token as string).payload).not.toHaveProperty('authorization_details');
  });
});

describe('RFC 9396 §6, §6.1: narrow, never widen', () => {
  it('RAR-06 a refresh may narrow the details; the grant keeps all of them', async () => {
    const { tok, flow } = await tokensFor([READ_ACCOUNTS, PAY_BOB]);
    const rt = json(tok).refresh_token as string;
    const narrow = {
      type: 'account_information',
      actions: ['list_accounts'],
      accounts: [{ iban: 'DE89370400440532013000' }],
    };
    const r1 = await refresh(rt, flow.dpop, { authorization_details: ad([narrow]) });
    expect(r1.status, r1.text()).toBe(200);
    expect(json(r1).authorization_details).toEqual([narrow]);
    expect(decodeJwt(json(r1).access_token as string).payload.authorization_details).toEqual([narrow]);
    const r2 = await refresh(rt, flow.dpop);
    expect(json(r2).authorization_details).toEqual([READ_ACCOUNTS, PAY_BOB]);
  });

  const wider: [string, unknown][] = [
    ['a larger amount', [{ ...PAY_BOB, instructedAmount: { currency: 'EUR', amount: '10000.00' } }]],
    ['another creditor', [{ ...PAY_BOB, creditorAccount: { iban: 'GB29NWBK60161331926819' } }]],
    ['the same payment twice', [PAY_BOB, PAY_BOB]],
    ['another account', [{ ...READ_ACCOUNTS, accounts: [{ iban: 'GB29NWBK60161331926819' }] }]],
    [
      'more actions',
      [{ ...READ_ACCOUNTS, actions: ['list_accounts', 'read_balances', 'read_transactions'] }],
    ],
    ['all accounts instead of two', [{ type: 'account_information', actions: ['list_accounts'] }]],
  ];
  for (const [what, details] of wider) {
    it(`RAR-06 a refresh asking for ${what} is refused`, async () => {
      const { tok, flow } = await tokensFor([READ_ACCOUNTS, PAY_BOB]);
      const r = await refresh(json(tok).refresh_token as string, flow.dpop, {
        authorization_details: ad(details),
      });
      expectRefused(r, 'RAR-06', /was not granted: a token request may narrow/);
    });
  }

  it('RAR-06 the code grant may narrow too; a grant without details cannot gain any', async () => {
    const { tok } = await tokensFor([READ_ACCOUNTS, PAY_BOB], {
      tokenParams: { authorization_details: ad([PAY_BOB]) },
    });
    expect(tok.status, tok.text()).toBe(200);
    expect(json(tok).authorization_details).toEqual([PAY_BOB]);
    const { res, flow } = await par(t, c);
    const { params } = await authorize(t, c.clientId, json(res).request_uri as string);
    const none = await redeem(t, c, params.get('code') as string, flow, {
      params: { authorization_details: ad([PAY_BOB]) },
    });
    expectRefused(none, 'RAR-06', /this grant has no authorization details/);
  });
});

describe('RFC 9396 §6: client credentials', () => {
  it('RAR-01..03 apply to a client credentials request; the token carries the details', async () => {
    const machine = await registerClient(t, { grant_types: ['client_credentials'] });
    const dpop = await newDpopKey();
    const url = `${t.lab.issuer}/token`;
    const send = (details: unknown) =>
      postForm(
        t.http,
        url,
        {
          ...assertion(t, machine),
          grant_type: 'client_credentials',
          scope: 'accounts',
          authorization_details: ad(details),
        },
        { dpop: proof(t, dpop, 'POST', url) },
      );
    const ok = await send([READ_ACCOUNTS]);
    expect(ok.status, ok.text()).toBe(200);
    expect(json(ok).authorization_details).toEqual([READ_ACCOUNTS]);
    expectRefused(await send([{ type: 'nope' }]), 'RAR-02', /not supported/);
  });
});

describe('RFC 9396 §3: authorization_details inside a signed request object (JAR)', () => {
  it('RAR-01 reads the JSON array of the request object like the form parameter', async () => {
    const now = Math.floor(t.now());
    const flow = { verifier: 'v'.repeat(43) };
    const request = signJws(
      { typ: 'oauth-authz-req+jwt', kid: c.key.kid },
      {
        iss: c.clientId,
        aud: t.lab.issuer,
        client_id: c.clientId,
        response_type: 'code',
        redirect_uri: c.redirectUri,
        scope: 'openid',
        code_challenge: codeChallengeS256(flow.verifier),
        code_challenge_method: 'S256',
        authorization_details: [PAY_BOB],
        iat: now,
        nbf: now,
        exp: now + 300,
        jti: `jti-${Math.random().toString(36).slice(2)}`,
      },
      c.key.privateKey,
      c.key.alg,
    );
    const url = `${t.lab.issuer}/par`;
    const dpop = await newDpopKey();
    const res = await postForm(
      t.http,
      url,
      { ...assertion(t, c), request },
      { dpop: proof(t, dpop, 'POST', url) },
    );
    expect(res.status, res.text()).toBe(201);
    expect(t.lab.ctx.requestUris.get(json(res).request_uri as string)?.authorizationDetails).toEqual([
      PAY_BOB,
    ]);
  });
});
