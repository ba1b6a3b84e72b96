/**
 * Every command of the fapi command line, declared in one table: its options, its help, and the
 * module that runs it. A command's module is imported only when it runs, so `fapi --help` loads
 * commander and nothing else (no jose, node-forge, listr2, inquirer). Errors and exit codes are
 * main.ts's business.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as CommanderNs from 'commander';
import type { Command } from 'commander';
import { CLIENT_AUTH_METHODS, DEFAULT_REDIRECT_URI, SENDER_CONSTRAINTS, SIGNING_ALGS } from '../core/fapi.js';
import type { CliContext, GlobalOptions } from './context.js';
import { FAULT_NAMES, LAB_ENDPOINTS, RELAXATION_NAMES } from '../../lab/switches.js';
import { ECOSYSTEM_NAMES } from '../core/ecosystem-names.js';

// commander through require(): its CommonJS build loads in about half the time of the ESM wrapper,
// and `fapi --help` start-up is budgeted (at most 1.3x `node -e 0`).
export const commander = createRequire(import.meta.url)('commander') as typeof CommanderNs;
const { Argument, Command: CommandClass, InvalidArgumentError, Option } = commander;

/**
 * A command's action: the context, the command's options merged with the global ones (each
 * command module declares their type, e.g. LoginOptions), the positional arguments.
 */
export type Action<O extends GlobalOptions = GlobalOptions> = (
  ctx: CliContext,
  opts: O,
  args: string[],
  cmd: Command,
) => Promise<void>;

/** The exports of module M that are actions. */
type ActionName<M> = {
  [K in keyof M]: M[K] extends (ctx: CliContext, opts: never, args: string[], cmd: Command) => Promise<void>
    ? K
    : never;
}[keyof M] &
  string;

export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/**
 * A commander action that creates the context, then imports the command's module and calls its
 * action `name`: `lazy(() => import('./commands/login.js'), 'run')`. TypeScript checks that the
 * module exists and that `name` is an action it exports; the import still happens only on use.
 */
function lazy<M>(load: () => Promise<M>, name: ActionName<M>) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const args = (all.slice(0, -2) as unknown[]).flat().filter((a): a is string => typeof a === 'string');
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    const { createContext } = await import('./context.js');
    const ctx = await createContext(globals);
    const action = (await load())[name] as Action;
    await action(ctx, globals, args, cmd);
  };
}

// ── option factories ────────────────────────────────────────────────────────

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A repeatable option whose values must be among `choices`. */
function collectChoice(choices: readonly string[]) {
  return (value: string, previous: string[] = []): string[] => {
    if (!choices.includes(value))
      throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    return [...previous, value];
  };
}

const authOption = () =>
  new Option('--auth <method>', 'client authentication (FAPI2-SP §5.3.2.1-6)').choices(CLIENT_AUTH_METHODS);
const senderOption = () =>
  new Option(
    '--sender <constraint>',
    'sender-constrained tokens: DPoP (RFC 9449) or mTLS (RFC 8705)',
  ).choices(SENDER_CONSTRAINTS);
/** --sync-clock / --no-sync-clock (CL-23), for the commands that sign assertions and proofs. */
/** --ecosystem NAME: a preset of rules on top of FAPI 2.0 (src/core/ecosystems.ts). */
const ecosystemOption = (what: string) =>
  new Option('--ecosystem <name>', `${what} (\`fapi ecosystems\` lists the presets and their rules)`).choices(
    ECOSYSTEM_NAMES,
  );
const syncClock = (c: Command) =>
  c
    .option('--sync-clock', "correct iat of assertions and proofs with the server's Date header (default)")
    .option('--no-sync-clock', "use the local clock as is, even when the server's Date differs");

