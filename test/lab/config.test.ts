/** Lab configuration: strict defaults, relaxations are loud, config files are validated precisely. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_LAB_CONFIG,
  FAULT_NAMES,
  RELAXATION_NAMES,
  checkLabConfig,
  labWarningHeader,
  labWarnings,
  loadLabConfigFile,
  parBodyLimitOf,
  resolveLabConfig,
} from '../../lab/config.js';
import { ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-labcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lab config', () => {
  it('defaults to the strict profile: no relaxations, codes and request_uris 60 s', () => {
    const c = resolveLabConfig();
    expect(c.relax).toEqual([]);
    expect(c.faults).toEqual([]);
    expect(c.codeLifetime).toBe(60);
    expect(c.requestUriLifetime).toBe(60);
    expect(c.port).toBe(8443);
    expect(labWarnings(c)).toEqual([]);
    expect(labWarningHeader(c)).toBeUndefined();
  });

  it('gives the PAR endpoint 4 MiB by default and never less than bodyLimit', () => {
    expect(parBodyLimitOf(resolveLabConfig())).toBe(4 * 1024 * 1024);
    expect(parBodyLimitOf(resolveLabConfig({ parBodyLimit: 8192, bodyLimit: 4096 }))).toBe(8192);
    expect(parBodyLimitOf(resolveLabConfig({ parBodyLimit: 8192, bodyLimit: 65_536 }))).toBe(65_536);
    expect(parBodyLimitOf(resolveLabConfig({ bodyLimit: 8 * 1024 * 1024 }))).toBe(8 * 1024 * 1024);
  });

  it('makes every relaxation loud: a start warning and an ASCII header', () => {
    const c = resolveLabConfig({ relax: ['bearer-tokens', 'rotate-rt'] }, { relax: ['no-iss'] });
    expect(c.relax).toEqual(['bearer-tokens', 'rotate-rt', 'no-iss']);
    const w = labWarnings(c);
    expect(w).toHaveLength(3);
    expect(w[0]).toMatch(/bearer-tokens/);
    const h = labWarningHeader(c) as string;
    expect(h).toContain('relaxed=bearer-tokens');
    expect(h).toMatch(/NOT FAPI 2.0 conformant/);
    expect(/^[\x20-\x7e]+$/.test(h)).toBe(true);
  });

  it('refuses values the profile forbids, naming the JSON path', () => {
    expect(checkLabConfig({ codeLifetime: 61 })).toMatch(/^\$\.codeLifetime must be an integer from 1 to 60/);
    expect(checkLabConfig({ requestUriLifetime: 600 })).toMatch(/\$\.requestUriLifetime/);
    expect(checkLabConfig({ relax: ['no-par', 'nope'] })).toBe(
      `$.relax[1] must be one of ${RELAXATION_NAMES.map((r) => JSON.stringify(r)).join(', ')}`,
    );
    expect(checkLabConfig({ prot: 1 })).toBe('$.prot is not a known option');
    expect(checkLabConfig({ parBodyLimit: 512 })).toBe(
      '$.parBodyLimit must be an integer from 1024 to 10485760',
    );
    expect(checkLabConfig({ parBodyLimit: 11 * 1024 * 1024 })).toMatch(/^\$\.parBodyLimit must be/);
    expect(checkLabConfig({ parBodyLimit: '4M' })).toMatch(/^\$\.parBodyLimit/);
    expect(checkLabConfig({ port: 8443, $comment: 'fine' })).toBeUndefined();
  });

  it('loads a config file and names the file and field of a bad one', async () => {
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ port: 0, autoApprove: true, relax: ['plain-pkce'] }));
    expect(await loadLabConfigFile(good)).toEqual({ port: 0, autoApprove: true, relax: ['plain-pkce'] });
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ faults: ['iss-wrong', 3] }));
    await expect(loadLabConfigFile(bad)).rejects.toMatchObject({
      code: 'E_LAB_CONFIG',
      message: expect.stringContaining(`${bad} is invalid: $.faults[1] must be one of`),
    });
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "port": ');
    await expect(loadLabConfigFile(broken)).rejects.toMatchObject({ code: 'E_FILE_CORRUPT' });
  });

  it('ships a template that documents every option and loads as the strict defaults', async () => {
    const file = path.join(ROOT, 'templates', 'lab.config.json');
    const loaded = await loadLabConfigFile(file);
    const text = readFileSync(file, 'utf8');
    for (const key of Object.keys(DEFAULT_LAB_CONFIG)) expect(text).toContain(`"${key}"`);
    for (const key of ['mtlsPort', 'rsPort', 'registrationToken']) expect(text).toContain(key);
    for (const r of RELAXATION_NAMES) expect(text).toContain(r);
    for (const f of FAULT_NAMES) expect(text).toContain(f);
    const c = resolveLabConfig(loaded);
    expect(c).toEqual(resolveLabConfig());
  });
});
