/**
 * The crypto bound: how many requests per second one core could serve if a request cost only the
 * node:crypto work it needs. Token endpoint (client_credentials, private_key_jwt, DPoP): verify
 * the client assertion, verify the DPoP proof, sign the access token — all ES256. RS: verify the
 * access token signature and the DPoP proof. Runs in its own process (one core).
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';

export interface CryptoBound {
  /** Token requests' crypto per wall-clock second on one core. */
  tokenPerSec: number;
  /** RS requests' crypto per wall-clock second on one core. */
  rsPerSec: number;
  /** The same per second of CPU time (insensitive to other processes taking the core). */
  tokenPerCpuSec: number;
  rsPerCpuSec: number;
}

export function measureCryptoBound(seconds = 1.5): CryptoBound {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('x'.repeat(600));
  const sig = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const v = () => verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  const s = () => sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const rate = (fn: () => void) => {
    for (let i = 0; i < 200; i++) fn();
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const end = start + seconds * 1000;
    let n = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 50; i++) fn();
      n += 50;
    }
    const wall = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { wall: n / wall, cpu: n / ((cpu.user + cpu.system) / 1e6) };
  };
  const token = rate(() => {
    v();
    v();
    s();
  });
  const rs = rate(() => {
    v();
    v();
  });
  return { tokenPerSec: token.wall, rsPerSec: rs.wall, tokenPerCpuSec: token.cpu, rsPerCpuSec: rs.cpu };
}

if (process.argv[1] && process.argv[1].endsWith('crypto-bound.js')) {
  process.stdout.write(JSON.stringify(measureCryptoBound(Number(process.argv[2] ?? 1.5))) + '\n');
}
