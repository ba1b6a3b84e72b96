import { invalidRequest } from '../../errors.js';
import { defineCheck } from '../check.js';
import type { ParExchange } from '../par.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The OIDC `claims` request parameter (OIDC Core §5.5), which the lab offers
 * (`claims_parameter_supported`): a JSON object whose `id_token` and `userinfo` members, when
 * present, are objects mapping claim names to null or to an object (`essential` a boolean,
 * `values` an array). Anything else is refused with invalid_request; other members, and claims
 * the lab does not know, are ignored (OIDC Core §5.5). The lab returns the test users' name and
 * email in the ID token and at userinfo whenever openid is asked for, so a valid request needs
 * nothing more.
 */
export const parClaims = defineCheck<ParExchange>({
  id: 'PAR-10',
  name: 'par-claims-parameter',
  spec: 'OIDC Core §5.5; RFC 9126 §2.1',
  run(s) {
    const raw = s.form.get('claims');
    if (raw === undefined) return 'skip';
    let claims: unknown;
    try {
      claims = JSON.parse(raw);
    } catch {
      throw invalidRequest('the claims parameter is not JSON (OIDC Core §5.5)');
    }
    if (!isObject(claims))
      throw invalidRequest('the claims parameter must be a JSON object (OIDC Core §5.5)');
    for (const member of ['id_token', 'userinfo'] as const) {
      const requested = claims[member];
      if (requested === undefined) continue;
      if (!isObject(requested))
        throw invalidRequest(`claims.${member} must be an object of claim names (OIDC Core §5.5)`);
      for (const [name, rule] of Object.entries(requested)) {
        if (rule === null) continue;
        if (!isObject(rule))
          throw invalidRequest(`claims.${member}.${name} must be null or an object (OIDC Core §5.5.1)`);
        if (rule.essential !== undefined && typeof rule.essential !== 'boolean')
          throw invalidRequest(`claims.${member}.${name}.essential must be true or false (OIDC Core §5.5.1)`);
        if (rule.values !== undefined && !Array.isArray(rule.values))
          throw invalidRequest(`claims.${member}.${name}.values must be an array (OIDC Core §5.5.1)`);
      }
    }
  },
});
