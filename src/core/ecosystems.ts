/**
 * Ecosystem presets: the choices FAPI 2.0 ecosystems fix on top of the FAPI 2.0 Security Profile
 * (sender constraint, client authentication, signed request objects, JARM, RAR, algorithms,
 * lifetimes, mTLS on every endpoint, headers), each rule with the source it comes from: the
 * ecosystem's published profile, or the OIDF conformance suite's rules for it (its source is
 * public: openid-certification/conformance-suite). A rule that could not be found in a source is
 * not here: it is listed under `unknown`.
 *
 * fapi honours a rule in the lab (`fapi lab up --ecosystem`), in the client (`fapi init`,
 * `register`, `login` with `--ecosystem`) and in the lint (`fapi discover --ecosystem`) where it
 * can; where it cannot yet (signed request objects before JAR lands, grant management, …) the rule
 * says so (`lab: 'no'`, `client: 'no'`, with the gap) and fapi never claims conformance to it.
 *
 * Pure data and pure functions: the lab (lab/ecosystem.ts) and the CLI read the settings.
 */
import { isStringArray, type AuthorizationServerMetadata } from './discovery.js';
import type { ClientAuthMethod, FapiAlg, SenderConstraint } from './fapi.js';
import type { LintFinding } from './lint.js';
import { DEFAULT_ECOSYSTEM, ECOSYSTEM_NAMES, type EcosystemName } from './ecosystem-names.js';

/** Where a rule is honoured: `yes`, `no` (fapi cannot yet: see `gap`), `n/a` (not a lab or client matter). */
export type Support = 'yes' | 'no' | 'n/a';

/** What the ecosystem fixes; each setting is backed by a rule of the same topic. */
export interface EcosystemSettings {
  /** The one sender constraint (RFC 9449 or RFC 8705). */
  sender?: SenderConstraint;
  /** The client authentication methods allowed. */
  authMethods?: readonly ClientAuthMethod[];
  /** The JWS algorithms clients sign with (client assertions, DPoP proofs). */
  algs?: readonly FapiAlg[];
  /** Pushed authorization requests (RFC 9126). */
  par?: 'required';
  /** Rich Authorization Requests (RFC 9396). */
  rar?: 'required' | 'not-used';
  /** Authorization details types must be registered by the client (RFC 9396 §10). */
  rarRegisteredTypes?: boolean;
  /** Signed request objects at PAR (JAR, RFC 9101; FAPI2-MS §5.3). */
  jar?: 'required';
  /** Signed authorization responses (JARM; FAPI2-MS §5.4). */
  jarm?: 'required' | 'not-used';
  /** Access token lifetime bounds, seconds (`expires_in`). */
  accessTokenLifetime?: { min?: number; max: number };
  /** Every endpoint of the AS and RS needs a TLS client certificate (no plain listener). */
  mtlsEverywhere?: boolean;
  /** OpenID Connect: the `openid` scope in every authorization. */
  openid?: boolean;
  /** `x-fapi-interaction-id` on PAR and token requests (and echoed). */
  interactionIdAtAs?: boolean;
  /** `x-fapi-interaction-id` on resource requests. */
  interactionIdAtRs?: 'required' | 'recommended';
  /** The ID token signing algorithms the AS must use. */
  idTokenAlgs?: readonly FapiAlg[];
  /** The request object signing algorithms the AS must accept. */
  requestObjectAlgs?: readonly FapiAlg[];
  /** Request object lifetime limits, seconds: exp after nbf, and how old nbf may be. */
  requestObjectLifetime?: { maxExpAfterNbf: number; maxNbfAge: number };
  /** The `claims` request parameter (OIDC Core §5.5). */
  claimsParameter?: boolean;
}

export type RuleTopic =
  | keyof EcosystemSettings
  | 'grantManagement'
  | 'authorizeParameters'
  | 'purpose'
  | 'registration'
  | 'paymentSignature'
  | 'ephemeralDpopKey'
  | 'resourceHeaders'
  | 'consent';

export interface EcosystemRule {
  /** `<ecosystem>.<topic>`, e.g. `uae.sender`. */
  id: string;
  topic: RuleTopic;
  /** What the rule requires, in a few words. */
  rule: string;
  /** Where it is written: document and section, or file and method, exact enough to find. */
  source: string;
  /** Whether `fapi lab up --ecosystem` enforces it. */
  lab: Support;
  /** Whether fapi's client commands follow it (init, register, login, call). */
  client: Support;
  /** What fapi lacks, when lab or client is `no`. */
  gap?: string;
}

