/**
 * The package as a user gets it: `npm pack`, installed into a fresh project of its own, and used
 * from there. TypeScript resolves the types of both exports (`fapi`, `fapi/lab`) with
 * `moduleResolution` node16 and bundler; the vitest test of the README ("Use the lab in your
 * tests"), copied from the README itself, starts a lab, logs in with the exported helpers, calls
 * the RS, uses failNext and requests(), and closes it.
 *
 * Installing: `npm install <tarball> --offline` first. This machine has no registry access and
 * the npm cache may lack fapi's dependencies; then the tarball is unpacked into the project's
 * node_modules/fapi (exactly what npm would put there) and each of fapi's dependencies is
 * symlinked from this repository's node_modules, as are the project's own dev tools (typescript's
 * @types/node, vitest).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const MODULES = realpathSync(path.join(ROOT, 'node_modules'));
let dir: string;
let project: string;
let installedBy: 'npm install --offline' | 'unpacked tarball + symlinked dependencies';

/** The README's vitest example: the first ts block of "Use the lab in your tests". */
function readmeExample(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use the lab in your tests'));
  const block = /```ts\n(\/\/ lab\.test\.ts\n[\s\S]*?)```/.exec(section)?.[1];
  if (!block)
    throw new Error(
      'README: no ```ts block starting with "// lab.test.ts" under "Use the lab in your tests"',
    );
  return block;
}

/** The README's resource-server example ("Check the requests of your own resource server"): type-checked. */
function readmeResourceServer(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Check the requests of your own resource server'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block || !block.includes('createResourceVerifier'))
    throw new Error('README: no resource-server example');
  return block;
}

function link(name: string): void {
  const target = path.join(project, 'node_modules', name);
  if (existsSync(target)) return;
  mkdirSync(path.dirname(target), { recursive: true });
  symlinkSync(path.join(MODULES, name), target, 'dir');
}

function run(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 120_000,
  });
  return { code: r.status ?? 1, out: `${r.stdout}\n${r.stderr}` };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fapi-pack-'));
  project = path.join(dir, 'consumer');
  mkdirSync(project);
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string }[];
  const tarball = path.join(dir, packed[0]!.filename);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  );
  const npm = spawnSync('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund'], {
    cwd: project,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (npm.status === 0) installedBy = 'npm install --offline';
  else {
    installedBy = 'unpacked tarball + symlinked dependencies';
    execFileSync('tar', ['xzf', tarball, '-C', dir]);
    mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    renameSync(path.join(dir, 'package'), path.join(project, 'node_modules', 'fapi'));
    const pkg = JSON.parse(
      readFileSync(path.join(project, 'node_modules', 'fapi', 'package.json'), 'utf8'),
    ) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies)) link(dep);
  }
  // The project's own dev tools (as its package.json would list them).
  for (const tool of ['@types/node', 'vitest']) link(tool);
  writeFileSync(path.join(project, 'lab.test.ts'), readmeExample());
  writeFileSync(path.join(project, 'rs.ts'), readmeResourceServer());
  writeFileSync(
    path.join(project, 'types.ts'),
    `import { startLab, FAULT_NAMES, type Lab, type LabRequest, type FaultName, type IssuedToken } from 'fapi/lab';
import {
  generateKey,
  jwkThumbprint,
  createPkcePair,
  createDpopProof,
  verifyResourceRequest,
  createResourceVerifier,
  FapiError,
  type Jwk,
  type KeyPair,
  type PkcePair,
  type ResourceVerification,
  type ResourceVerifierOptions,
  type SigningAlg,
} from 'fapi';

export async function typed(): Promise<string[]> {
  const lab: Lab = await startLab({ quiet: true, faults: ['iss-wrong'] satisfies FaultName[] });
  const requests: LabRequest[] = lab.requests({ clientId: 'c', since: new Date() });
  const token: IssuedToken = lab.issueToken({ scope: 'accounts' });
  const key: KeyPair = await generateKey('EdDSA');
  const pkce: PkcePair = createPkcePair();
  const proof: string = createDpopProof(key, { htm: 'GET', htu: lab.rs, accessToken: token.accessToken });
  const checked: ResourceVerification = await verifyResourceRequest(
    { method: 'GET', url: lab.rs + '/accounts', headers: { authorization: 'DPoP ' + token.accessToken, dpop: proof } },
    { issuer: lab.issuer, ca: lab.caPem, trustProxy: { forwardedHeaders: true } },
  );
  if (!checked.ok) console.log(checked.check, checked.why);
  await lab.close();
  return [jwkThumbprint(key.publicJwk), pkce.method, proof, String(requests.length), String(FapiError), ...FAULT_NAMES];
}

// The types are real, not any: each of these is a type error.
// @ts-expect-error an unknown fault name
export const badFault: FaultName = 'no-such-fault';
// @ts-expect-error RS256 is not a FAPI 2.0 algorithm
export const badAlg = () => generateKey('RS256');
// @ts-expect-error failNext needs a known endpoint
export const badEndpoint = (lab: Lab) => lab.failNext({ endpoint: 'nowhere' });
// The trust anchor of a resource verifier: the issuer, its keys, or both; never neither.
export const anchors = (jwks: { keys: Jwk[] }): ResourceVerifierOptions[] => [
  { issuer: 'https://as.example' },
  { jwks },
  { issuer: 'https://as.example', jwks, audience: 'https://api.example' },
];
export const byKeys = (jwks: { keys: Jwk[] }) => createResourceVerifier({ jwks, scope: 'accounts' });
// @ts-expect-error neither issuer nor jwks
export const noAnchor = () => createResourceVerifier({ audience: 'https://api.example' });
// SigningAlg is exactly FAPI 2.0's three algorithms; KeyPair has exactly these members.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const algs: Same<SigningAlg, 'ES256' | 'PS256' | 'EdDSA'> = true;
export const keyPair: Same<keyof KeyPair, 'alg' | 'kid' | 'thumbprint' | 'privateKey' | 'publicKey' | 'privateJwk' | 'publicJwk'> = true;
export const keyPairAlg: Same<KeyPair['alg'], SigningAlg> = true;
`,
  );
  // node16 also checks every declaration file (ours and our dependencies'); bundler skips them (the
  // expected-error lines above still prove the types resolve: an unresolved type would be any).
  const tsconfig = (module: string, moduleResolution: string, skipLibCheck: boolean) =>
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module,
        moduleResolution,
        strict: true,
        noEmit: true,
        skipLibCheck,
        types: ['node'],
      },
      files: ['types.ts', 'lab.test.ts', 'rs.ts'],
    });
  writeFileSync(path.join(project, 'tsconfig.node16.json'), tsconfig('node16', 'node16', false));
  writeFileSync(path.join(project, 'tsconfig.bundler.json'), tsconfig('esnext', 'bundler', true));
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tsc = path.join(MODULES, 'typescript', 'bin', 'tsc');

