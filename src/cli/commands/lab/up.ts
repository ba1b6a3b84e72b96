/**
 * `fapi lab up`: runs the local FAPI 2.0 lab (lab/server.ts) in the foreground until Ctrl-C or
 * SIGTERM, or detached (--detach: a child `fapi lab up --detached-child` that logs to the lab log).
 * The lab itself never prints: this command gives it a logger (lab/log.ts), records its run file
 * (lab/run-file.ts) and tells the story.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateError, usageError } from '../../../errors.js';
import { ensureDir } from '../../../store/atomic.js';
import type { CliContext } from '../../context.js';
import { nextSignal } from '../../signals.js';
import { parseIntOption, portOption } from '../../options.js';
import { tilde } from '../../text.js';
import type { LabConfig } from '../../../../lab/config.js';
import { labHome, labPaths, type LabPaths } from '../../../../lab/home.js';
import { makeLogger, openLog, type LogSink } from '../../../../lab/log.js';
import {
  followSwitches,
  labRunInfo,
  removeRunFile,
  runningLab,
  writeRunFile,
  type LabRunInfo,
} from '../../../../lab/run-file.js';
import type { Fault, Relaxation } from '../../../../lab/switches.js';
import { ecosystem as ecosystemOf, unsupportedRules, type EcosystemName } from '../../../core/ecosystems.js';

export interface LabUpOptions {
  port?: string;
  mtlsPort?: string;
  rsPort?: string;
  config?: string;
  autoApprove?: boolean;
  registrationToken?: string;
  /** --require-jar: every pushed request must be a signed request object (MS-01). */
  requireJar?: boolean;
  relax?: Relaxation[];
  fault?: Fault[];
  /** An ecosystem preset (src/core/ecosystems.ts). */
  ecosystem?: EcosystemName;
  detach?: boolean;
  /** Set on the child that --detach starts. */
  detachedChild?: boolean;
}

/** The registration token from the environment (for `fapi lab up` and its detached child). */
const REGISTRATION_TOKEN_ENV = 'FAPI_LAB_REGISTRATION_TOKEN';

function configFromFlags(opts: LabUpOptions): Partial<LabConfig> {
  const out: Partial<LabConfig> = {};
  const port = parseIntOption(opts.port, portOption('--port'));
  if (port !== undefined) out.port = port;
  const mtlsPort = parseIntOption(opts.mtlsPort, portOption('--mtls-port'));
  if (mtlsPort !== undefined) out.mtlsPort = mtlsPort;
  const rsPort = parseIntOption(opts.rsPort, portOption('--rs-port'));
  if (rsPort !== undefined) out.rsPort = rsPort;
  if (opts.autoApprove) out.autoApprove = true;
  if (opts.registrationToken !== undefined) out.registrationToken = opts.registrationToken;
  if (opts.requireJar) out.requireSignedRequestObject = true;
  if (opts.relax) out.relax = opts.relax;
  if (opts.fault) out.faults = opts.fault;
  if (opts.ecosystem) out.ecosystem = opts.ecosystem;
  return out;
}

async function effectiveConfig(opts: LabUpOptions): Promise<Partial<LabConfig>> {
  const { loadLabConfigFile, checkLabConfig } = await import('../../../../lab/config.js');
  const file = opts.config !== undefined ? await loadLabConfigFile(path.resolve(opts.config)) : {};
  const flags = configFromFlags(opts);
  const merged: Partial<LabConfig> = {
    ...file,
    ...flags,
    relax: [...new Set([...(file.relax ?? []), ...(flags.relax ?? [])])],
    faults: [...new Set([...(file.faults ?? []), ...(flags.faults ?? [])])],
  };
  const problem = checkLabConfig(merged);
  if (problem)
    throw usageError(
      'E_LAB_OPTION',
      `Invalid lab option: ${problem.replace(/^\$\./, '')}.`,
      'See `fapi lab up --help`.',
    );
  return merged;
}

/** What `lab up --json` prints: the run file without what only fapi's own commands read. */
function publicInfo(info: LabRunInfo) {
  const { pid, issuer, rs, mtls, ca, dashboard, ports, log, started_at, warnings } = info;
  return {
    pid,
    issuer,
    rs,
    mtls,
    ca,
    dashboard,
    ports,
    log,
    started_at,
    warnings,
    ...(info.ecosystem ? { ecosystem: info.ecosystem } : {}),
  };
}

