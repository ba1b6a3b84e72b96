/**
 * Running the client under test (src/conform/client/command.ts): no shell, a process group of its
 * own that a timeout (and the end of the run) kills whole, bounded and redacted output; and the
 * module table's switches are the lab's (lab/switches.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lastLines, resolveCommand, runCommand } from '../../../src/conform/client/command.js';
import { contractEnv } from '../../../src/conform/client/contract.js';
import { CLIENT_GROUPS, CLIENT_MODULES } from '../../../src/conform/client/modules.js';
import { redactText } from '../../../src/http/redact.js';
import { FAULT_NAMES, RELAXATION_NAMES } from '../../../lab/switches.js';

const node = process.execPath;
const env = { PATH: process.env.PATH };

/**
 * True while a process with this pid runs. A killed process whose parent is gone can stay a
 * zombie where PID 1 does not reap (some containers): that counts as stopped.
 */
async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    let state: string | undefined;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    } catch {
      return false;
    }
    if (state === 'Z') return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** A script that starts `sleep 30` in its own process group, prints its pid, then runs `then`. */
const withGrandchild = (then: string) =>
  `const c = require('node:child_process').spawn('sleep', ['30'], { stdio: 'ignore' });` +
  `console.log(c.pid); ${then}`;

describe('runCommand', () => {
  it('runs without a shell: arguments reach the command as given', async () => {
    const r = await runCommand({
      command: node,
      args: ['-e', 'console.log(process.argv[1]); console.error("done")', '$HOME; echo x'],
      env,
      timeoutMs: 10_000,
    });
    expect([r.code, r.timedOut, r.stdout.trim(), r.stderr]).toEqual([0, false, '$HOME; echo x', ['done']]);
  });

  it('a timeout kills the whole process group, grandchildren included', async () => {
    const r = await runCommand({
      command: node,
      args: ['-e', withGrandchild('setInterval(() => {}, 1000)')],
      env,
      timeoutMs: 500,
    });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeNull();
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await alive(grandchild)).toBe(false);
  });

  it('what a command leaves behind in its group is stopped when it exits', async () => {
    const r = await runCommand({
      command: node,
      args: ['-e', withGrandchild('process.exit(3)')],
      env,
      timeoutMs: 10_000,
    });
    expect([r.code, r.timedOut]).toEqual([3, false]);
    expect(await alive(Number(r.stdout.trim()))).toBe(false);
  });

  it('an abort stops the command at once', async () => {
    const ac = new AbortController();
    const run = runCommand({ command: 'sleep', args: ['30'], env, timeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const r = await run;
    expect([r.code, r.signal]).toEqual([null, 'SIGTERM']);
    expect(r.ms).toBeLessThan(5000);
  });

  it('a command that cannot start is reported, not thrown', async () => {
    const r = await runCommand({ command: '/nonexistent/my-client', args: [], env, timeoutMs: 1000 });
    expect(r.error).toBe('/nonexistent/my-client: ENOENT');
  });

  it('keeps the end of the output only (64 KiB), and redacts secrets in it', async () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const script = [
      `process.stdout.write('x'.repeat(1024 * 1024) + '\\n');`,
      `console.log('access_token=${'A'.repeat(43)}&state=s1');`,
      `console.error('token response {"refresh_token": "R-${'b'.repeat(40)}", "token_type": "DPoP"}');`,
      `console.error('Authorization: DPoP ${jwt}');`,
      `console.error('Authorization: Bearer abcdefghijklmnop');`,
      `console.error('-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49\\n-----END PRIVATE KEY-----');`,
    ].join('\n');
    const r = await runCommand({ command: node, args: ['-e', script], env, timeoutMs: 10_000 });
    expect(r.stdout.length).toBeLessThanOrEqual(64 * 1024);
    expect(r.stdout).toContain('access_token=«redacted: access_token, 43 chars»&state=s1');
    const all = r.stderrText;
    for (const secret of [jwt, 'R-bbbb', 'abcdefghijklmnop', 'MIGHAgEAMBMGByqGSM49'])
      expect(all).not.toContain(secret);
    expect(all).toContain('"refresh_token": "«redacted: refresh_token, 42 chars»"');
    expect(all).toContain('"token_type": "DPoP"');
    expect(all).toContain('Authorization: DPoP «redacted: jwt,');
    expect(all).toContain('Authorization: Bearer «redacted: token, 16 chars»');
    // The last lines of stderr, the PEM block now one line.
    expect(r.stderr).toHaveLength(4);
  });
});

describe('redactText', () => {
  it('leaves ordinary text alone', () => {
    const text = 'PAR 201, exit code 1, DPoP nonce retry; token_type DPoP; state ok';
    expect(redactText(text)).toBe(text);
  });
  it('redacts codes in callback URLs and JWK private members in JSON', () => {
    expect(redactText('GET /callback?code=abc123&state=xyz')).toBe(
      'GET /callback?code=«redacted: code, 6 chars»&state=xyz',
    );
    expect(redactText('{"kty":"EC","d":"secret-d","x":"pub"}')).toBe(
      '{"kty":"EC","d":"«redacted: d, 8 chars»","x":"pub"}',
    );
  });
});

