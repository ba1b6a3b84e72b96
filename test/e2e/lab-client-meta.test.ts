/**
 * The real `fapi` binary against a real `fapi lab up` (strict FAPI 2.0 defaults):
 * discover --strict, init --lab (from the lab's run file), register with mTLS, client
 * show|update|delete (CL-03, CL-25, META-xx).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fapi, tempHome, type RunResult } from '../helpers/cli.js';

const home = tempHome('fapi-lab-cm-');
const labDir = path.join(home.dir, 'lab');
let lab: { issuer: string; ca: string };

beforeAll(async () => {
  // A real `fapi lab up`: its run file is what `fapi init --lab` reads.
  const up = await fapi([
    '--home',
    home.dir,
    '--json',
    'lab',
    'up',
    '--port',
    '0',
    '--detach',
    '--auto-approve',
  ]);
  expect(up.code, up.stderr).toBe(0);
  lab = JSON.parse(up.stdout) as { issuer: string; ca: string };
});
afterAll(async () => {
  await fapi(['--home', home.dir, 'lab', 'down']);
  home.cleanup();
});

const run = (args: string[]) => fapi(['--home', home.dir, ...args]);
const ok = (r: RunResult) => expect(r.code, r.stderr).toBe(0);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of arbitrary profile JSON
type Loose = Record<string, any>;
const profile = (name: string) =>
  JSON.parse(readFileSync(path.join(home.dir, 'profiles', name, 'profile.json'), 'utf8')) as Loose;

describe('client metadata commands against the lab', () => {
  it('META-01..15: the lab is FAPI 2.0 conformant for fapi discover --strict', async () => {
    const r = await run(['--ca', lab.ca, '--json', 'discover', lab.issuer, '--strict']);
    ok(r);
    const out = JSON.parse(r.stdout) as { lint: { conformant: boolean; findings: { severity: string }[] } };
    expect(out.lint.conformant).toBe(true);
    expect(out.lint.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('fapi init --lab --yes: keys, registration, lab CA recorded; next steps include an attack', async () => {
    const r = await run(['init', '--lab', '--yes']);
    ok(r);
    expect(r.stdout).toContain('next:  fapi login');
    expect(r.stdout).toContain('fapi lab attack evil-twin');
    const p = profile('default');
    expect(p).toMatchObject({
      lab: true,
      issuer: lab.issuer,
      auth_method: 'private_key_jwt',
      sender: 'dpop',
    });
    expect(p.ca_file).toBe(path.join(labDir, 'ca.pem'));
  });

  it('CL-25: client show, update and delete with the registration access token', async () => {
    ok(await run(['client', 'show']));
    const u = await run(['--json', 'client', 'update', '--redirect-uri', 'http://127.0.0.1:9999/callback']);
    ok(u);
    expect(
      (JSON.parse(u.stdout) as { metadata: { redirect_uris: string[] } }).metadata.redirect_uris,
    ).toEqual(['http://127.0.0.1:9999/callback']);
    ok(await run(['client', 'delete', '--yes']));
    expect(profile('default').client_id).toBeUndefined();
  });

  it('REG-07: init --lab with tls_client_auth gets its certificate from the lab CA', async () => {
    const r = await run([
      '-p',
      'mtls',
      'init',
      '--lab',
      '--auth',
      'tls_client_auth',
      '--sender',
      'mtls',
      '--yes',
    ]);
    ok(r);
    const p = profile('mtls');
    expect(p.certificate.self_signed).toBe(false);
    expect(p.registration.metadata).toMatchObject({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: p.certificate.subject,
      tls_client_certificate_bound_access_tokens: true,
    });
  });
});
