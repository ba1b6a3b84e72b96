/**
 * `fapi lab up|status|logs|down|reset|cert`: runs the local FAPI 2.0 lab (lab/server.ts) in the
 * foreground or detached, and manages its state in `<fapi home>/lab`. The lab itself never prints:
 * this file gives it a logger and tells the story.
 */
import { createWriteStream, openSync, closeSync, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateError, usageError } from '../../errors.js';
import { exists, ensureDir } from '../../store/atomic.js';
import { readCaFile, type CliContext } from '../context.js';
import { confirm } from '../prompt.js';
import type { LabConfig } from '../../../lab/config.js';
import type { LabLogger } from '../../../lab/context.js';
import { labHome, labPaths, type LabPaths } from '../../../lab/home.js';
import {
  TLS_FAULTS,
  labRunInfo,
  pidAlive,
  readRunFile,
  removeRunFile,
  runningLab,
  writeRunFile,
  type LabRunInfo,
} from '../../../lab/run-file.js';

const LOG_ROTATE_BYTES = 5 * 1024 * 1024;

function port(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw usageError(
      'E_LAB_PORT',
      `${flag} ${String(value)} is not a port number.`,
      `Pass ${flag} 0..65535 (0 = a free port).`,
    );
  return n;
}

function configFromFlags(opts: Record<string, unknown>): Partial<LabConfig> {
  const out: Partial<LabConfig> = {};
  const p = port(opts.port, '--port');
  if (p !== undefined) out.port = p;
  const mp = port(opts.mtlsPort, '--mtls-port');
  if (mp !== undefined) out.mtlsPort = mp;
  const rp = port(opts.rsPort, '--rs-port');
  if (rp !== undefined) out.rsPort = rp;
  if (opts.autoApprove) out.autoApprove = true;
  if (typeof opts.registrationToken === 'string') out.registrationToken = opts.registrationToken;
  if (Array.isArray(opts.relax)) out.relax = opts.relax as LabConfig['relax'];
  if (Array.isArray(opts.fault)) out.faults = opts.fault as LabConfig['faults'];
  return out;
}

async function effectiveConfig(opts: Record<string, unknown>): Promise<Partial<LabConfig>> {
  const { loadLabConfigFile, checkLabConfig } = await import('../../../lab/config.js');
  const file = typeof opts.config === 'string' ? await loadLabConfigFile(path.resolve(opts.config)) : {};
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

/**
 * The lab's logger. Request lines are batched: one write per FLUSH_MS instead of one per request
 * (a write per line cost ~40 µs of CPU per request under load, issue 6); `fapi lab logs -f` sees
 * them at most that late. Warnings and errors, and `flush()`, write at once, so the log stays in
 * order and nothing is lost on shutdown.
 */
const FLUSH_MS = 100;
export function makeLogger(sinks: { write(s: string): unknown }[]): LabLogger & { flush(): void } {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending) return;
    const text = pending;
    pending = '';
    for (const sink of sinks) sink.write(text);
  };
  const line = (level: string, s: string) => {
    pending += level === 'info' ? `${s}\n` : `${level}: ${s}\n`;
    if (level !== 'info' || pending.length > 65_536) return flush();
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, FLUSH_MS).unref();
    }
  };
  return {
    info: (s) => line('info', s),
    warn: (s) => line('warning', s),
    error: (s) => line('error', s),
    flush,
  };
}

async function openLog(p: LabPaths): Promise<WriteStream> {
  try {
    const st = await fs.stat(p.log);
    if (st.size > LOG_ROTATE_BYTES) await fs.rename(p.log, `${p.log}.1`);
  } catch {
    // no log yet
  }
  return createWriteStream(p.log, { flags: 'a', mode: 0o600 });
}

/** What `lab up --json` prints: the run file without what only fapi's own commands read. */
function publicInfo(info: LabRunInfo) {
  const { pid, issuer, rs, mtls, ca, dashboard, ports, log, started_at, warnings } = info;
  return { pid, issuer, rs, mtls, ca, dashboard, ports, log, started_at, warnings };
}

const tilde = (file: string) => {
  const home = process.env.HOME;
  return home && file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
};

