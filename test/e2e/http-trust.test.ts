/**
 * CL-01: the HTTP seam trusts the explicit extra CAs (`--ca`, the profile's ca_file) on top of the
 * default trust, and nothing else; verification is never off. The client runs in a child process
 * so that NODE_EXTRA_CA_CERTS (read at start-up) can stand for the default store: without `--ca`
 * it is honoured, as Node does, and with `--ca` too: the extra CA is added next to the bundled
 * roots and the NODE_EXTRA_CA_CERTS anchors, so a user's corporate CA keeps working.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { createTestCa } from '../helpers/tls.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-trust-'));
const servers: https.Server[] = [];
const urls: Record<'root' | 'extra' | 'other', string> = { root: '', extra: '', other: '' };
const files: Record<'root' | 'extra', string> = { root: '', extra: '' };

beforeAll(async () => {
  for (const name of ['root', 'extra', 'other'] as const) {
    const ca = await createTestCa(`CN=${name} CA`);
    const cert = await ca.issueServer();
    if (name !== 'other') {
      files[name] = path.join(dir, `${name}.pem`);
      writeFileSync(files[name], ca.certPem);
    }
    const s = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    servers.push(s);
    urls[name] = `https://127.0.0.1:${(s.address() as AddressInfo).port}/`;
  }
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

function probe(url: string, extraCa?: string): Promise<string> {
  const script = `
    const { createHttpClient } = await import(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'http', 'client.js'))});
    const { readFileSync } = await import('node:fs');
    const extra = ${JSON.stringify(extraCa ?? '')};
    const http = createHttpClient({ ca: extra ? [readFileSync(extra, 'utf8')] : [], timeoutMs: 5000 });
    try { const r = await http({ method: 'GET', url: ${JSON.stringify(url)} }); console.log('status ' + r.status); }
    catch (e) { console.log(e.code + ' ' + e.message); }`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: files.root },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => resolve(out.trim()));
  });
}

describe('TLS trust (CL-01)', () => {
  it('trusts the extra CA and NODE_EXTRA_CA_CERTS, refuses any other; the default store works without one', async () => {
    expect(await probe(urls.extra, files.extra)).toBe('status 200');
    expect(await probe(urls.other, files.extra)).toMatch(/^E_TLS .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(await probe(urls.root, files.extra)).toBe('status 200');
    expect(await probe(urls.root)).toBe('status 200');
    expect(await probe(urls.extra)).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });
});
