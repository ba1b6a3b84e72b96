/** Small pieces of the client commands: durations, headers, the browser opener, step summaries. */
import { describe, expect, it } from 'vitest';
import { openBrowser } from '../../../src/cli/browser.js';
import { parseHeader } from '../../../src/cli/commands/call.js';
import { relativeTime, short } from '../../../src/cli/narrate.js';
import { parseDuration } from '../../../src/cli/session.js';
import { failureSummary } from '../../../src/cli/steps.js';
import { FapiError, serverError } from '../../../src/errors.js';

describe('client command helpers', () => {
  it('parses --timeout durations and refuses nonsense with exit 2', () => {
    expect(parseDuration('300', '--timeout')).toBe(300_000);
    expect(parseDuration('90s', '--timeout')).toBe(90_000);
    expect(parseDuration('5m', '--timeout')).toBe(300_000);
    expect(parseDuration('1h', '--timeout')).toBe(3_600_000);
    expect(parseDuration('250ms', '--timeout')).toBe(250);
    for (const bad of ['', '0', 'soon', '-5', '5 minutes'])
      expect(() => parseDuration(bad, '--timeout')).toThrow(FapiError);
  });

  it("parses -H 'Name: value' and refuses a header without a name", () => {
    expect(parseHeader('x-idempotency-key: 42')).toEqual(['x-idempotency-key', '42']);
    expect(parseHeader('Accept:application/json')).toEqual(['Accept', 'application/json']);
    expect(parseHeader('x-empty:')).toEqual(['x-empty', '']);
    for (const bad of ['no colon', ': value', 'bad name: x'])
      expect(() => parseHeader(bad)).toThrow(FapiError);
  });

  it('summarises a failed step with the server error, else the code', () => {
    expect(
      failureSummary(
        serverError('E_X', 'm', { status: 401, error: 'invalid_client', error_description: 'nope' }),
      ),
    ).toBe('401 invalid_client: nope');
    expect(failureSummary(new FapiError('E_ISS_MISMATCH', 'm', { kind: 'server' }))).toBe('E_ISS_MISMATCH');
    expect(failureSummary(new Error('boom'))).toBe('boom');
  });

  it('formats short ids and relative times', () => {
    expect(short('abcdefghijklmnop')).toBe('abcd…nop');
    expect(short('abc')).toBe('abc');
    expect(relativeTime(300)).toBe('in 5 min');
    expect(relativeTime(42)).toBe('in 42 s');
    expect(relativeTime(-7200)).toBe('2 h ago');
  });

  it('runs BROWSER with the URL quoted (or in place of %s) and reports a failing opener', async () => {
    const url = "https://as.example/authorize?client_id=c&request_uri=urn:x'y";
    const ok = openBrowser(url, 'true');
    expect(ok.command).toBe(`true 'https://as.example/authorize?client_id=c&request_uri=urn:x'\\''y'`);
    expect(await ok.failed).toBeUndefined();
    const placeholder = openBrowser(url, 'true --new-window %s');
    expect(placeholder.command).toContain("--new-window 'https://as.example");
    const failing = openBrowser(url, 'sh -c "echo no display >&2; exit 3"');
    expect(await failing.failed).toBe('exited with 3: no display');
  });
});
