/**
 * Token issuance: JWT access tokens (RFC 9068, `typ: at+jwt`) bound to the sender (`cnf.jkt`,
 * RFC 9449 §6.1; `cnf.x5t#S256`, RFC 8705 §3.1), opaque refresh tokens, and ID tokens (OIDC Core
 * §2), all signed ES256 by the lab key. The RS and introspection read access tokens back with the
 * one access-token verification (src/core/access-token.ts) and check revocation with
 * `ctx.grants.activeAccessToken(jti)`.
 */
import { randomToken } from '../../src/core/random.js';
import { signJws } from '../../src/core/jws.js';
import type { LabContext } from '../context.js';
import { signIdToken } from '../faults.js';
import type { AccessTokenRecord, Grant, LabClient, TokenBinding } from '../model.js';
import type { AuthorizationDetail } from '../../src/core/authorization-details.js';

export interface IssuedAccessToken {
  token: string;
  record: AccessTokenRecord;
  expiresIn: number;
}

/** Signs and records an access token for a grant (TK-09: ≥ 128 bits of entropy via the jti). */
export function issueAccessToken(
  ctx: LabContext,
  o: {
    grant: Grant;
    client: Pick<LabClient, 'client_id'>;
    scope: string[];
    binding: TokenBinding;
    tokenType: 'DPoP' | 'Bearer';
    /** Seconds (default: the configured access-token lifetime). */
    lifetime?: number;
    /** Default: the lab RS (TK-11). */
    audience?: string;
    /** RFC 9396 §9.1: the token's authorization details, as a top-level claim (RAR-05). */
    details?: AuthorizationDetail[] | undefined;
  },
): IssuedAccessToken {
  const iat = Math.floor(ctx.now());
  const lifetime = o.lifetime ?? ctx.config.accessTokenLifetime;
  const jti = randomToken(32);
  const claims: Record<string, unknown> = {
    iss: ctx.urls.issuer,
    sub: o.grant.sub,
    // TK-11: the audience is the one resource server.
    aud: o.audience ?? ctx.urls.rs,
    client_id: o.client.client_id,
    iat,
    nbf: iat,
    exp: iat + lifetime,
    jti,
    scope: o.scope.join(' '),
    // The lab's grant: revoking a refresh token revokes every access token of its grant (RV-03).
    grant_id: o.grant.id,
  };
  if (o.grant.sub !== o.client.client_id) claims.auth_time = o.grant.authTime;
  if (o.binding.jkt || o.binding['x5t#S256']) claims.cnf = { ...o.binding };
  if (o.details) claims.authorization_details = o.details;
  const key = ctx.keys.signing;
  const token = signJws({ typ: 'at+jwt', kid: key.kid }, claims, key.privateKey, key.alg);
  const record: AccessTokenRecord = {
    jti,
    grantId: o.grant.id,
    clientId: o.client.client_id,
    sub: o.grant.sub,
    scope: o.scope,
    binding: o.binding,
    tokenType: o.tokenType,
    ...(o.details ? { authorizationDetails: o.details } : {}),
    issuedAt: iat,
    expiresAt: iat + lifetime,
  };
  ctx.grants.recordAccessToken(record);
  return { token, record, expiresIn: lifetime };
}

/** An opaque refresh token (RT-10: 256 random bits, base64url characters only). */
export function issueRefreshToken(ctx: LabContext, grant: Grant, scope: string[]): string {
  const token = randomToken(32);
  const now = ctx.now();
  ctx.grants.recordRefreshToken(token, {
    grantId: grant.id,
    clientId: grant.clientId,
    scope,
    createdAt: now,
    expiresAt: Math.min(grant.expiresAt, now + ctx.config.refreshTokenLifetime),
  });
  return token;
}

/** An ID token (OIDC Core §2, §3.1.3.6), only ever from the token endpoint (TK-14). */
export function issueIdToken(
  ctx: LabContext,
  o: { grant: Grant; client: LabClient; nonce?: string },
): string {
  const iat = Math.floor(ctx.now());
  const user = ctx.users.get(o.grant.sub);
  const claims: Record<string, unknown> = {
    iss: ctx.urls.issuer,
    sub: o.grant.sub,
    aud: o.client.client_id,
    iat,
    exp: iat + ctx.config.idTokenLifetime,
    auth_time: o.grant.authTime,
  };
  // AZ-07: the nonce exactly as pushed, never truncated.
  if (o.nonce !== undefined) claims.nonce = o.nonce;
  // The test user's own claims (alice and bob: a name and an email); never the protocol claims.
  if (user && o.grant.scope.includes('openid')) Object.assign(claims, user.claims);
  // The idtoken-* fault switches (off by default) are applied while signing.
  return signIdToken(ctx.fault, claims, ctx.keys.signing, ctx.now());
}
