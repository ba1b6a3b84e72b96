/**
 * DPoP proofs (RFC 9449 §4.3): each rule a verifier applies, as one altered proof,
 * played at the PAR endpoint (`DP-xx.par`, the authorization server) and at the resource server
 * (`DP-xx.rs`, with an access token): refused with invalid_dpop_proof (AS) or 401 (RS), or
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

/** Where a proof is played: the PAR endpoint (AS) or the resource server. */
export type Place = 'par' | 'rs';

interface Target {
  c: TestClient;
  key: DpopKey;
  url: string;
  method: string;
  send(t: DpopTweak | false): Promise<Sent>;
}

/** Client 1 and a way to send it an altered proof at the place. */
export async function target(ctx: CheckContext, place: Place): Promise<Target> {
  const c = await ctx.client(1);
  const key = c.dpopKey as DpopKey;
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
  accept?: boolean;
}

function refused(place: Place, what: string, sent: Sent): Outcome {
  return place === 'par'
    ? expectRefused(`PAR with ${what}`, sent, { errors: ['invalid_dpop_proof'], status: [400] })
    : expectRefused(`resource request with ${what}`, sent, { status: [400, 401] });
}

function caseCheck(p: ProofCase, place: Place): Check {
  return defineCheck({
    id: `${p.rule}.${place}`,
    title: `${p.title} (${place === 'par' ? 'at the PAR endpoint' : 'at the resource server'})`,
    spec: p.spec,
    level: p.level ?? 'MUST',
    group: place === 'par' ? 'dpop' : 'resource',
    needs:
      place === 'par'
        ? { sender: 'dpop', after: ['PAR-01'] }
        : { sender: 'dpop', rs: true, logins: 1, after: ['PAR-16', 'RS-01'] },
    async run(ctx) {
      const t = await target(ctx, place);
      const out: string[] = [];
      for (const { what, tweak } of await p.proofs(ctx, t)) {
        const sent = await t.send(tweak);
        const o = p.accept
          ? expectSuccess(
              `${place === 'par' ? 'PAR' : 'resource request'} with ${what}`,
              sent,
              place === 'par' ? [201] : undefined,
            )
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

/** DP-10: a stale nonce is answered with a fresh one (when the server uses nonces at all). */
function nonceCheck(place: Place): Check {
  return defineCheck({
    id: `DP-10.${place}`,
    title: `a proof with a stale nonce gets use_dpop_nonce and a fresh DPoP-Nonce (${place === 'par' ? 'at the PAR endpoint' : 'at the resource server'})`,
    spec: 'RFC 9449 §4.3 (10), §8, §9',
    level: 'MUST',
    group: place === 'par' ? 'dpop' : 'resource',
    needs:
      place === 'par'
        ? { sender: 'dpop', after: ['PAR-01'] }
        : { sender: 'dpop', rs: true, logins: 1, after: ['PAR-16', 'RS-01'] },
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
    title: `a proof with iat an hour in the future or the past is refused (${place === 'par' ? 'at the PAR endpoint' : 'at the resource server'})`,
    spec: `RFC 9449 §4.3 (11), §11.1; ${SP} §5.3.2.1-13`,
    level: 'MUST',
    group: place === 'par' ? 'dpop' : 'resource',
    needs: needsAt(place),
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
        const mayAccept = nonce !== undefined && !(place === 'par' && offset > 0);
        if (!mayAccept)
          return failed(
            `${place === 'par' ? 'PAR' : 'resource request'} with ${what}${nonce ? ' and a valid server nonce' : ''} → ${describe(sent)}: accepted${place === 'par' && offset > 0 ? ' (FAPI2-SP §5.3.2.1-13: more than 60 s in the future must be refused)' : ''}`,
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

const needsAt = (place: Place): Check['needs'] =>
  place === 'par'
    ? { sender: 'dpop', after: ['PAR-01'] }
    : { sender: 'dpop', rs: true, logins: 1, after: ['PAR-16', 'RS-01'] };

/** DP-12: the same proof twice; the second is refused (SHOULD). */
function replayCheck(place: Place): Check {
  return defineCheck({
    id: `DP-12.${place}`,
    title: `a replayed proof is refused (${place === 'par' ? 'at the PAR endpoint' : 'at the resource server'})`,
    spec: 'RFC 9449 §11.1',
    level: 'SHOULD',
    group: place === 'par' ? 'dpop' : 'resource',
    needs:
      place === 'par'
        ? { sender: 'dpop', after: ['PAR-01'] }
        : { sender: 'dpop', rs: true, logins: 1, after: ['PAR-16', 'RS-01'] },
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
      // At the AS, node-oidc-provider (a certified OP) answers a replay with invalid_request.
      if (place === 'par')
        return expectRefused('PAR with the same proof again', again, {
          errors: ['invalid_dpop_proof', 'invalid_request'],
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
export const DPOP_RS_CHECKS: readonly Check[] = [
  ...PROOF_CASES.map((p) => caseCheck(p, 'rs')),
  iatCheck('rs'),
  nonceCheck('rs'),
  replayCheck('rs'),
];
