/**
 * `fapi conform server` as users run it: the real bin/fapi.js against `fapi lab up` processes and
 * small hand-made servers. The output contract (--json, --junit), the exit codes (0, 6, 4, 2,
 * 130), --expected-failures, the bad-input cases, a hostile server failing one check at a time,
 * logins through a BROWSER command, and Ctrl-C deleting the temporary clients.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, fapi, tempHome } from '../helpers/cli.js';
import { startHttpsServer } from '../helpers/https-server.js';
import { labUpProcess, type LabProcess } from '../helpers/lab-process.js';

/** One variant (private_key_jwt + DPoP), logins followed by fapi itself. */
const ONE_VARIANT_FOLLOW = ['--auth', 'private_key_jwt', '--sender', 'dpop', '--browser', 'follow'];

const WORDS = ['passed', 'failed', 'warning', 'skipped', 'expected-failure'];

interface ContractResult {
  id: string;
  title: string;
  variant: { auth: string | null; sender: string | null };
  result: string;
  spec: string;
  detail: string;
}

let home: { dir: string; cleanup: () => void };
let lab: LabProcess;
let files: string;

/** The arguments of a run against the lab process. */
const labRun = (l: LabProcess, h: string, extra: string[]) => [
  '--home',
  h,
  '--ca',
  l.ca,
  'conform',
  'server',
  l.issuer,
  '--client-ca-cert',
  l.ca,
  '--client-ca-key',
  path.join(path.dirname(l.ca), 'ca-key.pem'),
  '--rs',
  `${l.rs}/accounts`,
  ...extra,
];

/** Client files in the lab home (the lab writes one per registered client, removes it on delete). */
function clientFiles(l: LabProcess): number {
  try {
    return readdirSync(path.join(path.dirname(l.ca), 'clients')).length;
  } catch {
    return 0;
  }
}

beforeAll(async () => {
  home = tempHome('fapi-conform-e2e-');
  files = mkdtempSync(path.join(os.tmpdir(), 'fapi-conform-files-'));
  lab = await labUpProcess(home.dir, ['--auto-approve']);
}, 60_000);

afterAll(async () => {
  await lab?.stop();
  home?.cleanup();
  rmSync(files, { recursive: true, force: true });
});

