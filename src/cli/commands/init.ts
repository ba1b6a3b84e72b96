/**
 * `fapi init`: the guided start. Choose the lab or an issuer, then the algorithm, the client
 * authentication and the sender constraint (offering only what the server's metadata supports),
 * generate the keys (src/keys) and register (or import a pre-registered client), and say what to
 * run next. Prompts only on a TTY; every choice has a flag, and `--yes` takes the defaults, so
 *   fapi init --issuer URL --alg ES256 --auth private_key_jwt --sender dpop --yes
 * works in scripts and CI.
 */
import { stateError, usageError } from '../../errors.js';
import { discoverMetadata, type DiscoveryResult } from '../../core/discovery.js';
import { lintMetadata, summarizeLint } from '../../core/lint.js';
import { serverChoices } from '../../core/server-choices.js';
import type { IssuingCa } from '../../keys/issuing-ca.js';
import { exists } from '../../store/atomic.js';
import type { Profile } from '../../store/profile.js';
import { labPaths, labHome } from '../../../lab/home.js';
import { labRunState, type LabRunInfo } from '../../../lab/run-file.js';
import type { CliContext } from '../context.js';
import { confirm, input, select } from '../prompt.js';
import { readMetadataFile, registerProfile, registrationView } from './register.js';
import type { Ecosystem, EcosystemName } from '../../core/ecosystems.js';
import { ecosystemRefusal, resolveEcosystem, warnUnsupported, withinEcosystem } from '../ecosystem.js';
import {
  DEFAULT_REDIRECT_URI,
  type ClientAuthMethod,
  type FapiAlg,
  type SenderConstraint,
} from '../../core/fapi.js';

/** The running lab of this fapi home (its run file), or a local-state error saying how to start one. */
export async function readLabRun(home: string): Promise<LabRunInfo> {
  const p = labPaths(labHome(home));
  const notRunning = (why: string) =>
    stateError(
      'E_LAB_NOT_RUNNING',
      `No running lab in ${p.home}: ${why}.`,
      'Start one with `fapi lab up --detach` (same --home), then run `fapi init --lab` again.',
    );
  const state = await labRunState(p);
  if (!state.running) throw notRunning(state.why);
  if (!(await exists(state.info.ca))) throw notRunning(`its CA ${state.info.ca} is missing`);
  return state.info;
}

const AUTH_LABEL: Record<ClientAuthMethod, string> = {
  private_key_jwt: 'private_key_jwt: a signed JWT per request (OIDC §9)',
  tls_client_auth: 'tls_client_auth: a CA-issued client certificate (RFC 8705 §2.1)',
  self_signed_tls_client_auth: 'self_signed_tls_client_auth: a self-signed certificate (RFC 8705 §2.2)',
};
const SENDER_LABEL: Record<SenderConstraint, string> = {
  dpop: 'DPoP: tokens bound to a key, proven per request (RFC 9449)',
  mtls: 'mTLS: tokens bound to the client certificate (RFC 8705 §3)',
};
const ALG_LABEL: Record<FapiAlg, string> = {
  ES256: 'ES256 (EC P-256, fast and small)',
  PS256: 'PS256 (RSA-PSS, 3072-bit key)',
  EdDSA: 'EdDSA (Ed25519)',
};

interface Choice<T extends string> {
  flagValue: T | undefined;
  flag: string;
  message: string;
  options: T[];
  labels: Record<T, string>;
}

/** A flag wins; else a prompt on a TTY; else the first option with --yes; else a usage error. */
async function choose<T extends string>(ctx: CliContext, yes: boolean, c: Choice<T>): Promise<T> {
  if (c.options.length === 0)
    throw usageError(
      'E_NOTHING_TO_CHOOSE',
      `${c.message}: the server supports none of the FAPI 2.0 options.`,
      'Run `fapi discover` to see what it offers.',
    );
  if (c.flagValue !== undefined) {
    if (!c.options.includes(c.flagValue))
      throw usageError(
        'E_UNSUPPORTED_CHOICE',
        `${c.flag} ${c.flagValue}: the server does not support it (it offers ${c.options.join(', ')}).`,
        `Pick one of ${c.options.join(', ')}.`,
        { flag: c.flag },
      );
    return c.flagValue;
  }
  if (yes || c.options.length === 1) return c.options[0] as T;
  if (!ctx.interactive)
    throw usageError(
      'E_MISSING_OPTION',
      `Missing a choice: ${c.message}.`,
      `Pass ${c.flag} (one of ${c.options.join(', ')}), or --yes for the defaults.`,
      {
        flag: c.flag,
      },
    );
  return select(
    ctx,
    c.message,
    c.flag,
    c.options.map((o) => ({ value: o, name: c.labels[o] })),
    c.options[0],
  );
}