export interface Ecosystem {
  name: EcosystemName;
  title: string;
  /** One line: what it is and where it stands. */
  summary: string;
  settings: EcosystemSettings;
  rules: readonly EcosystemRule[];
  /** Rules the research notes mention that could not be confirmed at a source: left out. */
  unknown: readonly string[];
}

export { ECOSYSTEM_NAMES, DEFAULT_ECOSYSTEM, type EcosystemName };

// ── sources ──────────────────────────────────────────────────────────────────

const SUITE = 'openid-certification/conformance-suite src/main/java/net/openid/conformance';
/** The certification profiles of the FAPI 2.0 Message Signing OP test plan (one per ecosystem). */
const MS_PLAN = `${SUITE}/fapi2spfinal/FAPI2MessageSigningFinalTestPlan.java, certificationProfileName()`;
const behavior = (cls: string, method: string) => `${SUITE}/fapi2spfinal/${cls}.java, ${method}`;
const condition = (cls: string, req: string) => `${SUITE}/condition/client/${cls}.java (${req})`;
const testModule = (cls: string, req: string) => `${SUITE}/fapi2spfinal/${cls}.java (${req})`;

const UAE =
  'Open Finance UAE Standards v1.2, Security Profile - FAPI (https://openfinanceuae.atlassian.net/wiki/spaces/standardsv1dot2final/pages/277938258/Security+Profile+-+FAPI)';
const SINGPASS_DPOP =
  'Singpass Developer Docs, Demonstrating Proof of Possession (DPoP) (https://docs.developer.singpass.gov.sg/docs/technical-specifications/technical-concepts/demonstrating-proof-of-possession-dpop)';
const SINGPASS_ASSERTION =
  'Singpass Developer Docs, Generation Of Client Assertion (https://docs.developer.singpass.gov.sg/docs/technical-specifications/technical-concepts/generation-of-client-assertion)';
const SINGPASS_CHANGELOG =
  'Singpass Developer Docs, Changelog: Pushed Authorization Requests (https://docs.developer.singpass.gov.sg/docs/technical-specifications/changelog)';

const r = (
  eco: EcosystemName,
  topic: RuleTopic,
  rule: string,
  source: string,
  lab: Support,
  client: Support,
  gap?: string,
): EcosystemRule => ({ id: `${eco}.${topic}`, topic, rule, source, lab, client, ...(gap ? { gap } : {}) });

/** PAR, which every FAPI 2.0 ecosystem keeps from the Security Profile (the suite always pushes). */
const parRule = (eco: EcosystemName, extra = '') =>
  r(
    eco,
    'par',
    'pushed authorization requests only (FAPI 2.0)',
    `FAPI2-SP §5.3.2.2-2, -3; ${SUITE}/fapi2spfinal/FAPI2ProfileBehavior.java, initializeVariants() (isPar = true)${extra}`,
    'yes',
    'yes',
  );

// ── the presets ──────────────────────────────────────────────────────────────

const FAPI2: Ecosystem = {
  name: 'fapi2',
  title: 'FAPI 2.0 Security Profile (Final)',
  summary: 'plain FAPI 2.0: the lab defaults; every other preset adds its rules to these',
  settings: { par: 'required', algs: ['PS256', 'ES256', 'EdDSA'] },
  rules: [
    r('fapi2', 'par', 'pushed authorization requests only', 'FAPI2-SP §5.3.2.2-2, -3', 'yes', 'yes'),
    r(
      'fapi2',
      'sender',
      'sender-constrained access tokens: DPoP or mTLS',
      'FAPI2-SP §5.3.2.1-4',
      'yes',
      'yes',
    ),
    r(
      'fapi2',
      'authMethods',
      'private_key_jwt, tls_client_auth or self_signed_tls_client_auth',
      'FAPI2-SP §5.3.2.1-6',
      'yes',
      'yes',
    ),
    r('fapi2', 'algs', 'PS256, ES256 or EdDSA only', 'FAPI2-SP §5.4.1-1', 'yes', 'yes'),
  ],
  unknown: [],
};

