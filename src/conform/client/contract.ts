/**
 * The contract between `fapi conform client` and the client under test: the environment the
 * command runs with (README "Test your own client"). Every variable is set for every module;
 * the command finds the lab, the CA to trust, what to call, and how to log in there.
 */
import type { ClientAuthMethod, SenderConstraint } from '../../core/fapi.js';

export interface ContractInput {
  issuer: string;
  caFile: string;
  resource: string;
  scope: string;
  /** A command line that completes the lab's auto-approved login when given the authorization URL. */
  browser: string;
  auth: ClientAuthMethod;
  sender: SenderConstraint;
  /** A client registered beforehand from `--client-metadata`. */
  clientId?: string;
  /** PEM files of a client certificate (mTLS variants) and its private key. */
  clientCert?: string;
  clientKey?: string;
  jarm: boolean;
  /** The client introspects its access token and verifies a signed answer (MS-11). */
  introspection?: boolean;
}

/** The variables of the contract, without FAPI_CONFORM_MODULE (set per module by the runner). */
export function contractEnv(c: ContractInput): Record<string, string> {
  return {
    FAPI_ISSUER: c.issuer,
    FAPI_CA_FILE: c.caFile,
    // Node clients trust the lab CA without code (the built-in roots stay trusted).
    NODE_EXTRA_CA_CERTS: c.caFile,
    FAPI_RESOURCE: c.resource,
    FAPI_SCOPE: c.scope,
    BROWSER: c.browser,
    FAPI_AUTH: c.auth,
    FAPI_SENDER: c.sender,
    ...(c.clientId ? { FAPI_CLIENT_ID: c.clientId } : {}),
    ...(c.clientCert ? { FAPI_CLIENT_CERT: c.clientCert } : {}),
    ...(c.clientKey ? { FAPI_CLIENT_KEY: c.clientKey } : {}),
    ...(c.jarm ? { FAPI_RESPONSE_MODE: 'jwt' } : {}),
    ...(c.introspection ? { FAPI_INTROSPECT: '1' } : {}),
  };
}

/** The contract's variables, for `--list` and the README. */
export const CONTRACT_VARIABLES: readonly [string, string][] = [
  ['FAPI_ISSUER', "the lab's issuer: discover its metadata there (RFC 8414 / OpenID Discovery)"],
  ['FAPI_CA_FILE', 'the lab CA (PEM) to trust; NODE_EXTRA_CA_CERTS is set to it too'],
  ['FAPI_RESOURCE', 'a protected resource of the lab RS to call with the access token (GET)'],
  ['FAPI_SCOPE', 'the scope to ask for (includes openid)'],
  ['BROWSER', "a command that completes the lab's auto-approved login when given the authorization URL"],
  ['FAPI_CONFORM_MODULE', "the module's ID, for the client's logs"],
  ['FAPI_AUTH', 'the client authentication to register and use (--auth)'],
  ['FAPI_SENDER', 'dpop or mtls: how access tokens are bound (--sender)'],
  ['FAPI_CLIENT_ID', 'the client registered from --client-metadata (then do not register)'],
  ['FAPI_CLIENT_CERT', 'with mTLS: a client certificate (PEM) issued for this run'],
  ['FAPI_CLIENT_KEY', 'its private key (PEM)'],
  ['FAPI_RESPONSE_MODE', 'with --jarm: jwt, ask for a signed (JARM) authorization response'],
  [
    'FAPI_INTROSPECT',
    'with --introspection: 1, introspect the access token asking for a signed answer (Accept: application/token-introspection+jwt, RFC 9701) and verify it before calling FAPI_RESOURCE',
  ],
];