/** The options of `fapi init` (declared in main.ts; commander checks --alg, --auth and --sender). */
export interface InitOptions {
  lab?: boolean;
  issuer?: string;
  alg?: FapiAlg;
  auth?: ClientAuthMethod;
  sender?: SenderConstraint;
  redirectUri?: string;
  scope?: string;
  jarm?: boolean;
  /** --jar: register for signed request objects (MS-07); `fapi login` then sends them. */
  jar?: boolean;
  initialAccessToken?: string;
  metadata?: string;
  caCert?: string;
  caKey?: string;
  /** Import this pre-registered client (with --key, --cert) instead of registering. */
  clientId?: string;
  key?: string;
  cert?: string;
  /** An ecosystem preset (src/core/ecosystems.ts); with --lab, the lab's preset by default. */
  ecosystem?: EcosystemName;
  yes?: boolean;
  force?: boolean;
  showSecrets?: boolean;
}

export async function run(ctx: CliContext, opts: InitOptions): Promise<void> {
  const yes = Boolean(opts.yes);
  const out = ctx.out;
  if (opts.lab && opts.issuer)
    throw usageError('E_BAD_OPTION', '--lab and --issuer exclude each other.', 'Pass one of them.');

  // ── 1. where ──────────────────────────────────────────────────────────────
  let issuer = opts.issuer;
  let lab: LabRunInfo | undefined;
  let useLab = Boolean(opts.lab);
  if (!issuer && !useLab) {
    if (!ctx.interactive)
      throw usageError(
        'E_MISSING_OPTION',
        'Missing the server: the local lab or an issuer.',
        'Pass --lab, or --issuer https://as.example.com.',
        {
          flag: '--issuer',
        },
      );
    const running = await readLabRun(ctx.home).catch(() => undefined);
    const where = await select(
      ctx,
      'Which authorization server?',
      '--lab | --issuer',
      [
        ...(running ? [{ value: 'lab', name: `the local fapi lab (${running.issuer})` }] : []),
        { value: 'issuer', name: 'an issuer URL (a bank sandbox, your own server)' },
      ],
      running ? 'lab' : 'issuer',
    );
    useLab = where === 'lab';
    if (!useLab) issuer = await input(ctx, 'Issuer URL (exactly as the server publishes it)', '--issuer');
  }
  if (useLab) {
    lab = await readLabRun(ctx.home);
    issuer = lab.issuer;
  }
  // The client follows the ecosystem asked for, else the one the lab plays.
  const eco = resolveEcosystem(opts.ecosystem ?? (lab?.ecosystem as EcosystemName | undefined));
  const preset = eco?.settings;
  if (eco)
    out.info(`${out.errC.green('✔')} ecosystem  ${eco.name}: ${eco.title} (\`fapi ecosystems ${eco.name}\`)`);
  warnUnsupported(ctx, eco);
  if (opts.jarm && preset?.jarm === 'not-used')
    throw ecosystemRefusal(eco as Ecosystem, 'jarm', '--jarm', 'Set up the client without --jarm.');
  if (!issuer) throw usageError('E_MISSING_OPTION', 'Missing the issuer.', 'Pass --issuer URL.');

  // ── 2. the profile ─────────────────────────────────────────────────────────
  const profile: Profile = await ctx.store.loadOrNew(ctx.profileName);
  if (profile.client_id) {
    const replace =
      Boolean(opts.force) ||
      (ctx.interactive &&
        !yes &&
        (await confirm(
          ctx,
          `Profile "${profile.name}" already has client ${profile.client_id} at ${profile.issuer}. Replace it?`,
          '--force',
        )));
    if (!replace)
      throw usageError(
        'E_ALREADY_REGISTERED',
        `Profile "${profile.name}" already has client ${profile.client_id} at ${profile.issuer}.`,
        'Use another profile (--profile NAME), or pass --force to set it up again.',
      );
  }
  if (lab) {
    profile.lab = true;
    profile.ca_file = lab.ca;
  } else if (ctx.caFile) {
    profile.ca_file = ctx.caFile;
  }

  // ── 3. discovery and lint (CL-03) ───────────────────────────────────────────
  const http = ctx.http({ profile });
  const discovery: DiscoveryResult = await discoverMetadata(http, issuer);
  const lint = summarizeLint(lintMetadata(discovery.metadata));
  out.info(
    `${out.errC.green('✔')} discovery  ${issuer} (${lint.conformant ? 'FAPI 2.0 metadata: ok' : `FAPI 2.0 metadata: ${lint.errors} error${lint.errors === 1 ? '' : 's'}, see \`fapi discover ${issuer}\``})`,
  );
  if (
    !lint.conformant &&
    ctx.interactive &&
    !yes &&
    !(await confirm(ctx, 'The server is not FAPI 2.0 conformant. Continue anyway?', '--yes'))
  )
    throw usageError(
      'E_ABORTED',
      'Stopped: the server is not FAPI 2.0 conformant.',
      'Run `fapi discover` to see why.',
    );

  // ── 4. choices, offered from the metadata ─────────────────────────────────
  const m = discovery.metadata;
  const importing = opts.clientId !== undefined || opts.key !== undefined;
  const auth = await choose(ctx, yes, {
    flagValue: opts.auth,
    flag: '--auth',
    message: 'Client authentication',
    options: withinEcosystem(eco, 'authMethods', preset?.authMethods, serverChoices(m).auths, {
      name: '--auth',
      value: opts.auth,
    }),
    labels: AUTH_LABEL,
  });
  const sender = await choose(ctx, yes, {
    flagValue: opts.sender,
    flag: '--sender',
    message: 'Sender-constrained tokens',
    options: withinEcosystem(
      eco,
      'sender',
      preset?.sender ? [preset.sender] : undefined,
      serverChoices(m).senders,
      {
        name: '--sender',
        value: opts.sender,
      },
    ),
    labels: SENDER_LABEL,
  });
  if (importing) {
    // The imported client brings its own key: no key algorithm to choose.
    const { create } = await import('./profile.js');
    await create(ctx, { ...opts, issuer, auth, sender, force: true });
    return;
  }
  const choices = serverChoices(m, auth);
  const existingAlg = profile.keys?.signing?.alg;
  const algOptions = withinEcosystem(eco, 'algs', preset?.algs, choices.algs, {
    name: '--alg',
    value: opts.alg,
  });
  const alg = await choose(ctx, yes, {
    flagValue:
      opts.alg ?? (existingAlg && algOptions.includes(existingAlg) && !opts.force ? existingAlg : undefined),
    flag: '--alg',
    message: 'Key algorithm',
    options: algOptions,
    labels: ALG_LABEL,
  });

  // ── 5. keys (src/keys) ──────────────────────────────────────────────────────
  const keys = await import('../../store/profile-keys.js');
  const gen = await import('../../keys/generate.js');
  const x509 = await import('../../keys/x509.js');
  const needsCert = auth !== 'private_key_jwt' || sender === 'mtls' || preset?.mtlsEverywhere === true;
  const regenerate = !profile.keys?.signing || profile.keys.signing.alg !== alg || Boolean(opts.force);
  const needsCaIssued =
    auth === 'tls_client_auth' && (regenerate || !profile.certificate || profile.certificate.self_signed);
  // Resolved before anything is written: a missing CA changes nothing on disk.
  const issuerCa = needsCaIssued ? await certificateIssuer(ctx, opts, lab) : undefined;
  let createdKey = false;
  if (regenerate) {
    const key = await gen.generateSigningKey(alg);
    await keys.saveProfileKey(ctx.store, profile, 'signing', key);
    delete profile.certificate;
    createdKey = true;
  }
  if (needsCert && (!profile.certificate || issuerCa)) {
    const key = await keys.loadProfileKey(ctx.store, profile, 'signing');
    const certOpts = { key, subject: `CN=${profile.name},O=fapi`, profile: 'client' as const, days: 365 };
    const cert = issuerCa ? await issuerCa.issue(certOpts) : await x509.createCertificate(certOpts);
    await keys.saveProfileCertificate(ctx.store, profile, cert);
  }
  if (sender === 'dpop' && !profile.keys?.dpop) {
    // The DPoP key is separate from the client-authentication key (RFC 9449 §11.1 rationale).
    const dpopKey = await gen.generateSigningKey(choices.dpopAlg ?? 'ES256');
    await keys.saveProfileKey(ctx.store, profile, 'dpop', dpopKey);
  }
  await ctx.store.save(profile);
  const sk = profile.keys?.signing;
  out.info(
    `${out.errC.green('✔')} keys       ${createdKey ? 'generated' : 'kept'} ${sk?.alg} signing key (kid ${sk?.kid})${profile.certificate ? `, certificate ${profile.certificate.subject}${profile.certificate.self_signed ? ' (self-signed)' : ''}` : ''}${profile.keys?.dpop ? `, DPoP key ${profile.keys.dpop.alg}` : ''}`,
  );

  // ── 6. register ────────────────────────────────────────────────────────────
  if (!m.registration_endpoint)
    throw stateError(
      'E_NO_REGISTRATION',
      `${issuer} offers no dynamic client registration; your keys are ready in profile "${profile.name}".`,
      `Register the client with the server's operator (public JWKS: \`fapi keygen --out DIR\` exports it), then run \`fapi init --issuer ${issuer} --client-id ID --key FILE\` or \`fapi profile create\`.`,
    );
  const done = await registerProfile(ctx, profile, {
    issuer,
    authMethod: auth,
    sender,
    redirectUri: opts.redirectUri ?? DEFAULT_REDIRECT_URI,
    scope: opts.scope,
    initialAccessToken: opts.initialAccessToken ?? lab?.registration_token,
    overrides: await readMetadataFile(opts.metadata),
    discovery,
    // --jarm: signed authorization responses (MS-09); `fapi login` then asks for them.
    jarm: opts.jarm === true,
    // --jar: signed request objects at PAR (MS-07); `fapi login` then sends them.
    jar: opts.jar === true,
    ...(eco ? { ecosystem: eco } : {}),
  });
  for (const w of done.warnings) out.warn(w);
  const view = registrationView(profile, done, Boolean(opts.showSecrets));
  const profileFlag = profile.name === 'default' ? '' : ` --profile ${profile.name}`;
  const next = [`fapi login${profileFlag}`, ...(lab ? [`fapi lab attack evil-twin`] : [])];
  out.result({ ...view, lab: Boolean(lab), ca_file: profile.ca_file ?? null, next }, () => [
    `${out.c.green('✔')} registered client ${out.c.bold(done.client.client_id)} (${auth}, ${sender === 'dpop' ? 'DPoP' : 'mTLS'}-bound tokens) in profile "${profile.name}"`,
    `next:  ${next[0]}${' '.repeat(Math.max(2, 28 - (next[0]?.length ?? 0)))}log in (PAR + PKCE in the browser)`,
    ...(lab ? [`       fapi lab attack evil-twin   watch a stolen token fail`] : []),
  ]);
}

