/**
 * The token endpoint (RFC 6749 §3.2; FAPI2-SP §5.3.2.1): authorization_code, refresh_token and
 * client_credentials grants, each an ordered list of checks; only sender-constrained access tokens
 * are issued (TK-08), with `Cache-Control: no-store` (TK-09).
 */
import { randomToken } from '../../src/core/random.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LabContext } from '../context.js';
import { applyTokenResponseFaults, rotatesRefreshTokens } from '../faults.js';
import { formOf, sendJson } from '../http.js';
import type { AuthorizationCode, GrantType, RefreshTokenRecord, TokenBinding } from '../model.js';
import type { LabModule } from '../module.js';
import { clientOf, runChecks, type AsExchange, type Check } from './check.js';
import { clientAuthentication } from './checks/client-authentication.js';
import { clientCredentialsScope } from './checks/client-credentials-scope.js';
import { clientMayUseGrant } from './checks/client-may-use-grant.js';
import { codeClient } from './checks/code-client.js';
import { codeDpopBinding } from './checks/code-dpop-binding.js';
import { codePkce } from './checks/code-pkce.js';
import { codeRedirectUri } from './checks/code-redirect-uri.js';
import { codeValid } from './checks/code-valid.js';
import { dpopProof } from './checks/dpop-proof.js';
import { formBody } from './checks/form-body.js';
import { grantType } from './checks/grant-type.js';
import { refreshClient } from './checks/refresh-client.js';
import { refreshScope } from './checks/refresh-scope.js';
import { refreshTokenValid } from './checks/refresh-token-valid.js';
import { rarJson } from './checks/rar-01-json.js';
import { rarTypes } from './checks/rar-02-types.js';
import { rarSchema } from './checks/rar-03-schema.js';
import { rarWithinGrant } from './checks/rar-06-within-grant.js';
import { tokenEcosystemBinding } from './checks/eco-05-token-binding.js';
import type { AuthorizationDetail } from '../../src/core/authorization-details.js';
import { senderConstraint } from './checks/sender-constraint.js';
import { withNonce } from './par.js';
import { issueAccessToken, issueIdToken, issueRefreshToken } from './tokens.js';

export interface TokenExchange extends AsExchange {
  grantType?: GrantType;
  binding?: TokenBinding;
  tokenType?: 'DPoP' | 'Bearer';
  code?: AuthorizationCode;
  refresh?: RefreshTokenRecord;
  refreshTokenValue?: string;
  scope?: string[];
  /** RFC 9396: the details of the token being issued (RAR-06; RAR-01..03 for client credentials). */
  authorizationDetails?: AuthorizationDetail[];
}

/** Every token request, whatever the grant. */
export const TOKEN_CHECKS: readonly Check<TokenExchange>[] = [
  formBody,
  dpopProof, // DP-01..16 + nonce: before the code is touched (TK-10)
  clientAuthentication, // CA-*, MT-*, RT-04
  grantType, // TK-01
  clientMayUseGrant((s) => (s as TokenExchange).grantType),
  senderConstraint, // TK-08, DP-19, MT-06, TK-13, RT-05
  tokenEcosystemBinding, // ECO-05: an ecosystem preset's one sender constraint
];

export const CODE_CHECKS: readonly Check<TokenExchange>[] = [
  codeValid, // TK-02, TK-03
  codeClient, // TK-04
  codeRedirectUri, // TK-05
  codePkce, // TK-06, TK-07
  codeDpopBinding, // DP-18
  rarWithinGrant, // RAR-06
];

export const REFRESH_CHECKS: readonly Check<TokenExchange>[] = [
  refreshTokenValid, // RT-11, RT-02
  refreshClient, // RT-03
  refreshScope, // RT-09
  rarWithinGrant, // RAR-06
];

/** RFC 9396 §6: for client credentials the client's policy decides: its registered types. */
export const CLIENT_CREDENTIALS_CHECKS: readonly Check<TokenExchange>[] = [
  clientCredentialsScope,
  rarJson, // RAR-01
  rarTypes, // RAR-02
  rarSchema, // RAR-03
];

function tokenResponse(
  ctx: LabContext,
  s: TokenExchange,
  at: { token: string; expiresIn: number },
  extra: { refresh_token?: string; id_token?: string },
) {
  const body: Record<string, unknown> = {
    access_token: at.token,
    // DP-17 / MT-08: DPoP for DPoP-bound tokens, Bearer for mTLS-bound ones.
    token_type: s.tokenType,
    expires_in: at.expiresIn,
    scope: s.scope!.join(' '),
    // RAR-05: the details granted and assigned to this token (RFC 9396 §7).
    ...(s.authorizationDetails ? { authorization_details: s.authorizationDetails } : {}),
    ...extra,
  };
  applyTokenResponseFaults(ctx.fault, body);
  if (s.dpop) ctx.nonces.as.afterSuccess();
  // The nonce to use next, as it stands now (RFC 9449 §8), not as it stood when the request came in.
  withNonce(ctx, s.reply);
  return body;
}

