import { GRANT_TYPES, type GrantType } from '../../../src/core/fapi.js';
import { defineCheck } from '../check.js';
import { invalidMetadata, stringArray, type RegistrationExchange } from '../registration.js';

/**
 * REG-03: grant_types ⊆ {authorization_code, refresh_token, client_credentials} and
 * response_types ⊆ {code} (FAPI2-SP §5.3.2.1-2, §5.3.2.2-1). Defaults per RFC 7591 §2.
 */
export const regGrantTypes = defineCheck<RegistrationExchange>({
  id: 'REG-03',
  name: 'registration-grant-and-response-types',
  spec: 'FAPI2-SP §5.3.2.1-2, §5.3.2.2-1; RFC 7591 §2.1',
  run(s) {
    const grants =
      s.body.grant_types === undefined
        ? ['authorization_code']
        : stringArray(s.body.grant_types, 'grant_types');
    const bad = grants.filter((g) => !(GRANT_TYPES as readonly string[]).includes(g));
    if (bad.length)
      throw invalidMetadata(
        `grant_types ${bad.map((g) => JSON.stringify(g)).join(', ')} not allowed: FAPI 2.0 permits ${GRANT_TYPES.join(', ')}`,
      );
    if (grants.length === 0) throw invalidMetadata('grant_types must not be empty');
    const code = grants.includes('authorization_code');
    const responses =
      s.body.response_types === undefined
        ? code
          ? ['code']
          : []
        : stringArray(s.body.response_types, 'response_types');
    const badR = responses.filter((r) => r !== 'code');
    if (badR.length)
      throw invalidMetadata(
        `response_types ${badR.map((r) => JSON.stringify(r)).join(', ')} not allowed: FAPI 2.0 uses "code" only`,
      );
    if (code && !responses.includes('code'))
      throw invalidMetadata('the authorization_code grant needs response_types ["code"] (RFC 7591 §2.1)');
    if (!code && responses.length)
      throw invalidMetadata('response_types "code" needs the authorization_code grant (RFC 7591 §2.1)');
    s.metadata.grant_types = [...new Set(grants)] as GrantType[];
    s.metadata.response_types = [...new Set(responses)];
  },
});