const UAE_ECO: Ecosystem = {
  name: 'uae',
  title: 'UAE Open Finance (CBUAE)',
  summary:
    'the UAE Open Finance Security Profile (FAPI 2.0 with mTLS, JAR and RAR); OIDF suite profile cbuae',
  settings: {
    par: 'required',
    sender: 'mtls',
    authMethods: ['private_key_jwt'],
    algs: ['PS256'],
    rar: 'required',
    rarRegisteredTypes: true,
    jar: 'required',
    jarm: 'not-used',
    accessTokenLifetime: { max: 600 },
    mtlsEverywhere: true,
    openid: true,
    interactionIdAtRs: 'recommended',
  },
  rules: [
    parRule('uae', `; ${UAE} §2.1 (the provisions of FAPI2-SP §5.3.1 apply)`),
    r(
      'uae',
      'sender',
      'mTLS-bound access tokens only (RFC 8705)',
      `${UAE} §2.1 item 1; ${MS_PLAN} (cbuae)`,
      'yes',
      'yes',
    ),
    r('uae', 'authMethods', 'private_key_jwt only', `${UAE} §2.1 item 3; ${MS_PLAN} (cbuae)`, 'yes', 'yes'),
    r(
      'uae',
      'accessTokenLifetime',
      'access tokens live at most 10 minutes',
      `${UAE} §2.1 item 2`,
      'yes',
      'yes',
    ),
    r(
      'uae',
      'rar',
      'Rich Authorization Requests (RFC 9396) carry the consent',
      `${UAE} §2.1 item 5, §2.4; ${MS_PLAN} (cbuae: RAR required)`,
      'yes',
      'yes',
    ),
    r(
      'uae',
      'rarRegisteredTypes',
      'only authorization details types registered by the client (its authorization_details_types) are processed',
      `${UAE} §2.1 item 6`,
      'yes',
      'yes',
    ),
    r(
      'uae',
      'jarm',
      'response_mode query: no JARM',
      `${UAE} §2.1 item 7; ${MS_PLAN} (cbuae: JARM not used)`,
      'yes',
      'yes',
    ),
    r(
      'uae',
      'jar',
      'signed request objects (JAR, RFC 9101) at the PAR endpoint',
      `${UAE} §2.1 item 9; ${MS_PLAN} (cbuae: only signed requests)`,
      'yes',
      'yes',
    ),
    r(
      'uae',
      'algs',
      'PS256 for every JWS, by clients and by the authorization server',
      `${UAE} §2.3`,
      'no',
      'yes',
      "the lab signs ID tokens, access tokens and JARM responses with its ES256 key; clients' PS256 is enforced",
    ),
    r(
      'uae',
      'mtlsEverywhere',
      'mTLS on every AS and RS endpoint',
      `${UAE} §2.3; ${behavior('CbuaeProfileBehavior', 'requiresMtlsEverywhere()')}`,
      'yes',
      'yes',
    ),
    r(
      'uae',
      'openid',
      'OpenID Connect (scope openid)',
      `${MS_PLAN} (cbuae: OpenID must be selected)`,
      'yes',
      'yes',
    ),
    r(
      'uae',
      'interactionIdAtRs',
      'x-fapi-interaction-id (UUID v4) on API requests: recommended',
      'Nebras UAE Open Finance TPP Standards, Request Headers (https://nebras-website.pages.dev/tech/tpp-standards/security/request-headers)',
      'n/a',
      'yes',
    ),
  ],
  unknown: [
    'client registration through the trust framework (OIDC Federation): only draft pages of the Registration Framework were found',
    'request object exp/nbf limits: the v1.2 page is cut off in the stored copy after "Shall require the request object t…"',
  ],
};

