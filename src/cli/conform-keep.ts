/**
 * `fapi conform server --keep`: the test clients stay registered, and each one the run made keys
 * for becomes a profile (`conform-<time>-<n>`: its keys, certificate and RFC 7592 coordinates), so
 * it can be used afterwards (`fapi --profile conform-… login`) and deleted (`fapi client delete`).
 * Without --keep nothing is written: the keys live in memory and the clients are deleted.
 */
import type { KeyObject } from 'node:crypto';
import type { TestClientInfo } from '../conform/runner.js';
import type { Jwk } from '../core/jwk.js';
import type { CliContext } from './context.js';

export async function saveKeptClients(
  ctx: CliContext,
  issuer: string,
  kept: readonly TestClientInfo[],
): Promise<string[]> {
  const [{ keyFromPrivateJwk }, { parseCertificate }, { saveProfileKey, saveProfileCertificate }] =
    await Promise.all([
      import('../keys/generate.js'),
      import('../keys/x509.js'),
      import('../store/profile-keys.js'),
    ]);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const key = (k: { privateKey: KeyObject; alg: string; kid?: string }) =>
    keyFromPrivateJwk(
      { ...(k.privateKey.export({ format: 'jwk' }) as Jwk), alg: k.alg },
      k.kid ? { kid: k.kid } : {},
    );
  const names: string[] = [];
  let n = 0;
  for (const info of kept) {
    const c = info.client;
    if (!c) continue;
    const name = `conform-${stamp}-${++n}`;
    const profile = await ctx.store.loadOrNew(name);
    profile.issuer = issuer;
    profile.client_id = c.clientId;
    profile.auth_method = c.auth;
    profile.sender = c.sender;
    profile.redirect_uri = c.redirectUri;
    if (ctx.caFile) profile.ca_file = ctx.caFile;
    profile.registration = {
      ...(info.registrationAccessToken ? { registration_access_token: info.registrationAccessToken } : {}),
      ...(info.registrationClientUri ? { registration_client_uri: info.registrationClientUri } : {}),
      ...(c.registered ? { metadata: c.registered } : {}),
    };
    await saveProfileKey(ctx.store, profile, 'signing', key(c.signingKey));
    if (c.dpopKey) await saveProfileKey(ctx.store, profile, 'dpop', key(c.dpopKey));
    if (c.certificate) await saveProfileCertificate(ctx.store, profile, parseCertificate(c.certificate.pem));
    await ctx.store.save(profile);
    names.push(name);
  }
  return names;
}
