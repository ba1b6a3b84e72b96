/**
 * `fapi conform server [ISSUER]`: a conformance-lite run of the server-side FAPI 2.0 rules (by
 * catalogue ID) against any authorization server (and `--rs` resource servers). This file parses the
 * options into a typed object, loads what the profiles and files hold, calls src/conform, and
 * prints (./conform-output.ts). Exit 0 when nothing failed unexpectedly, 6 when a check failed,
 * 4 when the server cannot be reached, 2 for bad usage, 130 when interrupted (the temporary
 * clients are deleted first).
 */
import { writeFile } from 'node:fs/promises';
import type { ClientAuthMethod, SenderConstraint } from '../../core/fapi.js';
import { assertIssuerIdentifier } from '../../core/discovery.js';
import { FapiError, stateError, usageError } from '../../errors.js';
import type { ClientCa, ProvidedClient } from '../../conform/parties.js';
import type { ConformReport } from '../../conform/runner.js';
import type { CliContext, GlobalOptions } from '../context.js';
import {
  conformanceFailure,
  listJson,
  listLines,
  planLines,
  reportJson,
  reportLines,
} from '../conform-output.js';
import { nonEmpty } from '../options.js';
import { parseDuration } from '../session.js';
import { twoStageInterrupt } from '../signals.js';

/**
 * The options of both conform runs (`server` and `client`), as commander hands them over: which
 * checks or modules, the expected failures, the JUnit report, the timeout.
 */
export interface ConformRunCliOptions extends GlobalOptions {
  list?: boolean;
  only?: string[];
  skip?: string[];
  expectedFailures?: string;
  junit?: string;
  timeout?: string;
  strict?: boolean;
}

/** The same, checked and typed. */
export interface ConformRunOptions {
  list: boolean;
  only: string[];
  skip: string[];
  expectedFailures?: string;
  junit?: string;
  timeoutMs: number;
  /** A SHOULD is held as a MUST (its failure fails the run). */
  strict: boolean;
}

/** The options of `fapi conform server`, as commander hands them over. */
export interface ConformCliOptions extends ConformRunCliOptions {
  auth?: string[];
  sender?: string[];
  client?: string[];
  clientCaCert?: string;
  clientCaKey?: string;
  initialAccessToken?: string;
  browser?: string;
  rs?: string[];
  scope?: string;
  rsScope?: string;
  rsPayment?: string;
  payment?: string;
  slow?: boolean;
  keep?: boolean;
  showSecrets?: boolean;
}

/** The same, checked and typed. */
export interface ConformServerOptions extends ConformRunOptions {
  issuer?: string;
  auth: ClientAuthMethod[];
  sender: SenderConstraint[];
  clients: string[];
  clientCaCert?: string;
  clientCaKey?: string;
  initialAccessToken?: string;
  /** `follow`, a command, or undefined ($BROWSER, else the system browser). */
  browser?: string;
  rs: string[];
  scope?: string;
  /** The scope the --rs resources require (RS-05). */
  rsScope?: string;
  /** A resource that executes a payment on POST (RAR-08, RAR-09): real payments. */
  rsPayment?: string;
  /** `{ "detail": …, "body": … }`: the payment of the RAR checks (default: the lab's shape). */
  payment?: string;
  slow: boolean;
  keep: boolean;
  showSecrets: boolean;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];

export function parseConformOptions(opts: ConformCliOptions, args: string[]): ConformServerOptions {
  const o: ConformServerOptions = {
    auth: strings(opts.auth) as ClientAuthMethod[],
    sender: strings(opts.sender) as SenderConstraint[],
    clients: strings(opts.client),
    rs: strings(opts.rs),
    list: Boolean(opts.list),
    only: strings(opts.only),
    skip: strings(opts.skip),
    timeoutMs: parseDuration(String(opts.timeout ?? '10s'), '--timeout'),
    slow: Boolean(opts.slow),
    strict: Boolean(opts.strict),
    keep: Boolean(opts.keep),
    showSecrets: Boolean(opts.showSecrets),
  };
  const set = <K extends keyof ConformServerOptions>(k: K, v: ConformServerOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('issuer', nonEmpty(args[0]));
  set('clientCaCert', nonEmpty(opts.clientCaCert));
  set('clientCaKey', nonEmpty(opts.clientCaKey));
  set('initialAccessToken', nonEmpty(opts.initialAccessToken));
  set('browser', nonEmpty(opts.browser));
  set('scope', nonEmpty(opts.scope));
  set('rsScope', nonEmpty(opts.rsScope));
  set('rsPayment', nonEmpty(opts.rsPayment));
  set('payment', nonEmpty(opts.payment));
  set('expectedFailures', nonEmpty(opts.expectedFailures));
  set('junit', nonEmpty(opts.junit));
  if (Boolean(o.clientCaCert) !== Boolean(o.clientCaKey))
    throw usageError(
      'E_USAGE',
      '--client-ca-cert and --client-ca-key go together.',
      'Pass both: the CA certificate and its private key (PEM).',
    );
  const https = (flag: string, url: string, hint: string) => {
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || u.protocol !== 'https:')
      throw usageError('E_RS_URL', `${flag} ${url} is not an https URL.`, hint);
  };
  for (const url of o.rs)
    https('--rs', url, 'Pass the https URL of a protected resource that answers 2xx to a valid token (GET).');
  if (o.rsPayment)
    https(
      '--rs-payment',
      o.rsPayment,
      'Pass the https URL of a resource that executes a payment on POST (a sandbox: the checks make real payments).',
    );
  return o;
}

