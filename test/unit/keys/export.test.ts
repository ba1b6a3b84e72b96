/**
 * CL-24: what `fapi keygen --out` exports (names, secrecy, bytes that load back), and the x5c rule
 * for self-signed certificates (RFC 8705 §2.2, RFC 7517 §4.7).
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXPORT_FILES, exportFiles, planKeyExport, withSelfSignedX5c } from '../../../src/keys/export.js';
import { generateSigningKey } from '../../../src/keys/generate.js';
import { createCertificate } from '../../../src/keys/x509.js';

describe('CL-24 planKeyExport', () => {
  it('a key alone: JWK, JWKS and PEMs; private ones secret', async () => {
    const key = await generateSigningKey('ES256');
    const plan = planKeyExport(key, undefined);
    expect(plan.map((f) => [f.name, f.secret])).toEqual([
      ['private.jwk.json', true],
      ['public.jwks.json', false],
      ['private.pem', true],
      ['public.pem', false],
    ]);
    expect(plan.map((f) => f.name)).toEqual(exportFiles({ cert: false, p12: false }).map((f) => f.name));
    const data = Object.fromEntries(plan.map((f) => [f.kind, f.data.toString()]));
    expect(JSON.parse(data.privateJwk as string)).toEqual(key.privateJwk);
    expect(JSON.parse(data.publicJwks as string)).toEqual({ keys: [key.publicJwk] });
    expect(JSON.parse(data.publicJwks as string).keys[0]).not.toHaveProperty('d');
    const priv = createPrivateKey(data.privatePem as string);
    expect(createPublicKey(priv).export({ format: 'jwk' })).toEqual(
      createPublicKey(data.publicPem as string).export({ format: 'jwk' }),
    );
  });

  it('with a certificate and a PKCS#12 bundle: cert.pem public, client.p12 secret, in that order', async () => {
    const key = await generateSigningKey('EdDSA');
    const cert = await createCertificate({ key, subject: 'CN=c', profile: 'client' });
    const p12 = Buffer.from([1, 2, 3]);
    const plan = planKeyExport(key, cert, { p12 });
    expect(plan.map((f) => f.name)).toEqual(exportFiles({ cert: true, p12: true }).map((f) => f.name));
    expect(plan.slice(-2)).toEqual([
      { kind: 'cert', name: 'cert.pem', secret: false, data: cert.pem },
      { kind: 'p12', name: 'client.p12', secret: true, data: p12 },
    ]);
    for (const f of plan) expect(f.secret).toBe(EXPORT_FILES[f.kind].secret);
  });
});

describe('RFC 8705 §2.2 withSelfSignedX5c', () => {
  it('a self-signed certificate goes into x5c of both JWKs; the given key is not changed', async () => {
    const key = await generateSigningKey('ES256');
    const cert = await createCertificate({ key, subject: 'CN=self', profile: 'client' });
    const out = withSelfSignedX5c(key, cert);
    expect(out.publicJwk.x5c).toEqual([cert.der.toString('base64')]);
    expect(out.privateJwk.x5c).toEqual(out.publicJwk.x5c);
    expect(new X509Certificate(Buffer.from(out.publicJwk.x5c?.[0] ?? '', 'base64')).subject).toBe('CN=self');
    expect(key.publicJwk).not.toHaveProperty('x5c');
    expect(out.kid).toBe(key.kid);
  });

  it('a CA-issued certificate (RFC 8705 §2.1) leaves the key as it is', async () => {
    const caKey = await generateSigningKey('ES256');
    const ca = await createCertificate({ key: caKey, subject: 'CN=CA', profile: 'ca' });
    const key = await generateSigningKey('ES256');
    const cert = await createCertificate({
      key,
      subject: 'CN=issued',
      profile: 'client',
      issuer: { certPem: ca.pem, privateKey: caKey.privateKey },
    });
    expect(withSelfSignedX5c(key, cert)).toBe(key);
  });
});
