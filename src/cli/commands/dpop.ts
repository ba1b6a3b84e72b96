/**
 * `fapi dpop`: a DPoP proof (RFC 9449 §4) signed with the profile's DPoP key, for hand-made
 * requests with curl or Postman. `ath` binds it to an access token (§4.2, resource requests only).
 */
import { createDpopProof } from '../../core/dpop.js';
import { jwkThumbprint } from '../../core/jwk.js';
import { stateError, usageError } from '../../errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { decodeJwt } from '../narrate.js';

export interface DpopOptions extends GlobalOptions {
  /** Required: checked here, as commander words it (program.ts cannot mark them required). */
  htm?: string;
  htu?: string;
  athToken?: string;
  forCurrentToken?: boolean;
  nonce?: string;
}

/** A missing required option, worded and coded as commander's own usage errors (src/cli/main.ts). */
function required(value: string | undefined, flag: string): string {
  if (value === undefined)
    throw usageError('E_USAGE', `required option '${flag}' not specified`, 'see `fapi dpop --help`.');
  return value;
}

export async function run(ctx: CliContext, opts: DpopOptions): Promise<void> {
  const htm = required(opts.htm, '--htm <method>');
  const htu = required(opts.htu, '--htu <url>');
  if (!/^[A-Za-z]+$/.test(htm))
    throw usageError('E_BAD_HTM', `--htm ${JSON.stringify(htm)} is not an HTTP method.`, 'Pass GET, POST, …');
  try {
    new URL(htu);
  } catch {
    throw usageError(
      'E_BAD_HTU',
      `--htu ${JSON.stringify(htu)} is not a URL.`,
      'Pass the full URL of the request.',
    );
  }
  if (opts.athToken && opts.forCurrentToken)
    throw usageError('E_USAGE', 'Pass --ath-token or --for-current-token, not both.', 'Both set ath.');
  const profile = await ctx.store.load(ctx.profileName);
  const { loadProfileKey } = await import('../../store/profile-keys.js');
  const key = await loadProfileKey(ctx.store, profile, 'dpop');
  let accessToken = opts.athToken;
  if (opts.forCurrentToken) {
    const t = await ctx.store.loadTokens(profile.name);
    if (!t)
      throw stateError(
        'E_NO_TOKENS',
        `Profile "${profile.name}" has no saved token.`,
        'Log in with `fapi login`, or pass --ath-token.',
      );
    if (t.cnf?.jkt && t.cnf.jkt !== key.thumbprint)
      ctx.out.warn(
        `the saved token is bound to another DPoP key (${t.cnf.jkt}); a server will refuse this proof for it`,
      );
    accessToken = t.access_token;
  }
  const proof = createDpopProof(
    { privateKey: key.privateKey, publicJwk: key.publicJwk, alg: key.alg },
    { htm, htu, nonce: opts.nonce, accessToken },
  );
  const decoded = decodeJwt(proof);
  ctx.out.verbose(
    `  DPoP proof header ${JSON.stringify(decoded?.header)}\n      claims ${JSON.stringify(decoded?.claims)}`,
  );
  ctx.out.result(
    { proof, jkt: jwkThumbprint(key.publicJwk), header: decoded?.header, claims: decoded?.claims },
    () => proof,
  );
}
