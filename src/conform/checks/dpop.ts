/**
 * DPoP proofs (RFC 9449 §4.3): each rule a verifier applies, as one altered proof, played
 * wherever a proof is received (catalogue §1.9): at the PAR endpoint (`DP-xx.par`), at the token
 * endpoint (`DP-xx.token`, each proof redeeming a code of its own login) and at the resource
 * server (`DP-xx.rs`, with an access token): refused with invalid_dpop_proof (AS) or 401 (RS), or
 * accepted where the rule says a variation is fine (query in htu, 8 s of skew, extra claims,
 * nbf/exp). Proofs are made by src/core/dpop.ts and then altered (../tamper.ts).
 */
import type { DpopKey } from '../../core/dpop.js';
import type { Jwk } from '../../core/jwk.js';
import type { CheckContext, DpopTweak, Sent } from '../context.js';
import { describe, errorOf, expectRefused, expectSuccess, isSuccess } from '../expect.js';
import type { TestClient } from '../parties.js';
import { flipSignature, jwtParts, resign, resignRs256, unsigned } from '../tamper.js';
import { failed, passed, Skip, type Check, type Level, type Outcome } from '../types.js';
import { defineCheck, SP } from './define.js';

/** Where a proof is played: the PAR endpoint or the token endpoint (AS), or the resource server. */
export type Place = 'par' | 'token' | 'rs';

const AT: Record<Place, string> = {
  par: 'at the PAR endpoint',
  token: 'at the token endpoint',
  rs: 'at the resource server',
};
/** What carried the proof, for the evidence. */
const REQUEST: Record<Place, string> = { par: 'PAR', token: 'token request', rs: 'resource request' };

interface Target {
  c: TestClient;
  key: DpopKey;
  url: string;
  method: string;
  send(t: DpopTweak | false): Promise<Sent & { boundElsewhere?: boolean }>;
}

/**
 * Client 1 and a way to send it an altered proof at the place. At the token endpoint each proof
 * redeems the code of a login of its own (a refused request may have used the code up), bound
 * (dpop_jkt and the PAR proof, FAPI2-SP §5.3.2.1-12) to the key that signs the proof, so that the
 * alteration is the only thing wrong with the request. A proof by a key whose algorithm the
 * server does not list in dpop_signing_alg_values_supported (the RSA key of DP-05) redeems a code
 * bound to the client's key instead (`boundElsewhere`): RFC 9449 §10 lets that be refused as a
 * key mismatch too.
 */
export async function target(ctx: CheckContext, place: Place): Promise<Target> {
  const c = await ctx.client(1);
  const key = c.dpopKey as DpopKey;
  if (place === 'token') {
    const url = ctx.url('token_endpoint', c);
    const algs = ctx.metadata.dpop_signing_alg_values_supported;
    return {
      c,
      key,
      url,
      method: 'POST',
      send: async (t) => {
        const proofKey = (t !== false && t.key) || key;
        const bindKey = !algs || algs.includes(proofKey.alg) ? proofKey : key;
        const l = await ctx.login(c, { dpopKey: bindKey });
        const sent = await ctx.redeem(c, l, { dpop: t === false ? false : { key: proofKey, ...t } });
        return bindKey === proofKey ? sent : { ...sent, boundElsewhere: true };
      },
    };
  }
  if (place === 'par') {
    const url = ctx.url('pushed_authorization_request_endpoint', c);
    return {
      c,
      key,
      url,
      method: 'POST',
      send: (t) => ctx.par(c, { parDpop: t === false ? false : { key, ...t } }),
    };
  }
  const t = await ctx.tokens(c);
  const token = ctx.token(t);
  const url = ctx.resources[0] as string;
  return {
    c,
    key,
    url,
    method: 'GET',
    send: (tw) => ctx.rs(c, token, { dpop: tw === false ? false : { key, ...tw } }),
  };
}

interface ProofCase {
  rule: string;
  title: string;
  spec: string;
  level?: Level;
  /** Altered proofs and what each is; all must be refused (or accepted, with `accept`). */
  proofs: (ctx: CheckContext, t: Target) => Promise<{ what: string; tweak: DpopTweak }[]>;
  /** How many proofs `proofs` makes (default 1): at the token endpoint, each takes a login. */
  count?: number;
  accept?: boolean;
}

/**
 * A refusal of an altered proof: `400 invalid_dpop_proof` at the AS (catalogue §1.9), 400 or 401
 * at the RS (the OIDF suite accepts either). A code bound to another key than the proof's may
 * also be refused as a key mismatch (invalid_grant, RFC 9449 §10; as DP-18 accepts).
 */