/** The banner lines of an ecosystem preset: what it is, and loudly, what the lab does not do of it. */
function ecosystemLines(ctx: CliContext, name: string | undefined): string[] {
  if (!name || name === 'fapi2') return [];
  const eco = ecosystemOf(name as EcosystemName);
  const c = ctx.out.c;
  const missing = unsupportedRules(eco, 'lab');
  return [
    `  ecosystem     ${c.bold(eco.name)}: ${eco.title} (\`fapi ecosystems ${eco.name}\` lists its rules and their sources)`,
    ...(missing.length
      ? [
          `  ${c.yellow('!')} NOT supported by fapi — this lab does not claim ${eco.name} conformance for:`,
          ...missing.map((x) => `      ${c.yellow(x.id)}: ${x.rule} (${x.gap ?? 'not supported'})`),
        ]
      : []),
  ];
}

/** What the strict lab requires: FAPI 2.0, narrowed by the preset's choices when one is active. */
function profileLine(info: LabRunInfo): string {
  const base = 'PAR required, PKCE S256, iss in responses, codes 60 s, request_uri 60 s';
  if (!info.ecosystem)
    return `FAPI 2.0 Security Profile (Final): PAR required, PKCE S256, DPoP (server nonces) or mTLS,\n                private_key_jwt / tls_client_auth, iss in responses, codes 60 s, request_uri 60 s`;
  const s = ecosystemOf(info.ecosystem as EcosystemName).settings;
  const parts = [
    s.sender === 'mtls' ? 'mTLS-bound tokens only' : s.sender === 'dpop' ? 'DPoP only' : 'DPoP or mTLS',
    s.authMethods?.length ? s.authMethods.join(' / ') : 'private_key_jwt / tls_client_auth',
    ...(s.jar === 'required' ? ['signed request objects'] : []),
    ...(s.jarm === 'required' ? ['JARM'] : []),
    ...(s.rar === 'required' ? ['RAR'] : []),
  ];
  return `FAPI 2.0 Security Profile (Final) as ${info.ecosystem} fixes it: ${parts.join(', ')},\n                ${base}`;
}

/**
 * What to run next. Under a preset the client must follow its rules too (sender constraint, client
 * authentication, JAR, RAR): `fapi init --lab --ecosystem X` sets them all.
 */
function nextSteps(info: LabRunInfo, ca: string): string[] {
  if (!info.ecosystem)
    return [
      `  next:  fapi keygen                                  a client key in the default profile`,
      `         fapi register --issuer ${info.issuer} --ca ${ca}`,
      `                                                     register it with this lab`,
      `         fapi login                                   PAR + PKCE + DPoP, then tokens`,
    ];
  const eco = ecosystemOf(info.ecosystem as EcosystemName);
  const init = `fapi init --lab --ecosystem ${eco.name}`;
  const sender = eco.settings.sender === 'mtls' ? 'mTLS-bound tokens' : 'DPoP';
  return [
    `  next:  ${init.padEnd(44)} keys and a registration as ${eco.name} asks`,
    eco.settings.rar === 'required'
      ? `         fapi login --authorization-details @FILE     PAR + PKCE + ${sender}; ${eco.name} requires RAR (README "Payments with Rich Authorization Requests")`
      : `         fapi login                                   PAR + PKCE + ${sender}, then tokens`,
  ];
}

function banner(ctx: CliContext, info: LabRunInfo, detached: boolean): string[] {
  const c = ctx.out.c;
  const ca = tilde(info.ca, ctx.env.HOME);
  const strict = info.warnings.length === 0;
  const lines = [
    `  ${c.bold('fapi lab')} — a local FAPI 2.0 authorization server and resource server (not for production)`,
    '',
    `  issuer        ${info.issuer}`,
    `  mTLS aliases  ${info.mtls}`,
    `  resource      ${info.rs}   GET /accounts  GET /accounts/{id}/balances  POST /payments`,
    `  lab CA        ${ca}`,
    `  dashboard     ${info.dashboard}`,
    strict
      ? `  profile       ${profileLine(info)}`
      : `  profile       ${c.yellow('RELAXED — not FAPI 2.0 conformant')}`,
  ];
  lines.push(...ecosystemLines(ctx, info.ecosystem));
  for (const w of info.warnings) lines.push(`  ${c.yellow('!')} ${w}`);
  lines.push('', ...nextSteps(info, ca), '');
  lines.push(
    detached
      ? `  running in the background (pid ${info.pid}); \`fapi lab logs -f\` to watch, \`fapi lab down\` to stop.`
      : '  Ctrl-C to stop.',
  );
  return lines;
}

