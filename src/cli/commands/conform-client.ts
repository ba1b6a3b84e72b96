/**
 * `fapi conform client [options] -- CMD [ARGS...]`: is *your* client FAPI 2.0? Starts a lab of its
 * own, runs CMD once per client-test module with the lab switched to that module's behaviour, and
 * judges each run by what the lab observed (src/conform/client). This file parses the options,
 * starts the lab (lab/conform-client.ts) and hands it to the runner, and prints
 * (../conform-client-output.ts). Exit 0 when no module failed unexpectedly, 6 when one did, 2 for
 * bad usage (no CMD, a CMD that does not exist, an unknown module), 130 when interrupted.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  CLIENT_AUTH_METHODS,
  SENDER_CONSTRAINTS,
  type ClientAuthMethod,
  type SenderConstraint,
} from '../../core/fapi.js';
import { FapiError, usageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import type { ConformRunCliOptions, ConformRunOptions } from './conform.js';
import { nonEmpty } from '../options.js';
import { parseDuration } from '../session.js';
import { twoStageInterrupt } from '../signals.js';

const BIN = fileURLToPath(new URL('../../../../bin/fapi.js', import.meta.url));

/** The options of `fapi conform client`, as commander hands them over. */
export interface ConformClientCliOptions extends ConformRunCliOptions {
  auth?: string;
  sender?: string;
  jarm?: boolean;
  jar?: boolean;
  introspection?: boolean;
  clientMetadata?: string;
}

/** The same, checked and typed. */
export interface ConformClientOptions extends ConformRunOptions {
  command?: string;
  args: string[];
  auth: ClientAuthMethod;
  sender: SenderConstraint;
  jarm: boolean;
  jar: boolean;
  introspection: boolean;
  clientMetadata?: string;
}