const KSA: Ecosystem = {
  name: 'ksa',
  title: 'Saudi Arabia Open Banking (KSA)',
  summary: 'KSA Open Banking on FAPI 2.0 Message Signing, as the OIDF suite tests it (profile ksa)',
  settings: {
    par: 'required',
    sender: 'mtls',
    authMethods: ['private_key_jwt', 'tls_client_auth'],
    rar: 'not-used',
    jar: 'required',
    jarm: 'not-used',
    mtlsEverywhere: true,
    openid: true,
    requestObjectAlgs: ['PS256'],
    requestObjectLifetime: { maxExpAfterNbf: 600, maxNbfAge: 600 },
  },
  rules: [
    parRule('ksa'),
    r('ksa', 'sender', 'mTLS-bound access tokens only', `${MS_PLAN} (ksa)`, 'yes', 'yes'),
    r(
      'ksa',
      'authMethods',
      'private_key_jwt or tls_client_auth (the certification profile names the method)',
      `${MS_PLAN} (ksa: "FAPI2MS OP KSA w/" + client auth)`,
      'yes',
      'yes',
    ),
    r('ksa', 'jar', 'signed request objects at PAR', `${MS_PLAN} (ksa: only signed requests)`, 'yes', 'yes'),
    r(
      'ksa',
      'requestObjectLifetime',
      'request object exp at most 10 minutes after nbf; nbf at most 10 minutes old',
      `${testModule('FAPI2SPFinalKsaEnsureRequestObjectWithExpOver10Fails', 'KSA-OF-1')}; ${testModule('FAPI2SPFinalKsaEnsureRequestObjectWithNbfOver10Fails', 'KSA-OF-1')}`,
      'yes',
      'yes',
    ),
    r(
      'ksa',
      'requestObjectAlgs',
      'request_object_signing_alg_values_supported includes PS256',
      behavior(
        'KsaProfileBehavior',
        'DiscoveryEndpointChecks (CheckDiscEndpointRequestObjectSigningAlgValuesSupportedContainsPS256)',
      ),
      'yes',
      'n/a',
    ),
    r('ksa', 'rar', 'no RAR', `${MS_PLAN} (ksa: RAR is not supported)`, 'yes', 'yes'),
    r('ksa', 'jarm', 'no JARM', `${MS_PLAN} (ksa: JARM responses are not used)`, 'yes', 'yes'),
    r(
      'ksa',
      'mtlsEverywhere',
      'mTLS on every endpoint',
      behavior('KsaProfileBehavior', 'requiresMtlsEverywhere()'),
      'yes',
      'yes',
    ),
    r('ksa', 'openid', 'OpenID Connect', `${MS_PLAN} (ksa: OpenID must be selected)`, 'yes', 'yes'),
    r(
      'ksa',
      'authorizeParameters',
      'the authorization request after PAR carries only client_id and request_uri',
      behavior('KsaProfileBehavior', 'getBuildRequestObjectByReferenceRedirectCondition()'),
      'n/a',
      'yes',
    ),
    r(
      'ksa',
      'consent',
      'a signed-JWT consent is created before the authorization (pre-authorization steps)',
      behavior('KsaProfileBehavior', 'getPreAuthorizationSteps() (OpenBankingKSAPreAuthorizationSteps)'),
      'no',
      'no',
      'fapi has no KSA consent API',
    ),
  ],
  unknown: [
    'the published KSA Open Banking security standard itself (openfinance.sa) was not found in the sources',
  ],
};

const CHILE: Ecosystem = {
  name: 'chile',
  title: 'Chile Open Finance (SFA)',
  summary:
    'Chile Open Finance on FAPI 2.0 Message Signing, as the OIDF suite tests it (profile openbanking_chile)',
  settings: {
    par: 'required',
    sender: 'mtls',
    authMethods: ['tls_client_auth'],
    rar: 'required',
    jar: 'required',
    jarm: 'not-used',
  },
  rules: [
    parRule('chile'),
    r(
      'chile',
      'authMethods',
      'mTLS client authentication (tls_client_auth) only',
      `${MS_PLAN} (openbanking_chile: only MTLS client authentication)`,
      'yes',
      'yes',
    ),
    r('chile', 'sender', 'mTLS-bound access tokens only', `${MS_PLAN} (openbanking_chile)`, 'yes', 'yes'),
    r('chile', 'rar', 'RAR required', `${MS_PLAN} (openbanking_chile: RAR is required)`, 'yes', 'yes'),
    r(
      'chile',
      'jarm',
      'no JARM',
      `${MS_PLAN} (openbanking_chile: JARM responses are not used)`,
      'yes',
      'yes',
    ),
    r(
      'chile',
      'jar',
      'signed request objects at PAR',
      `${MS_PLAN} (openbanking_chile: only signed requests)`,
      'yes',
      'yes',
    ),
    r(
      'chile',
      'grantManagement',
      'Grant Management for OAuth 2.0 required',
      `${MS_PLAN} (openbanking_chile: Grant Management is required)`,
      'no',
      'no',
      'fapi implements no grant management (grant_id, grant_management_action, the grants endpoint)',
    ),
  ],
  unknown: [
    'mTLS on every endpoint: no Chile profile behaviour in the suite says so',
    'the go-live date ("julio de 2026") and the SFA standard itself',
  ],
};

