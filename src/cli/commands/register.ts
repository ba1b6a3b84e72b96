/**
 * `fapi register --issuer URL`: RFC 7591 registration with FAPI 2.0-valid metadata built from the
 * profile's key/certificate and templates/client-metadata.<sender>.json. Saves the client in the
 * profile; the registration access token only in the 0600 profile file (CL-25, CL-28).
 */
import { stateError, usageError } from '../../errors.js';
import { discoverMetadata, endpoint, type DiscoveryResult } from '../../core/discovery.js';
import {
  buildClientMetadata,
  clientConfigurationUri,
  registerClient,
  type BuildClientMetadataInput,
  type ClientMetadata,
  type RegisteredClient,
} from '../../core/registration.js';
import { redacted } from '../../http/redact.js';
import { readText } from '../../store/atomic.js';
import { type Profile } from '../../store/profile.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { DEFAULT_REDIRECT_URI, type ClientAuthMethod, type SenderConstraint } from '../../core/fapi.js';
import { loadClientMetadataTemplate } from '../../store/templates.js';
import { isStringArray } from '../../core/discovery.js';
import type { Ecosystem, EcosystemName } from '../../core/ecosystems.js';
import { ecosystemRefusal, resolveEcosystem, warnUnsupported, withinEcosystem } from '../ecosystem.js';

/** `--metadata FILE`: a JSON object merged into the client metadata. */
export async function readMetadataFile(file: string | undefined): Promise<ClientMetadata | undefined> {
  if (file === undefined) return undefined;
  const text = await readText(file, '--metadata file');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (cause) {
    throw stateError(
      'E_FILE_CORRUPT',
      `The --metadata file ${file} is not valid JSON (${(cause as Error).message}).`,
      'Fix the JSON.',
      {
        cause,
      },
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw stateError(
      'E_FILE_INVALID',
      `The --metadata file ${file} must hold a JSON object of client metadata.`,
      'See RFC 7591 §2 for the fields.',
    );
  return v as ClientMetadata;
}

/** `--software-statement FILE`: a signed JWT (RFC 7591 §2.3). */
export async function readSoftwareStatement(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const jwt = (await readText(file, 'software statement')).trim();
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt))
    throw stateError(
      'E_FILE_INVALID',
      `The software statement ${file} is not a compact signed JWT (RFC 7591 §2.3).`,
      'The file must hold the JWT your software-statement issuer gave you, and nothing else.',
    );
  return jwt;
}

/** The profile's signing key and certificate, as the metadata builder needs them. */
export async function profileCredentials(
  ctx: CliContext,
  profile: Profile,
): Promise<Pick<BuildClientMetadataInput, 'signingKey' | 'certificate'>> {
  const { loadProfileKey, loadProfileCertificate } = await import('../../store/profile-keys.js');
  const out: Pick<BuildClientMetadataInput, 'signingKey' | 'certificate'> = {};
  if (profile.keys?.signing) {
    const key = await loadProfileKey(ctx.store, profile, 'signing');
    out.signingKey = { publicJwk: key.publicJwk, alg: key.alg, kid: key.kid };
  }
  if (profile.certificate) {
    const cert = await loadProfileCertificate(ctx.store, profile);
    if (cert) out.certificate = { subject: cert.info.subject, derBase64: cert.info.der.toString('base64') };
  }
  return out;
}

export interface RegistrationRequest {
  issuer: string;
  authMethod: ClientAuthMethod;
  sender: SenderConstraint;
  redirectUri: string;
  scope?: string;
  initialAccessToken?: string;
  softwareStatement?: string;
  overrides?: ClientMetadata;
  /** `--jarm`: register authorization_signed_response_alg for JARM responses (MS-09). */
  jarm?: boolean;
  /** `--jar`: register request_object_signing_alg and require_signed_request_object (MS-07). */
  jar?: boolean;
  /** Discovery already done (by init). */
  discovery?: DiscoveryResult;
  /** An ecosystem preset: JARM, authorization details types and key algorithm as it says. */
  ecosystem?: Ecosystem;
}

export interface RegistrationDone {
  client: RegisteredClient;
  warnings: string[];
  metadataSent: ClientMetadata;
}