function refused(place: Place, what: string, sent: Sent & { boundElsewhere?: boolean }): Outcome {
  if (place === 'rs') return expectRefused(`resource request with ${what}`, sent, { status: [400, 401] });
  return expectRefused(`${REQUEST[place]} with ${what}`, sent, {
    errors: sent.boundElsewhere ? ['invalid_dpop_proof', 'invalid_grant'] : ['invalid_dpop_proof'],
    status: [400],
  });
}

/** What a check at the place needs: its baseline, and a login per proof beyond the PAR endpoint. */
function needsAt(place: Place, proofs = 1): Check['needs'] {
  if (place === 'par') return { sender: 'dpop', after: ['PAR-01'] };
  if (place === 'token') return { sender: 'dpop', logins: proofs, after: ['PAR-16'] };
  return { sender: 'dpop', rs: true, logins: 1, after: ['PAR-16', 'RS-01'] };
}

const groupOf = (place: Place): Check['group'] => (place === 'rs' ? 'resource' : 'dpop');

/** The status of an accepted proof: 201 at PAR (RFC 9126 §2.2), 200 at the token endpoint. */
const ACCEPTED: Record<Place, readonly number[] | undefined> = { par: [201], token: [200], rs: undefined };

function caseCheck(p: ProofCase, place: Place): Check {
  return defineCheck({
    id: `${p.rule}.${place}`,
    title: `${p.title} (${AT[place]})`,
    spec: p.spec,
    level: p.level ?? 'MUST',
    group: groupOf(place),
    needs: needsAt(place, p.count ?? 1),
    async run(ctx) {
      const t = await target(ctx, place);
      const out: string[] = [];
      for (const { what, tweak } of await p.proofs(ctx, t)) {
        const sent = await t.send(tweak);
        const o = p.accept
          ? expectSuccess(`${REQUEST[place]} with ${what}`, sent, ACCEPTED[place])
          : refused(place, what, sent);
        if (o.result !== 'passed') return o;
        out.push(o.detail);
      }
      return passed(out.join('; '));
    },
  });
}

const withKey = (t: Target) => ({ privateKey: t.key.privateKey, alg: t.key.alg });

