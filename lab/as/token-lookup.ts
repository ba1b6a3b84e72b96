/**
 * Finds what a token presented to introspection or revocation is: a lab access token (a JWT
 * signed by a lab key, `typ` at+jwt, our `iss`; RFC 9068) or a lab refresh token (opaque, known by
 * its hash). Shared by RFC 7662 introspection and RFC 7009 revocation.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokenError, type AccessTokenKey, verifyAccessToken } from '../../src/core/access-token.js';
import type { LabContext } from '../context.js';
import type { LabKeys } from '../keys.js';
import { refreshGraceSeconds } from '../faults.js';
import { formOf } from '../http.js';
import { CLIENT_AUTH_METHODS } from '../../src/core/fapi.js';
import { clientOf, runChecks, type AsExchange, type Check } from './check.js';
import { clientAuthentication } from './checks/client-authentication.js';
import { formBody } from './checks/form-body.js';
import { tokenParameter } from './checks/token-parameter.js';
import type { AccessTokenRecord, RefreshTokenRecord } from '../model.js';
import { sha256 } from '../store.js';
import { FAPI_ALGS } from '../../src/core/fapi.js';

export type FoundToken =
  | { kind: 'access_token'; record: AccessTokenRecord; claims: Record<string, unknown> }
  | { kind: 'refresh_token'; record: RefreshTokenRecord };

/** The lab's public access-token keys as the verification takes them, built once per key set. */
const publicKeys = new WeakMap<LabKeys, AccessTokenKey[]>();
function accessTokenKeys(keys: LabKeys): AccessTokenKey[] {
  let out = publicKeys.get(keys);
  if (!out) publicKeys.set(keys, (out = keys.all.map((k) => ({ kid: k.kid, alg: k.alg, key: k.publicKey }))));
  return out;
}

/**
 * A lab access token that passes the lab's one access-token verification (the RS's too: typ, alg,
 * crit, kid, signature, iss; src/core/access-token.ts), with its record (even if revoked or expired).
 */
function accessToken(ctx: LabContext, token: string): FoundToken | undefined {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = verifyAccessToken(token, { keys: accessTokenKeys(ctx.keys), issuer: ctx.urls.issuer }));
  } catch (e) {
    if (e instanceof AccessTokenError) return undefined;
    throw e;
  }
  if (typeof payload.jti !== 'string') return undefined;
  const record = ctx.grants.accessTokens.peek(payload.jti)?.value;
  return record ? { kind: 'access_token', record, claims: payload } : undefined;
}

/** Looks the token up as an access token, then as a refresh token (a hint only orders the tries). */
export function findToken(ctx: LabContext, token: string, hint?: string): FoundToken | undefined {
  const asRefresh = (): FoundToken | undefined => {
    const record = ctx.grants.refreshTokens.peek(sha256(token))?.value;
    return record ? { kind: 'refresh_token', record } : undefined;
  };
  // RFC 7009 §2.1 / RFC 7662 §2.1: token_type_hint is a hint; the server searches all types.
  if (hint === 'refresh_token') return asRefresh() ?? accessToken(ctx, token);
  return accessToken(ctx, token) ?? asRefresh();
}

/** True when the token is usable right now: not expired, not revoked, its grant live (RS-03, IN-02). */
export function isActive(ctx: LabContext, t: FoundToken): boolean {
  const now = ctx.now();
  if (t.kind === 'access_token') {
    return t.record.expiresAt > now && ctx.grants.activeAccessToken(t.record.jti) !== undefined;
  }
  const r = t.record;
  if (r.expiresAt <= now || !ctx.grants.activeGrant(r.grantId)) return false;
  // RT-02: a rotated refresh token lives on only for the retry window.
  if (
    r.rotatedAt !== undefined &&
    now > r.rotatedAt + refreshGraceSeconds(ctx.fault, ctx.config.refreshGraceSeconds)
  )
    return false;
  return true;
}

/**
 * The checks /introspect and /revoke share, in order: a form body, client authentication with a
 * FAPI method (IN-01, RV-01: CA-*, MT-*), and a `token` parameter.
 */
export const TOKEN_MANAGEMENT_CHECKS: readonly Check<AsExchange>[] = [
  formBody,
  clientAuthentication,
  tokenParameter,
];

/**
 * The shared start of an introspection or revocation request: runs the checks, then looks the
 * token up (`token_type_hint` is a hint only, RFC 7009 §2.1 / RFC 7662 §2.1).
 */
export async function tokenManagementRequest(
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: LabContext,
): Promise<{ caller: string; token: string; found: FoundToken | undefined }> {
  const s: AsExchange = { ctx, req, reply, form: formOf(req) };
  await runChecks(s, TOKEN_MANAGEMENT_CHECKS);
  const token = s.form.get('token') as string;
  return {
    caller: clientOf(s).client.client_id,
    token,
    found: findToken(ctx, token, s.form.get('token_type_hint')),
  };
}

/** `<endpoint>_endpoint_auth_methods_supported` and `…_auth_signing_alg_values_supported` (RFC 8414 §2). */
export function endpointAuthMetadata(endpoint: 'introspection' | 'revocation'): Record<string, string[]> {
  return {
    [`${endpoint}_endpoint_auth_methods_supported`]: [...CLIENT_AUTH_METHODS],
    [`${endpoint}_endpoint_auth_signing_alg_values_supported`]: [...FAPI_ALGS],
  };
}
