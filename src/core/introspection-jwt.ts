/**
 * Signed introspection responses (RFC 9701, JWT Response for OAuth Token Introspection; FAPI2-MS
 * §5.5; catalogue MS-10, MS-11): the one implementation of making them (the lab, MS-10) and of
 * verifying them (the client, MS-11).
 *
 * A caller asks with `Accept: application/token-introspection+jwt` (RFC 9701 §4); the answer is a
 * JWT signed by the authorization server with `typ` token-introspection+jwt (§5), whose claims are
 * `iss` (the issuer), `aud` (the caller), `iat`, and `token_introspection`: the RFC 7662 response
 * itself, as a JSON object. The token's own claims stay inside `token_introspection`, so the JWT's
 * `iss`/`aud` are never confused with the token's (RFC 9701 §5, §8.1).
 *
 * The client checks, before anything in it is used: the media type (a plain JSON answer where a
 * signed one was asked for is a downgrade, refused), the signature with the issuer's key from its
 * jwks_uri picked by `kid` and a FAPI `alg` (./issuer-jws.ts, the one header policy of ./jws.ts,
 * `typ` required), then `iss`, `aud`, `iat`, and the `token_introspection` object.
 */
import type { KeyObject } from 'node:crypto';
import { FapiError } from '../errors.js';
import type { Exchange } from './client.js';
import type { FapiAlg } from './fapi.js';
import { headerRefusalHint, type JwksSource, verifyIssuerJws } from './issuer-jws.js';
import { JwsError, signJws } from './jws.js';

/** RFC 9701 §5: the JWT's explicit type. */
export const INTROSPECTION_JWT_TYP = 'token-introspection+jwt';
/** RFC 9701 §4, §11: the media type a caller asks for and the server answers with. */
export const INTROSPECTION_JWT_MEDIA_TYPE = 'application/token-introspection+jwt';

// ── the authorization server (MS-10) ─────────────────────────────────────────

/** The claims of a signed introspection response (RFC 9701 §5). */
export function introspectionJwtClaims(o: {
  issuer: string;
  /** The caller: the client or resource server that asked (RFC 9701 §5: aud). */
  audience: string;
  /** Epoch seconds. */
  now: number;
  /** The RFC 7662 §2.2 response. */
  response: Record<string, unknown>;
}): Record<string, unknown> {
  return { iss: o.issuer, aud: o.audience, iat: Math.floor(o.now), token_introspection: o.response };
}

/** Signs the claims as a token-introspection+jwt (RFC 9701 §5). */
export function signIntrospectionJwt(
  claims: Record<string, unknown>,
  key: { privateKey: KeyObject; alg: FapiAlg; kid: string },
  header: Record<string, unknown> = {},
): string {
  return signJws({ typ: INTROSPECTION_JWT_TYP, kid: key.kid, ...header }, claims, key.privateKey, key.alg);
}

/** An Accept header as media types with their q-values (RFC 9110 §12.5.1), lower case. */
function acceptList(accept: string): { type: string; q: number }[] {
  return accept.split(',').flatMap((part) => {
    const [type, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (!type) return [];
    const qp = params.find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    return [{ type, q: Number.isFinite(q) ? q : 0 }];
  });
}

/**
 * Whether the caller gets a signed response (RFC 9701 §4): it asked for
 * application/token-introspection+jwt at least as much as for JSON; or it sent no preference
 * (no Accept, or only wildcards) and registered `introspection_signed_response_alg` (§6). An
 * explicit application/json keeps the plain RFC 7662 answer.
 */
export function wantsIntrospectionJwt(accept: string | undefined, registeredAlg?: string): boolean {
  const list = acceptList(accept ?? '');
  const q = (t: string) => list.find((e) => e.type === t)?.q;
  const jwt = q(INTROSPECTION_JWT_MEDIA_TYPE);
  const json = q('application/json');
  if (jwt !== undefined && jwt > 0) return json === undefined || jwt >= json;
  if (json !== undefined && json > 0) return false;
  return registeredAlg !== undefined && list.every((e) => e.type === '*/*' || e.type === 'application/*');
}

// ── the client (MS-11) ───────────────────────────────────────────────────────

/** The checks of a signed introspection response, named in errors (E_INTROSPECTION_<CHECK>). */
export type IntrospectionCheck = 'response' | 'typ' | 'alg' | 'signature' | 'iss' | 'aud' | 'iat';

const HINTS: Record<IntrospectionCheck, string> = {
  response:
    'The server did not answer with a signed introspection response (application/token-introspection+jwt) although fapi asked for one: that is a downgrade, or the server does not implement RFC 9701. Run `fapi token introspect` without --signed to see its plain answer, and ask the operator; register introspection_signed_response_alg if the server needs it.',
  typ: 'A signed introspection response must say typ token-introspection+jwt (RFC 9701 §5), so it cannot be taken for another kind of JWT. Report it to the server operator.',
  alg: 'Signed introspection responses must be signed with PS256, ES256 or EdDSA (FAPI2-SP §5.4.1-1), never unsigned. Register introspection_signed_response_alg with one of them, or report it to the server operator.',
  signature:
    "The response was not signed by the issuer's key: it was forged or altered on the way. Do not trust it; run the command again, and report it to the server operator if it persists.",
  iss: 'The response does not come from the configured issuer. Check the profile issuer (`fapi profile show`).',
  aud: 'The response was made for another caller: it may have been replayed from another client. Check the profile client_id (`fapi profile show`).',
  iat: 'A signed introspection response must carry iat (RFC 9701 §5), and not in the future. Check the clocks of this machine and the server.',
};

/** The FapiError of a failed check of a signed introspection response (exit 5). */
export function introspectionRefused(check: IntrospectionCheck, what: string, hint?: string): FapiError {
  return new FapiError(
    `E_INTROSPECTION_${check.toUpperCase()}`,
    `The signed introspection response was refused (${check} check): ${what}.`,
    { kind: 'server', hint: hint ?? HINTS[check], details: { check } },
  );
}

export interface IntrospectionJwtCheck {
  issuer: string;
  clientId: string;
  /** Epoch seconds (skew-corrected, CL-23). */
  now: number;
  /** Accepted iat in the future, seconds (default 60). */
  leeway?: number;
  jwks: JwksSource;
}

export interface VerifiedIntrospectionJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  alg: string;
  kid?: string;
  /** The RFC 7662 response inside (token_introspection). */
  introspection: { active: boolean; [claim: string]: unknown };
}

