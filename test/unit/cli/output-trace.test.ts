/**
 * The one --verbose HTTP trace renderer (src/cli/output.ts), as `fapi -v` prints it and as
 * `fapi -v lab attack` prints it for each party: secrets redacted, a prefix, an indent, a body cut.
 */
import { describe, expect, it } from 'vitest';
import { makeResponse, type TraceEvent } from '../../../src/http/client.js';
import { Output } from '../../../src/cli/output.js';

function output(verbose = true) {
  let err = '';
  const out = new Output(
    { write: () => true },
    { write: (s: string) => (err += s) },
    { json: false, color: false, verbose },
  );
  return { out, stderr: () => err };
}

const request: TraceEvent['request'] = {
  method: 'POST',
  url: 'https://as.example/token',
  headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: 'eyJhbGciOi.eyJqdGki.c2ln' },
  body: 'grant_type=authorization_code&code=SECRET-CODE',
};
const response = makeResponse(
  'https://as.example/token',
  400,
  { 'content-type': 'application/json' },
  Buffer.from(JSON.stringify({ error: 'invalid_grant', error_description: 'x'.repeat(60) })),
);

describe('Output.trace', () => {
  it('prints request and response with headers and bodies indented by four, secrets redacted', () => {
    const { out, stderr } = output();
    out.trace({ phase: 'request', request });
    out.trace({ phase: 'response', request, response, ms: 12 });
    const lines = stderr().split('\n');
    expect(lines[0]).toBe('→ POST https://as.example/token');
    expect(lines[1]).toBe('    content-type: application/x-www-form-urlencoded');
    expect(lines[2]).toMatch(/^ {4}dpop: «redacted/);
    expect(stderr()).not.toContain('SECRET-CODE');
    expect(stderr()).toContain('← 400 https://as.example/token (12 ms)');
    expect(stderr()).toContain('      "error": "invalid_grant"');
  });

  it('puts a prefix before each arrow, moves every line by the indent and cuts bodies at the limit', () => {
    const { out, stderr } = output();
    const o = { prefix: '[FAPI 2.0 lab] attacker', indent: 2, bodyLimit: 20 };
    out.trace({ phase: 'request', request }, o);
    out.trace({ phase: 'response', request, response, ms: 3 }, o);
    out.trace({ phase: 'error', request, error: new Error('socket hang up') }, o);
    const lines = stderr().split('\n');
    expect(lines[0]).toBe('  [FAPI 2.0 lab] attacker → POST https://as.example/token');
    expect(lines[1]).toBe('      content-type: application/x-www-form-urlencoded');
    expect(stderr()).toContain('  [FAPI 2.0 lab] attacker ← 400 https://as.example/token (3 ms)');
    // Cut at 20 characters, so no longer JSON: shown as it is.
    expect(stderr()).toContain('      {"error":"invalid_gr…');
    expect(stderr()).toContain('  [FAPI 2.0 lab] attacker ✖ POST https://as.example/token: socket hang up');
  });

  it('prints nothing without --verbose', () => {
    const { out, stderr } = output(false);
    out.trace({ phase: 'request', request }, { prefix: 'x' });
    expect(stderr()).toBe('');
  });

  it("without a prefix, the request's label goes before each arrow (fapi conform server: the check and variant)", () => {
    const { out, stderr } = output();
    const labelled = { ...request, label: 'DP-14 private_key_jwt+dpop' };
    out.trace({ phase: 'request', request: labelled });
    out.trace({ phase: 'response', request: labelled, response, ms: 3 });
    out.trace({ phase: 'error', request: labelled, error: new Error('socket hang up') });
    const lines = stderr().split('\n');
    expect(lines[0]).toBe('[DP-14 private_key_jwt+dpop] → POST https://as.example/token');
    expect(stderr()).toContain('[DP-14 private_key_jwt+dpop] ← 400 https://as.example/token (3 ms)');
    expect(stderr()).toContain(
      '[DP-14 private_key_jwt+dpop] ✖ POST https://as.example/token: socket hang up',
    );
  });
});