/** The proof cases, each played at both places. */
export const PROOF_CASES: readonly ProofCase[] = [
  {
    rule: 'DP-01',
    title: 'two DPoP headers are refused',
    spec: 'RFC 9449 §4.3 (1)',
    proofs: async () => [{ what: 'two DPoP headers', tweak: { tamper: (jwt) => [jwt, jwt] } }],
  },
  {
    rule: 'DP-02',
    title: 'a DPoP header that is not a JWS is refused',
    spec: 'RFC 9449 §4.3 (2)',
    proofs: async () => [{ what: 'DPoP: abc.def', tweak: { fixed: 'abc.def' } }],
  },
  {
    rule: 'DP-03',
    title: 'a proof missing typ, jwk, jti, htm, htu or iat is refused',
    spec: 'RFC 9449 §4.2, §4.3 (3)',
    count: 6,
    proofs: async (_ctx, t) =>
      ['typ', 'jwk', 'jti', 'htm', 'htu', 'iat'].map((m) => ({
        what: `a proof without ${m}`,
        tweak: { tamper: (jwt: string) => resign(jwt, withKey(t), { drop: [m] }) },
      })),
  },
  {
    rule: 'DP-04',
    title: 'a proof with typ other than dpop+jwt is refused',
    spec: 'RFC 9449 §4.3 (4)',
    proofs: async (_ctx, t) => [
      { what: 'typ "JWT"', tweak: { tamper: (jwt) => resign(jwt, withKey(t), { header: { typ: 'JWT' } }) } },
    ],
  },
  {
    rule: 'DP-05',
    title: 'a proof signed with RS256, or unsigned, is refused',
    spec: `RFC 9449 §4.3 (5); ${SP} §5.4.1-1`,
    count: 2,
    proofs: async (ctx) => {
      const rsa = await ctx.env.keys.rsaKey();
      const rsaKey: DpopKey = { privateKey: rsa.privateKey, publicJwk: rsa.publicJwk, alg: 'PS256' };
      return [
        {
          what: 'a proof signed with RS256',
          tweak: { key: rsaKey, tamper: (jwt) => resignRs256(jwt, rsa.privateKey) },
        },
        { what: 'an unsigned proof (alg none)', tweak: { tamper: unsigned } },
      ];
    },
  },
  {
    rule: 'DP-06',
    title: 'a proof whose signature does not verify is refused',
    spec: 'RFC 9449 §4.3 (6)',
    proofs: async () => [
      { what: 'a proof with one signature bit flipped', tweak: { tamper: flipSignature } },
    ],
  },
  {
    rule: 'DP-07',
    title: 'a proof whose jwk holds the private key is refused',
    spec: 'RFC 9449 §4.3 (7)',
    proofs: async (_ctx, t) => {
      const priv = t.key.privateKey.export({ format: 'jwk' }) as Jwk;
      return [
        {
          what: 'a jwk header with the private key (d)',
          tweak: { tamper: (jwt) => resign(jwt, withKey(t), { header: { jwk: priv } }) },
        },
      ];
    },
  },
  {
    rule: 'DP-08',
    title: 'a proof for another method (htm) is refused',
    spec: 'RFC 9449 §4.3 (8)',
    proofs: async () => [{ what: 'htm PUT', tweak: { htm: 'PUT' } }],
  },
  {
    rule: 'DP-09',
    title: 'a proof for another URL (htu) is refused',
    spec: 'RFC 9449 §4.3 (9)',
    proofs: async (_ctx, t) => [
      { what: 'htu of another path', tweak: { htu: new URL('/fapi-conform-other', t.url).href } },
    ],
  },
  {
    rule: 'DP-09.query',
    title: 'htu with a query and fragment is accepted (they are ignored)',
    spec: 'RFC 9449 §4.3 (9)',
    accept: true,
    proofs: async (_ctx, t) => [
      { what: 'htu with ?fapi=conform#f', tweak: { claims: { htu: `${t.url}?fapi=conform#f` } } },
    ],
  },
  {
    rule: 'DP-09.normalised',
    title: 'htu is compared after syntax- and scheme-based normalisation',
    spec: 'RFC 9449 §4.3 (9); RFC 3986 §6.2.2-6.2.3',
    level: 'SHOULD',
    accept: true,
    proofs: async (_ctx, t) => {
      const u = new URL(t.url);
      const port = u.port || '443';
      return [
        {
          what: 'htu with an upper-case scheme and host and an explicit port',
          tweak: { claims: { htu: `HTTPS://${u.hostname.toUpperCase()}:${port}${u.pathname}` } },
        },
      ];
    },
  },
  {
    rule: 'DP-11.skew',
    title: 'a proof with iat 8 s ahead or 10 s behind is accepted',
    spec: `${SP} §5.3.2.1-13; RFC 9449 §11.1`,
    accept: true,
    count: 2,
    proofs: async () => [
      { what: 'iat = now + 8 s', tweak: { iatOffset: 8 } },
      { what: 'iat = now − 10 s', tweak: { iatOffset: -10 } },
    ],
  },
  {
    rule: 'DP-15',
    title: 'unknown claims in a proof are ignored',
    spec: 'RFC 9449 §4.2',
    accept: true,
    proofs: async () => [{ what: 'an extra claim', tweak: { claims: { fapi_conform: 'extra' } } }],
  },
  {
    rule: 'DP-16',
    title: 'a proof with valid nbf and exp is accepted',
    spec: 'RFC 7519 §4.1.4-5; RFC 9449 §4.2',
    accept: true,
    proofs: async (ctx) => [
      { what: 'nbf = now, exp = now + 300 s', tweak: { claims: { nbf: ctx.now(), exp: ctx.now() + 300 } } },
    ],
  },
];

/**
 * DP-10: a stale nonce is answered with a fresh one (when the server uses nonces at all). At the
 * token endpoint TK-10 plays it, and checks that the challenge does not use the code up.
 */
function nonceCheck(place: Exclude<Place, 'token'>): Check {
  return defineCheck({
    id: `DP-10.${place}`,
    title: `a proof with a stale nonce gets use_dpop_nonce and a fresh DPoP-Nonce (${AT[place]})`,
    spec: 'RFC 9449 §4.3 (10), §8, §9',
    level: 'MUST',
    group: groupOf(place),
    needs: needsAt(place),
    async run(ctx) {
      const t = await target(ctx, place);
      const sent = await t.send({ nonce: 'fapi-conform-stale-nonce' });
      if (isSuccess(sent))
        throw new Skip(
          'a proof with an unknown nonce was accepted: the server does not use DPoP nonces (optional, RFC 9449 §8)',
        );
      const res = sent.response;
      const fresh = res?.header('dpop-nonce');
      const demand = describe(sent);
      if (!/use_dpop_nonce/.test(demand + (res?.header('www-authenticate') ?? '')))
        return failed(`a proof with an unknown nonce → ${demand}, expected use_dpop_nonce`);
      if (!fresh) return failed(`a proof with an unknown nonce → ${demand} without a DPoP-Nonce header`);
      return passed(`a proof with an unknown nonce → ${demand} and a DPoP-Nonce header`);
    },
  });
}