/** Verifies a token-introspection+jwt (MS-11): signature, typ, alg, iss, aud, iat, the response inside. */
export async function verifyIntrospectionJwt(
  jwt: string,
  o: IntrospectionJwtCheck,
): Promise<VerifiedIntrospectionJwt> {
  let verified: Awaited<ReturnType<typeof verifyIssuerJws>>;
  try {
    verified = await verifyIssuerJws(jwt, o.jwks, 'the introspection response', [INTROSPECTION_JWT_TYP]);
  } catch (e) {
    if (!(e instanceof JwsError)) throw e;
    const check: IntrospectionCheck =
      e.check === 'typ' ? 'typ' : e.check === 'alg' ? 'alg' : e.check === 'format' ? 'response' : 'signature';
    throw introspectionRefused(check, e.message, headerRefusalHint(e.check));
  }
  const { decoded, alg, kid } = verified;
  const c = decoded.payload;
  if (c.iss !== o.issuer)
    throw introspectionRefused(
      'iss',
      c.iss === undefined
        ? 'it has no iss'
        : `its iss ${JSON.stringify(c.iss)} is not the issuer ${o.issuer}`,
    );
  const aud = Array.isArray(c.aud) ? (c.aud as unknown[]) : [c.aud];
  if (!aud.includes(o.clientId))
    throw introspectionRefused(
      'aud',
      c.aud === undefined
        ? 'it has no aud'
        : `its aud ${JSON.stringify(c.aud)} is not the client_id ${o.clientId}`,
    );
  if (typeof c.iat !== 'number' || !Number.isFinite(c.iat))
    throw introspectionRefused('iat', c.iat === undefined ? 'it has no iat' : 'its iat is not a number');
  if (c.iat > o.now + (o.leeway ?? 60))
    throw introspectionRefused('iat', `its iat is ${Math.round(c.iat - o.now)} s in the future`);
  const inner = c.token_introspection;
  if (
    !inner ||
    typeof inner !== 'object' ||
    Array.isArray(inner) ||
    typeof (inner as { active?: unknown }).active !== 'boolean'
  )
    throw introspectionRefused(
      'response',
      'its token_introspection is not an RFC 7662 response (a JSON object with a boolean "active")',
    );
  const out: VerifiedIntrospectionJwt = {
    header: decoded.header,
    claims: c,
    alg,
    introspection: inner as VerifiedIntrospectionJwt['introspection'],
  };
  if (kid !== undefined) out.kid = kid;
  return out;
}

/**
 * The answer to a request made with `Accept: application/token-introspection+jwt`: a 200 whose
 * media type is that one (a JSON answer is a downgrade, refused), verified (MS-11). A non-200
 * answer is the caller's to turn into an OAuth error first.
 */
export async function processSignedIntrospectionResponse(
  exchange: Exchange,
  o: IntrospectionJwtCheck,
): Promise<VerifiedIntrospectionJwt> {
  const res = exchange.response;
  const type = (res.header('content-type') ?? '').toLowerCase();
  if (!type.includes('token-introspection+jwt'))
    throw introspectionRefused(
      'response',
      `${exchange.url} answered ${type.includes('json') ? 'plain JSON' : JSON.stringify(type || 'no content type')} where a signed response (${INTROSPECTION_JWT_MEDIA_TYPE}) was asked for`,
    );
  return verifyIntrospectionJwt(res.text().trim(), o);
}