export async function server(ctx: CliContext, opts: ConformCliOptions, args: string[]): Promise<void> {
  const o = parseConformOptions(opts, args);
  const [{ ALL_CHECKS }, { selectChecks, selectNotChecked, parseExpectedFailures }] = await Promise.all([
    import('../../conform/checks/index.js'),
    import('../../conform/select.js'),
  ]);
  const checks = selectChecks(ALL_CHECKS, { only: o.only, skip: o.skip });
  if (o.list) {
    const notChecked = selectNotChecked({ only: o.only, skip: o.skip });
    ctx.out.result(listJson(checks, notChecked), () => listLines(checks, ctx.out.c, notChecked));
    return;
  }
  const { readText } = await import('../../store/atomic.js');
  const expected = o.expectedFailures
    ? parseExpectedFailures(
        await readText(o.expectedFailures, 'expected-failures file'),
        o.expectedFailures,
        ALL_CHECKS.map((c) => c.id),
      )
    : [];
  const profile = (await ctx.store.exists(ctx.profileName))
    ? await ctx.store.load(ctx.profileName)
    : undefined;
  const issuer = o.issuer ?? profile?.issuer;
  if (!issuer)
    throw usageError(
      'E_MISSING_ISSUER',
      'Which server? Pass its issuer: `fapi conform server https://as.example.com`.',
      'Or use a profile registered at it (--profile).',
    );
  assertIssuerIdentifier(issuer);

  const { runConformance, discover } = await import('../../conform/runner.js');
  const { freeLoopbackPort, browserAuthorizer } = await import('../conform-browser.js');
  const clientCa = o.clientCaCert ? await loadClientCa(o.clientCaCert, o.clientCaKey as string) : undefined;
  const clients = await Promise.all(o.clients.map((name) => loadProvidedClient(ctx, name, issuer)));
  const { defaultPayment, parsePaymentFile } = await import('../../conform/payment.js');
  const payment = o.payment
    ? parsePaymentFile(await readText(o.payment, 'payment file'), o.payment, o.rsPayment)
    : defaultPayment(o.rsPayment);
  const http = (cert?: { cert: string; key: string }) =>
    ctx.http({
      ...(profile?.issuer === issuer ? { profile } : {}),
      ...(cert ? { cert } : {}),
      timeoutMs: o.timeoutMs,
    });
  const redirectUri = `http://127.0.0.1:${await freeLoopbackPort()}/callback`;
  const browser = o.browser ?? ctx.env.BROWSER;
  let total = 0;
  const authorizer =
    o.browser === 'follow'
      ? undefined
      : browserAuthorizer({
          command: browser,
          timeoutMs: 300_000,
          total: () => total,
          say: (l) => ctx.out.info(`  ${l}`),
        });

  // Ctrl-C: stop starting checks, delete the temporary clients, then exit 130. A second one exits at once.
  const interrupt = twoStageInterrupt('deleting the temporary clients');

  const c = ctx.out.errC;
  let report: ConformReport;
  try {
    const discovery = await discover(http, issuer);
    report = await runConformance(
      {
        issuer,
        http,
        ...(authorizer ? { authorizer } : {}),
        redirectUri,
        rs: o.rs,
        ...(o.scope ? { scope: o.scope } : {}),
        ...(o.rsScope ? { rsScope: o.rsScope } : {}),
        payment,
        auth: o.auth,
        sender: o.sender,
        clients,
        ...(clientCa ? { clientCa } : {}),
        ...(o.initialAccessToken ? { initialAccessToken: o.initialAccessToken } : {}),
        checks,
        allChecks: ALL_CHECKS,
        expectedFailures: expected,
        slow: o.slow,
        strict: o.strict,
        timeoutMs: o.timeoutMs,
        signal: interrupt.signal,
        keep: o.keep,
        onEvent: (e) => {
          if (e.type === 'plan') {
            total = e.logins;
            for (const l of planLines(
              e,
              issuer,
              o.browser === 'follow' ? 'follow' : (browser ?? 'the system browser'),
              c,
            ))
              ctx.out.info(l);
          } else if (e.type === 'pass' && ctx.out.stderr.isTTY && !ctx.json)
            ctx.out.info(
              c.dim(`  … ${e.variant ? `${e.variant.auth} + ${e.variant.sender}` : 'server-wide checks'}`),
            );
        },
      },
      discovery,
    );
  } catch (e) {
    if (o.junit && e instanceof FapiError && Array.isArray(e.details?.failed))
      await writeJunitForError(o.junit, issuer, e);
    throw e;
  } finally {
    interrupt.restore();
  }
  if (interrupt.signal.aborted)
    throw new FapiError(
      'E_INTERRUPTED',
      `Interrupted; ${report.clients.deleted} temporary client${report.clients.deleted === 1 ? '' : 's'} deleted.`,
      {
        kind: 'interrupted',
      },
    );
  if (o.junit) {
    const { junitXml } = await import('../../conform/junit.js');
    await writeFile(o.junit, junitXml({ issuer, results: report.results, durationMs: report.duration_ms }));
  }
  ctx.out.result(reportJson(report), () => reportLines(report, ctx.out.c));
  if (o.keep && report.clients.kept.length) {
    const { saveKeptClients } = await import('../conform-keep.js');
    const names = await saveKeptClients(ctx, issuer, report.clients.kept);
    if (names.length)
      ctx.out.info(
        `  kept as profiles: ${names.join(', ')} (\`fapi --profile NAME client delete\` deletes one)`,
      );
    if (o.showSecrets)
      for (const k of report.clients.kept)
        ctx.out.info(`  client ${k.clientId}: ${k.registrationClientUri ?? 'no registration_client_uri'}`);
  }
  const failure = conformanceFailure(report.results, {
    noun: 'check',
    at: `at ${issuer}`,
    hint: 'Each line above says what was sent and what came back. `fapi conform server --only ID -v` shows every exchange; list accepted deviations in --expected-failures FILE.',
  });
  if (failure) throw failure;
}