/** The CA that issues a tls_client_auth certificate: the lab's, or --ca-cert/--ca-key. */
async function certificateIssuer(
  ctx: CliContext,
  opts: InitOptions,
  lab: LabRunInfo | undefined,
): Promise<IssuingCa> {
  let certFile = opts.caCert;
  let keyFile = opts.caKey;
  if (!certFile && !keyFile && lab) {
    // The lab trusts certificates from its own CA (RFC 8705 §2.1).
    const p = labPaths(labHome(ctx.home));
    certFile = p.caCert;
    keyFile = p.caKey;
  }
  if ((!certFile || !keyFile) && ctx.interactive && !opts.yes) {
    certFile = await input(
      ctx,
      'CA certificate (PEM) that the server trusts, to issue the client certificate',
      '--ca-cert',
    );
    keyFile = await input(ctx, 'Its private key (PEM)', '--ca-key');
  }
  if (!certFile || !keyFile)
    throw usageError(
      'E_MISSING_OPTION',
      'tls_client_auth needs a certificate issued by a CA the server trusts.',
      'Pass --ca-cert FILE --ca-key FILE (the CA the server operator trusts), or use --auth self_signed_tls_client_auth.',
      { flag: '--ca-cert' },
    );
  const { readText } = await import('../../store/atomic.js');
  const { loadIssuingCa } = await import('../../keys/issuing-ca.js');
  return loadIssuingCa(certFile, keyFile, readText);
}
