/** The one parser of OAuth error answers (RFC 6749 §5.2, RFC 6750 §3) and the one hint table. */
import { describe, expect, it } from 'vitest';
import { REGISTRATION, hintFor, oauthErrorBody, oauthErrorOf } from '../../../src/core/oauth-error.js';
import { makeResponse } from '../../../src/http/client.js';

const URL_ = 'https://as.example/token';
const res = (status: number, body: string, headers: Record<string, string> = {}) =>
  makeResponse(URL_, status, headers, Buffer.from(body));

describe('oauthErrorBody', () => {
  it('keeps error and error_description when they are strings, whatever the content type says', () => {
    expect(oauthErrorBody(res(400, ' {"error":"invalid_request","error_description":"d","x":1}'))).toEqual({
      error: 'invalid_request',
      error_description: 'd',
    });
    expect(oauthErrorBody(res(400, '{"error":42,"error_description":null}'))).toEqual({});
  });

  it('is empty for bodies that are not a JSON object', () => {
    for (const body of ['', '<html>Bad gateway</html>', 'null', '[1]', '"error"', '{"error":'])
      expect(oauthErrorBody(res(502, body)), body).toEqual({});
  });
});

describe('oauthErrorOf', () => {
  it('takes the error from a WWW-Authenticate challenge when the body has none (RS)', () => {
    const www = 'DPoP algs="ES256", error="invalid_token", error_description="expired"';
    expect(oauthErrorOf(res(401, '', { 'www-authenticate': www }))).toEqual({
      status: 401,
      endpoint: URL_,
      www_authenticate: www,
      error: 'invalid_token',
      error_description: 'expired',
    });
  });

  it('lets the JSON body win over the challenge, field by field', () => {
    const o = oauthErrorOf(
      res(401, '{"error":"invalid_dpop_proof"}', {
        'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="nonce"',
        'content-type': 'application/json',
      }),
    );
    expect(o.error).toBe('invalid_dpop_proof');
    expect(o.error_description).toBe('nonce');
  });
});

describe('hintFor', () => {
  it('has registration hints apart from the flow hints for the same code', () => {
    const o = { error: 'invalid_redirect_uri' };
    expect(hintFor(REGISTRATION, o)).toContain('--redirect-uri (the CLI listens on a loopback IP');
    expect(hintFor('PAR', o, { redirectUri: 'https://c/cb' })).toContain(
      'The redirect URI https://c/cb is not registered for this client',
    );
  });

  it('gives no registration hint for flow errors, and no flow hint for registration errors', () => {
    expect(hintFor(REGISTRATION, { error: 'server_error' })).toBeUndefined();
    expect(hintFor('token', { error: 'invalid_client_metadata' })).toBeUndefined();
    expect(hintFor('token', { error: 'server_error' })).toBe('The server had a problem; try again later.');
  });

  it('MS-07: request object refusals get hints: invalid_request_object, a required request object, request_not_supported', () => {
    expect(hintFor('PAR', { error: 'invalid_request_object' }, { kid: 'k1', clientId: 'c1' })).toContain(
      'the signing key (kid "k1") is not registered for client c1',
    );
    expect(
      hintFor('PAR', {
        error: 'invalid_request',
        error_description:
          'MS-01: client c1 requires a signed request object: push every parameter inside request=<JWS>',
      }),
    ).toContain('run `fapi login --jar`');
    expect(
      hintFor('PAR', {
        error: 'invalid_request',
        error_description: 'Request Object must be used by this client',
      }),
    ).toContain('fapi login --jar');
    expect(hintFor('PAR', { error: 'request_not_supported' })).toContain('--no-jar');
  });
});