/** The CA that issues tls_client_auth certificates (one loader for keygen, init and conform). */
async function loadClientCa(certFile: string, keyFile: string): Promise<ClientCa> {
  const [{ readText }, { loadIssuingCa }] = await Promise.all([
    import('../../store/atomic.js'),
    import('../../keys/issuing-ca.js'),
  ]);
  const ca = await loadIssuingCa(certFile, keyFile, readText);
  return { certPem: ca.certPem, privateKey: ca.privateKey };
}

/** A client given as a profile (`--client PROFILE`): its keys, certificate and registered client. */
async function loadProvidedClient(ctx: CliContext, name: string, issuer: string): Promise<ProvidedClient> {
  const [{ loadProfileKey, ensureDpopKey, loadProfileCertificate }, { DEFAULT_REDIRECT_URI }] =
    await Promise.all([import('../../store/profile-keys.js'), import('../../core/fapi.js')]);
  const p = await ctx.store.load(name);
  if (!p.client_id || p.issuer !== issuer)
    throw stateError(
      'E_PROFILE_OTHER_ISSUER',
      `Profile "${name}" has no client registered at ${issuer}${p.issuer ? ` (it is registered at ${p.issuer})` : ''}.`,
      `Register one: \`fapi register --profile ${name} --issuer ${issuer}\`.`,
    );
  const signing = await loadProfileKey(ctx.store, p, 'signing');
  const sender = p.sender ?? 'dpop';
  const dpop = sender === 'dpop' ? await ensureDpopKey(ctx.store, p) : undefined;
  const cert = await loadProfileCertificate(ctx.store, p);
  return {
    name,
    clientId: p.client_id,
    auth: p.auth_method ?? 'private_key_jwt',
    sender,
    redirectUri: p.redirect_uri ?? DEFAULT_REDIRECT_URI,
    signingKey: {
      privateKey: signing.privateKey,
      publicKey: signing.publicKey,
      publicJwk: signing.publicJwk,
      alg: signing.alg,
      kid: signing.kid,
    },
    ...(dpop ? { dpopKey: { privateKey: dpop.privateKey, publicJwk: dpop.publicJwk, alg: dpop.alg } } : {}),
    ...(cert
      ? {
          certificate: {
            pem: cert.certPem,
            keyPem: cert.keyPem,
            x5t: cert.info.x5tS256,
            subject: cert.info.subject,
          },
        }
      : {}),
  };
}

/** A run that could not start still leaves CI a JUnit file naming the check that failed. */
async function writeJunitForError(file: string, issuer: string, e: FapiError): Promise<void> {
  const [{ junitXml }, { ALL_CHECKS }] = await Promise.all([
    import('../../conform/junit.js'),
    import('../../conform/checks/index.js'),
  ]);
  const results = (e.details?.failed as string[]).map((id) => {
    const c = ALL_CHECKS.find((k) => k.id === id);
    return {
      id,
      title: c?.title ?? id,
      variant: null,
      result: 'failed' as const,
      spec: c?.spec ?? '',
      detail: e.message,
      level: c?.level ?? ('MUST' as const),
      group: c?.group ?? ('discovery' as const),
      ms: 0,
    };
  });
  await writeFile(file, junitXml({ issuer, results, durationMs: 0 }));
}
