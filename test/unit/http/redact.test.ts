/** Secrets never reach a trace in the clear (CL-28): headers, redirects, JSON, forms, URLs, JWTs. */
import { describe, expect, it } from 'vitest';
import { redactBody, redactForm, redactHeaders, redactJson, redactUrl } from '../../../src/http/redact.js';

const AT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('redaction (CL-28)', () => {
  it('keeps the scheme of Authorization, hides the token, the DPoP proof and cookies', () => {
    const h = redactHeaders({
      Authorization: `DPoP ${AT}`,
      dpop: AT,
      cookie: 'sid=1',
      accept: 'application/json',
      skipped: undefined,
    });
    expect(h.Authorization).toMatch(/^DPoP «redacted: token, \d+ chars»$/);
    expect(h.dpop).toMatch(/^«redacted: dpop/);
    expect(h.cookie).toMatch(/^«redacted/);
    expect(h.accept).toBe('application/json');
    expect('skipped' in h).toBe(false);
    expect(JSON.stringify(h)).not.toContain(AT);
  });
  it('hides the code, a JARM response and tokens in a redirect Location, keeping state and iss', () => {
    const loc = 'http://127.0.0.1:5000/callback?code=SECRETCODE&state=s1&iss=https%3A%2F%2Fas';
    const h = redactHeaders({ location: loc, 'Content-Location': `https://x/cb?response=${AT}` });
    expect(h.location).not.toContain('SECRETCODE');
    expect(h.location).toContain('state=s1');
    expect(h.location).toContain('iss=https%3A%2F%2Fas');
    expect(h['Content-Location']).not.toContain(AT);
    expect(redactHeaders({ location: '/relative?x=1' }).location).toBe('/relative?x=1');
  });
  it('hides secret JSON members at any depth, and secret form fields', () => {
    const j = redactJson({
      access_token: AT,
      nested: { refresh_token: 'rt', keys: [{ d: 'priv', x: 'pub' }] },
      scope: 'a',
    });
    const s = JSON.stringify(j);
    expect(s).not.toContain(AT);
    expect(s).not.toContain('"rt"');
    expect(s).not.toContain('priv');
    expect(s).toContain('"x":"pub"');
    expect(s).toContain('"scope":"a"');
    const f = redactForm(
      `grant_type=authorization_code&code=abc123&code_verifier=v${'x'.repeat(50)}&client_assertion=${AT}`,
    );
    expect(f).toContain('grant_type=authorization_code');
    expect(f).not.toMatch(/abc123|xxxxx|eyJ/);
  });
  it('hides secret query parameters of URLs, and whole JWT bodies', () => {
    expect(redactUrl(`https://rs/x?access_token=${AT}&page=2`)).not.toContain(AT);
    expect(redactUrl('https://rs/x?page=2')).toBe('https://rs/x?page=2');
    expect(redactBody(AT, 'application/jwt')).toMatch(/^«redacted: jwt/);
    expect(redactBody(JSON.stringify({ id_token: AT }), 'application/json')).not.toContain(AT);
    expect(redactBody('plain text', 'text/plain')).toBe('plain text');
  });
});
