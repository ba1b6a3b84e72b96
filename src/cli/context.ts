/** Everything a command needs from the terminal world, resolved once from flags and env. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stateError, usageError } from '../errors.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../http/client.js';
import { resolveHome } from '../store/home.js';
import { ProfileStore, type Profile } from '../store/profile.js';
import { Output, colorEnabled } from './output.js';

export interface GlobalOptions {
  home?: string;
  profile?: string;
  json?: boolean;
  verbose?: boolean;
  ca?: string;
  color?: boolean;
}

export interface CliContext {
  home: string;
  /** The profile named by --profile / FAPI_PROFILE / `fapi profile use` / "default". */
  profileName: string;
  /** True when --profile or FAPI_PROFILE chose the profile explicitly. */
  profileExplicit: boolean;
  json: boolean;
  verbose: boolean;
  /** Absolute path of --ca, if given. */
  caFile?: string;
  /** Prompts are allowed: stdin is a TTY and CI is unset. */
  interactive: boolean;
  out: Output;
  store: ProfileStore;
  env: NodeJS.ProcessEnv;
  /** An HTTP client trusting --ca and the profile's CA, with the profile's client certificate when given. */
  http(options?: { profile?: Profile; cert?: { cert: string; key: string }; timeoutMs?: number }): HttpClient;
  /** Fails with a usage error naming the flag when a value is missing and prompting is impossible. */
  requireOption<T>(value: T | undefined, flag: string, what: string): T;
}

/**
 * The PEM trust anchors in `file` (--ca, a profile's ca_file, the lab CA). `source` says where the
 * path came from; a file that cannot be read or holds no certificate is a local-state error naming
 * both.
 */
export function readCaFile(
  file: string,
  source: string,
  hint = 'Check the path given with --ca, or the ca_file recorded in the profile (`fapi profile show`).',
): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (cause) {
    throw stateError(
      'E_CA_READ',
      `Cannot read the CA file ${file} (${source}): ${(cause as Error).message}.`,
      hint,
      { cause },
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw stateError(
      'E_CA_INVALID',
      `The CA file ${file} (${source}) holds no PEM certificate.`,
      'Pass a PEM file with one or more "BEGIN CERTIFICATE" blocks.',
    );
  }
  return pem;
}

export async function createContext(
  g: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliContext> {
  const home = resolveHome({ flag: g.home, FAPI_HOME: env.FAPI_HOME, XDG_CONFIG_HOME: env.XDG_CONFIG_HOME });
  const store = new ProfileStore(home);
  const json = Boolean(g.json);
  const verbose = Boolean(g.verbose);
  const out = new Output(process.stdout, process.stderr, {
    json,
    verbose,
    color: colorEnabled(g.color, env),
  });
  let profileName = g.profile ?? env.FAPI_PROFILE;
  const profileExplicit = Boolean(profileName);
  if (!profileName) profileName = (await store.currentProfile()) ?? 'default';
  const caFile = g.ca ? path.resolve(g.ca) : undefined;
  const interactive = Boolean(process.stdin.isTTY) && !env.CI;
  const caCache = new Map<string, string>();
  const readCa = (file: string, source: string): string => {
    const pem = caCache.get(file) ?? readCaFile(file, source);
    caCache.set(file, pem);
    return pem;
  };
  return {
    home,
    profileName,
    profileExplicit,
    json,
    verbose,
    caFile,
    interactive,
    out,
    store,
    env,
    http(options = {}) {
      const ca: string[] = [];
      if (caFile) ca.push(readCa(caFile, '--ca'));
      if (options.profile?.ca_file)
        ca.push(readCa(options.profile.ca_file, `profile ${options.profile.name}`));
      const opts: HttpClientOptions = { ca, trace: out.trace, timeoutMs: options.timeoutMs };
      if (options.cert) {
        opts.cert = options.cert.cert;
        opts.key = options.cert.key;
      }
      return createHttpClient(opts);
    },
    requireOption<T>(value: T | undefined, flag: string, what: string): T {
      if (value === undefined || value === null || value === '') {
        throw usageError('E_MISSING_OPTION', `Missing ${what}.`, `Pass ${flag}.`, { flag });
      }
      return value;
    },
  };
}
