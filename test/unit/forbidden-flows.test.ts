/**
 * CL-27 (FAPI2-SP §5.3.2.1-2, §5.3.2.2-1/3): fapi has no code path for the password grant (ROPC),
 * the implicit or hybrid flows, or a request object sent by value to the authorization endpoint.
 * Scans every source file of src/ and the client metadata templates, like architecture.test.ts.
 * The one exception is the PAR form of a signed request object (FAPI2-MS §5.3.2, MS-07), made in
 * one file only, PAR_REQUEST_OBJECT: it goes to the PAR endpoint, never to the authorization
 * endpoint (whose URL carries only client_id and request_uri, CL-08). The attack scenario whose
 * intermediary rewrites that form (REQUEST_OBJECT_TAMPERING) plays the attacker, not the client.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'];
/** The only file that may build a `request` parameter: the PAR form of a request object (MS-07). */
const PAR_REQUEST_OBJECT = path.join('src', 'core', 'request-object.ts');
const REQUEST_OBJECT_TAMPERING = path.join('src', 'attacks', 'pushed-request-tampering.ts');

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p, ext));
    else if (ext.test(e)) out.push(p);
  }
  return out;
}

/** The values a source gives a parameter: `name: 'v'`, `'name': 'v'`, `name=v`, `.set('name', 'v')`. */
function valuesOf(src: string, name: string): string[] {
  const re = new RegExp(
    `\\b${name}['"\`]?\\s*(?:[:=]|,)\\s*(?:(['"\`])([^'"\`]*)\\1|([^\\s,;)}\\]&'"\`]+))`,
    'g',
  );
  return [...src.matchAll(re)].map((m) => (m[2] ?? m[3]) as string);
}

/** The `{ … }` block around `index` (braces in strings are not expected in form builders). */
function enclosingBlock(src: string, index: number): string {
  let depth = 0;
  let start = -1;
  for (let i = index - 1; i >= 0; i--) {
    if (src[i] === '}') depth++;
    else if (src[i] === '{') {
      if (depth === 0) {
        start = i;
        break;
      }
      depth--;
    }
  }
  if (start < 0) return '';
  depth = 0;
  for (let i = start; i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return src.slice(start, i + 1);
  }
  return src.slice(start);
}

/**
 * The conformance checks send forbidden requests on purpose, to see a server refuse them
 * (`fapi conform server`: TK-01 the password grant, PAR-10 response types other than code); they
 * are the server's tests, not a flow of the client.
 */
const NEGATIVE_TESTS = `src${path.sep}conform${path.sep}checks${path.sep}`;