async function handleToken(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  withNonce(ctx, reply);
  const s: TokenExchange = { ctx, req, reply, form: formOf(req) };
  await runChecks(s, TOKEN_CHECKS);
  const { client } = clientOf(s);
  const now = ctx.now();
  const binding = s.binding!;
  const tokenType = s.tokenType!;

  if (s.grantType === 'authorization_code') {
    await runChecks(s, CODE_CHECKS);
    const code = s.code!;
    // One-time: redeemed now; a second redemption revokes the grant (TK-03).
    code.redeemedAt = now;
    s.scope = code.scope;
    const grant = ctx.grants.createGrant({
      id: code.grantId,
      clientId: client.client_id,
      sub: code.sub,
      scope: code.scope,
      ...(code.authorizationDetails ? { authorizationDetails: code.authorizationDetails } : {}),
      authTime: code.authTime,
      expiresAt: now + ctx.config.refreshTokenLifetime,
    });
    const details = s.authorizationDetails;
    const at = issueAccessToken(ctx, { grant, client, scope: code.scope, binding, tokenType, details });
    const extra: { refresh_token?: string; id_token?: string } = {};
    if (client.metadata.grant_types.includes('refresh_token'))
      extra.refresh_token = issueRefreshToken(ctx, grant, code.scope);
    if (code.scope.includes('openid'))
      extra.id_token = issueIdToken(ctx, { grant, client, nonce: code.nonce });
    return sendJson(reply, 200, tokenResponse(ctx, s, at, extra));
  }

  if (s.grantType === 'refresh_token') {
    await runChecks(s, REFRESH_CHECKS);
    const rec = s.refresh!;
    const grant = ctx.grants.activeGrant(rec.grantId)!;
    // RT-06 / RT-08: the new access token is bound to the key or certificate presented now. The
    // refresh token itself is bound to the client (RT-03), never to a DPoP key or a certificate:
    // RFC 8705 §4 binds refresh tokens of public clients only, and FAPI 2.0 has only confidential
    // clients (FAPI2-SP §5.3.2.1-3), as in node-oidc-provider's refresh_token grant. So a client
    // may refresh with any certificate that authenticates it (a renewed one, say).
    const details = s.authorizationDetails;
    const at = issueAccessToken(ctx, { grant, client, scope: s.scope!, binding, tokenType, details });
    const extra: { refresh_token?: string; id_token?: string } = {};
    // RT-01: no rotation (FAPI2-SP §5.3.2.1-9), unless the rotate-rt relaxation (RT-02) or the
    // rotate-rt-no-grace fault (CL-19) is on.
    if (rotatesRefreshTokens(ctx)) {
      if (rec.rotatedAt === undefined) rec.rotatedAt = now;
      extra.refresh_token = issueRefreshToken(ctx, grant, rec.scope);
    }
    if (s.scope!.includes('openid')) extra.id_token = issueIdToken(ctx, { grant, client });
    return sendJson(reply, 200, tokenResponse(ctx, s, at, extra));
  }

  await runChecks(s, CLIENT_CREDENTIALS_CHECKS);
  const grant = ctx.grants.createGrant({
    id: `cc-${randomToken(16)}`,
    clientId: client.client_id,
    sub: client.client_id,
    scope: s.scope!,
    ...(s.authorizationDetails ? { authorizationDetails: s.authorizationDetails } : {}),
    authTime: Math.floor(now),
    expiresAt: now + ctx.config.accessTokenLifetime,
  });
  const details = s.authorizationDetails;
  const at = issueAccessToken(ctx, { grant, client, scope: s.scope!, binding, tokenType, details });
  return sendJson(reply, 200, tokenResponse(ctx, s, at, {}));
}

export const tokenModule: LabModule = {
  name: 'token',
  routes: () => [
    {
      listener: 'as',
      mtlsAlias: true,
      methods: ['POST'],
      path: '/token',
      endpoint: 'token',
      metadataName: 'token_endpoint',
      description:
        'token endpoint: authorization_code, refresh_token, client_credentials; sender-constrained tokens only',
      handler: handleToken,
    },
  ],
};