function banner(ctx: CliContext, info: LabRunInfo, detached: boolean): string[] {
  const c = ctx.out.c;
  const strict = info.warnings.length === 0;
  const lines = [
    `  ${c.bold('fapi lab')} — a local FAPI 2.0 authorization server and resource server (not for production)`,
    '',
    `  issuer        ${info.issuer}`,
    `  mTLS aliases  ${info.mtls}`,
    `  resource      ${info.rs}   GET /accounts  GET /accounts/{id}/balances  POST /payments`,
    `  lab CA        ${tilde(info.ca)}`,
    `  dashboard     ${info.dashboard}`,
    strict
      ? `  profile       FAPI 2.0 Security Profile (Final): PAR required, PKCE S256, DPoP (server nonces) or mTLS,\n                private_key_jwt / tls_client_auth, iss in responses, codes 60 s, request_uri 60 s`
      : `  profile       ${c.yellow('RELAXED — not FAPI 2.0 conformant')}`,
  ];
  for (const w of info.warnings) lines.push(`  ${c.yellow('!')} ${w}`);
  lines.push(
    '',
    `  next:  fapi keygen                                  a client key in the default profile`,
    `         fapi register --issuer ${info.issuer} --ca ${tilde(info.ca)}`,
    `                                                     register it with this lab`,
    `         fapi login                                   PAR + PKCE + DPoP, then tokens`,
    '',
    detached
      ? `  running in the background (pid ${info.pid}); \`fapi lab logs -f\` to watch, \`fapi lab down\` to stop.`
      : '  Ctrl-C to stop.',
  );
  return lines;
}

/** `fapi lab up`: foreground until Ctrl-C/SIGTERM, or --detach. */
export async function up(ctx: CliContext, opts: Record<string, unknown>): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  const running = await runningLab(p);
  if (running)
    throw stateError(
      'E_LAB_RUNNING',
      `A lab is already running for ${ctx.home} (pid ${running.pid}, ${running.issuer}).`,
      'Use it, or stop it with `fapi lab down` (or use another --home).',
    );
  const config = await effectiveConfig(opts);
  if (opts.detach) return detach(ctx, opts, p);

  await ensureDir(p.home);
  const child = Boolean(opts.detachedChild);
  const log = child ? undefined : await openLog(p);
  const sinks: { write(s: string): unknown }[] = [process.stderr];
  if (log) sinks.push(log);
  const logger = makeLogger(ctx.json && !child ? (log ? [log] : []) : sinks);
  const { startLab } = await import('../../../lab/server.js');
  const lab = await startLab({ home: p.home, config, logger });
  const info = labRunInfo(lab, { pid: process.pid, paths: p, startedAt: new Date() });
  await writeRunFile(p, info);
  logger.info(`lab ready: ${lab.issuer} (pid ${process.pid})`);
  logger.flush();
  if (ctx.json) ctx.out.raw(JSON.stringify(publicInfo(info)) + '\n');
  else if (!child) ctx.out.raw(banner(ctx, info, false).join('\n') + '\n');

  // Ctrl-C and SIGTERM stop the lab cleanly (grants saved, run file removed), exit 0.
  const previous = process.listeners('SIGINT');
  for (const l of previous) process.removeListener('SIGINT', l);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
      logger.info(`${signal}: stopping the lab`);
      void lab
        .close()
        .catch((e: Error) => logger.error(`while stopping: ${e.message}`))
        .then(() => removeRunFile(p))
        .finally(resolve);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
  logger.info('lab stopped');
  logger.flush();
  await new Promise<void>((r) => (log ? log.end(r) : r()));
}

/** Starts `fapi lab up` as a detached child that logs to the lab log, and returns once it is ready. */
async function detach(ctx: CliContext, opts: Record<string, unknown>, p: LabPaths): Promise<void> {
  const { execa } = await import('execa');
  await ensureDir(p.home);
  try {
    const st = await fs.stat(p.log);
    if (st.size > LOG_ROTATE_BYTES) await fs.rename(p.log, `${p.log}.1`);
  } catch {
    // no log yet
  }
  const bin = fileURLToPath(new URL('../../../../bin/fapi.js', import.meta.url));
  const args = [bin, '--home', ctx.home, 'lab', 'up', '--detached-child'];
  const pass = (flag: string, v: unknown) => {
    if (v !== undefined && v !== false) args.push(flag, ...(v === true ? [] : [String(v)]));
  };
  pass('--port', opts.port);
  pass('--mtls-port', opts.mtlsPort);
  pass('--rs-port', opts.rsPort);
  pass('--config', typeof opts.config === 'string' ? path.resolve(opts.config) : undefined);
  pass('--auto-approve', opts.autoApprove);
  pass('--registration-token', opts.registrationToken);
  for (const r of (opts.relax as string[] | undefined) ?? []) pass('--relax', r);
  for (const f of (opts.fault as string[] | undefined) ?? []) pass('--fault', f);
  const started = Date.now();
  const fd = openSync(p.log, 'a', 0o600);
  let exited: { code: number | undefined } | undefined;
  const child = execa(process.execPath, args, {
    detached: true,
    stdin: 'ignore',
    stdout: 'ignore',
    // A raw descriptor: the child writes straight to the log file and outlives this process
    // (execa supports file descriptors at run time; its types only list 1 and 2).
    stderr: fd as unknown as 'ignore',
    cleanup: false,
    reject: false,
    env: { ...process.env, NO_COLOR: '1' },
  });
  closeSync(fd);
  void child.then((r) => (exited = { code: r.exitCode }));
  child.unref();
  const pid = child.pid;
  let info: LabRunInfo | undefined;
  while (!info) {
    if (exited) {
      const tail = (await fs.readFile(p.log, 'utf8').catch(() => ''))
        .trim()
        .split('\n')
        .slice(-6)
        .join('\n  ');
      throw stateError(
        'E_LAB_START',
        `The lab did not start (exit code ${exited.code ?? 'unknown'}). Its log ends with:\n  ${tail}`,
        'Fix the cause above, then run `fapi lab up` again (`fapi lab logs` shows the whole log).',
      );
    }
    if (Date.now() - started > 30_000)
      throw stateError('E_LAB_START', 'The lab did not become ready within 30 s.', 'See `fapi lab logs`.');
    await new Promise((r) => setTimeout(r, 40));
    const read = await readRunFile(p);
    if ('info' in read && read.info.pid === pid) info = read.info;
  }
  if (ctx.json) ctx.out.raw(JSON.stringify(publicInfo(info)) + '\n');
  else ctx.out.raw(banner(ctx, info, true).join('\n') + '\n');
}

