import { badRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import { citing, labEcosystem } from '../../ecosystem.js';
import type { TokenExchange } from '../token.js';

/**
 * ECO-05: under an ecosystem preset with one sender constraint, access tokens are bound only that
 * way: a DPoP proof at an mTLS-only ecosystem's token endpoint (UAE, KSA, Chile, CDR, ConnectID),
 * or a certificate binding at a DPoP-only one (Singpass), is refused, citing the rule.
 */
export const tokenEcosystemBinding = defineCheck<TokenExchange>({
  id: 'ECO-05',
  name: 'token-binding-within-ecosystem',
  spec: 'src/core/ecosystems.ts (the preset rules and their sources)',
  run(s) {
    const eco = labEcosystem(s.ctx.config);
    const sender = eco.settings.sender;
    if (!sender) return 'skip';
    const bound = s.tokenType === 'DPoP' ? 'dpop' : s.binding?.['x5t#S256'] ? 'mtls' : undefined;
    if (bound && bound !== sender)
      throw badRequest(
        'invalid_request',
        sender === 'mtls'
          ? `${eco.name} binds access tokens to the client certificate, not with DPoP: send no DPoP proof${citing(eco, 'sender')}`
          : `${eco.name} binds access tokens with DPoP: send a DPoP proof${citing(eco, 'sender')}`,
        'ECO-05',
      );
  },
});
