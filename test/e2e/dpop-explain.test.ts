/**
 * `fapi dpop explain PROOF --method M --url U [--token AT] [--nonce N]`, the real binary: exit 0
 * when a resource server would accept the proof, 6 when not (naming the check and why), 2 for bad
 * usage; `--json` prints the judgement as data.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDpopProof, type DpopKey } from '../../src/core/dpop.js';
import type { Jwk } from '../../src/core/jwk.js';
import { fapi } from '../helpers/cli.js';

const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key: DpopKey = {
  privateKey: pair.privateKey,
  publicJwk: pair.publicKey.export({ format: 'jwk' }) as Jwk,
  alg: 'ES256',
};
const URL_ = 'https://api.example/accounts';

describe('fapi dpop explain', () => {
  it('exit 0 when acceptable, each check listed', async () => {
    const r = await fapi([
      'dpop',
      'explain',
      createDpopProof(key, { htm: 'GET', htu: URL_ }),
      '--method',
      'GET',
      '--url',
      URL_,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✔ DP-09 +htu is the request URL/);
    expect(r.stdout).toMatch(/a resource server would accept it/);
  });

  it('exit 6 when a proxy rewrote the URL: DP-09, and why', async () => {
    const proof = createDpopProof(key, { htm: 'GET', htu: 'http://app:8080/accounts' });
    const r = await fapi(['dpop', 'explain', proof, '--method', 'GET', '--url', URL_]);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/✖ DP-09/);
    expect(r.stdout).toContain(
      'htu is http://app:8080/accounts, the request URL is https://api.example/accounts',
    );
    expect(r.stderr).toMatch(/E_DPOP_NOT_ACCEPTABLE|would be refused: DP-09/);
    const json = await fapi(['--json', 'dpop', 'explain', proof, '--method', 'GET', '--url', URL_]);
    expect(json.code).toBe(6);
    expect(JSON.parse(json.stdout)).toMatchObject({
      acceptable: false,
      failed: { id: 'DP-09', error: 'invalid_dpop_proof' },
    });
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'E_DPOP_NOT_ACCEPTABLE', exit_code: 6 } });
  });

  it('exit 2 for bad usage: no --method, a --url that is no URL', async () => {
    const proof = createDpopProof(key, { htm: 'GET', htu: URL_ });
    expect((await fapi(['dpop', 'explain', proof, '--url', URL_])).code).toBe(2);
    const bad = await fapi(['dpop', 'explain', proof, '--method', 'GET', '--url', 'not a url']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--url "not a url" is not a URL');
  });
});