describe('the packed package, installed into a project of its own', () => {
  it('installs (by npm --offline, or unpacked with symlinked dependencies where the npm cache lacks them)', () => {
    expect(['npm install --offline', 'unpacked tarball + symlinked dependencies']).toContain(installedBy);
    const files = readFileSync(path.join(project, 'node_modules', 'fapi', 'package.json'), 'utf8');
    expect(JSON.parse(files).exports['./lab'].types).toBe('./dist/src/public/lab.d.ts');
  });

  it('exports exactly the public API from `fapi` and `fapi/lab` (ESM)', () => {
    const r = run(process.execPath, [
      '--input-type=module',
      '-e',
      "const a = await import('fapi'); const b = await import('fapi/lab'); console.log(JSON.stringify([Object.keys(a).sort(), Object.keys(b).sort()]))",
    ]);
    expect(r.code, r.out).toBe(0);
    const [main, lab] = JSON.parse(r.out.trim().split('\n')[0]!) as [string[], string[]];
    expect(main).toEqual([
      'FapiError',
      'accessTokenHash',
      'clientAssertionParams',
      'createClientAssertion',
      'createDpopProof',
      'createPkcePair',
      'createResourceVerifier',
      'generateKey',
      'jwkThumbprint',
      'verifyResourceRequest',
    ]);
    expect(lab).toEqual(['FAULT_NAMES', 'LAB_ENDPOINT_NAMES', 'RELAXATION_NAMES', 'startLab']);
    // Internal modules are not reachable through the exports map.
    const deep = run(process.execPath, [
      '--input-type=module',
      '-e',
      "await import('fapi/dist/lab/server.js')",
    ]);
    expect(deep.code).not.toBe(0);
    expect(deep.out).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('type-checks both exports (and the README examples) with moduleResolution node16', () => {
    const r = run(process.execPath, [tsc, '-p', 'tsconfig.node16.json']);
    expect(r.code, r.out).toBe(0);
  }, 120_000);

  it('type-checks both exports with moduleResolution bundler', () => {
    const r = run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json']);
    expect(r.code, r.out).toBe(0);
  }, 120_000);

  it("runs the README's vitest example: a lab, a login with the exported helpers, the RS, failNext, requests(), close", () => {
    const r = run(process.execPath, [
      path.join(MODULES, 'vitest', 'vitest.mjs'),
      'run',
      '--root',
      project,
      'lab.test.ts',
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/1 passed/);
  }, 120_000);
});