/**
 * DP-11: proofs an hour in the future or the past. The authorization server must refuse a JWT
 * more than 60 s in the future whatever else it carries (FAPI2-SP §5.3.2.1-13); otherwise a
 * server may take freshness from its own nonce instead of iat (RFC 9449 §11.1), so an old or
 * early iat inside a proof that carries a valid server nonce may be accepted.
 */
function iatCheck(place: Place): Check {
  return defineCheck({
    id: `DP-11.${place}`,
    title: `a proof with iat an hour in the future or the past is refused (${AT[place]})`,
    spec: `RFC 9449 §4.3 (11), §11.1; ${SP} §5.3.2.1-13`,
    level: 'MUST',
    group: groupOf(place),
    needs: needsAt(place, 2),
    async run(ctx) {
      const t = await target(ctx, place);
      const out: string[] = [];
      for (const [what, offset] of [
        ['iat = now + 3600 s', 3600],
        ['iat = now − 3600 s', -3600],
      ] as const) {
        const sent = await t.send({ iatOffset: offset });
        if (!isSuccess(sent)) {
          const o = refused(place, what, sent);
          if (o.result !== 'passed') return o;
          out.push(o.detail);
          continue;
        }
        const nonce = proofNonce(sent);
        // FAPI2-SP §5.3.2.1-13 binds the authorization server (PAR and token endpoint), not the RS.
        const tooEarly = place !== 'rs' && offset > 0;
        if (nonce === undefined || tooEarly)
          return failed(
            `${REQUEST[place]} with ${what}${nonce ? ' and a valid server nonce' : ''} → ${describe(sent)}: accepted${tooEarly ? ' (FAPI2-SP §5.3.2.1-13: more than 60 s in the future must be refused)' : ''}`,
          );
        out.push(
          `${what} → ${describe(sent)}, accepted with a valid server nonce (freshness from the nonce, RFC 9449 §11.1)`,
        );
      }
      return passed(out.join('; '));
    },
  });
}

/** The nonce inside the DPoP proof a request carried. */
function proofNonce(sent: Sent): string | undefined {
  const h = sent.request.headers?.dpop;
  if (typeof h !== 'string') return undefined;
  try {
    const n = jwtParts(h).payload.nonce;
    return typeof n === 'string' ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * DP-12: the same proof twice; the second is refused (SHOULD). At the token endpoint the replay
 * redeems a second, fresh code: only the proof is used twice.
 */
function replayCheck(place: Place): Check {
  return defineCheck({
    id: `DP-12.${place}`,
    title: `a replayed proof is refused (${AT[place]})`,
    spec: 'RFC 9449 §11.1',
    level: 'SHOULD',
    group: groupOf(place),
    needs: needsAt(place, 2),
    async run(ctx) {
      const t = await target(ctx, place);
      let proof: string | undefined;
      const first = await t.send({
        tamper: (jwt) => {
          proof = jwt;
          return jwt;
        },
      });
      // (After a nonce retry, `proof` is the retry's: the one that was accepted.)
      if (!isSuccess(first) || !proof)
        throw new Skip(`the first use of the proof was refused (${describe(first)})`);
      const again = await t.send({ fixed: proof });
      // RFC 9449 §11.1: a server nonce that has moved on also stops a replay.
      if (errorOf(again) === 'use_dpop_nonce')
        return passed(`the same proof again → ${describe(again)}: its nonce is no longer valid`);
      // node-oidc-provider (a certified OP) answers a replay with invalid_request at PAR and with
      // invalid_grant at the token endpoint (catalogue DP-12).
      if (place !== 'rs')
        return expectRefused(`${REQUEST[place]} with the same proof again`, again, {
          errors: ['invalid_dpop_proof', place === 'par' ? 'invalid_request' : 'invalid_grant'],
          status: [400],
        });
      return refused(place, 'the same proof again', again);
    },
  });
}

export const DPOP_PAR_CHECKS: readonly Check[] = [
  ...PROOF_CASES.map((p) => caseCheck(p, 'par')),
  iatCheck('par'),
  nonceCheck('par'),
  replayCheck('par'),
];
/**
 * At the token endpoint: the same cases (catalogue §1.9: "DP-01…16 apply wherever a proof is
 * received"; the OIDF plan plays check-dpop-proof-nbf-exp and the iat ±10 s modules there too),
 * each proof with a code of its own. The nonce challenge there is TK-10's.
 */
export const DPOP_TOKEN_CHECKS: readonly Check[] = [
  ...PROOF_CASES.map((p) => caseCheck(p, 'token')),
  iatCheck('token'),
  replayCheck('token'),
];
export const DPOP_RS_CHECKS: readonly Check[] = [
  ...PROOF_CASES.map((p) => caseCheck(p, 'rs')),
  iatCheck('rs'),
  nonceCheck('rs'),
  replayCheck('rs'),
];
