/**
 * The JUnit XML report of a conformance run (`--junit FILE`), in the shape GitHub and GitLab
 * render: one <testsuite> per variant (and one for the checks that run once per server), one
 * <testcase> per check and variant. `failed` is a <failure>; `skipped` and `expected-failure` are
 * <skipped> (an expected failure does not fail the build); a `warning` passes with the warning in
 * <system-out>. Pure: results in, a string out. Used by `fapi conform server` and `fapi conform
 * client` alike.
 */
import { variantLabel, type CheckResult } from './types.js';

// XML 1.0 §2.2: characters outside Char are not allowed, even escaped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd]/gu;

export function xmlEscape(s: string): string {
  return s
    .replace(INVALID_XML, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attr = (name: string, value: string | number) => `${name}="${xmlEscape(String(value))}"`;
const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml(o: {
  issuer: string;
  results: readonly CheckResult[];
  durationMs: number;
  /** The name of the report (default `fapi conform server ISSUER`). */
  title?: string;
}): string {
  const suites = new Map<string, CheckResult[]>();
  for (const r of o.results) {
    const key = variantLabel(r.variant ?? undefined);
    let list = suites.get(key);
    if (!list) suites.set(key, (list = []));
    list.push(r);
  }
  const count = (rs: readonly CheckResult[]) => ({
    tests: rs.length,
    failures: rs.filter((r) => r.result === 'failed').length,
    skipped: rs.filter((r) => r.result === 'skipped' || r.result === 'expected-failure').length,
    time: seconds(rs.reduce((a, r) => a + r.ms, 0)),
  });
  const all = count(o.results);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attr('name', o.title ?? `fapi conform server ${o.issuer}`)} ${attr('tests', all.tests)} ${attr('failures', all.failures)} ${attr('skipped', all.skipped)} ${attr('time', seconds(o.durationMs))}>`,
  ];
  for (const [label, rs] of suites) {
    const c = count(rs);
    lines.push(
      `  <testsuite ${attr('name', label)} ${attr('tests', c.tests)} ${attr('failures', c.failures)} ${attr('errors', 0)} ${attr('skipped', c.skipped)} ${attr('time', c.time)}>`,
    );
    for (const r of rs) {
      const classname = `fapi.conform.${label.replace(/ \+ /g, '.')}.${r.group}`;
      const open = `    <testcase ${attr('classname', classname)} ${attr('name', `${r.id}: ${r.title}`)} ${attr('time', seconds(r.ms))}`;
      const text = `${r.detail}\n${r.level} — ${r.spec}`;
      switch (r.result) {
        case 'failed':
          lines.push(
            `${open}>`,
            `      <failure ${attr('message', r.detail)} ${attr('type', r.level)}>${xmlEscape(text)}</failure>`,
            '    </testcase>',
          );
          break;
        case 'skipped':
          lines.push(`${open}>`, `      <skipped ${attr('message', r.detail)}/>`, '    </testcase>');
          break;
        case 'expected-failure':
          lines.push(
            `${open}>`,
            `      <skipped ${attr('message', `expected failure: ${r.detail}`)}/>`,
            '    </testcase>',
          );
          break;
        case 'warning':
          lines.push(
            `${open}>`,
            `      <system-out>${xmlEscape(`WARNING: ${text}`)}</system-out>`,
            '    </testcase>',
          );
          break;
        default:
          lines.push(`${open}/>`);
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
