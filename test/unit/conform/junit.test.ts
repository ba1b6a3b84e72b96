import { describe, expect, it } from 'vitest';
import { junitXml, xmlEscape } from '../../../src/conform/junit.js';
import type { CheckResult } from '../../../src/conform/types.js';

const r = (
  id: string,
  result: CheckResult['result'],
  variant: CheckResult['variant'],
  detail = 'x',
): CheckResult => ({
  id,
  title: `title of ${id}`,
  variant,
  result,
  spec: 'FAPI2-SP §5.3.2.1-8',
  detail,
  level: 'MUST',
  group: 'client-auth',
  ms: 12,
});

/** A small well-formedness check: balanced tags, quoted attributes, no raw < or & in text. */
function wellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(body))) {
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      expect(m[5]).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
      continue;
    }
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else if (!m[4]) stack.push(m[2] as string);
  }
  expect(pos).toBe(body.length);
  expect(stack).toEqual([]);
}

describe('the JUnit report', () => {
  const v = { auth: 'private_key_jwt', sender: 'dpop' } as const;
  const results = [
    r('META-01', 'passed', null),
    r('CA-02.token-url', 'failed', v, 'PAR with aud = <token URL> & more → 201: accepted "quoted"'),
    r('CA-13', 'warning', v),
    r('TK-02', 'skipped', v, 'run with --slow'),
    r('CA-04', 'expected-failure', v),
    r('CA-02.token-url', 'passed', { auth: 'private_key_jwt', sender: 'mtls' }),
  ];
  const xml = junitXml({ issuer: 'https://as.example', results, durationMs: 1234 });

  it('is well-formed XML, with escaped text and attributes', () => {
    wellFormed(xml);
    expect(xml).toContain('&lt;token URL&gt; &amp; more');
    expect(xml).toContain('&quot;quoted&quot;');
    expect(xmlEscape('\u0001')).toBe('\ufffd');
  });

  it('has one testcase per check and variant, a testsuite per variant', () => {
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml.match(/<testsuite /g)).toHaveLength(3);
    expect(xml).toMatch(/<testsuites [^>]*tests="6" failures="1" skipped="2"/);
  });

  it('failed is a failure, skipped and expected-failure are skipped, a warning passes with system-out', () => {
    expect(xml).toMatch(/name="CA-02.token-url: [^"]*"[^>]*>\s*<failure /);
    expect(xml).toMatch(/<skipped message="expected failure: x"\/>/);
    expect(xml).toMatch(/<skipped message="run with --slow"\/>/);
    expect(xml).toMatch(/<system-out>WARNING: x/);
  });
});