export function buildProgram(): Command {
  const program = new CommandClass('fapi');
  program
    .description(
      'FAPI 2.0 for real: keys, discovery, registration, PAR+PKCE login with DPoP or mTLS, API calls, and a strict local lab.',
    )
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpCommand(false)
    .showSuggestionAfterError(true)
    .option(
      '--home <dir>',
      'fapi home folder (env FAPI_HOME; default $XDG_CONFIG_HOME/fapi or ~/.config/fapi)',
    )
    .option(
      '-p, --profile <name>',
      'profile to use (env FAPI_PROFILE; default: the one chosen by `fapi profile use`, else "default")',
    )
    .option('--json', 'machine output: one JSON value on stdout, nothing else')
    .option('-v, --verbose', 'trace HTTP exchanges and decoded JWTs on stderr (secrets redacted)')
    .option('--ca <file>', 'extra PEM trust anchors for HTTPS (TLS verification is always on)')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)');

  // ── keys and profiles ──────────────────────────────────────────────────────
  program
    .command('keygen')
    .description(
      'generate a client signing key (ES256, PS256, EdDSA) and optionally an X.509 client certificate for mTLS',
    )
    .option('--alg <alg>', 'signing algorithm: ES256 (P-256), PS256 (RSA) or EdDSA (Ed25519)', 'ES256')
    .option('--bits <n>', 'RSA modulus length for PS256: 2048 or more (default 3072)')
    .option('--kid <kid>', 'key id (default: the RFC 7638 JWK thumbprint)')
    .option('--cert', 'also create an X.509 v3 client certificate (RFC 8705)')
    .option('--subject <dn>', 'certificate subject, e.g. "CN=my-client,O=Example" (default CN=<profile>)')
    .option(
      '--san <san>',
      'subject alternative name: dns:NAME, ip:ADDR, uri:URI or email:ADDR (repeatable)',
      collect,
    )
    .option('--days <n>', 'certificate validity in days (default 365)')
    .option(
      '--ca-cert <file>',
      'issue the certificate from this CA certificate (PEM) instead of self-signing',
    )
    .option('--ca-key <file>', 'private key (PEM) of --ca-cert')
    .option('--p12', 'also write a PKCS#12 bundle (client.p12) of the key and certificate into --out')
    .option('--p12-password <password>', 'password for the PKCS#12 bundle (prompted on a TTY)')
    .option(
      '--out <dir>',
      'also export the key (JWK and PEM), public JWKS and certificate files to this folder',
    )
    .option('--dpop', 'generate the DPoP key of the profile instead of the client-authentication key')
    .option('--force', 'replace an existing key in the profile or existing files in --out')
    .action(lazy(() => import('./commands/keygen.js'), 'run'));

  const profile = program.command('profile').description('list, show, choose, create and delete profiles');
  profile
    .command('list')
    .description('list profiles')
    .action(lazy(() => import('./commands/profile.js'), 'list'));
  profile
    .command('show [name]')
    .description('show a profile (secrets only with --show-secrets)')
    .option('--show-secrets', 'include tokens and the registration access token')
    .action(lazy(() => import('./commands/profile.js'), 'show'));
  profile
    .command('use <name>')
    .description('make <name> the profile used when --profile is not given')
    .action(lazy(() => import('./commands/profile.js'), 'use'));
  profile
    .command('create')
    .description('import a client registered out of band: issuer, client_id and its key (JWK or PEM)')
    .option('--issuer <url>', "the authorization server's issuer identifier")
    .option('--client-id <id>', 'the client_id the server gave you')
    .option('--key <file>', "the client's private key: a JWK (JSON) or PEM file")
    .option('--cert <file>', 'its X.509 certificate (PEM), for mTLS')
    .addOption(authOption().default('private_key_jwt'))
    .addOption(senderOption().default('dpop'))
    .option(
      '--redirect-uri <uri>',
      `the redirect URI registered for the client (default ${DEFAULT_REDIRECT_URI})`,
    )
    .option('--scope <scope>', 'default scope for login')
    .option('--force', 'replace the profile if it already has a client or key')
    .action(lazy(() => import('./commands/profile.js'), 'create'));
  profile
    .command('delete <name>')
    .description('delete a profile, its keys and its tokens')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(lazy(() => import('./commands/profile.js'), 'remove'));

  // ── discovery and registration ─────────────────────────────────────────────
  program
    .command('discover [issuer]')
    .description(
      "fetch an authorization server's metadata (RFC 8414 / OpenID), check the issuer, and lint it against FAPI 2.0",
    )
    .option('--strict', 'exit 6 when the metadata is not FAPI 2.0 conformant')
    .addOption(
      ecosystemOption("also lint against an ecosystem preset's rules, each finding citing its source"),
    )
    .action(lazy(() => import('./commands/discover.js'), 'run'));

  program
    .command('ecosystems [name]')
    .description(
      'the ecosystem presets (UAE, KSA, Chile, AU CDR, ConnectID, Brazil, Singpass) and their rules, each with its source and whether fapi supports it',
    )
    .action(lazy(() => import('./commands/ecosystems.js'), 'run'));

  program
    .command('register')
    .description(
      "register the profile's key (and certificate) as a FAPI 2.0 client: RFC 7591 dynamic registration",
    )
    .option('--issuer <url>', "the authorization server's issuer identifier (default: the profile's)")
    .addOption(authOption())
    .addOption(senderOption())
    .option('--redirect-uri <uri>', `redirect URI (default ${DEFAULT_REDIRECT_URI}, any port: RFC 8252)`)
    .option('--scope <scope>', 'scope to register (default: none, the server decides)')
    .option('--initial-access-token <token>', 'initial access token for servers without open registration')
    .option('--software-statement <file>', 'a software statement (signed JWT) to send (RFC 7591 §2.3)')
    .option('--metadata <file>', 'JSON client metadata merged over the template (checked for FAPI 2.0)')
    .option(
      '--jarm',
      'also register for signed JARM authorization responses (authorization_signed_response_alg), for `fapi login --jarm`',
    )
    .option(
      '--jar',
      'also register for signed request objects (request_object_signing_alg, require_signed_request_object), which `fapi login` then sends',
    )
    .option('--force', 'register a new client even if the profile already has one')
    .option('--show-secrets', 'print the registration access token')
    .addOption(
      ecosystemOption(
        'register as an ecosystem preset says (authentication, sender, JARM, RAR types); recorded in the profile',
      ),
    )
    .action(lazy(() => import('./commands/register.js'), 'run'));

  program
    .command('init')
    .description(
      'guided start: pick the lab or an issuer, generate keys, register a FAPI 2.0 client, and see what to run next',
    )
    .option('--lab', 'use the running local lab (`fapi lab up`): its issuer and CA')
    .option('--issuer <url>', "the authorization server's issuer identifier")
    .addOption(new Option('--alg <alg>', 'key algorithm').choices(SIGNING_ALGS))
    .addOption(authOption())
    .addOption(senderOption())
    .option('--redirect-uri <uri>', `redirect URI (default ${DEFAULT_REDIRECT_URI})`)
    .option('--scope <scope>', 'scope to register')
    .option(
      '--jarm',
      'also register for signed JARM authorization responses; `fapi login` then asks for them',
    )
    .option('--jar', 'also register for signed request objects (JAR); `fapi login` then sends them')
    .option('--initial-access-token <token>', 'initial access token for registration')
    .option('--metadata <file>', 'JSON client metadata merged over the template')
    .option(
      '--ca-cert <file>',
      'CA certificate issuing the tls_client_auth certificate (the lab CA with --lab)',
    )
    .option('--ca-key <file>', 'private key of --ca-cert')
    .addOption(
      ecosystemOption("set the client up for an ecosystem preset (with --lab: the lab's by default)"),
    )
    .option('--client-id <id>', 'import this pre-registered client instead of registering (with --key)')
    .option('--key <file>', "the pre-registered client's private key (JWK or PEM)")
    .option('--cert <file>', "the pre-registered client's certificate (PEM)")
    .option('-y, --yes', 'take the defaults for every choice not given as a flag')
    .option('--force', 'set up the profile again even if it already has a client (new keys)')
    .option('--show-secrets', 'print the registration access token')
    .action(lazy(() => import('./commands/init.js'), 'run'));

  const client = program.command('client').description("manage the profile's registered client (RFC 7592)");
  client
    .command('show')
    .description("read the client's configuration from the server")
    .option('--show-secrets', 'print the registration access token')
    .action(lazy(() => import('./commands/client.js'), 'show'));
  client
    .command('update')
    .description("push the profile's current key/certificate and the given changes to the server")
    .option('--redirect-uri <uri>', 'new redirect URI')
    .option('--scope <scope>', 'new scope')
    .option('--metadata <file>', 'JSON client metadata merged over the current configuration')
    .option('--show-secrets', 'print the registration access token')
    .action(lazy(() => import('./commands/client.js'), 'update'));
  client
    .command('delete')
    .description('delete the client at the server (the profile keeps its keys)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(lazy(() => import('./commands/client.js'), 'remove'));

  // ── the lab ────────────────────────────────────────────────────────────────
  const lab = program
    .command('lab')
    .description('a local, strict FAPI 2.0 authorization server and resource server on 127.0.0.1');
  lab
    .command('up')
    .description('start the lab (foreground until Ctrl-C; --detach to run it in the background)')
    .option(
      '--port <n>',
      'AS port on 127.0.0.1, default 8443 (0 = free ports; the mTLS aliases and the RS use the next two)',
    )
    .option('--mtls-port <n>', 'port of the mTLS endpoint aliases (default: --port + 1)')
    .option('--rs-port <n>', 'port of the resource server (default: --port + 2)')
    .option('--config <file>', 'JSON lab configuration (see templates/lab.config.json); flags win over it')
    .option('--auto-approve', 'approve authorization requests as alice without showing the login page')
    .option(
      '--registration-token <token>',
      'require this initial access token for client registration (or env FAPI_LAB_REGISTRATION_TOKEN, kept out of `ps`)',
    )
    .option(
      '--require-jar',
      'require signed request objects (JAR, request=<JWS>) in every pushed authorization request (FAPI 2.0 Message Signing)',
    )
    .addOption(
      new Option(
        '--relax <name>',
        `weaken the profile for an experiment (repeatable; loud): ${RELAXATION_NAMES.join(', ')}`,
      ).argParser(collectChoice(RELAXATION_NAMES)),
    )
    .addOption(
      new Option(
        '--fault <name>',
        'client fault injection, catalogue Appendix A (repeatable; loud; see templates/lab.config.json)',
      ).argParser(collectChoice(FAULT_NAMES)),
    )
    .addOption(
      new Option(
        '--ecosystem <name>',
        'play an ecosystem preset on top of FAPI 2.0 (`fapi ecosystems` lists them and their rules)',
      ).choices(ECOSYSTEM_NAMES),
    )
    .option('--detach', 'run in the background; returns once the lab is ready')
    .addOption(new Option('--detached-child').hideHelp())
    .action(lazy(() => import('./commands/lab/up.js'), 'run'));
  lab
    .command('status')
    .description('is a lab running, where, and which switches are on')
    .option('--show-secrets', 'also print the control secret of this run (for the control API)')
    .action(lazy(() => import('./commands/lab/status.js'), 'run'));

  // The running lab's switches, one-off failures, request log and tokens, over its control API.
  const fault = lab
    .command('fault')
    .description('the fault injections of the running lab (catalogue Appendix A), changed at once');
  fault
    .command('set')
    .description('replace the active fault injections with these (loud; effective for the next request)')
    .addArgument(new Argument('<name...>', 'fault names').choices(FAULT_NAMES))
    .action(lazy(() => import('./commands/lab/fault.js'), 'set'));
  fault
    .command('clear')
    .description('switch every fault injection off')
    .action(lazy(() => import('./commands/lab/fault.js'), 'clear'));
  const relax = lab
    .command('relax')
    .description('the relaxations of the running lab, changed at once (not FAPI 2.0 conformant while on)');
  relax
    .command('set')
    .description('replace the active relaxations with these (loud; effective for the next request)')
    .addArgument(new Argument('<name...>', 'relaxation names').choices(RELAXATION_NAMES))
    .action(lazy(() => import('./commands/lab/relax.js'), 'set'));
  relax
    .command('clear')
    .description('strict FAPI 2.0 again')
    .action(lazy(() => import('./commands/lab/relax.js'), 'clear'));
  lab
    .command('fail-next')
    .description(
      'the next requests to an endpoint of the running lab answer with an OAuth error, then it is normal again',
    )
    .addArgument(new Argument('<endpoint>', 'which endpoint').choices(LAB_ENDPOINTS))
    .option('--error <code>', 'the OAuth error code (default from --status, else server_error)')
    .option('--status <n>', 'the HTTP status, 400-599 (default from --error)')
    .option('--description <text>', 'the error_description')
    .option('--times <n>', 'how many requests (default 1)')
    .option('--client <id>', 'only requests of this client_id')
    .action(lazy(() => import('./commands/lab/fail-next.js'), 'run'));
  lab
    .command('delay-next')
    .description('the next requests to an endpoint of the running lab wait, then are answered as usual')
    .addArgument(new Argument('<endpoint>', 'which endpoint').choices(LAB_ENDPOINTS))
    .requiredOption('--ms <n>', 'how long to wait, in milliseconds (at most 60000)')
    .option('--times <n>', 'how many requests (default 1)')
    .option('--client <id>', 'only requests of this client_id')
    .action(lazy(() => import('./commands/lab/fail-next.js'), 'delay'));
  lab
    .command('requests')
    .description("the running lab's request log: each request with the check that decided it")
    .option('--client <id>', 'only requests of this client_id')
    .option('--path <path>', 'only requests to this path')
    .option('-f, --follow', 'keep printing new requests until Ctrl-C')
    .action(lazy(() => import('./commands/lab/requests.js'), 'run'));
  lab
    .command('token')
    .description(
      'a real access token from the running lab (RFC 9068), for testing a resource server without a login',
    )
    .requiredOption('--scope <scope>', 'space-separated scopes')
    .option('--dpop-jkt <jkt>', 'bind it to this DPoP key (RFC 7638 thumbprint): a DPoP token')
    .option('--x5t <thumbprint>', 'bind it to this client certificate (x5t#S256): a Bearer token over mTLS')
    .option('--sub <user>', 'the user (default: the auto-approve user)')
    .option('--client-id <id>', 'the client it is issued to (default lab-test-client)')
    .option('--expires-in <seconds>', 'lifetime (default: the lab access-token lifetime)')
    .option('--audience <aud>', 'the aud (default: the lab RS)')
    .action(lazy(() => import('./commands/lab/token.js'), 'run'));
  lab
    .command('open <url>')
    .description(
      'a non-interactive browser for scripts and CI: follow an authorization URL of a lab started with --auto-approve to the loopback redirect URI (BROWSER="fapi lab open" fapi login)',
    )
    .action(lazy(() => import('./commands/lab/open.js'), 'run'));
  lab
    .command('logs')
    .description('print the lab log (requests with the check that decided each)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --lines <n>', 'how many of the last lines to print (default 100)')
    .action(lazy(() => import('./commands/lab/logs.js'), 'run'));
  lab
    .command('down')
    .description('stop the running lab')
    .action(lazy(() => import('./commands/lab/down.js'), 'run'));
  lab
    .command('reset')
    .description('delete all lab state (CA, keys, registered clients, grants)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(lazy(() => import('./commands/lab/reset.js'), 'run'));
  lab
    .command('cert')
    .description(
      "issue an mTLS client certificate from the lab CA for the profile's signing key (tls_client_auth)",
    )
    .option('--subject <dn>', 'certificate subject (default CN=<profile>,O=fapi lab client)')
    .option(
      '--san <san>',
      'subject alternative name: dns:NAME, ip:ADDR, uri:URI or email:ADDR (repeatable)',
      collect,
    )
    .option('--days <n>', 'validity in days', '365')
    .action(lazy(() => import('./commands/lab/cert.js'), 'run'));
  lab
    .command('attack [scenario...]')
    .description(
      'play the attacks FAPI 2.0 stops (all when none named): each works against a lab with its defence relaxed and is stopped by the strict lab',
    )
    .option('--list', 'describe each scenario: the attacker, what it tries, the defence and its rules')
    .option(
      '--issuer <url>',
      "check an external server instead of the strict lab, with the profile's registered client (runs the scenarios that need nothing else)",
    )
    .option('--resource <url>', 'with --issuer: a protected resource the saved access token can call')
    .action(lazy(() => import('./commands/attack.js'), 'run'));

  // ── conformance of someone else's server ───────────────────────────────────
  const conform = program
    .command('conform')
    .description(
      'test a server or a client against FAPI 2.0: `fapi conform server ISSUER`, `fapi conform client -- CMD`',
    );
  conform
    .command('server [issuer]')
    .description(
      "run the server-side FAPI 2.0 checks against an authorization server (and --rs resource servers): every variant it offers, a verdict for CI (default issuer: the profile's)",
    )
    .addOption(
      new Option(
        '--auth <method>',
        'client authentication variant (repeatable; default: all the metadata offers)',
      ).argParser(collectChoice(CLIENT_AUTH_METHODS)),
    )
    .addOption(
      new Option(
        '--sender <constraint>',
        'sender-constraint variant, dpop or mtls (repeatable; default: all offered)',
      ).argParser(collectChoice(SENDER_CONSTRAINTS)),
    )
    .option(
      '--client <profile>',
      'use the client of this profile instead of dynamic registration (repeatable)',
      collect,
    )
    .option(
      '--client-ca-cert <file>',
      'CA certificate the server trusts, to issue tls_client_auth certificates',
    )
    .option('--client-ca-key <file>', 'private key of --client-ca-cert')
    .option('--initial-access-token <token>', 'initial access token for registration (RFC 7591 §3)')
    .option(
      '--browser <cmd>',
      'how to log in: a browser command (default $BROWSER, else the system browser), or "follow" to follow the redirects itself',
    )
    .option(
      '--rs <url>',
      'a protected resource answering 2xx to a valid token (GET; repeatable); without it the RS checks skip',
      collect,
    )
    .option('--scope <scope>', 'scope the test clients ask for (default: scopes_supported, else openid)')
    .option(
      '--rs-scope <scope>',
      'the scope the --rs resources require: RS-05 calls them with a token without it (expects 403 insufficient_scope)',
    )
    .option(
      '--rs-payment <url>',
      'a resource that executes a payment on POST: the RAR-08/RAR-09 checks make REAL payments there (use a sandbox)',
    )
    .option(
      '--payment <file>',
      'the payment of the RAR checks: {"detail": {payment_initiation detail}, "body": {POST body}} (default: the lab\'s shape)',
    )
    .option('--list', 'list the checks (ID, level, title, spec) and exit; no network')
    .option(
      '--only <ids>',
      'run only these checks: IDs or prefixes (CA-02, DP-, attack:), comma-separated or repeated',
      collect,
    )
    .option('--skip <ids>', 'skip these checks: IDs or prefixes, comma-separated or repeated', collect)
    .option(
      '--expected-failures <file>',
      'checks expected to fail (one ID per line, # comments): reported, not failing',
    )
    .option('--junit <file>', 'also write a JUnit XML report (one testcase per check and variant)')
    .option(
      '--strict',
      'hold every SHOULD as a MUST: a SHOULD check that fails is failed (exit 6), not a warning (for ecosystems that require them)',
    )
    .option('--timeout <duration>', 'timeout of each request: seconds or 10s, 1m', '10s')
    .option(
      '--slow',
      'also run the checks that wait for something to expire (codes, request_uris; about a minute)',
    )
    .option(
      '--keep',
      'keep the test clients registered, saved as profiles conform-<time>-<n> (otherwise deleted at the end, RFC 7592)',
    )
    .option('--show-secrets', 'print the registration URIs of kept clients')
    .action(lazy(() => import('./commands/conform.js'), 'server'));
  conform
    .command('client [command...]')
    .usage('[options] -- CMD [ARGS...]')
    .description(
      'run the OIDF FAPI 2.0 client tests against your client: a lab of its own, CMD once per module with the lab switched to it, judged by what the lab saw; a verdict for CI',
    )
    .addOption(
      new Option(
        '--auth <method>',
        'client authentication the client must use (default private_key_jwt)',
      ).choices(CLIENT_AUTH_METHODS),
    )
    .addOption(
      new Option('--sender <constraint>', 'dpop (default) or mtls: how the access tokens are bound').choices(
        SENDER_CONSTRAINTS,
      ),
    )
    .option('--jarm', 'also the eight JARM modules: the client asks for signed authorization responses')
    .option(
      '--jar',
      'the lab requires signed request objects at PAR (FAPI 2.0 Message Signing), and the MS-07 modules judge them',
    )
    .option(
      '--introspection',
      'also the five signed-introspection modules (MS-11): FAPI_INTROSPECT=1, the client introspects its access token asking for a signed answer (RFC 9701) and verifies it before calling the resource',
    )
    .option(
      '--client-metadata <file>',
      'register this client metadata (RFC 7591) before the run and pass its client_id as FAPI_CLIENT_ID',
    )
    .option(
      '--list',
      'list the modules (ID, level, what the lab does and what the client must) and the contract',
    )
    .option(
      '--only <ids>',
      'run only these modules: IDs or prefixes (CL-20, CL-), comma-separated or repeated',
      collect,
    )
    .option('--skip <ids>', 'skip these modules: IDs or prefixes, comma-separated or repeated', collect)
    .option(
      '--expected-failures <file>',
      'modules expected to fail (one ID per line, # comments): reported, not failing',
    )
    .option('--junit <file>', 'also write a JUnit XML report (one testcase per module)')
    .option(
      '--strict',
      'hold every SHOULD module as a MUST (state, ID token signature and kid, TLS 1.2 DHE): its failure is failed (exit 6), not a warning',
    )
    .option(
      '--timeout <duration>',
      'how long one run of CMD may take before its process group is killed',
      '30s',
    )
    .action(lazy(() => import('./commands/conform-client.js'), 'client'));
  // ── the client: login, tokens, calls, DPoP proofs ──────────────────────────
  syncClock(
    program
      .command('login')
      .description(
        'log in: PAR + PKCE S256 in the browser, loopback callback, sender-constrained tokens (DPoP or mTLS), ID token checked',
      )
      .option('--scope <scope>', 'space-separated scopes (default: the profile scope, else "openid")')
      .option('--no-browser', 'print the authorization URL instead of opening a browser, then wait')
      .option('--timeout <duration>', 'how long to wait for the browser: seconds or 90s, 5m, 1h', '5m')
      .option(
        '--redirect-uri <uri>',
        `loopback redirect URI registered for the client (default: the profile one, else ${DEFAULT_REDIRECT_URI})`,
      )
      .option(
        '--jarm',
        'ask for a signed JARM authorization response (response_mode=jwt, FAPI 2.0 Message Signing) and verify it (default when the client was registered with --jarm)',
      )
      .option('--no-jarm', 'a plain authorization response even if the client was registered with --jarm')
      .option(
        '--jar',
        'push the authorization request as one signed request object (JAR, request=<JWS>; FAPI 2.0 Message Signing); the default when the server or the registration requires it, or the client was registered with --jar',
      )
      .option('--no-jar', 'plain PAR parameters, no request object (refused when the server requires one)')
      .option(
        '--authorization-details <json>',
        'Rich Authorization Requests (RFC 9396): a JSON array of authorization details, @FILE or @- (types checked against the server first)',
      )
      .addOption(ecosystemOption("follow an ecosystem preset's rules (default: the profile's)"))
      .option('--show-secrets', 'include the tokens in the output'),
  ).action(lazy(() => import('./commands/login.js'), 'run'));

  const token = program
    .command('token')
    .description('show, refresh, revoke and introspect the saved tokens; get a client-credentials token');
  token
    .command('show')
    .description('show the saved tokens (metadata; the tokens only with --show-secrets)')
    .option('--decode', 'decode JWT access and ID tokens (header and claims)')
    .option('--show-secrets', 'print the access, refresh and ID tokens themselves')
    .action(lazy(() => import('./commands/token.js'), 'show'));
  syncClock(
    token
      .command('refresh')
      .description(
        'use the refresh token (with client authentication and the sender constraint); keeps a rotated one',
      )
      .option('--scope <scope>', 'ask for fewer scopes than granted')
      .option(
        '--authorization-details <json>',
        'ask for fewer of the granted authorization details (RFC 9396 §6.1): JSON, @FILE or @-',
      )
      .option('--show-secrets', 'include the new tokens in the output'),
  ).action(lazy(() => import('./commands/token.js'), 'refresh'));
  syncClock(
    token
      .command('revoke')
      .description('revoke the refresh and access tokens at the server (RFC 7009) and forget them')
      .option('--access-token', 'revoke only the access token')
      .option('--refresh-token', 'revoke only the refresh token')
      .option('--keep', 'keep the local copy of the tokens'),
  ).action(lazy(() => import('./commands/token.js'), 'revoke'));
  syncClock(
    token
      .command('introspect')
      .description(
        'ask the server about the access token (RFC 7662), or the refresh token with --refresh-token',
      )
      .option('--refresh-token', 'introspect the refresh token')
      .option(
        '--signed',
        'ask for a signed answer (Accept: application/token-introspection+jwt, RFC 9701) and verify it before showing it',
      ),
  ).action(lazy(() => import('./commands/token.js'), 'introspect'));
  syncClock(
    token
      .command('client-credentials')
      .description('get a token for the client itself (client_credentials grant), DPoP- or certificate-bound')
      .option('--scope <scope>', 'space-separated scopes (default: the profile scope)')
      .option(
        '--authorization-details <json>',
        'Rich Authorization Requests (RFC 9396 §6): a JSON array of authorization details, @FILE or @-',
      )
      .option('--show-secrets', 'include the token in the output'),
  ).action(lazy(() => import('./commands/token.js'), 'clientCredentials'));

  syncClock(
    program
      .command('call <url>')
      .description(
        'call a protected resource with the saved token: DPoP with a fresh proof, or Bearer over mTLS',
      )
      .option('-X, --request <method>', 'HTTP method (default GET, or POST with --data)')
      .option('-H, --header <header>', "extra request header 'Name: value' (repeatable)", collect)
      .option('-d, --data <data>', 'request body; @FILE reads a file, @- reads stdin')
      .option('-i, --include', 'print the status line and response headers, and narrate the exchange')
      .option('--fail', 'exit 5 when the server answers an HTTP error')
      .option('--max-size <size>', 'the largest response body read, e.g. 10M (default 1M)')
      .option('--dpop', 'send the token as a DPoP token with a proof')
      .option('--mtls', 'send the token as a Bearer token over the client certificate'),
  ).action(lazy(() => import('./commands/call.js'), 'run'));

  const dpop = program
    .command('dpop')
    .description("print a DPoP proof signed with the profile's DPoP key, for curl or Postman")
    // Required, but checked by the command (commands/dpop.ts): commander would also demand them of
    // `fapi dpop explain`.
    .option('--htm <method>', 'HTTP method of the request')
    .option('--htu <url>', 'URL of the request (query and fragment are dropped)')
    .option('--ath-token <token>', 'bind the proof to this access token (ath)')
    .option('--for-current-token', "bind the proof to the profile's saved access token (ath)")
    .option('--nonce <nonce>', 'the server-provided DPoP nonce')
    .action(lazy(() => import('./commands/dpop.js'), 'run'));
  dpop
    .command('explain <proof>')
    .description(
      'would a resource server accept this DPoP proof for this request? Each check (DP-01..16, RFC 9449 §4.3), and why not (exit 6)',
    )
    .requiredOption('--method <method>', 'the method of the request')
    .requiredOption('--url <url>', 'the URL of the request, as the resource server sees it')
    .option('--token <token>', 'the access token sent with it (checks ath and cnf.jkt)')
    .option('--nonce <nonce>', "the server's current DPoP nonce")
    .action(lazy(() => import('./commands/dpop-explain.js'), 'run'));

  program
    .command('demo')
    .description(
      'the whole journey, narrated, on a lab of its own in a temporary home: lab up, keys, registration, login (PAR, PKCE, DPoP), API calls, refresh, lab down',
    )
    .option('--keep', 'keep the temporary home (keys, profile, tokens) for a look afterwards')
    .action(lazy(() => import('./commands/demo.js'), 'run'));

  return program;
}
