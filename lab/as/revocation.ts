/**
 * Token revocation (RFC 7009):
 * - RV-01: the caller authenticates with a FAPI method (RFC 7009 §2.1);
 * - RV-02: unknown or invalid tokens still get 200 (§2.2: the client cannot act on it anyway);
 * - RV-03: revoking a refresh token revokes its grant, and with it every access token of the grant
 *   (§2.1 SHOULD); revoking an access token revokes that token only.
 * A client can only revoke its own tokens; another client's token is left alone, silently
 * (§2.1: the AS verifies the token was issued to the caller).
 */
import type { LabModule } from '../module.js';
import { endpointAuthMetadata, tokenManagementRequest } from './token-lookup.js';

export const revocationModule: LabModule = {
  name: 'revocation',
  routes: () => [
    {
      listener: 'as',
      mtlsAlias: true,
      methods: ['POST'],
      path: '/revoke',
      endpoint: 'revocation',
      metadataName: 'revocation_endpoint',
      description: 'token revocation (RFC 7009): a refresh token revokes its whole grant',
      async handler(req, reply, ctx) {
        // RV-01: form, client authentication, token (lab/as/token-lookup.ts).
        const { caller, token, found } = await tokenManagementRequest(req, reply, ctx);
        if (!found || found.record.clientId !== caller) {
          req.lab.passed.push('RV-02');
        } else if (found.kind === 'refresh_token') {
          ctx.grants.revokeRefreshToken(token);
          req.lab.passed.push('RV-03');
        } else {
          ctx.grants.revokeAccessToken(found.record.jti);
          req.lab.passed.push('RV-01');
        }
        // RFC 7009 §2.2: 200 with an empty body.
        return reply.code(200).header('cache-control', 'no-store').send();
      },
    },
  ],
  metadata: () => endpointAuthMetadata('revocation'),
};