export function parseConformClientOptions(
  opts: ConformClientCliOptions,
  args: string[],
): ConformClientOptions {
  const auth = (nonEmpty(opts.auth) ?? 'private_key_jwt') as ClientAuthMethod;
  const sender = (nonEmpty(opts.sender) ?? 'dpop') as SenderConstraint;
  // commander checks the choices; a library caller may not have.
  if (!CLIENT_AUTH_METHODS.includes(auth))
    throw usageError('E_USAGE', `--auth ${auth} is not a FAPI 2.0 client authentication method.`);
  if (!SENDER_CONSTRAINTS.includes(sender)) throw usageError('E_USAGE', `--sender must be dpop or mtls.`);
  const o: ConformClientOptions = {
    args: args.slice(1),
    auth,
    sender,
    jarm: Boolean(opts.jarm),
    jar: Boolean(opts.jar),
    introspection: Boolean(opts.introspection),
    list: Boolean(opts.list),
    only: opts.only ?? [],
    skip: opts.skip ?? [],
    timeoutMs: parseDuration(String(opts.timeout ?? '30s'), '--timeout'),
    strict: Boolean(opts.strict),
  };
  const command = nonEmpty(args[0]);
  if (command) o.command = command;
  const set = <K extends keyof ConformClientOptions>(k: K, v: ConformClientOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('clientMetadata', nonEmpty(opts.clientMetadata));
  set('expectedFailures', nonEmpty(opts.expectedFailures));
  set('junit', nonEmpty(opts.junit));
  return o;
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export async function client(ctx: CliContext, opts: ConformClientCliOptions, args: string[]): Promise<void> {
  const o = parseConformClientOptions(opts, args);
  const [{ CLIENT_MODULES }, { selectChecks, parseExpectedFailures }, output] = await Promise.all([
    import('../../conform/client/modules.js'),
    import('../../conform/select.js'),
    import('../conform-client-output.js'),
  ]);
  const list = 'fapi conform client --list';
  const modules = selectChecks(CLIENT_MODULES, { only: o.only, skip: o.skip, list, notChecked: [] });
  if (o.list) {
    ctx.out.result(output.clientListJson(modules), () => output.clientListLines(modules, ctx.out.c));
    return;
  }
  if (!o.command)
    throw usageError(
      'E_NO_COMMAND',
      'Which client? Give the command that runs it after --: `fapi conform client -- node my-client.js`.',
      '`fapi conform client --list` shows the modules and the contract the command must follow (README "Test your own client").',
    );
  const { resolveCommand } = await import('../../conform/client/command.js');
  const executable = resolveCommand(o.command, ctx.env.PATH);
  if (!executable)
    throw usageError(
      'E_COMMAND_NOT_FOUND',
      o.command.includes('/')
        ? `The command ${o.command} does not exist or is not executable.`
        : `The command ${o.command} is not on the PATH.`,
      'Give the client command after --, as you would run it: `fapi conform client -- ./my-client --flag`. A shell is used only when you give one: `-- sh -c "…"`.',
      { command: o.command },
    );
  const { readText, readJson } = await import('../../store/atomic.js');
  const expected = o.expectedFailures
    ? parseExpectedFailures(
        await readText(o.expectedFailures, 'expected-failures file'),
        o.expectedFailures,
        CLIENT_MODULES.map((m) => m.id),
        list,
      )
    : [];
  const metadata = o.clientMetadata ? await readJson(o.clientMetadata, 'client metadata file') : undefined;
  if (o.clientMetadata && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)))
    throw usageError('E_CLIENT_METADATA', `${o.clientMetadata} must hold one JSON object (RFC 7591 §2).`);

  const [{ startConformClientLab }, { runClientConformance, commandLine }, { contractEnv }] =
    await Promise.all([
      import('../../../lab/conform-client.js'),
      import('../../conform/client/runner.js'),
      import('../../conform/client/contract.js'),
    ]);
  const variant = { auth: o.auth, sender: o.sender };
  const lab = await startConformClientLab({
    warmTls: modules.some((m) => m.group === 'tls'),
    requireRequestObjects: o.jar,
  });

  // Ctrl-C: stop the running command's process group and the lab, then exit 130.
  const interrupt = twoStageInterrupt('stopping the client and the lab');

  const label = commandLine(o.command, o.args);
  let report;
  try {
    const cert =
      o.sender === 'mtls' || o.auth !== 'private_key_jwt' ? await lab.clientCertificate(o.auth) : undefined;
    const clientId =
      metadata && o.clientMetadata ? await lab.register(metadata, o.clientMetadata) : undefined;
    const browser = `${shellQuote(process.execPath)} ${shellQuote(BIN)} --ca ${shellQuote(lab.caFile)} lab open`;
    const env = {
      ...ctx.env,
      ...contractEnv({
        issuer: lab.issuer,
        caFile: lab.caFile,
        resource: lab.resource,
        scope: lab.scope,
        browser,
        auth: o.auth,
        sender: o.sender,
        jarm: o.jarm,
        introspection: o.introspection,
        ...(clientId ? { clientId } : {}),
        ...(cert ? { clientCert: cert.certFile, clientKey: cert.keyFile } : {}),
      }),
    };
    for (const l of output.clientPlanLines(
      { client: label, modules: modules.length, variant, issuer: lab.issuer, timeoutMs: o.timeoutMs },
      ctx.out.errC,
    ))
      ctx.out.info(l);
    const tty = ctx.out.stderr.isTTY && !ctx.json;
    report = await runClientConformance({
      lab,
      command: executable,
      args: o.args,
      label,
      env,
      variant,
      jarm: o.jarm,
      jar: o.jar,
      introspection: o.introspection,
      modules,
      expectedFailures: expected,
      strict: o.strict,
      timeoutMs: o.timeoutMs,
      signal: interrupt.signal,
      onEvent: (e) => {
        if (e.type === 'start' && tty) ctx.out.info(ctx.out.errC.dim(`  … ${e.n}/${e.of} ${e.module.id}`));
      },
    });
  } finally {
    interrupt.restore();
    await lab.close();
  }
  if (interrupt.signal.aborted)
    throw new FapiError('E_INTERRUPTED', 'Interrupted; the client and the lab were stopped.', {
      kind: 'interrupted',
    });
  if (o.junit) {
    const { junitXml } = await import('../../conform/junit.js');
    await writeFile(
      o.junit,
      junitXml({
        issuer: label,
        title: `fapi conform client ${label}`,
        results: report.results,
        durationMs: report.duration_ms,
      }),
    );
  }
  const done = report;
  ctx.out.result(output.clientReportJson(done), () => output.clientReportLines(done, ctx.out.c, ctx.verbose));
  const { conformanceFailure } = await import('../conform-output.js');
  const failure = conformanceFailure(done.results, {
    noun: 'module',
    at: `for ${label}`,
    hint: "Each module above shows what the lab saw and how the client ended. `--only ID -v` shows the client's own output; list accepted deviations in --expected-failures FILE.",
  });
  if (failure) throw failure;
}