describe('lastLines and resolveCommand', () => {
  it('lastLines keeps the last non-empty lines, each cut', () => {
    expect(lastLines(`a\n\nb\n${'c'.repeat(400)}\n`, 2)).toEqual(['b', `${'c'.repeat(300)}…`]);
  });
  it('finds a command on PATH or as a path, and not a missing or non-executable one', () => {
    expect(resolveCommand('node', process.env.PATH)).toMatch(/node$/);
    expect(resolveCommand(node, undefined)).toBe(node);
    expect(resolveCommand('fapi-no-such-client-xyz', process.env.PATH)).toBeUndefined();
    expect(resolveCommand('./README.md', process.env.PATH)).toBeUndefined();
    expect(resolveCommand('/nonexistent/x', process.env.PATH)).toBeUndefined();
  });
});

describe('the module table', () => {
  it('has unique IDs, known groups, and only switches the lab knows', () => {
    const ids = CLIENT_MODULES.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of CLIENT_MODULES) {
      expect(Object.keys(CLIENT_GROUPS)).toContain(m.group);
      for (const f of m.setup.faults ?? []) expect(FAULT_NAMES).toContain(f);
      for (const r of m.setup.relax ?? []) expect(RELAXATION_NAMES).toContain(r);
      expect(m.spec).not.toBe('');
    }
  });
  it('the ID-token signature modules are SHOULDs: OIDC Core §3.1.3.7 (6) lets a client rely on TLS instead', () => {
    const level = (id: string) => CLIENT_MODULES.find((m) => m.id === id)?.level;
    expect([level('CL-20.sig-invalid'), level('CL-20.kid-unknown'), level('CL-20.alg-none')]).toEqual([
      'SHOULD',
      'SHOULD',
      'MUST',
    ]);
  });
  it('covers every client fault of the lab but the clock skew', () => {
    const used = new Set(CLIENT_MODULES.flatMap((m) => m.setup.faults ?? []));
    const left = FAULT_NAMES.filter((f) => !used.has(f));
    // clock-skew asks a client to correct its clock (CL-23, a SHOULD the lab shows with --fault).
    expect(left.sort()).toEqual(['clock-skew']);
  });
  it('the signed-introspection modules (MS-11) run only with --introspection, one per introspection fault', () => {
    const ms11 = CLIENT_MODULES.filter((m) => m.id.startsWith('MS-11'));
    expect(ms11.map((m) => [m.id, m.kind, m.setup.faults ?? []])).toEqual([
      ['MS-11', 'happy-path', []],
      ['MS-11.sig-invalid', 'negative', ['introspection-sig-invalid']],
      ['MS-11.typ-wrong', 'negative', ['introspection-typ-wrong']],
      ['MS-11.aud-wrong', 'negative', ['introspection-aud-wrong']],
      ['MS-11.unsigned', 'negative', ['introspection-unsigned']],
    ]);
    for (const m of ms11) expect([m.group, m.needs]).toEqual(['introspection', { introspection: true }]);
  });
  it('FAPI_INTROSPECT=1 only with --introspection', () => {
    const base = {
      issuer: 'https://127.0.0.1:1',
      caFile: '/tmp/ca.pem',
      resource: 'https://127.0.0.1:3/accounts',
      scope: 'openid accounts',
      browser: 'fapi lab open',
      auth: 'private_key_jwt' as const,
      sender: 'dpop' as const,
      jarm: false,
    };
    expect(contractEnv(base).FAPI_INTROSPECT).toBeUndefined();
    expect(contractEnv({ ...base, introspection: true }).FAPI_INTROSPECT).toBe('1');
  });
  it('the contract sets every variable, NODE_EXTRA_CA_CERTS to the lab CA', () => {
    const e = contractEnv({
      issuer: 'https://127.0.0.1:1',
      caFile: '/tmp/ca.pem',
      resource: 'https://127.0.0.1:3/accounts',
      scope: 'openid accounts',
      browser: 'fapi lab open',
      auth: 'tls_client_auth',
      sender: 'mtls',
      clientId: 'c1',
      clientCert: '/tmp/c.pem',
      clientKey: '/tmp/k.pem',
      jarm: true,
    });
    expect(e).toEqual({
      FAPI_ISSUER: 'https://127.0.0.1:1',
      FAPI_CA_FILE: '/tmp/ca.pem',
      NODE_EXTRA_CA_CERTS: '/tmp/ca.pem',
      FAPI_RESOURCE: 'https://127.0.0.1:3/accounts',
      FAPI_SCOPE: 'openid accounts',
      BROWSER: 'fapi lab open',
      FAPI_AUTH: 'tls_client_auth',
      FAPI_SENDER: 'mtls',
      FAPI_CLIENT_ID: 'c1',
      FAPI_CLIENT_CERT: '/tmp/c.pem',
      FAPI_CLIENT_KEY: '/tmp/k.pem',
      FAPI_RESPONSE_MODE: 'jwt',
    });
  });
});