export function forbiddenFlows(root: string, o: { allowPar?: boolean } = {}): string[] {
  const problems: string[] = [];
  for (const file of files(path.join(root, 'src'), /\.(ts|js|mjs)$/)) {
    const rel = path.relative(root, file);
    if (rel.startsWith(NEGATIVE_TESTS)) continue;
    const src = readFileSync(file, 'utf8');
    const requestAllowed =
      (o.allowPar ?? true) && (rel === PAR_REQUEST_OBJECT || rel === REQUEST_OBJECT_TAMPERING);
    for (const v of valuesOf(src, 'grant_type'))
      if (!GRANTS.includes(v)) problems.push(`${rel} sends grant_type ${v}`);
    for (const v of valuesOf(src, 'response_type'))
      if (v !== 'code') problems.push(`${rel} sends response_type ${v}`);
    // A request object by value (JAR `request`), never `request_uri`.
    if (requestAllowed) continue;
    if (
      /(['"`])request\1\s*:/.test(src) ||
      /[?&'"`]request=/.test(src) ||
      /\.(?:set|append)\(\s*(['"`])request\1/.test(src)
    )
      problems.push(`${rel} sends a request parameter`);
    for (const m of src.matchAll(
      /\b(?:client_id|response_type|request_uri|redirect_uri|code_challenge)\s*:/g,
    )) {
      if (/(?:^|[\s,{])request\s*:/.test(enclosingBlock(src, m.index))) {
        problems.push(`${rel} sends a request parameter`);
        break;
      }
    }
  }
  for (const file of files(path.join(root, 'templates'), /^client-metadata.*\.json$/)) {
    const rel = path.relative(root, file);
    const md = JSON.parse(readFileSync(file, 'utf8')) as {
      grant_types?: string[];
      response_types?: string[];
    };
    for (const g of md.grant_types ?? [])
      if (!GRANTS.includes(g)) problems.push(`${rel} registers grant ${g}`);
    for (const r of md.response_types ?? [])
      if (r !== 'code') problems.push(`${rel} registers response type ${r}`);
  }
  return [...new Set(problems)];
}

describe('CL-27: no ROPC, implicit or hybrid flow; no request object by value', () => {
  it('CL-27: src/ sends only the authorization_code, refresh_token and client_credentials grants, response_type code, and no request parameter', () => {
    expect(forbiddenFlows(ROOT)).toEqual([]);
    // The scan sees the real form builders (positive control).
    const token = readFileSync(path.join(ROOT, 'src', 'core', 'token.ts'), 'utf8');
    expect(valuesOf(token, 'grant_type').sort()).toEqual(GRANTS.slice().sort());
    expect(valuesOf(readFileSync(path.join(ROOT, 'src', 'core', 'par.ts'), 'utf8'), 'response_type')).toEqual(
      ['code'],
    );
    // The exception is needed and narrow: without it exactly these two files are flagged.
    expect(forbiddenFlows(ROOT, { allowPar: false }).sort()).toEqual(
      [
        `${PAR_REQUEST_OBJECT} sends a request parameter`,
        `${REQUEST_OBJECT_TAMPERING} sends a request parameter`,
      ].sort(),
    );
  });

  it('CL-27: the scan finds a password grant, implicit and hybrid response types and a request object by value', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-cl27-'));
    try {
      mkdirSync(path.join(dir, 'src', 'core'), { recursive: true });
      mkdirSync(path.join(dir, 'templates'), { recursive: true });
      const write = (name: string, text: string) => writeFileSync(path.join(dir, 'src', 'core', name), text);
      write('ropc.ts', "export const form = { grant_type: 'password', username: 'u', password: 'p' };\n");
      write('ropc-url.ts', 'export const body = `grant_type=password&username=${u}`;\n');
      write('implicit.ts', "export const q = { client_id: 'c', response_type: 'token' };\n");
      write('hybrid.ts', "u.searchParams.set('response_type', 'code id_token');\n");
      write('jar.ts', "u.searchParams.set('request', jwt);\n");
      write('jar-form.ts', 'export const f = { client_id: id, request: jwt, request_uri: undefined };\n');
      write('jar-url.ts', 'export const url = `${base}?client_id=${id}&request=${jwt}`;\n');
      write(
        'clean.ts',
        "export interface T { request: Req }\nconst e = { phase: 'request', request: req };\nconst f = { client_id: id, request_uri: uri, response_type: 'code', grant_type: 'refresh_token' };\n",
      );
      writeFileSync(
        path.join(dir, 'templates', 'client-metadata.bad.json'),
        JSON.stringify({
          grant_types: ['authorization_code', 'implicit'],
          response_types: ['code', 'token'],
        }),
      );
      const v = forbiddenFlows(dir);
      expect(v).toEqual(
        expect.arrayContaining([
          'src/core/ropc.ts sends grant_type password',
          'src/core/ropc-url.ts sends grant_type password',
          'src/core/implicit.ts sends response_type token',
          'src/core/hybrid.ts sends response_type code id_token',
          'src/core/jar.ts sends a request parameter',
          'src/core/jar-form.ts sends a request parameter',
          'src/core/jar-url.ts sends a request parameter',
          'templates/client-metadata.bad.json registers grant implicit',
          'templates/client-metadata.bad.json registers response type token',
        ]),
      );
      expect(v.filter((x) => x.startsWith('src/core/clean.ts'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