/** Discovery (CL-03), metadata, registration, and the profile saved. Shared with `fapi init`. */
export async function registerProfile(
  ctx: CliContext,
  profile: Profile,
  req: RegistrationRequest,
): Promise<RegistrationDone> {
  const http = ctx.http({ profile });
  const discovery = req.discovery ?? (await discoverMetadata(http, req.issuer));
  const regEndpoint = endpoint(discovery.metadata, 'registration_endpoint', { mtls: false });
  const eco = req.ecosystem;
  let overrides = req.overrides;
  let jarm = req.jarm;
  let jar = req.jar;
  if (eco) {
    const algs = eco.settings.algs as readonly string[] | undefined;
    const alg = profile.keys?.signing?.alg;
    if (algs && alg && !algs.includes(alg))
      throw ecosystemRefusal(
        eco,
        'algs',
        `The profile's signing key is ${alg}`,
        `Create a ${algs[0]} key: \`fapi keygen --alg ${algs[0]} --force\` (and a certificate with --cert for mTLS), then register again.`,
      );
    if (eco.settings.jarm === 'required') jarm = true;
    // Signed request objects (JAR) where the ecosystem requires them; `fapi login` then sends them.
    if (eco.settings.jar === 'required') jar = true;
    // RFC 9396 §10: the types the client will use, when the ecosystem processes only registered ones.
    const types = discovery.metadata.authorization_details_types_supported;
    if ((eco.settings.rarRegisteredTypes || eco.settings.rar === 'required') && isStringArray(types))
      overrides = { authorization_details_types: types, ...overrides };
  }
  const md = buildClientMetadata({
    template: loadClientMetadataTemplate(req.sender),
    authMethod: req.authMethod,
    sender: req.sender,
    redirectUris: [req.redirectUri],
    scope: req.scope,
    server: discovery.metadata,
    jarm,
    jar,
    overrides,
    ...(await profileCredentials(ctx, profile)),
  });
  const { client, warnings } = await registerClient(http, regEndpoint, md, {
    initialAccessToken: req.initialAccessToken,
    softwareStatement: req.softwareStatement,
  });
  const uri = clientConfigurationUri(client);
  profile.issuer = req.issuer;
  profile.client_id = client.client_id;
  profile.auth_method = req.authMethod;
  profile.sender = req.sender;
  profile.redirect_uri = req.redirectUri;
  if (eco) profile.ecosystem = eco.name;
  if (req.scope !== undefined) profile.scope = req.scope;
  else delete profile.scope;
  // An explicit --ca at registration is remembered for this issuer (trust stays explicit).
  if (ctx.caFile && !profile.ca_file) profile.ca_file = ctx.caFile;
  profile.registration = {
    ...(client.registration_access_token && uri
      ? { registration_access_token: client.registration_access_token }
      : {}),
    ...(uri ? { registration_client_uri: uri } : {}),
    ...(client.client_id_issued_at !== undefined ? { client_id_issued_at: client.client_id_issued_at } : {}),
    metadata: client.metadata,
  };
  await ctx.store.save(profile);
  // Tokens of a previous client are useless now.
  await ctx.store.deleteTokens(profile.name);
  return { client, warnings, metadataSent: md };
}

/** The JSON/human result of a registration. */
export function registrationView(profile: Profile, done: RegistrationDone, showSecrets: boolean) {
  const rat = profile.registration?.registration_access_token;
  return {
    profile: profile.name,
    issuer: profile.issuer,
    client_id: done.client.client_id,
    auth_method: profile.auth_method,
    sender: profile.sender,
    redirect_uri: profile.redirect_uri,
    scope: profile.scope ?? null,
    registration_client_uri: profile.registration?.registration_client_uri ?? null,
    registration_access_token: rat ? (showSecrets ? rat : redacted('registration_access_token', rat)) : null,
    warnings: done.warnings,
    metadata: done.client.metadata,
  };
}

export interface RegisterOptions extends GlobalOptions {
  issuer?: string;
  /** One of CLIENT_AUTH_METHODS (commander's .choices()). */
  auth?: ClientAuthMethod;
  /** One of SENDER_CONSTRAINTS (commander's .choices()). */
  sender?: SenderConstraint;
  redirectUri?: string;
  scope?: string;
  initialAccessToken?: string;
  /** A file holding a software statement (RFC 7591 §2.3). */
  softwareStatement?: string;
  /** A JSON file of client metadata merged over the template. */
  metadata?: string;
  jarm?: boolean;
  jar?: boolean;
  /** An ecosystem preset (src/core/ecosystems.ts). */
  ecosystem?: EcosystemName;
  force?: boolean;
  showSecrets?: boolean;
}

