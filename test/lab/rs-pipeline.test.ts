/**
 * The RS check pipeline on its own (no HTTP): the order of the checks and the error each one
 * gives. The HTTP behaviour, rule by rule, is in test/lab/rs.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDpopProof } from '../../src/core/dpop.js';
import { jwkThumbprint, type Jwk } from '../../src/core/jwk.js';
import { signJws } from '../../src/core/jws.js';
import type { RsRequest } from '../../lab/rs/check.js';
import type { RsContext } from '../../lab/rs/context.js';
import { RsError } from '../../lab/rs/errors.js';
import { RS_CHECKS, verifyResourceRequest } from '../../lab/rs/pipeline.js';

const NOW = 1_800_000_000;
const lab = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const clientJwk = client.publicKey.export({ format: 'jwk' }) as Jwk;
const dpopKey = { privateKey: client.privateKey, publicJwk: clientJwk, alg: 'ES256' as const };
const ISS = 'https://127.0.0.1:8443';
const RS = 'https://127.0.0.1:8445';

const ctx: RsContext = {
  issuer: ISS,
  audiences: [RS],
  accessTokenKeys: () => [{ kid: 'k1', alg: 'ES256', key: lab.publicKey }],
  now: () => NOW,
  isRevoked: (c) => c.jti === 'revoked',
  replay: () => true,
};

function at(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  return signJws(
    { typ: 'at+jwt', kid: 'k1', ...header },
    {
      iss: ISS,
      aud: RS,
      exp: NOW + 300,
      iat: NOW,
      jti: 'j1',
      sub: 'alice',
      client_id: 'c1',
      scope: 'openid accounts',
      cnf: { jkt: jwkThumbprint(clientJwk) },
      ...claims,
    },
    lab.privateKey,
    'ES256',
  );
}

function request(token: string, o: { scheme?: string; proof?: boolean; url?: string } = {}): RsRequest {
  const url = new URL(o.url ?? `${RS}/accounts`);
  const headers: Record<string, string> = { authorization: `${o.scheme ?? 'DPoP'} ${token}` };
  if (o.proof !== false)
    headers.dpop = createDpopProof(dpopKey, {
      htm: 'GET',
      htu: `${RS}/accounts`,
      accessToken: token,
      now: NOW,
    });
  return {
    method: 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers,
    rawHeaders: Object.entries(headers).flat(),
    body: undefined,
    htu: `${RS}${url.pathname}`,
    clientCertThumbprint: () => undefined,
    requiredScope: 'accounts',
  };
}

const refusal = (req: RsRequest): RsError => {
  try {
    verifyResourceRequest(req, ctx);
  } catch (e) {
    if (e instanceof RsError) return e;
    throw e;
  }
  throw new Error('accepted');
};

describe('RS pipeline', () => {
  it('runs the checks in the documented order', () => {
    expect(RS_CHECKS.map((c) => c.name)).toEqual([
      'no-token-in-query',
      'no-token-in-body',
      'authorization-header',
      'at-is-jwt',
      'at-signature',
      'at-aud',
      'at-exp',
      'at-not-revoked',
      'scheme-matches-binding',
      'dpop-proof',
      'certificate-binding',
      'sufficient-scope',
    ]);
  });

  it('accepts a DPoP-bound token with a valid proof', () => {
    const st = verifyResourceRequest(request(at()), ctx);
    expect(st.binding).toBe('dpop');
    expect(st.dpop?.jkt).toBe(jwkThumbprint(clientJwk));
  });

  it('refuses, in order, with the check that decided', () => {
    expect(refusal(request(at(), { url: `${RS}/accounts?access_token=x` })).check).toBe('RS-02');
    expect(refusal(request(at(), { scheme: 'Basic' })).status).toBe(401);
    expect(refusal(request('not-a-jwt')).error).toBe('invalid_token');
    expect(refusal(request(at({}, { typ: 'JWT' }))).message).toMatch(/typ/);
    expect(refusal(request(at({ iss: 'https://x' }))).check).toBe('RS-04');
    expect(refusal(request(at({ aud: 'https://other' }))).check).toBe('RS-04');
    expect(refusal(request(at({ exp: NOW - 1 }))).check).toBe('RS-03');
    expect(refusal(request(at({ jti: 'revoked' }))).check).toBe('RS-03');
    expect(refusal(request(at(), { scheme: 'Bearer' })).check).toBe('DP-21');
    expect(refusal(request(at(), { proof: false })).error).toBe('invalid_dpop_proof');
    const scope = refusal(request(at({ scope: 'openid' })));
    expect([scope.status, scope.error, scope.extra.scope]).toEqual([403, 'insufficient_scope', 'accounts']);
  });
});
