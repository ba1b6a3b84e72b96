/**
 * The UserInfo endpoint (OIDC Core §5.3), a protected resource of the AS: the same checks as the
 * RS (sender-constrained access token: DPoP with `ath` and `cnf.jkt`, or the certificate against
 * `cnf.x5t#S256`; the RFC 6750 / RFC 9449 challenges), scope `openid`. Returns the user's claims.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LabContext } from '../context.js';
import type { LabModule } from '../module.js';
import { guard, rsRuntime } from '../rs/module.js';

function handleUserinfo(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  const st = guard(req, reply, ctx, rsRuntime(ctx).userinfo, 'openid');
  if (!st) return reply;
  const sub = st.claims?.sub;
  const user = typeof sub === 'string' ? ctx.users.get(sub) : undefined;
  // OIDC Core §5.3.2: sub always; then the test user's claims (alice and bob: a name and an email).
  const claims: Record<string, unknown> = user ? { sub, preferred_username: sub, ...user.claims } : { sub };
  return reply.type('application/json').send(JSON.stringify(claims));
}

export const userinfoModule: LabModule = {
  name: 'userinfo',
  routes: () => [
    {
      listener: 'as',
      mtlsAlias: true,
      methods: ['GET', 'POST'],
      path: '/userinfo',
      endpoint: 'userinfo',
      metadataName: 'userinfo_endpoint',
      description: "the user's claims (OIDC Core §5.3), sender-constrained like the RS",
      handler: handleUserinfo,
    },
  ],
};
