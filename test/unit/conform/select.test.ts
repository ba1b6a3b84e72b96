import { describe, expect, it } from 'vitest';
import { expectFapiError } from '../../helpers/expect-error.js';
import { entries, parseExpectedFailures, selectChecks, selects } from '../../../src/conform/select.js';

const ids = [
  'CA-02.token-url',
  'CA-02.par-url',
  'CA-13',
  'DP-01.par',
  'DP-10.rs',
  'DP-13',
  'attack:evil-twin',
];
const checks = ids.map((id) => ({ id }));

describe('selecting checks by ID or prefix', () => {
  it('a catalogue ID selects its cases; a prefix ending in - . or : selects its family', () => {
    expect(selects('CA-02', 'CA-02.token-url')).toBe(true);
    expect(selects('DP-', 'DP-13')).toBe(true);
    expect(selects('attack:', 'attack:evil-twin')).toBe(true);
    expect(selects('DP-1', 'DP-13')).toBe(false);
    expect(selects('CA-1', 'CA-13')).toBe(false);
    expect(selects('DP-01', 'DP-01.par')).toBe(true);
  });

  it('--only and --skip take repeated and comma-separated entries', () => {
    expect(entries(['CA-02,DP-', 'CA-13'])).toEqual(['CA-02', 'DP-', 'CA-13']);
    expect(selectChecks(checks, { only: ['DP-'], skip: ['DP-10.rs'] }).map((c) => c.id)).toEqual([
      'DP-01.par',
      'DP-13',
    ]);
  });

  it('an unknown entry is a usage error (exit 2) naming it', () => {
    const e = expectFapiError(() => selectChecks(checks, { only: ['CA-02', 'XX-99'], skip: ['DP-1'] }), {
      code: 'E_UNKNOWN_CHECK',
      exitCode: 2,
    });
    expect(e.message).toContain('--only XX-99');
    expect(e.message).toContain('--skip DP-1');
    expect(e.message).not.toContain('CA-02');
  });
});

describe('the expected-failures file', () => {
  it('one ID per line, # comments and blank lines ignored', () => {
    const text = '# known deviations\nCA-13   # typ not checked\n\nDP-\n';
    expect(parseExpectedFailures(text, 'x.txt', ids)).toEqual(['CA-13', 'DP-']);
  });

  it('an unknown ID is a usage error naming the file, line and ID', () => {
    expectFapiError(() => parseExpectedFailures('CA-13\nTK-99\n', 'ef.txt', ids), {
      code: 'E_UNKNOWN_CHECK',
      exitCode: 2,
      message: 'ef.txt:2: TK-99',
    });
  });
});

describe('the catalogue rows not checked', () => {
  it('each is named once, with its reason; none is a check, except those checked in part', async () => {
    const { ALL_CHECKS } = await import('../../../src/conform/checks/index.js');
    const { NOT_CHECKED } = await import('../../../src/conform/not-checked.js');
    const checked = (id: string) => ALL_CHECKS.some((c) => selects(id, c.id));
    expect(new Set(NOT_CHECKED.map((n) => n.id)).size).toBe(NOT_CHECKED.length);
    for (const n of NOT_CHECKED) {
      expect(n.reason.length, n.id).toBeGreaterThan(20);
      expect(checked(n.id), n.id).toBe(Boolean(n.partly));
    }
  });

  it('--only with a row that is not checked: exit 2 saying why; --list shows the rows its selection names', async () => {
    const { selectNotChecked } = await import('../../../src/conform/select.js');
    const e = await expectFapiError(() => selectChecks(checks, { only: ['NET-09'] }));
    expect(e.message).toBe(
      'No check matches --only NET-09. NET-09 has no check of its own: DNSSEC is a property of the deployment, not of the server (a SHOULD).',
    );
    expect(selectNotChecked({ only: ['RS-'] }).map((n) => n.id)).toEqual(['RS-06', 'RS-09']);
    expect(selectNotChecked({ skip: ['CR-'] }).some((n) => n.id.startsWith('CR-'))).toBe(false);
  });
});

