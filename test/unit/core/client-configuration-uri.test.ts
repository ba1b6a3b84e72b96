/** CL-25: the registration access token goes only to an https client configuration endpoint (RFC 7592 §3). */
import { describe, expect, it } from 'vitest';
import { clientConfigurationUri, compareRegistered } from '../../../src/core/registration.js';

describe('clientConfigurationUri', () => {
  it('CL-25: keeps an https registration_client_uri and drops any other', () => {
    expect(clientConfigurationUri({ registration_client_uri: 'https://as.example/register/c1' })).toBe(
      'https://as.example/register/c1',
    );
    for (const uri of ['http://as.example/register/c1', 'HTTPS-ish://x', '/register/c1', undefined])
      expect(clientConfigurationUri({ registration_client_uri: uri })).toBeUndefined();
  });

  it('CL-25: the registration warns about the same non-https URI it will not use', () => {
    const warnings = compareRegistered(
      { redirect_uris: ['http://127.0.0.1/callback'] },
      {
        client_id: 'c1',
        registration_client_uri: 'http://as.example/register/c1',
        registration_access_token: 'rat',
        metadata: {},
      },
    );
    expect(warnings).toContain(
      'registration_client_uri http://as.example/register/c1 is not https; fapi will not use it',
    );
  });
});