const AU_CDR: Ecosystem = {
  name: 'au-cdr',
  title: 'Australia Consumer Data Right (FAPI 2.0 draft)',
  summary:
    'CDR as amended by Consultation Draft 210 (adoption of FAPI 2.0), as the OIDF suite tests it; production CDR is still FAPI 1.0',
  settings: {
    par: 'required',
    sender: 'mtls',
    authMethods: ['private_key_jwt'],
    rar: 'not-used',
    jar: 'required',
    jarm: 'required',
    mtlsEverywhere: true,
    openid: true,
    claimsParameter: true,
  },
  rules: [
    parRule('au-cdr'),
    r('au-cdr', 'authMethods', 'private_key_jwt only', `${MS_PLAN} (consumerdataright_au)`, 'yes', 'yes'),
    r('au-cdr', 'sender', 'mTLS-bound access tokens only', `${MS_PLAN} (consumerdataright_au)`, 'yes', 'yes'),
    r(
      'au-cdr',
      'jarm',
      'JARM responses required',
      `${MS_PLAN} (consumerdataright_au: JARM responses are required)`,
      'yes',
      'yes',
    ),
    r(
      'au-cdr',
      'jar',
      'signed request objects at PAR',
      `${MS_PLAN} (consumerdataright_au: only signed requests)`,
      'yes',
      'yes',
    ),
    r('au-cdr', 'rar', 'no RAR', `${MS_PLAN} (consumerdataright_au: RAR is not used)`, 'yes', 'yes'),
    r(
      'au-cdr',
      'openid',
      'OpenID Connect',
      `${MS_PLAN} (consumerdataright_au: OpenID must be selected)`,
      'yes',
      'yes',
    ),
    r(
      'au-cdr',
      'mtlsEverywhere',
      'mTLS on every endpoint',
      behavior('ConsumerDataRightAuProfileBehavior', 'requiresMtlsEverywhere() (Consultation Draft 210)'),
      'yes',
      'yes',
    ),
    r(
      'au-cdr',
      'claimsParameter',
      'the claims request parameter is supported',
      behavior(
        'ConsumerDataRightAuProfileBehavior',
        'DiscoveryEndpointChecks (CheckDiscEndpointClaimsParameterSupported; OIDCD-3, CID-IDA-5.1)',
      ),
      'yes',
      'n/a',
    ),
    r(
      'au-cdr',
      'resourceHeaders',
      'x-v, x-fapi-end-user-present and x-cds-client-headers on resource requests',
      behavior(
        'ConsumerDataRightAuProfileBehavior',
        'addResourceEndpointProfileHeaders() (CDR-http-headers)',
      ),
      'no',
      'no',
      'fapi call does not add the CDR headers (send them with -H); the lab RS does not require them',
    ),
  ],
  unknown: [
    'sharing_duration and cdr_arrangement_id handling (CDR-specific tests exist in the suite; not modelled)',
  ],
};

const CONNECTID: Ecosystem = {
  name: 'connectid',
  title: 'Australia ConnectID',
  summary: 'ConnectID on FAPI 2.0 Message Signing, as the OIDF suite tests it (profile connectid_au)',
  settings: {
    par: 'required',
    sender: 'mtls',
    authMethods: ['private_key_jwt'],
    jar: 'required',
    jarm: 'not-used',
    accessTokenLifetime: { max: 600 },
    mtlsEverywhere: true,
    openid: true,
    interactionIdAtAs: true,
    interactionIdAtRs: 'required',
    requestObjectLifetime: { maxExpAfterNbf: 600, maxNbfAge: 900 },
  },
  rules: [
    parRule('connectid'),
    r('connectid', 'authMethods', 'private_key_jwt only', `${MS_PLAN} (connectid_au)`, 'yes', 'yes'),
    r(
      'connectid',
      'sender',
      'mTLS-bound access tokens (DPoP is not used)',
      `${MS_PLAN} (connectid_au: DPoP sender constraining is not used)`,
      'yes',
      'yes',
    ),
    r('connectid', 'jarm', 'no JARM', `${MS_PLAN} (connectid_au: JARM responses are not used)`, 'yes', 'yes'),
    r(
      'connectid',
      'jar',
      'signed request objects at PAR',
      `${MS_PLAN} (connectid_au: only signed requests)`,
      'yes',
      'yes',
    ),
    r(
      'connectid',
      'requestObjectLifetime',
      'request object exp at most 10 minutes after nbf; nbf at most 15 minutes old',
      `${testModule('FAPI2SPFinalAustraliaConnectIdRequestObjectWithExpOver10Fails', 'CID-SP-4.2-10')}; ${testModule('FAPI2SPFinalAustraliaConnectIdEnsureRequestObjectWithNbfOver15Fails', 'CID-SP-4.2-11')}`,
      'yes',
      'yes',
    ),
    r(
      'connectid',
      'accessTokenLifetime',
      'access tokens live at most 600 seconds (expires_in)',
      condition('AustraliaConnectIdValidateAccessTokenExpiresIn', 'CID-SP-4.2-2'),
      'yes',
      'yes',
    ),
    r(
      'connectid',
      'mtlsEverywhere',
      'mTLS on every endpoint',
      behavior('ConnectIdAuProfileBehavior', 'requiresMtlsEverywhere()'),
      'yes',
      'yes',
    ),
    r(
      'connectid',
      'openid',
      'OpenID Connect',
      `${MS_PLAN} (connectid_au: OpenID must be selected)`,
      'yes',
      'yes',
    ),
    r(
      'connectid',
      'interactionIdAtAs',
      'x-fapi-interaction-id on PAR and token requests, echoed in the responses',
      behavior(
        'ConnectIdAuProfileBehavior',
        'addParEndpointProfileHeaders(), addTokenEndpointProfileHeaders() (CID-SP-4.2-12)',
      ),
      'yes',
      'yes',
    ),
    r(
      'connectid',
      'interactionIdAtRs',
      'x-fapi-interaction-id on every resource request, echoed',
      behavior(
        'ConnectIdAuProfileBehavior',
        'addResourceEndpointProfileHeaders() (CID-SP-4.2-12: mandatory)',
      ),
      'yes',
      'yes',
    ),
    r(
      'connectid',
      'purpose',
      'a purpose parameter in the authorization request',
      behavior(
        'ConnectIdAuProfileBehavior',
        'customizeAuthorizationRequest() (CID-PURPOSE-4, CID-IDA-5.2-10)',
      ),
      'no',
      'no',
      'fapi login has no --purpose',
    ),
  ],
  unknown: [
    'client registration from the ConnectID participant directory (only research notes; not confirmed)',
  ],
};

