/** src/cli/context.ts readCaFile: the one reader of CA files (--ca, a profile's ca_file, the lab CA). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaFile } from '../../../src/cli/context.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-ca-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readCaFile', () => {
  it('returns the PEM of a certificate file', () => {
    const file = path.join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(file, pem);
    expect(readCaFile(file, '--ca')).toBe(pem);
  });

  it('a missing file is a local-state error naming the file, where it came from, and what to do', () => {
    const file = path.join(dir, 'missing.pem');
    expect(() => readCaFile(file, 'the lab CA of this home', 'Start the lab with the same --home.')).toThrow(
      expect.objectContaining({
        code: 'E_CA_READ',
        exitCode: 3,
        message: expect.stringContaining(`Cannot read the CA file ${file} (the lab CA of this home)`),
        hint: 'Start the lab with the same --home.',
      }),
    );
  });

  it('a file without a PEM certificate is refused', () => {
    const file = path.join(dir, 'key.pem');
    writeFileSync(file, '-----BEGIN PRIVATE KEY-----\n');
    expect(() => readCaFile(file, '--ca')).toThrow(
      expect.objectContaining({ code: 'E_CA_INVALID', exitCode: 3 }),
    );
  });
});