describe('fapi conform server: usage', () => {
  it('--list lists every check without touching the network (exit 0)', async () => {
    const r = await fapi(['--json', 'conform', 'server', '--list']);
    expect(r.code).toBe(0);
    const { checks } = JSON.parse(r.stdout) as { checks: { id: string; level: string; spec: string }[] };
    expect(checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(['META-01', 'CA-02.token-url', 'DP-14', 'attack:evil-twin']),
    );
    expect(checks.every((c) => (c.level === 'MUST' || c.level === 'SHOULD') && c.spec)).toBe(true);
    // The catalogue rows not checked, each with the reason, once.
    const notChecked = (JSON.parse(r.stdout) as { not_checked: { id: string; reason: string }[] })
      .not_checked;
    expect(notChecked.find((n) => n.id === 'NET-08')?.reason).toMatch(/a URL fapi serves/);
    const text = await fapi(['conform', 'server', '--list', '--only', 'RS-']);
    expect(text.stdout).toMatch(
      /not checked, and why\n {2}RS-06 +the sender constraint at the RS is checked rule by rule/,
    );
  });

  it('CR-07 (checked inside META-12): --only CR-07 is exit 2 saying where it is checked; --list names it', async () => {
    const r = await fapi(['conform', 'server', 'https://as.example', '--only', 'CR-07']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      '✖ No check matches --only CR-07. CR-07 has no check of its own: it is checked as part of META-12 (FAPI2-SP §5.4.2): jwks_uri over TLS only (failed otherwise), x5u/jku and repeated kids (warnings).',
    );
    const list = await fapi(['conform', 'server', '--list', '--only', 'CR-,META-12']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ {2}META-12 +MUST +jwks_uri over TLS; /m);
    expect(list.stdout).toMatch(/^ {2}CR-07 +it is checked as part of META-12 /m);
  });

  it('an unknown ID in --only or --skip is exit 2 naming it', async () => {
    const r = await fapi([
      'conform',
      'server',
      'https://as.example',
      '--only',
      'CA-02,XX-99',
      '--skip',
      'DP-1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No check matches --only XX-99, --skip DP-1.');
  });

  it('an unknown ID in the expected-failures file is exit 2 naming the file, line and ID', async () => {
    const f = path.join(files, 'unknown.txt');
    writeFileSync(f, '# ours\nCA-13\nTK-99 # no such check\n');
    const r = await fapi(['conform', 'server', 'https://as.example', '--expected-failures', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${f}:3: TK-99`);
  });

  it('--rs-payment must be https, and --payment a { detail, body } file (exit 2, before anything is sent)', async () => {
    const http = await fapi([
      'conform',
      'server',
      'https://as.example',
      '--rs-payment',
      'http://rs.example/pay',
    ]);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('--rs-payment http://rs.example/pay is not an https URL.');
    const f = path.join(files, 'payment-bad.json');
    writeFileSync(f, '{"detail": {"amount": "1.00"}, "body": {}}');
    const bad = await fapi(['conform', 'server', 'https://as.example', '--payment', f]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--payment ${f}: "detail" must be an authorization details object`);
  });

  it('refuses an http: issuer (exit 2)', async () => {
    const r = await fapi(['conform', 'server', 'http://as.example']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^✖ The issuer "http:\/\/as.example" is not a valid issuer identifier: it must use https/,
    );
  });
});

describe('fapi conform server against the strict lab (a lab up process)', () => {
  it('every variant, --browser follow, --json and --junit: exit 0, the output contract, one testcase per check and variant', async () => {
    const junit = path.join(files, 'report.xml');
    const before = clientFiles(lab);
    const r = await fapi(['--json', ...labRun(lab, home.dir, ['--browser', 'follow', '--junit', junit])], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['issuer', 'variants', 'summary', 'results', 'duration_ms']);
    expect(out.issuer).toBe(lab.issuer);
    expect((out.variants as unknown[]).length).toBe(6);
    expect(Object.keys(out.summary as object)).toEqual([
      'passed',
      'failed',
      'warnings',
      'skipped',
      'expected_failures',
    ]);
    expect(out.summary).toMatchObject({ failed: 0, warnings: 0, expected_failures: 0 });
    const results = out.results as ContractResult[];
    for (const x of results) {
      expect(Object.keys(x)).toEqual(['id', 'title', 'variant', 'result', 'spec', 'detail']);
      expect(Object.keys(x.variant)).toEqual(['auth', 'sender']);
      expect(WORDS).toContain(x.result);
    }
    expect(typeof out.duration_ms).toBe('number');
    // The temporary clients are deleted (RFC 7592): the lab keeps no client file of the run.
    expect(clientFiles(lab)).toBe(before);
    // The secrets of the run never reach the output.
    expect(r.stdout + r.stderr).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);

    const xml = readFileSync(junit, 'utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    const cases = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+?): /g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(cases.length).toBe(results.length);
    expect(new Set(cases).size).toBe(cases.length);
    expect(xml).not.toContain('<failure');
    expect(xml.match(/<testsuite /g)).toHaveLength(7); // the server-wide checks and six variants
  }, 150_000);

  it('--rs-payment: the run says before it starts that it makes real payments; RAR-08 and RAR-09 pay --payment FILE at the lab', async () => {
    const detail = {
      type: 'payment_initiation',
      instructedAmount: { currency: 'EUR', amount: '0.50' },
      creditorName: 'Bob Example',
      creditorAccount: { iban: 'DE02100100109307118603' },
    };
    const body = {
      Data: {
        Initiation: {
          InstructedAmount: { Amount: '0.50', Currency: 'EUR' },
          CreditorAccount: { Identification: 'DE02100100109307118603', Name: 'Bob Example' },
        },
      },
    };
    const f = path.join(files, 'payment.json');
    writeFileSync(f, JSON.stringify({ detail, body }));
    const r = await fapi(
      labRun(lab, home.dir, [
        ...ONE_VARIANT_FOLLOW,
        '--only',
        'RAR-',
        '--rs-payment',
        `${lab.rs}/payments`,
        '--payment',
        f,
      ]),
      { timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const plan = r.stderr.split('\n').slice(0, 3);
    expect(plan[2]).toBe(
      `  ! real payments: 5 payment requests to ${lab.rs}/payments (0.50 EUR to Bob Example each), 2 of them executed by a server that follows the rules; point --rs-payment at a sandbox`,
    );
    expect(r.stdout).toMatch(
      /✔ RAR-08 +the payment the token's authorization detail covers is executed \(2xx\) — passed: POST \S+ \(0\.50 EUR to Bob Example\) with a token for that payment → 201/,
    );
    expect(r.stdout).toMatch(
      /✔ RAR-08\.other-amount .* with a token for 1\.00 EUR to Bob Example → 403 insufficient_authorization_details/,
    );
    expect(r.stdout).toMatch(/✔ RAR-09 .* 0\.50 EUR to Bob Example paid \(201\); the same payment again/);
    expect(r.stdout).toMatch(/9 passed, 0 failed, 0 warnings, 0 skipped/);
  }, 90_000);

  it('logins through a BROWSER command (one at a time, counted, the one to cancel said up front)', async () => {
    const r = await fapi(
      labRun(lab, home.dir, [
        '--auth',
        'private_key_jwt',
        '--sender',
        'dpop',
        '--only',
        'PAR-16,AZ-02,AZ-05',
      ]),
      {
        env: { BROWSER: `node ${path.join(ROOT, 'test/helpers/browser.mjs')}`, FAPI_TEST_BROWSER_CA: lab.ca },
        timeoutMs: 60_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /4 logins \(one at a time in node .*browser\.mjs; in 1 of them press Cancel or Deny instead, when asked\)/,
    );
    expect(r.stderr).toContain('login 1 of 4: opening the browser');
    expect(r.stderr).toMatch(
      /login \d of 4: opening the browser .*; this time press Cancel or Deny there, do not approve/,
    );
    expect(r.stderr).toContain('login 4 of 4');
    expect(r.stdout).toMatch(/✔ AZ-05 +the registered redirect URI's query is kept/);
    // This test browser approves every login (the lab approves by itself): the check cannot judge.
    expect(r.stdout).toMatch(
      /– AZ-02\.user-rejects .* skipped: the login was approved \(a code came back\), not cancelled/,
    );
  }, 90_000);

  it('without --rs: the RS checks skip with the reason, the summary says so; --json has them as skipped results', async () => {
    const args = labRun(lab, home.dir, [
      ...ONE_VARIANT_FOLLOW,
      '--only',
      'RS-01,RS-02,PAR-16',
      '--skip',
      'RS-01.scheme-case',
    ]);
    const noRs = args.filter((a, i) => a !== '--rs' && args[i - 1] !== '--rs');
    expect(noRs).not.toContain('--rs');
    const r = await fapi(noRs, { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^ {2}– RS-01 +a valid sender-constrained token in the Authorization header is accepted — skipped: needs a protected resource: pass --rs URL \[/m,
    );
    expect(r.stdout).toMatch(
      /^✔ https:\/\/127\.0\.0\.1:\d+: 1 passed, 0 failed, 0 warnings, 2 skipped in 1 variant /m,
    );
    expect(r.stdout).toContain(
      '\n  the resource-server checks were skipped: pass --rs URL (a protected resource that answers 2xx to a valid token)\n',
    );

    const j = await fapi(['--json', ...noRs], { timeoutMs: 60_000 });
    expect(j.code, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout) as { results: ContractResult[]; summary: Record<string, number> };
    const rs = out.results.filter((x) => x.id.startsWith('RS-'));
    expect(rs.map((x) => x.id)).toEqual(['RS-01', 'RS-02']);
    for (const x of rs)
      expect([x.id, x.result, x.detail]).toEqual([
        x.id,
        'skipped',
        'needs a protected resource: pass --rs URL',
      ]);
    expect(out.results.find((x) => x.id === 'PAR-16')?.result).toBe('passed');
    expect(out.summary).toMatchObject({ passed: 1, failed: 0, skipped: rs.length });
  }, 90_000);

  it('--scope S: the pushed authorization requests ask for S (-v shows them)', async () => {
    const r = await fapi(
      [
        '-v',
        ...labRun(lab, home.dir, [...ONE_VARIANT_FOLLOW, '--only', 'PAR-16', '--scope', 'openid accounts']),
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const pars = r.stderr
      .split(/^(?=\[)/m)
      .filter((b) => /^\[PAR-16 private_key_jwt\+dpop\] → POST https:\/\/127\.0\.0\.1:\d+\/par\n/.test(b));
    expect(pars.length).toBe(1);
    expect(pars[0]).toMatch(/&scope=openid accounts&/);
    expect(r.stderr).not.toMatch(/scope=openid offline_access/);
  }, 90_000);

  it('--keep: the clients stay registered, saved as profiles that log in', async () => {
    const h = tempHome('fapi-conform-keep-');
    try {
      const before = clientFiles(lab);
      const r = await fapi(
        labRun(lab, h.dir, [
          '--browser',
          'follow',
          '--auth',
          'private_key_jwt',
          '--sender',
          'dpop',
          '--only',
          'PAR-16',
          '--keep',
        ]),
        { timeoutMs: 60_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      const names = /kept as profiles: (conform-\S+), (conform-\S+) /.exec(r.stderr);
      expect(names, r.stderr).not.toBeNull();
      expect(clientFiles(lab)).toBe(before + 2);
      const login = await fapi(
        ['--home', h.dir, '--profile', names![1]!, 'login', '--scope', 'openid accounts'],
        {
          env: {
            BROWSER: `node ${path.join(ROOT, 'test/helpers/browser.mjs')}`,
            FAPI_TEST_BROWSER_CA: lab.ca,
          },
          timeoutMs: 60_000,
        },
      );
      expect(login.code, login.stderr).toBe(0);
      for (const n of [names![1]!, names![2]!])
        expect((await fapi(['--home', h.dir, '--profile', n, 'client', 'delete', '-y'])).code).toBe(0);
      expect(clientFiles(lab)).toBe(before);
    } finally {
      h.cleanup();
    }
  }, 90_000);

  it('Ctrl-C: the temporary clients are deleted (RFC 7592) and the exit is 130', async () => {
    const before = clientFiles(lab);
    const child = spawn(
      process.execPath,
      [BIN, ...labRun(lab, home.dir, ['--auth', 'private_key_jwt', '--sender', 'dpop'])],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          CI: 'true',
          BROWSER: `node ${path.join(ROOT, 'test/helpers/browser.mjs')}`,
          FAPI_TEST_BROWSER_CA: lab.ca,
          // The browser follows the server but never reaches the redirect URI: the login waits.
          FAPI_TEST_BROWSER_MODE: 'stop',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no login started: ${stderr}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('login 1 of')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    expect(clientFiles(lab)).toBeGreaterThan(before);
    child.kill('SIGINT');
    expect(await code).toBe(130);
    expect(stderr).toContain('interrupted: deleting the temporary clients');
    expect(stderr).toMatch(/✖ Interrupted; [1-9]\d* temporary clients? deleted\./);
    expect(clientFiles(lab)).toBe(before);
  }, 90_000);
});

describe('fapi conform server against a relaxed lab: failures and --expected-failures', () => {
  let relaxed: LabProcess;
  let h: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    h = tempHome('fapi-conform-relaxed-');
    relaxed = await labUpProcess(h.dir, ['--auto-approve', '--relax', 'no-iss']);
  }, 60_000);
  afterAll(async () => {
    await relaxed?.stop();
    h?.cleanup();
  });
  const only = [...ONE_VARIANT_FOLLOW, '--only', 'META-07,AZ-02,CA-13'];

  it('a failed check is exit 6, the IDs in one line', async () => {
    const r = await fapi(labRun(relaxed, h.dir, only), { timeoutMs: 60_000 });
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(
      /✖ AZ-02 +the authorization response carries iss = the issuer — failed: authorization response with a code and no iss parameter \[MUST FAPI2-SP §5.3.2.2-7; RFC 9207 §2\]/,
    );
    expect(r.stderr).toContain(`✖ 2 checks failed at ${relaxed.issuer}: META-07, AZ-02.`);
  }, 90_000);

  it('-v: every exchange is traced, redacted, and labelled with the check and variant it belongs to', async () => {
    const r = await fapi(['-v', ...labRun(relaxed, h.dir, [...only.slice(0, -1), 'AZ-02'])], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^\[discovery\] → GET https:\/\/127\.0\.0\.1:\d+\/\.well-known\//m);
    expect(r.stderr).toMatch(
      /^\[set-up private_key_jwt\+dpop\] → POST https:\/\/127\.0\.0\.1:\d+\/register/m,
    );
    expect(r.stderr).toMatch(/^\[AZ-02 private_key_jwt\+dpop\] → POST https:\/\/127\.0\.0\.1:\d+\/par/m);
    expect(r.stderr).toMatch(/^\[AZ-02 private_key_jwt\+dpop\] ← 303 https:\/\/127\.0\.0\.1:\d+\/authorize/m);
    expect(r.stderr).toMatch(/^\[cleanup\] → DELETE /m);
    expect(r.stderr).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  }, 90_000);

  it('listed in --expected-failures, they are expected-failure (exit 0); one that passes is a warning: "remove it from the file"', async () => {
    const f = path.join(files, 'expected.txt');
    writeFileSync(f, '# known deviations of this server\nMETA-07\nAZ-02\nCA-13  # this one passes\n');
    const junit = path.join(files, 'expected.xml');
    const r = await fapi(
      ['--json', ...labRun(relaxed, h.dir, [...only, '--expected-failures', f, '--junit', junit])],
      {
        timeoutMs: 60_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { results: ContractResult[]; summary: Record<string, number> };
    const byId = Object.fromEntries(out.results.map((x) => [x.id, x]));
    expect(byId['META-07']?.result).toBe('expected-failure');
    expect(byId['AZ-02']?.result).toBe('expected-failure');
    expect(byId['CA-13']?.result).toBe('warning');
    expect(byId['CA-13']?.detail).toMatch(/^expected to fail, but passed: remove it from the file/);
    expect(out.summary).toMatchObject({ failed: 0, warnings: 1, expected_failures: 2 });
    expect(readFileSync(junit, 'utf8')).toMatch(
      /<skipped message="expected failure: authorization response with a code and no iss parameter"\/>/,
    );
  }, 90_000);
  it('--strict: a SHOULD broken is failed (exit 6), not a warning', async () => {
    // expires_in is RECOMMENDED (RFC 6749 §5.1): TK-09.expires-in is a SHOULD.
    expect((await fapi(['--home', h.dir, 'lab', 'fault', 'set', 'no-expires-in'])).code).toBe(0);
    try {
      const run = (extra: string[]) =>
        fapi(['--json', ...labRun(relaxed, h.dir, [...only.slice(0, -1), 'TK-09.expires-in', ...extra])], {
          timeoutMs: 60_000,
        });
      const result = (r: { stdout: string }) =>
        (JSON.parse(r.stdout) as { results: ContractResult[] }).results.find(
          (x) => x.id === 'TK-09.expires-in',
        )?.result;
      const plain = await run([]);
      expect([plain.code, result(plain)], plain.stderr).toEqual([0, 'warning']);
      const strict = await run(['--strict']);
      expect([strict.code, result(strict)], strict.stderr).toEqual([6, 'failed']);
    } finally {
      expect((await fapi(['--home', h.dir, 'lab', 'fault', 'clear'])).code).toBe(0);
    }
  }, 120_000);
});

describe('fapi conform server with clients registered beforehand, and gated registration', () => {
  let gated: LabProcess;
  let h: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    h = tempHome('fapi-conform-gated-');
    gated = await labUpProcess(h.dir, ['--auto-approve', '--registration-token', 'T0ken-for-conform']);
  }, 60_000);
  afterAll(async () => {
    await gated?.stop();
    h?.cleanup();
  });
  const only = ['--browser', 'follow', '--only', 'REG-01,REG-12,PAR-01,PAR-16,CA-08,TK-04,RT-03'];

  it('registration that is not open: exit 2 saying to pass --initial-access-token or --client', async () => {
    const r = await fapi(labRun(gated, h.dir, only), { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refused the registration of the test clients (HTTP 401): it is not open.');
    expect(r.stderr).toContain('--initial-access-token TOKEN');
  }, 60_000);

  it('--initial-access-token: the run registers its clients', async () => {
    const r = await fapi(
      [
        '--json',
        ...labRun(gated, h.dir, [
          ...only,
          '--auth',
          'private_key_jwt',
          '--initial-access-token',
          'T0ken-for-conform',
        ]),
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { results: ContractResult[] };
    expect(out.results.filter((x) => x.result !== 'passed').map((x) => `${x.id} ${x.result}`)).toEqual([]);
  }, 60_000);

  it('--client PROFILE (twice): the profiles are the clients, the cross-client checks run', async () => {
    const base = ['--home', h.dir, '--ca', gated.ca];
    for (const p of ['alpha', 'beta']) {
      expect((await fapi([...base, '--profile', p, 'keygen'])).code).toBe(0);
      const reg = await fapi([
        ...base,
        '--profile',
        p,
        'register',
        '--issuer',
        gated.issuer,
        '--initial-access-token',
        'T0ken-for-conform',
      ]);
      expect(reg.code, reg.stderr).toBe(0);
    }
    const r = await fapi(
      ['--json', ...labRun(gated, h.dir, [...only, '--client', 'alpha', '--client', 'beta'])],
      {
        timeoutMs: 60_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { variants: unknown[]; results: ContractResult[] };
    expect(out.variants).toEqual([{ auth: 'private_key_jwt', sender: 'dpop' }]);
    const byId = Object.fromEntries(out.results.map((x) => [x.id, x.result]));
    // REG-01 registers nothing here (no token given), and REG-12 cannot know the flags the
    // profiles were registered with: they skip, saying why.
    expect(byId).toEqual({
      'REG-01': 'skipped',
      'REG-12': 'skipped',
      'REG-12.par': 'skipped',
      'REG-12.alg': 'skipped',
      'PAR-01': 'passed',
      'PAR-16': 'passed',
      'CA-08': 'passed',
      'TK-04': 'passed',
      'RT-03': 'passed',
    });
  }, 90_000);
});

describe('fapi conform server against servers that are not OAuth servers', () => {
  it('HTML at the well-known URL: exit 6, the reason in one line', async () => {
    const s = await startHttpsServer(() => ({
      status: 200,
      body: '<html><body>Welcome</body></html>',
      headers: { 'content-type': 'text/html' },
    }));
    try {
      const r = await fapi(['--ca', s.caFile, 'conform', 'server', s.origin]);
      expect(r.code).toBe(6);
      const first = r.stderr.split('\n')[0] as string;
      expect(first).toMatch(
        /^✖ META-01 failed: https:\/\/127\.0\.0\.1:\d+ is not an OAuth authorization server: .*oauth-authorization-server → HTTP 200 but the body is not JSON \(text\/html\)/,
      );
    } finally {
      await s.close();
    }
  });

  it('a 404 at the well-known URLs: exit 6, the reason in one line', async () => {
    const s = await startHttpsServer();
    try {
      const r = await fapi(['--ca', s.caFile, 'conform', 'server', s.origin]);
      expect(r.code).toBe(6);
      expect(r.stderr.split('\n')[0]).toMatch(
        /^✖ META-01 failed: .* → HTTP 404; .*openid-configuration → HTTP 404\.$/,
      );
    } finally {
      await s.close();
    }
  });

  it('a TLS error (a certificate fapi does not trust): exit 4, the reason in one line', async () => {
    const s = await startHttpsServer();
    try {
      const r = await fapi(['conform', 'server', s.origin]);
      expect(r.code).toBe(4);
      expect(r.stderr.split('\n')[0]).toMatch(
        /^✖ Cannot reach https:\/\/127\.0\.0\.1:\d+: GET .* failed: .*certificate/i,
      );
    } finally {
      await s.close();
    }
  });

  it('a hostile server fails only the checks it answers badly: a gigantic JWKS, a hanging authorization endpoint', async () => {
    const metadata = JSON.parse(
      readFileSync(path.join(ROOT, 'test/fixtures/metadata/fapi2-good.json'), 'utf8'),
    ) as Record<string, unknown>;
    const s = await startHttpsServer((req, origin) => {
      if (req.url.startsWith('/.well-known/'))
        return {
          status: 200,
          body: JSON.parse(
            JSON.stringify(metadata)
              .replaceAll('https://as.example.com', origin)
              .replaceAll('https://mtls.as.example.com', origin),
          ) as unknown,
        };
      if (req.url === '/jwks')
        return { status: 200, body: { keys: [], padding: 'x'.repeat(3 * 1024 * 1024) } };
      if (req.url.startsWith('/authorize'))
        return {
          status: 200,
          raw: (res) => {
            res.writeHead(200, { 'content-type': 'text/html' });
            res.write('<html>');
          },
        };
      return undefined;
    });
    try {
      const r = await fapi(
        [
          '--json',
          '--ca',
          s.caFile,
          'conform',
          'server',
          s.origin,
          '--only',
          'META-01,META-12,NET-06',
          '--timeout',
          '2s',
        ],
        {
          timeoutMs: 60_000,
        },
      );
      expect(r.code).toBe(6);
      const out = JSON.parse(r.stdout) as { results: ContractResult[] };
      const byId = Object.fromEntries(out.results.map((x) => [x.id, x]));
      expect(byId['META-01']?.result).toBe('passed');
      expect(byId['META-12']?.result).toBe('failed');
      expect(byId['META-12']?.detail).toMatch(
        /GET https:\/\/127\.0\.0\.1:\d+\/jwks → no HTTP answer \(.*(1 MiB|1048576|too large|larger).*\)/i,
      );
      expect(byId['NET-06']?.result).toBe('failed');
      expect(byId['NET-06']?.detail).toMatch(
        /GET https:\/\/127\.0\.0\.1:\d+\/authorize → no HTTP answer \(.*(time|in \d)/i,
      );
    } finally {
      await s.close();
    }
  }, 90_000);
});