const BRAZIL: Ecosystem = {
  name: 'brazil',
  title: 'Brazil Open Finance',
  summary:
    'Brazil Open Finance on FAPI 2.0, as the OIDF suite tests it (profile openbanking_brazil); production Brazil is still on FAPI 1.0 Advanced',
  settings: {
    par: 'required',
    algs: ['PS256'],
    idTokenAlgs: ['PS256'],
    accessTokenLifetime: { min: 300, max: 900 },
    mtlsEverywhere: true,
  },
  rules: [
    parRule('brazil'),
    r(
      'brazil',
      'mtlsEverywhere',
      'mTLS on every endpoint',
      behavior('OpenBankingBrazilProfileBehavior', 'requiresMtlsEverywhere()'),
      'yes',
      'yes',
    ),
    r(
      'brazil',
      'algs',
      'client keys PS256 only',
      `${SUITE}/condition/common/FAPIBrazilCheckKeyAlgInClientJWKs.java (BrazilOB-6.1)`,
      'yes',
      'yes',
    ),
    r(
      'brazil',
      'idTokenAlgs',
      'ID tokens signed with PS256',
      condition('FAPIBrazilValidateIdTokenSigningAlg', 'BrazilOB-6.1'),
      'no',
      'n/a',
      'the lab signs ID tokens with its ES256 key',
    ),
    r(
      'brazil',
      'accessTokenLifetime',
      'access tokens live 300 to 900 seconds (expires_in)',
      condition('FAPIBrazilValidateExpiresIn', 'BrazilOB-5.2.2-12'),
      'yes',
      'yes',
    ),
    r(
      'brazil',
      'registration',
      'dynamic registration with a signed software statement, over mTLS',
      `${testModule('FAPI2SPFinalBrazilDCRNoSoftwareStatement', 'DCR without software statement fails')}; ${testModule('FAPI2SPFinalBrazilDCRNoMTLS', 'DCR without mTLS fails')}`,
      'no',
      'no',
      'the lab does not verify software statements from a directory; fapi register sends one only with --software-statement',
    ),
    r(
      'brazil',
      'paymentSignature',
      'payment requests are signed JWTs (application/jwt)',
      behavior(
        'OpenBankingBrazilProfileBehavior',
        'setupResourceEndpointRequestBody() (FAPIBrazilSignPaymentInitiationRequest)',
      ),
      'no',
      'no',
      'fapi call sends JSON; the lab RS takes JSON payments',
    ),
  ],
  unknown: [
    'the sender constraint and client authentication: the suite does not restrict them for Brazil',
    'request object encryption: only when PAR is not used (shouldEncryptRequestObject(!isPar)), which FAPI 2.0 never does',
  ],
};