function printReady(ctx: CliContext, info: LabRunInfo, detached: boolean): void {
  if (ctx.json) ctx.out.raw(JSON.stringify(publicInfo(info)) + '\n');
  else ctx.out.raw(banner(ctx, info, detached).join('\n') + '\n');
}

/** `fapi lab up`: foreground until Ctrl-C/SIGTERM, or --detach. */
export async function run(ctx: CliContext, opts: LabUpOptions): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  const running = await runningLab(p);
  if (running)
    throw stateError(
      'E_LAB_RUNNING',
      `A lab is already running for ${ctx.home} (pid ${running.pid}, ${running.issuer}).`,
      'Use it, or stop it with `fapi lab down` (or use another --home).',
    );
  // The token may come from the environment, which keeps it off the command line (`ps`); the
  // detached child always gets it that way.
  const registrationToken = opts.registrationToken ?? ctx.env[REGISTRATION_TOKEN_ENV];
  if (registrationToken !== undefined) opts = { ...opts, registrationToken };
  const config = await effectiveConfig(opts);
  if (opts.detach) return detach(ctx, opts, p);

  await ensureDir(p.home);
  // The detached child's stderr is the log file already.
  const child = Boolean(opts.detachedChild);
  const log = child ? undefined : await openLog(p.log);
  const sinks: LogSink[] = [process.stderr];
  if (log) sinks.push(log);
  const logger = makeLogger(ctx.json && !child ? (log ? [log] : []) : sinks);
  const { startLab } = await import('../../../../lab/server.js');
  const lab = await startLab({ home: p.home, config, logger });
  const info = labRunInfo(lab, { pid: process.pid, paths: p, startedAt: new Date() });
  await writeRunFile(p, info);
  const unfollow = followSwitches(lab, p, info);
  logger.info(`lab ready: ${lab.issuer} (pid ${process.pid})`);
  logger.flush();
  if (ctx.json || !child) printReady(ctx, info, false);

  // Ctrl-C and SIGTERM stop the lab cleanly (grants saved, run file removed), exit 0.
  const signal = await nextSignal(['SIGINT', 'SIGTERM']);
  logger.info(`${signal}: stopping the lab`);
  unfollow();
  await lab.close().catch((e: Error) => logger.error(`while stopping: ${e.message}`));
  await removeRunFile(p);
  logger.info('lab stopped');
  logger.flush();
  await new Promise<void>((r) => (log ? log.end(r) : r()));
}

/** Starts `fapi lab up` as a detached child that logs to the lab log, and returns once it is ready. */
async function detach(ctx: CliContext, opts: LabUpOptions, p: LabPaths): Promise<void> {
  const { startDetached } = await import('../../../../lab/supervise.js');
  const bin = fileURLToPath(new URL('../../../../../bin/fapi.js', import.meta.url));
  const args = [bin, '--home', ctx.home, 'lab', 'up', '--detached-child'];
  const pass = (flag: string, v: string | boolean | undefined) => {
    if (v !== undefined && v !== false) args.push(flag, ...(v === true ? [] : [v]));
  };
  pass('--port', opts.port);
  pass('--mtls-port', opts.mtlsPort);
  pass('--rs-port', opts.rsPort);
  pass('--config', opts.config !== undefined ? path.resolve(opts.config) : undefined);
  pass('--auto-approve', opts.autoApprove);
  pass('--require-jar', opts.requireJar);
  for (const r of opts.relax ?? []) pass('--relax', r);
  for (const f of opts.fault ?? []) pass('--fault', f);
  pass('--ecosystem', opts.ecosystem);
  const started = await startDetached(p, {
    command: process.execPath,
    args,
    env: {
      ...ctx.env,
      NO_COLOR: '1',
      ...(opts.registrationToken !== undefined ? { [REGISTRATION_TOKEN_ENV]: opts.registrationToken } : {}),
    },
  });
  if ('timedOut' in started)
    throw stateError('E_LAB_START', 'The lab did not become ready within 30 s.', 'See `fapi lab logs`.');
  if (!started.ready)
    throw stateError(
      'E_LAB_START',
      `The lab did not start (exit code ${started.exitCode ?? 'unknown'}). Its log ends with:\n  ${started.logTail.join('\n  ')}`,
      'Fix the cause above, then run `fapi lab up` again (`fapi lab logs` shows the whole log).',
    );
  printReady(ctx, started.info, true);
}