async function liveStatus(info: LabRunInfo): Promise<Record<string, unknown> | undefined> {
  try {
    const { createHttpClient } = await import('../../http/client.js');
    const ca = readCaFile(info.ca, 'the lab CA');
    const res = await createHttpClient({ ca: [ca], timeoutMs: 3000 })({
      method: 'GET',
      url: `${info.issuer}/lab/status`,
    });
    return res.status === 200 ? (res.json() as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `fapi lab status`: exit 0 when a lab runs (with its URLs), 3 when none does. */
export async function status(ctx: CliContext): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  const info = await runningLab(p);
  if (!info)
    throw stateError(
      'E_LAB_NOT_RUNNING',
      `No lab is running for ${ctx.home}.`,
      'Start one with `fapi lab up` (or `fapi lab up --detach`).',
    );
  const live = await liveStatus(info);
  const data = {
    running: true,
    answering: Boolean(live),
    pid: info.pid,
    issuer: info.issuer,
    rs: info.rs,
    mtls: info.mtls,
    ca: info.ca,
    dashboard: info.dashboard,
    started_at: info.started_at,
    log: info.log,
    strict: live ? live.strict : info.warnings.length === 0,
    warnings: info.warnings,
    clients: live ? (live.clients as unknown[]).length : undefined,
    requests_total: live?.requests_total,
  };
  // Under tls-wrong-host / tls12-dhe-only fapi's own TLS checks refuse the lab, by design.
  const notAnswering = info.faults.some((f) => TLS_FAULTS.includes(f))
    ? '  — not answering fapi: its TLS fault makes fapi refuse the connection'
    : '  — not answering';
  ctx.out.result(data, () => {
    const c = ctx.out.c;
    return [
      `${c.green('●')} lab running (pid ${info.pid}) since ${info.started_at}${live ? '' : c.yellow(notAnswering)}`,
      `  issuer        ${info.issuer}`,
      `  mTLS aliases  ${info.mtls}`,
      `  resource      ${info.rs}`,
      `  lab CA        ${tilde(info.ca)}`,
      `  dashboard     ${info.dashboard}`,
      ...(live ? [`  clients       ${data.clients}   requests ${String(data.requests_total)}`] : []),
      `  profile       ${data.strict ? 'strict FAPI 2.0' : c.yellow('relaxed: ' + info.warnings.join('; '))}`,
    ];
  });
}

/** `fapi lab logs [-f]`: the lab log (the last --lines lines), following it with -f. */
export async function logs(ctx: CliContext, opts: Record<string, unknown>): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  if (!(await exists(p.log)))
    throw stateError(
      'E_LAB_NO_LOG',
      `There is no lab log in ${p.home} yet.`,
      'Start the lab with `fapi lab up`.',
    );
  const n = opts.lines === undefined ? 100 : Number(opts.lines);
  if (!Number.isInteger(n) || n < 0)
    throw usageError('E_LAB_LINES', `--lines ${String(opts.lines)} is not a count.`, 'Pass --lines N.');
  const text = await fs.readFile(p.log, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  ctx.out.raw((n === 0 ? [] : lines.slice(-n)).map((l) => l + '\n').join(''));
  if (!opts.follow) return;
  let offset = Buffer.byteLength(text);
  await new Promise<void>((resolve) => {
    const previous = process.listeners('SIGINT');
    for (const l of previous) process.removeListener('SIGINT', l);
    const timer = setInterval(() => {
      void (async () => {
        const st = await fs.stat(p.log).catch(() => undefined);
        if (!st) return;
        if (st.size < offset) offset = 0;
        if (st.size === offset) return;
        const h = await fs.open(p.log, 'r');
        try {
          const buf = Buffer.alloc(st.size - offset);
          await h.read(buf, 0, buf.length, offset);
          offset = st.size;
          ctx.out.raw(buf.toString('utf8'));
        } finally {
          await h.close();
        }
      })();
    }, 250);
    process.once('SIGINT', () => {
      clearInterval(timer);
      resolve();
    });
  });
}

/** `fapi lab down`: stops a running lab (SIGTERM, then SIGKILL after 10 s). */
export async function down(ctx: CliContext): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  const info = await runningLab(p);
  if (!info) {
    ctx.out.result({ stopped: false, running: false }, () => `No lab is running for ${ctx.home}.`);
    return;
  }
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (pidAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  let forced = false;
  if (pidAlive(info.pid)) {
    process.kill(info.pid, 'SIGKILL');
    forced = true;
  }
  await removeRunFile(p);
  ctx.out.result({ stopped: true, pid: info.pid, forced }, () =>
    forced
      ? `Killed the lab (pid ${info.pid}): it did not stop within 10 s.`
      : `Stopped the lab (pid ${info.pid}).`,
  );
}

/** `fapi lab reset`: wipes the lab home (CA, keys, clients, grants, log) after confirmation. */
export async function reset(ctx: CliContext, opts: Record<string, unknown>): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  const info = await runningLab(p);
  if (info)
    throw stateError(
      'E_LAB_RUNNING',
      `The lab is running (pid ${info.pid}); it cannot be reset while it runs.`,
      'Stop it first: `fapi lab down`.',
    );
  if (!(await exists(p.home))) {
    ctx.out.result({ reset: false, home: p.home }, () => `Nothing to reset: ${p.home} does not exist.`);
    return;
  }
  if (!opts.yes) {
    const ok = await confirm(
      ctx,
      `Delete all lab state in ${p.home} (CA, keys, registered clients, grants)?`,
      '--yes',
    );
    if (!ok) {
      ctx.out.result({ reset: false, home: p.home }, () => 'Nothing deleted.');
      return;
    }
  }
  await fs.rm(p.home, { recursive: true, force: true });
  ctx.out.result({ reset: true, home: p.home }, () => [
    `Deleted ${p.home}.`,
    'The next `fapi lab up` creates a new CA: profiles that trusted the old one need the new ca.pem, and clients must register again.',
  ]);
}

/** `fapi lab cert`: an mTLS client certificate from the lab CA for the profile's signing key. */
export async function cert(ctx: CliContext, opts: Record<string, unknown>): Promise<void> {
  const { loadProfileKey, saveProfileCertificate } = await import('../../store/profile-keys.js');
  const { ensureLabCa } = await import('../../../lab/ca.js');
  const { parseSanSpec } = await import('../../keys/x509.js');
  const p = labPaths(labHome(ctx.home));
  const profile = await ctx.store.load(ctx.profileName);
  const key = await loadProfileKey(ctx.store, profile, 'signing');
  const days = opts.days === undefined ? 365 : Number(opts.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw usageError(
      'E_CERT_DAYS',
      `--days ${String(opts.days)} is not a number of days (1..3650).`,
      'Pass --days N.',
    );
  const subject = typeof opts.subject === 'string' ? opts.subject : `CN=${profile.name},O=fapi lab client`;
  const sans = ((opts.san as string[] | undefined) ?? []).map(parseSanSpec);
  await ensureDir(p.home);
  const tls = await ensureLabCa(p, () => new Date());
  const info = await tls.ca.issueClientCertificate({ key, subject, sans, days });
  await saveProfileCertificate(ctx.store, profile, info);
  if (!profile.ca_file) profile.ca_file = p.caCert;
  await ctx.store.save(profile);
  ctx.out.result(
    {
      profile: profile.name,
      subject: info.subject,
      issuer: info.issuer,
      serial: info.serial,
      not_after: info.notAfter.toISOString(),
      x5t_s256: info.x5tS256,
      file: ctx.store.resolve(profile.name, profile.certificate!.file),
      ca: p.caCert,
      tls_client_auth_subject_dn: info.subject,
    },
    () => [
      `Issued an mTLS client certificate for profile "${profile.name}" from the lab CA.`,
      `  subject       ${info.subject}`,
      `  x5t#S256      ${info.x5tS256}`,
      `  valid until   ${info.notAfter.toISOString()}`,
      `  file          ${ctx.store.resolve(profile.name, profile.certificate!.file)}`,
      `  register with token_endpoint_auth_method tls_client_auth and tls_client_auth_subject_dn "${info.subject}"`,
    ],
  );
}
