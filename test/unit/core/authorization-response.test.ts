/** The authorization response: iss first (CL-11), then state (CL-12), then error or code. */
import { describe, expect, it } from 'vitest';
import { validateAuthorizationResponse } from '../../../src/core/authorization-response.js';
import type { FapiError } from '../../../src/errors.js';
import { expectFapiError } from '../../helpers/expect-error.js';

const ISS = 'https://as.example';
const check = { issuer: ISS, issParameterSupported: true, state: 'st-1' };
const q = (s: string) => new URLSearchParams(s);

function fails(params: URLSearchParams, code: string, o = check): FapiError {
  return expectFapiError(() => validateAuthorizationResponse(params, o), { code });
}

describe('authorization response', () => {
  it('accepts a code with the right iss and state', () => {
    expect(
      validateAuthorizationResponse(q(`code=c1&state=st-1&iss=${encodeURIComponent(ISS)}`), check),
    ).toEqual({
      code: 'c1',
      iss_checked: true,
    });
  });

  it('CL-11: a wrong iss aborts, compared as an exact string', () => {
    const e = fails(
      q(`code=c1&state=st-1&iss=${encodeURIComponent('https://evil.example')}`),
      'E_ISS_MISMATCH',
    );
    expect(e.message).toContain('Issuer mismatch');
    expect(e.exitCode).toBe(5);
    fails(q(`code=c1&state=st-1&iss=${encodeURIComponent(ISS + '/')}`), 'E_ISS_MISMATCH');
    fails(q(`code=c1&state=st-1&iss=${encodeURIComponent('HTTPS://as.example')}`), 'E_ISS_MISMATCH');
  });

  it('CL-11: a missing iss aborts when the metadata advertises it, and is tolerated otherwise', () => {
    fails(q('code=c1&state=st-1'), 'E_ISS_MISSING');
    expect(
      validateAuthorizationResponse(q('code=c1&state=st-1'), { ...check, issParameterSupported: false }),
    ).toEqual({ code: 'c1', iss_checked: false });
  });

  it('CL-11: does not act on the error of a response whose iss is wrong', () => {
    fails(q('error=access_denied&state=st-1&iss=https%3A%2F%2Fevil.example'), 'E_ISS_MISMATCH');
  });

  it('CL-12: a wrong or missing state aborts', () => {
    fails(q(`code=c1&state=other&iss=${encodeURIComponent(ISS)}`), 'E_STATE_MISMATCH');
    fails(q(`code=c1&iss=${encodeURIComponent(ISS)}`), 'E_STATE_MISSING');
  });

  it('refuses repeated parameters', () => {
    fails(q(`code=c1&code=c2&state=st-1&iss=${encodeURIComponent(ISS)}`), 'E_AUTHZ_RESPONSE_DUPLICATE');
  });

  it('turns an error response into exit 5 with error and error_description verbatim', () => {
    const e = fails(
      q(`error=access_denied&error_description=User+said+no&state=st-1&iss=${encodeURIComponent(ISS)}`),
      'E_OAUTH_ACCESS_DENIED',
    );
    expect(e.exitCode).toBe(5);
    expect(e.oauth).toEqual({ error: 'access_denied', error_description: 'User said no' });
  });

  it('refuses a response with neither code nor error', () => {
    fails(q(`state=st-1&iss=${encodeURIComponent(ISS)}`), 'E_NO_CODE');
  });
});