const SINGPASS: Ecosystem = {
  name: 'singpass',
  title: 'Singpass (Singapore government login)',
  summary: "Singpass's FAPI 2.0 authentication API: DPoP-bound, PAR, private_key_jwt with EC keys",
  settings: {
    par: 'required',
    sender: 'dpop',
    authMethods: ['private_key_jwt'],
    algs: ['ES256'],
    openid: true,
  },
  rules: [
    r('singpass', 'par', 'pushed authorization requests required', SINGPASS_CHANGELOG, 'yes', 'yes'),
    r(
      'singpass',
      'sender',
      'DPoP proofs at PAR, token and userinfo; tokens are DPoP-bound',
      `${SINGPASS_DPOP}: When is DPoP Required?`,
      'yes',
      'yes',
    ),
    r(
      'singpass',
      'authMethods',
      'private_key_jwt, client assertions at PAR and token',
      SINGPASS_ASSERTION,
      'yes',
      'yes',
    ),
    r(
      'singpass',
      'algs',
      'client assertions signed ES256 (Singpass also takes ES384 and ES512, which FAPI 2.0 does not list)',
      `${SINGPASS_ASSERTION}: JWT Header, alg; FAPI2-SP §5.4.1-1`,
      'yes',
      'yes',
    ),
    r('singpass', 'openid', 'OpenID Connect (scope openid)', SINGPASS_CHANGELOG, 'yes', 'yes'),
    r(
      'singpass',
      'ephemeralDpopKey',
      'a new DPoP key pair for each authentication, used for its PAR, token and userinfo requests',
      `${SINGPASS_DPOP}: Key Requirements`,
      'n/a',
      'yes',
    ),
  ],
  unknown: ['CIBA (poll mode), which Singpass also offers, is not a FAPI 2.0 flow fapi models'],
};

export const ECOSYSTEMS: Readonly<Record<EcosystemName, Ecosystem>> = {
  fapi2: FAPI2,
  uae: UAE_ECO,
  ksa: KSA,
  chile: CHILE,
  'au-cdr': AU_CDR,
  connectid: CONNECTID,
  brazil: BRAZIL,
  singpass: SINGPASS,
};

export function isEcosystemName(v: unknown): v is EcosystemName {
  return typeof v === 'string' && (ECOSYSTEM_NAMES as readonly string[]).includes(v);
}

export function ecosystem(name: EcosystemName): Ecosystem {
  return ECOSYSTEMS[name];
}

/** The rules fapi does not honour (lab or client `no`): never claimed. */
export function unsupportedRules(eco: Ecosystem, where: 'lab' | 'client'): EcosystemRule[] {
  return eco.rules.filter((x) => x[where] === 'no');
}

/** The rule of a topic (the first), for citing it. */
export function ruleOf(eco: Ecosystem, topic: RuleTopic): EcosystemRule | undefined {
  return eco.rules.find((x) => x.topic === topic);
}

// ── the lint: what the metadata shows about an ecosystem's rules ─────────────

const RESPONSE_JWT_MODES = ['jwt', 'query.jwt'];

/**
 * The ecosystem's rules checked against published metadata (`fapi discover --ecosystem`): one
 * finding per broken rule, naming the field, the rule's id and its source. Rules metadata cannot
 * show (lifetimes, headers, behaviour) are not findings; `fapi ecosystems` lists them.
 */