export async function run(ctx: CliContext, opts: RegisterOptions): Promise<void> {
  const profile = await ctx.store.loadOrNew(ctx.profileName);
  const issuer = opts.issuer ?? profile.issuer;
  if (!issuer)
    throw usageError(
      'E_MISSING_ISSUER',
      'Missing the issuer to register with.',
      'Pass --issuer https://as.example.com.',
      {
        flag: '--issuer',
      },
    );
  if (profile.client_id && !opts.force)
    throw usageError(
      'E_ALREADY_REGISTERED',
      `Profile "${profile.name}" already has client ${profile.client_id} at ${profile.issuer ?? 'its issuer'}.`,
      `Use another profile (--profile NAME), delete the client first (\`fapi client delete\`), or pass --force to register a new one (the old client stays registered at the server).`,
    );
  const eco = resolveEcosystem(opts.ecosystem, profile);
  warnUnsupported(ctx, eco);
  const preset = eco?.settings;
  const authMethod =
    withinEcosystem(
      eco,
      'authMethods',
      preset?.authMethods,
      [opts.auth ?? profile.auth_method ?? 'private_key_jwt'],
      {
        name: '--auth',
        value: opts.auth,
      },
    )[0] ?? 'private_key_jwt';
  const sender =
    withinEcosystem(
      eco,
      'sender',
      preset?.sender ? [preset.sender] : undefined,
      [opts.sender ?? profile.sender ?? 'dpop'],
      {
        name: '--sender',
        value: opts.sender,
      },
    )[0] ?? 'dpop';
  if (opts.jarm && preset?.jarm === 'not-used')
    throw ecosystemRefusal(eco as Ecosystem, 'jarm', '--jarm', 'Register without --jarm.');
  const done = await registerProfile(ctx, profile, {
    issuer,
    authMethod,
    sender,
    redirectUri: opts.redirectUri ?? profile.redirect_uri ?? DEFAULT_REDIRECT_URI,
    scope: opts.scope ?? profile.scope,
    initialAccessToken: opts.initialAccessToken,
    softwareStatement: await readSoftwareStatement(opts.softwareStatement),
    overrides: await readMetadataFile(opts.metadata),
    jarm: opts.jarm === true,
    jar: opts.jar === true,
    ...(eco ? { ecosystem: eco } : {}),
  });
  for (const w of done.warnings) ctx.out.warn(w);
  const view = registrationView(profile, done, Boolean(opts.showSecrets));
  ctx.out.result(view, () => {
    const c = ctx.out.c;
    const key = profile.keys?.signing;
    const how =
      authMethod === 'private_key_jwt'
        ? `private_key_jwt (${key?.alg} kid ${key?.kid})`
        : `${authMethod} (${profile.certificate?.subject})`;
    return [
      `${c.green('✔')} registered client ${c.bold(done.client.client_id)} at ${issuer}`,
      `  auth          ${how}`,
      `  sender        ${sender === 'dpop' ? 'DPoP-bound tokens' : 'certificate-bound tokens (mTLS)'}`,
      `  redirect_uri  ${profile.redirect_uri}`,
      ...(profile.scope ? [`  scope         ${profile.scope}`] : []),
      ...(typeof done.client.metadata.authorization_signed_response_alg === 'string'
        ? [
            `  JARM          responses signed ${done.client.metadata.authorization_signed_response_alg} (fapi login asks for them; --no-jarm not to)`,
          ]
        : []),
      ...(typeof done.client.metadata.request_object_signing_alg === 'string'
        ? [
            `  JAR           request objects signed ${done.client.metadata.request_object_signing_alg}${done.client.metadata.require_signed_request_object === true ? ', required' : ''} (fapi login sends them)`,
          ]
        : []),
      view.registration_client_uri
        ? `  management    ${view.registration_client_uri} (registration access token saved in the profile${opts.showSecrets ? `: ${view.registration_access_token}` : ''})`
        : `  management    ${c.dim('none offered by the server')}`,
      `  profile       ${profile.name}`,
      `next:  fapi login${profile.name === 'default' ? '' : ` --profile ${profile.name}`}`,
    ];
  });
}
