/**
 * Client fault switches (README "Lab fault switches"): each hook changes exactly what its switch names,
 * and nothing when the switch is off.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeJws, verifyJwsSignature } from '../../src/core/jws.js';
import type { Fault } from '../../lab/config.js';
import {
  WRONG_ISSUER,
  applyAuthorizationResponseFaults,
  applyTokenResponseFaults,
  createNonces,
  dateHeader,
  refreshGraceSeconds,
  rotatesRefreshTokens,
  signIdToken,
} from '../../lab/faults.js';

const on =
  (...faults: Fault[]) =>
  (f: Fault) =>
    faults.includes(f);
const none = on();
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = { kid: 'lab-1', alg: 'ES256' as const, privateKey };
const NOW = 1_800_000_000;
const claims = {
  iss: 'https://127.0.0.1:8443',
  sub: 'alice',
  aud: 'client-1',
  exp: NOW + 300,
  iat: NOW,
  nonce: 'n-1',
};

describe('authorization response faults (CL-11, CL-12)', () => {
  const base = () => ({ code: 'c', state: 's-1', iss: 'https://127.0.0.1:8443' });
  it('leaves the response alone when no fault is on', () => {
    const p = base();
    applyAuthorizationResponseFaults(none, p);
    expect(p).toEqual(base());
  });
  it('iss-wrong / iss-missing', () => {
    const a = base();
    applyAuthorizationResponseFaults(on('iss-wrong'), a);
    expect(a.iss).toBe(WRONG_ISSUER);
    const b: Record<string, string> = base();
    applyAuthorizationResponseFaults(on('iss-missing'), b);
    expect('iss' in b).toBe(false);
  });
  it('state-wrong / state-missing', () => {
    const a = base();
    applyAuthorizationResponseFaults(on('state-wrong'), a);
    expect(a.state).not.toBe('s-1');
    expect(a.code).toBe('c');
    const b: Record<string, string> = base();
    applyAuthorizationResponseFaults(on('state-missing'), b);
    expect('state' in b).toBe(false);
  });
});

describe('token response faults (CL-17, CL-18)', () => {
  it('token-type-case inverts the case; no-expires-in drops expires_in', () => {
    const plain = { token_type: 'DPoP', expires_in: 300 };
    applyTokenResponseFaults(none, plain);
    expect(plain).toEqual({ token_type: 'DPoP', expires_in: 300 });
    const a: Record<string, unknown> = { token_type: 'DPoP', expires_in: 300 };
    applyTokenResponseFaults(on('token-type-case', 'no-expires-in'), a);
    expect(a).toEqual({ token_type: 'dPoP' });
    const b: Record<string, unknown> = { token_type: 'Bearer' };
    applyTokenResponseFaults(on('token-type-case'), b);
    expect(String(b.token_type).toLowerCase()).toBe('bearer');
    expect(b.token_type).not.toBe('Bearer');
  });
});

describe('ID token faults (CL-20)', () => {
  const decode = (jwt: string) => decodeJws(jwt);
  it('signs a valid ES256 ID token when no fault is on', () => {
    const d = decode(signIdToken(none, claims, key, NOW));
    expect(d.header).toMatchObject({ alg: 'ES256', kid: 'lab-1', typ: 'JWT' });
    expect(d.payload).toEqual(claims);
    expect(verifyJwsSignature(d, 'ES256', publicKey)).toBe(true);
  });
  const cases: [Fault, (p: Record<string, unknown>) => void][] = [
    ['idtoken-iss', (p) => expect(p.iss).toBe(WRONG_ISSUER)],
    ['idtoken-iss-missing', (p) => expect('iss' in p).toBe(false)],
    ['idtoken-aud', (p) => expect(p.aud).not.toBe('client-1')],
    ['idtoken-secondary-aud', (p) => expect(p.aud).toEqual(['client-1', expect.any(String)])],
    ['idtoken-aud-array', (p) => expect(p.aud).toEqual(['client-1'])],
    ['idtoken-aud-missing', (p) => expect('aud' in p).toBe(false)],
    ['idtoken-exp-expired', (p) => expect(p.exp as number).toBeLessThan(NOW)],
    ['idtoken-exp-missing', (p) => expect('exp' in p).toBe(false)],
    ['idtoken-nonce-wrong', (p) => expect(p.nonce).not.toBe('n-1')],
    ['idtoken-nonce-missing', (p) => expect('nonce' in p).toBe(false)],
  ];
  for (const [fault, expectation] of cases) {
    it(`${fault} changes only its claim and keeps a valid signature`, () => {
      const d = decode(signIdToken(on(fault), claims, key, NOW));
      expectation(d.payload);
      expect(verifyJwsSignature(d, 'ES256', publicKey)).toBe(true);
      expect(d.payload.sub).toBe('alice');
    });
  }
  it('idtoken-alg-none is unsigned', () => {
    const jwt = signIdToken(on('idtoken-alg-none'), claims, key, NOW);
    expect(jwt.endsWith('.')).toBe(true);
    expect(decode(jwt).header.alg).toBe('none');
  });
  it('idtoken-sig-invalid keeps the FAPI alg, the lab kid and the claims; the signature does not verify', () => {
    const d = decode(signIdToken(on('idtoken-sig-invalid'), claims, key, NOW));
    expect(d.header).toMatchObject({ alg: 'ES256', kid: 'lab-1', typ: 'JWT' });
    expect(d.payload).toEqual(claims);
    expect(d.signature.length).toBe(64);
    expect(verifyJwsSignature(d, 'ES256', publicKey)).toBe(false);
    // Without the fault, the same claims verify: only the signature was broken.
    expect(verifyJwsSignature(decode(signIdToken(none, claims, key, NOW)), 'ES256', publicKey)).toBe(true);
  });
  it('idtoken-kid-unknown is a valid ES256 signature by another key, under a kid that is not the lab one', () => {
    const d = decode(signIdToken(on('idtoken-kid-unknown'), claims, key, NOW));
    expect(d.header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(d.header.kid).toMatch(/^unknown-/);
    expect(d.payload).toEqual(claims);
    expect(verifyJwsSignature(d, 'ES256', publicKey)).toBe(false);
  });
  it('idtoken-alg-rs256 is signed with RS256', () => {
    const d = decode(signIdToken(on('idtoken-alg-rs256'), claims, key, NOW));
    expect(d.header.alg).toBe('RS256');
    expect(d.signature.length).toBe(256);
  });
});

describe('refresh-token rotation (RT-02, rotate-rt-no-grace)', () => {
  const strict = { relaxed: () => false, fault: none };
  it('rotates under the rotate-rt relaxation or the rotate-rt-no-grace fault only', () => {
    expect(rotatesRefreshTokens(strict)).toBe(false);
    expect(rotatesRefreshTokens({ relaxed: (r) => r === 'rotate-rt', fault: none })).toBe(true);
    expect(rotatesRefreshTokens({ relaxed: () => false, fault: on('rotate-rt-no-grace') })).toBe(true);
  });
  it('keeps the configured retry window, none under rotate-rt-no-grace', () => {
    expect(refreshGraceSeconds(none, 60)).toBe(60);
    expect(refreshGraceSeconds(on('rotate-rt-no-grace'), 60)).toBe(0);
  });
});

describe('DPoP nonces (DP-20, dpop-nonce-rotate)', () => {
  it('rotate by time by default', () => {
    let t = 1000;
    const n = createNonces(none, { rotateSeconds: 60, now: () => t });
    const first = n.current();
    n.afterSuccess();
    expect(n.current()).toBe(first);
    t += 60;
    expect(n.current()).not.toBe(first);
    expect(n.isValid(first)).toBe(true);
    t += 60;
    expect(n.isValid(first)).toBe(false);
  });
  it('rotate after every success with dpop-nonce-rotate; only the newest is valid', () => {
    const n = createNonces(on('dpop-nonce-rotate'), { rotateSeconds: 60, now: () => 0 });
    const first = n.current();
    expect(n.isValid(first)).toBe(true);
    n.afterSuccess();
    expect(n.current()).not.toBe(first);
    expect(n.isValid(first)).toBe(false);
    expect(n.isValid(n.current())).toBe(true);
  });
});

describe('clock-skew Date header (CL-23)', () => {
  it('is the lab clock when it runs ahead, and absent otherwise', () => {
    const real = Date.UTC(2030, 0, 1, 12, 0, 0);
    expect(dateHeader(real / 1000, real)).toBeUndefined();
    expect(dateHeader(real / 1000 + 120, real)).toBe('Tue, 01 Jan 2030 12:02:00 GMT');
  });
});