/**
 * The rows of part 1 of the requirements catalogue (server-side requirements, sections 1.1-1.13 of
 * ../shared/fapi2-requirements.md, which the package does not ship): each family's rows are
 * numbered 01..n without gaps.
 */
const PART_1: Record<string, number> = {
  NET: 10, // 1.1 Network and TLS
  META: 15, // 1.2 Discovery metadata
  REG: 13, // 1.3 Client model and registration
  CA: 13, // 1.4 private_key_jwt
  MT: 9, // 1.5 mTLS
  PAR: 17, // 1.6 PAR
  AZ: 11, // 1.7 Authorization endpoint
  TK: 14, // 1.8 Token endpoint
  DP: 23, // 1.9 DPoP
  RT: 11, // 1.10 Refresh tokens
  RS: 9, // 1.11 Resource server
  IN: 4, // 1.12 Introspection
  RV: 3, // 1.12 Revocation
  CR: 9, // 1.13 Cryptography, keys, JWT processing, time
};
const PART_1_IDS = Object.entries(PART_1).flatMap(([family, n]) =>
  Array.from({ length: n }, (_, i) => `${family}-${String(i + 1).padStart(2, '0')}`),
);

describe('every server-side row of the catalogue (part 1) is a check, or a row not checked with its reason', () => {
  it('161 rows, each selected by a check or listed in not-checked.ts (CR-07: inside META-12)', async () => {
    const { ALL_CHECKS } = await import('../../../src/conform/checks/index.js');
    const { NOT_CHECKED } = await import('../../../src/conform/not-checked.js');
    expect(PART_1_IDS.length).toBe(161);
    const missing = PART_1_IDS.filter(
      (id) => !ALL_CHECKS.some((c) => selects(id, c.id)) && !NOT_CHECKED.some((n) => n.id === id),
    );
    expect(missing).toEqual([]);
    expect(NOT_CHECKED.find((n) => n.id === 'CR-07')?.reason).toMatch(/^it is checked as part of META-12 /);
    expect(ALL_CHECKS.some((c) => c.id === 'META-12')).toBe(true);
  });

  it('the rows not checked are part-1 rows; the checks are part-1 rows, Message Signing (MS-, part 4), Rich Authorization Requests (RAR-, RFC 9396), attacks or OIDC', async () => {
    const { ALL_CHECKS } = await import('../../../src/conform/checks/index.js');
    const { NOT_CHECKED } = await import('../../../src/conform/not-checked.js');
    expect(NOT_CHECKED.map((n) => n.id).filter((id) => !PART_1_IDS.includes(id))).toEqual([]);
    const stray = ALL_CHECKS.map((c) => c.id).filter(
      (id) =>
        !PART_1_IDS.includes(id.split('.')[0] as string) && !/^(MS-\d\d|RAR-\d\d|attack:|oidc:)/.test(id),
    );
    expect(stray).toEqual([]);
  });

  it('every check a reason names exists (CR-07 → META-12, CR-04 → REG-06, TK-12 → TK-09.expires-in, …)', async () => {
    const { ALL_CHECKS } = await import('../../../src/conform/checks/index.js');
    const { NOT_CHECKED } = await import('../../../src/conform/not-checked.js');
    const named = NOT_CHECKED.flatMap((n) =>
      [...n.reason.matchAll(/\b[A-Z]{2,4}-\d\d(?:\.[a-z][\w-]*)*/g)].map((m) => `${n.id} → ${m[0]}`),
    );
    expect(named).toContain('CR-07 → META-12');
    expect(named.filter((x) => !ALL_CHECKS.some((c) => selects(x.split(' → ')[1] as string, c.id)))).toEqual(
      [],
    );
  });
});