export function lintEcosystem(eco: Ecosystem, m: AuthorizationServerMetadata): LintFinding[] {
  const out: LintFinding[] = [];
  const s = eco.settings;
  const add = (
    topic: RuleTopic,
    field: string,
    message: string,
    severity: LintFinding['severity'] = 'error',
  ) => {
    const rule = ruleOf(eco, topic);
    if (!rule) return;
    out.push({ severity, field, message, id: rule.id, spec: rule.source });
  };
  const strings = (field: string): string[] | undefined => {
    const v = (m as Record<string, unknown>)[field];
    return isStringArray(v) ? v : undefined;
  };

  if (s.sender === 'mtls') {
    if (m.tls_client_certificate_bound_access_tokens !== true)
      add(
        'sender',
        'tls_client_certificate_bound_access_tokens',
        'is not true: this ecosystem binds tokens to the client certificate (RFC 8705 §3.3)',
      );
    if (strings('dpop_signing_alg_values_supported')?.length)
      add(
        'sender',
        'dpop_signing_alg_values_supported',
        'is advertised: this ecosystem uses mTLS-bound tokens only, never DPoP',
        'warning',
      );
  }
  if (s.sender === 'dpop') {
    if (!strings('dpop_signing_alg_values_supported')?.length)
      add(
        'sender',
        'dpop_signing_alg_values_supported',
        'is missing: this ecosystem requires DPoP (RFC 9449 §5.1)',
      );
  }
  if (s.authMethods) {
    const methods = strings('token_endpoint_auth_methods_supported') ?? [];
    const missing = s.authMethods.filter((a) => !methods.includes(a));
    const extra = methods.filter((a) => !(s.authMethods as readonly string[]).includes(a));
    if (missing.length === s.authMethods.length)
      add(
        'authMethods',
        'token_endpoint_auth_methods_supported',
        `offers none of ${s.authMethods.join(', ')}`,
      );
    else if (extra.length)
      add(
        'authMethods',
        'token_endpoint_auth_methods_supported',
        `also offers ${extra.join(', ')}: this ecosystem allows only ${s.authMethods.join(', ')}`,
        'warning',
      );
  }
  if (s.algs) {
    for (const field of [
      'token_endpoint_auth_signing_alg_values_supported',
      ...(s.sender !== 'mtls' ? ['dpop_signing_alg_values_supported'] : []),
    ]) {
      const algs = strings(field);
      if (!algs) continue;
      if (!s.algs.some((a) => algs.includes(a))) add('algs', field, `offers none of ${s.algs.join(', ')}`);
      else if (algs.some((a) => !(s.algs as readonly string[]).includes(a)))
        add(
          'algs',
          field,
          `also offers ${algs.filter((a) => !(s.algs as readonly string[]).includes(a)).join(', ')}: this ecosystem uses ${s.algs.join(', ')} only`,
          'warning',
        );
    }
  }
  if (s.idTokenAlgs) {
    const algs = strings('id_token_signing_alg_values_supported');
    if (algs && !s.idTokenAlgs.some((a) => algs.includes(a)))
      add(
        'idTokenAlgs',
        'id_token_signing_alg_values_supported',
        `does not include ${s.idTokenAlgs.join(', ')}`,
      );
  }
  if (s.par === 'required' && m.require_pushed_authorization_requests !== true)
    add(
      'par',
      'require_pushed_authorization_requests',
      'is not true: this ecosystem requires PAR (RFC 9126 §5)',
    );
  if (s.rar === 'required') {
    const types = strings('authorization_details_types_supported');
    if (!types?.length)
      add(
        'rar',
        'authorization_details_types_supported',
        'is missing: this ecosystem conveys consent as RFC 9396 authorization details (RFC 9396 §10)',
      );
  }
  if (s.jar === 'required' && m.require_signed_request_object !== true)
    add(
      'jar',
      'require_signed_request_object',
      'is not true: this ecosystem requires signed request objects at PAR (RFC 9101 §10.5)',
    );
  if (s.requestObjectAlgs) {
    const algs = strings('request_object_signing_alg_values_supported') ?? [];
    if (!s.requestObjectAlgs.some((a) => algs.includes(a)))
      add(
        'requestObjectAlgs',
        'request_object_signing_alg_values_supported',
        `does not include ${s.requestObjectAlgs.join(', ')}`,
      );
  }
  const modes = strings('response_modes_supported') ?? [];
  if (s.jarm === 'required' && !RESPONSE_JWT_MODES.some((x) => modes.includes(x)))
    add(
      'jarm',
      'response_modes_supported',
      'does not include jwt: this ecosystem requires JARM (FAPI2-MS §5.4)',
    );
  if (s.jarm === 'not-used' && RESPONSE_JWT_MODES.some((x) => modes.includes(x)))
    add(
      'jarm',
      'response_modes_supported',
      'includes jwt: this ecosystem returns the authorization response in the query, without JARM',
      'info',
    );
  if (s.mtlsEverywhere) {
    const aliases = (m as Record<string, unknown>).mtls_endpoint_aliases;
    if (aliases && typeof aliases === 'object' && Object.keys(aliases).length)
      add(
        'mtlsEverywhere',
        'mtls_endpoint_aliases',
        'is published: with mTLS on every endpoint the endpoints themselves require the certificate, and clients use them, not aliases (FAPI2-MS "MTLS Protection of all endpoints")',
        'warning',
      );
  }
  if (s.claimsParameter && m.claims_parameter_supported !== true)
    add(
      'claimsParameter',
      'claims_parameter_supported',
      'is not true: this ecosystem requires the claims parameter',
    );
  if (s.openid) {
    const scopes = strings('scopes_supported');
    if (scopes && !scopes.includes('openid'))
      add('openid', 'scopes_supported', 'does not include openid: this ecosystem uses OpenID Connect');
  }
  return out;
}

/** What `fapi ecosystems --json` and the lab status show of a preset. */
export function describeEcosystem(eco: Ecosystem) {
  return {
    name: eco.name,
    title: eco.title,
    summary: eco.summary,
    settings: eco.settings,
    rules: eco.rules,
    not_supported: eco.rules.filter((x) => x.lab === 'no' || x.client === 'no').map((x) => x.id),
    unknown: eco.unknown,
  };
}
