/**
 * The crypto bound: how many requests per second one core could serve if a request cost only the
 * node:crypto work it needs. Token endpoint (client_credentials, private_key_jwt, DPoP): verify
 * the client assertion, verify the DPoP proof, sign the access token — all ES256. RS: verify the
 * access token signature and the DPoP proof. Runs in its own process (one core).
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';

export interface CryptoBound {
  tokenPerSec: number;
  rsPerSec: number;
}

export function measureCryptoBound(seconds = 1.5): CryptoBound {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('x'.repeat(600));
  const sig = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const v = () => verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  const s = () => sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const rate = (fn: () => void) => {
    for (let i = 0; i < 200; i++) fn();
    const end = performance.now() + seconds * 1000;
    let n = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 50; i++) fn();
      n += 50;
    }
    return n / seconds;
  };
  const tokenPerSec = rate(() => {
    v();
    v();
    s();
  });
  const rsPerSec = rate(() => {
    v();
    v();
  });
  return { tokenPerSec, rsPerSec };
}

if (process.argv[1] && process.argv[1].endsWith('crypto-bound.js')) {
  process.stdout.write(JSON.stringify(measureCryptoBound(Number(process.argv[2] ?? 1.5))) + '\n');
}
