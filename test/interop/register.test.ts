/**
 * Interop: the real `fapi` binary against oidc-provider (test/helpers/oidc-provider.ts), a FAPI 2.0
 * server nobody here wrote: discover (conformant), keygen → register (DPoP, tls_client_auth,
 * self_signed_tls_client_auth), client show|update|delete (RFC 7592), profile create.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { startOidcProvider, type OidcProviderHandle } from '../helpers/oidc-provider.js';

let op: OidcProviderHandle;
const home = tempHome();
const IAT = 'interop-initial-access-token';

beforeAll(async () => {
  op = await startOidcProvider({ initialAccessToken: IAT });
});
afterAll(async () => {
  await op?.close();
  home.cleanup();
});

const run = (args: string[]) => fapi(['--home', home.dir, '--ca', op.caFile, ...args]);
const json = <T = Record<string, unknown>>(r: RunResult): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};
const profileFile = (name: string) => path.join(home.dir, 'profiles', name, 'profile.json');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of arbitrary profile JSON
type Loose = Record<string, any>;
const readProfile = (name: string) => JSON.parse(readFileSync(profileFile(name), 'utf8')) as Loose;

describe('interop with oidc-provider: discovery and registration', () => {
  it('META-01..15: fapi discover --strict finds oidc-provider FAPI 2.0 conformant (exit 0)', async () => {
    const r = await run(['--json', 'discover', op.issuer, '--strict']);
    const out = json<{ lint: { conformant: boolean; errors: number; warnings: number } }>(r);
    expect(out.lint).toMatchObject({ conformant: true, errors: 0, warnings: 0 });
  });

  it('CL-25: keygen → register (private_key_jwt + DPoP) saves client, RAT and client URI; RAT only in the 0600 file', async () => {
    expect((await run(['-p', 'dpop', 'keygen', '--alg', 'ES256'])).code).toBe(0);
    const noIat = await run(['-p', 'dpop', 'register', '--issuer', op.issuer]);
    expect(noIat.code).toBe(5);
    expect(noIat.stderr).toContain('--initial-access-token');

    const r = await run(['-p', 'dpop', 'register', '--issuer', op.issuer, '--initial-access-token', IAT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✔ registered client \S+ at https:\/\/127\.0\.0\.1:\d+/);
    expect(r.stdout).toContain('private_key_jwt (ES256 kid');
    expect(r.stdout).toContain('next:  fapi login --profile dpop');
    const p = readProfile('dpop');
    expect(p).toMatchObject({
      issuer: op.issuer,
      auth_method: 'private_key_jwt',
      sender: 'dpop',
      redirect_uri: 'http://127.0.0.1/callback',
      ca_file: op.caFile,
    });
    expect(p.client_id).toEqual(expect.any(String));
    expect(p.registration.registration_access_token).toEqual(expect.any(String));
    expect(p.registration.registration_client_uri).toBe(`${op.issuer}/reg/${p.client_id}`);
    expect(statSync(profileFile('dpop')).mode & 0o777).toBe(0o600);
    // Never printed without --show-secrets (CL-28).
    expect(r.stdout + r.stderr).not.toContain(p.registration.registration_access_token);
    expect(r.stdout + r.stderr).not.toContain(IAT);
    const md = p.registration.metadata;
    expect(md).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      dpop_bound_access_tokens: true,
      application_type: 'native',
      response_types: ['code'],
    });
    expect(md.jwks.keys[0].kid).toBe(p.keys.signing.kid);
    expect(md.jwks.keys[0].d).toBeUndefined();

    const again = await run(['-p', 'dpop', 'register', '--initial-access-token', IAT]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already has client');
  });

  it('CL-25: client show reads the configuration with the RAT; --json redacts it unless --show-secrets', async () => {
    const p = readProfile('dpop');
    const r = await run(['-p', 'dpop', '--json', 'client', 'show']);
    const out = json<{
      client_id: string;
      registration_access_token: string;
      metadata: Record<string, unknown>;
    }>(r);
    expect(out.client_id).toBe(p.client_id);
    expect(out.registration_access_token).toMatch(/^«redacted: registration_access_token/);
    expect(out.metadata.redirect_uris).toEqual(['http://127.0.0.1/callback']);
    const s = await run(['-p', 'dpop', '--json', 'client', 'show', '--show-secrets']);
    expect(json<{ registration_access_token: string }>(s).registration_access_token).toBe(
      p.registration.registration_access_token,
    );
    const human = await run(['-p', 'dpop', 'client', 'show']);
    expect(human.stdout).toMatch(/jwks\s+EC\/P-256 kid/);
  });

  it('CL-25: client update (RFC 7592 PUT) changes the redirect URI and registers a rotated key', async () => {
    const before = readProfile('dpop');
    expect((await run(['-p', 'dpop', 'keygen', '--alg', 'EdDSA', '--force'])).code).toBe(0);
    const warn = await run(['-p', 'dpop', 'client', 'show']);
    expect(warn.stderr).toContain("does not contain the profile's signing key");
    const r = await run([
      '-p',
      'dpop',
      '--json',
      'client',
      'update',
      '--redirect-uri',
      'http://127.0.0.1:8765/cb',
    ]);
    const out = json<{ metadata: Loose }>(r);
    expect(out.metadata.redirect_uris).toEqual(['http://127.0.0.1:8765/cb']);
    const after = readProfile('dpop');
    expect(after.redirect_uri).toBe('http://127.0.0.1:8765/cb');
    expect(after.client_id).toBe(before.client_id);
    expect(out.metadata.jwks.keys[0].kid).toBe(after.keys.signing.kid);
    expect(out.metadata.token_endpoint_auth_signing_alg).toBe('EdDSA');
  });

  it('REG-04: the server-side FAPI checks are mirrored locally (no request is sent for bad metadata)', async () => {
    const before = op.requests.length;
    const r = await run(['-p', 'dpop', 'client', 'update', '--redirect-uri', 'http://example.com/cb']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('REG-04');
    // Only discovery and the read happened; no PUT.
    expect(op.requests.slice(before).some((q) => q.method === 'PUT')).toBe(false);
  });

  it('CL-25: client delete removes the client; the RAT then fails with a fatal 401 (exit 5)', async () => {
    const p = readProfile('dpop');
    const refused = await run(['-p', 'dpop', 'client', 'delete']);
    expect(refused.code).toBe(2);
    const r = await run(['-p', 'dpop', 'client', 'delete', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deleted client ${p.client_id}`);
    const after = readProfile('dpop');
    expect(after.client_id).toBeUndefined();
    expect(after.registration).toBeUndefined();
    expect(after.keys.signing).toBeDefined();
    // Put the dead RAT back: the server refuses it and fapi stops (CL-25).
    writeFileSync(
      profileFile('dpop'),
      JSON.stringify({ ...after, client_id: p.client_id, registration: p.registration }),
    );
    const dead = await run(['-p', 'dpop', 'client', 'show']);
    expect(dead.code).toBe(5);
    expect(dead.stderr).toContain('refused the registration access token');
  });

  it('REG-07: tls_client_auth with a CA-issued certificate registers its subject DN; mTLS-bound tokens', async () => {
    const caKey = path.join(op.dir, 'ca.key.pem');
    writeFileSync(caKey, op.ca.keyPem, { mode: 0o600 });
    const k = await run([
      '-p',
      'mtls',
      'keygen',
      '--cert',
      '--subject',
      'CN=interop-mtls,O=fapi tests',
      '--ca-cert',
      op.caFile,
      '--ca-key',
      caKey,
    ]);
    expect(k.code, k.stderr).toBe(0);
    const r = await run([
      '-p',
      'mtls',
      '--json',
      'register',
      '--issuer',
      op.issuer,
      '--auth',
      'tls_client_auth',
      '--sender',
      'mtls',
      '--initial-access-token',
      IAT,
      '--scope',
      'openid',
    ]);
    const out = json<{ metadata: Record<string, unknown>; registration_access_token: string; scope: string }>(
      r,
    );
    expect(out.metadata).toMatchObject({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=interop-mtls,O=fapi tests',
      tls_client_certificate_bound_access_tokens: true,
    });
    expect(out.metadata.jwks).toBeUndefined();
    expect(out.scope).toBe('openid');
    expect(out.registration_access_token).toMatch(/^«redacted/);
  });

  it('REG-07: self_signed_tls_client_auth registers the certificate in the JWKS (x5c)', async () => {
    expect((await run(['-p', 'selfsigned', 'keygen', '--cert'])).code).toBe(0);
    const r = await run([
      '-p',
      'selfsigned',
      '--json',
      'register',
      '--issuer',
      op.issuer,
      '--auth',
      'self_signed_tls_client_auth',
      '--sender',
      'dpop',
      '--initial-access-token',
      IAT,
    ]);
    const out = json<{ metadata: { jwks: { keys: { x5c?: string[] }[] } } }>(r);
    expect(out.metadata.jwks.keys[0]?.x5c).toHaveLength(1);
  });

  it('CL-28: --verbose traces the registration with the tokens redacted', async () => {
    expect((await run(['-p', 'verbose', 'keygen'])).code).toBe(0);
    const r = await run([
      '-p',
      'verbose',
      '-v',
      'register',
      '--issuer',
      op.issuer,
      '--initial-access-token',
      IAT,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rat = readProfile('verbose').registration.registration_access_token as string;
    expect(r.stderr).toContain('POST');
    expect(r.stderr).toContain('«redacted: registration_access_token');
    expect(r.stderr + r.stdout).not.toContain(rat);
    expect(r.stderr + r.stdout).not.toContain(IAT);
  });

  it('a server-side refusal is exit 5 with the OAuth error (invalid_client_metadata via --metadata)', async () => {
    expect((await run(['-p', 'refused', 'keygen'])).code).toBe(0);
    const file = path.join(op.dir, 'bad-metadata.json');
    writeFileSync(file, JSON.stringify({ default_max_age: 'not a number' }));
    const r = await run([
      '-p',
      'refused',
      'register',
      '--issuer',
      op.issuer,
      '--initial-access-token',
      IAT,
      '--metadata',
      file,
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('invalid_client_metadata');
    expect(r.stderr).toContain('hint:');
  });

  it('profile create imports an existing client (JWK or PEM key) after checking the issuer (CL-03)', async () => {
    const dpop = readProfile('dpop');
    const jwkFile = path.join(home.dir, 'profiles', 'dpop', dpop.keys.signing.file);
    const r = await run([
      '-p',
      'imported',
      '--json',
      'profile',
      'create',
      '--issuer',
      op.issuer,
      '--client-id',
      'out-of-band-client',
      '--key',
      jwkFile,
    ]);
    const out = json<{ client_id: string; signing_key: { kid: string } }>(r);
    expect(out.client_id).toBe('out-of-band-client');
    expect(out.signing_key.kid).toBe(dpop.keys.signing.kid);
    const p = readProfile('imported');
    expect(p).toMatchObject({
      issuer: op.issuer,
      client_id: 'out-of-band-client',
      auth_method: 'private_key_jwt',
      sender: 'dpop',
    });
    const pemFile = path.join(op.dir, 'client.key.pem');
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(pemFile, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, {
      mode: 0o600,
    });
    const pem = await run([
      '-p',
      'pem',
      'profile',
      'create',
      '--issuer',
      op.issuer,
      '--client-id',
      'c-pem',
      '--key',
      pemFile,
    ]);
    expect(pem.code, pem.stderr).toBe(0);
    expect(pem.stdout).toContain('imports client c-pem');
    expect(readProfile('pem').keys.signing.alg).toBe('ES256');
    const again = await run([
      '-p',
      'imported',
      'profile',
      'create',
      '--issuer',
      op.issuer,
      '--client-id',
      'x',
      '--key',
      jwkFile,
    ]);
    expect(again.code).toBe(2);
    const wrongIssuer = await run([
      '-p',
      'imported2',
      'profile',
      'create',
      '--issuer',
      `${op.issuer}/`,
      '--client-id',
      'x',
      '--key',
      jwkFile,
    ]);
    expect(wrongIssuer.code).toBe(6);
    expect(wrongIssuer.stderr).toContain(`not "${op.issuer}/"`);
  });
});
