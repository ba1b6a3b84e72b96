/**
 * `fapi call URL`: a curl-like protected-resource request with the saved token (CL-16): DPoP with
 * a fresh proof (ath, the RS nonce, retried once) or Bearer over the client certificate. An
 * expired token is refreshed first; a token the RS rejects is refreshed once and the call retried.
 * Kept light for start-up time: no listr2, no inquirer, no jose.
 */
import { STATUS_CODES } from 'node:http';
import type { Exchange } from '../../core/client.js';
import { findChallenge, parseWwwAuthenticate } from '../../core/www-authenticate.js';
import { callResource, isTokenRejected, resourceError, schemeFor } from '../../core/resource.js';
import { stateError, usageError } from '../../errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { narrateExchange, short } from '../narrate.js';
import { parseSizeOption } from '../options.js';
import { readAtArgument } from '../at-file.js';
import { loadClientProfile, loadTokensOrFail, openSession, refreshAndSave } from '../session.js';

/** Seconds before expiry at which a token counts as expired (a call takes time to arrive). */
const EXPIRY_MARGIN_S = 5;

export function parseHeader(h: string): [string, string] {
  const i = h.indexOf(':');
  const name = i > 0 ? h.slice(0, i).trim() : '';
  if (!name || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name))
    throw usageError('E_BAD_HEADER', `-H ${JSON.stringify(h)} is not a header.`, "Use -H 'Name: value'.");
  return [name, h.slice(i + 1).trim()];
}

function looksLikeJson(s: string): boolean {
  const t = s.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

export interface CallOptions extends GlobalOptions {
  /** -X: the HTTP method. */
  request?: string;
  /** -H 'Name: value', repeatable. */
  header?: string[];
  /** -d: the body, @FILE or @- for stdin. */
  data?: string;
  include?: boolean;
  fail?: boolean;
  dpop?: boolean;
  mtls?: boolean;
  syncClock?: boolean;
  /** --max-size: the largest response body read (bytes, K, M, G). */
  maxSize?: string;
}

export async function run(ctx: CliContext, opts: CallOptions, args: string[]): Promise<void> {
  const url = args[0] as string;
  try {
    new URL(url);
  } catch {
    throw usageError(
      'E_BAD_URL',
      `${JSON.stringify(url)} is not a URL.`,
      'Pass the full https URL of the resource.',
    );
  }
  if (opts.dpop && opts.mtls)
    throw usageError(
      'E_USAGE',
      'Pass --dpop or --mtls, not both.',
      'Without either, the token type decides.',
    );
  const maxResponseBytes = parseSizeOption(opts.maxSize, '--max-size');
  const profile = await loadClientProfile(ctx);
  let tokens = await loadTokensOrFail(ctx, profile);
  const scheme = opts.dpop ? 'DPoP' : opts.mtls ? 'Bearer' : schemeFor(tokens.token_type);
  const s = await openSession(ctx, {
    discover: false,
    sender: scheme === 'DPoP' ? 'dpop' : 'mtls',
    syncClock: opts.syncClock !== false,
  });
  if (scheme === 'DPoP' && tokens.cnf?.jkt && tokens.cnf.jkt !== s.client.dpopJkt)
    ctx.out.warn(
      `the saved token is bound to DPoP key ${short(tokens.cnf.jkt)}, but the profile's DPoP key is ${short(s.client.dpopJkt ?? '')}; the server will refuse it. Run \`fapi login\` again.`,
    );

  const headers: Record<string, string> = {};
  for (const h of opts.header ?? []) {
    const [k, v] = parseHeader(h);
    headers[k.toLowerCase()] = v;
  }
  let body: string | undefined;
  if (opts.data !== undefined) {
    body = await readAtArgument(opts.data, { flag: '--data', code: 'E_DATA_FILE', stdin: process.stdin });
    // curl sends form data by default; JSON is the common case for APIs, so it is detected.
    headers['content-type'] ??= looksLikeJson(body)
      ? 'application/json'
      : 'application/x-www-form-urlencoded';
  }
  headers.accept ??= 'application/json';
  const method = (opts.request ?? (body !== undefined ? 'POST' : 'GET')).toUpperCase();
  const narrate = Boolean(opts.include) || ctx.verbose;

  let refreshed = false;
  const refresh = async (why: string) => {
    note(ctx, narrate, `${why} → refreshing it`);
    const r = await refreshAndSave(ctx, s, tokens);
    tokens = r.stored;
    refreshed = true;
    note(
      ctx,
      narrate,
      `new access token (${r.tokens.token_type}${r.rotated ? ', refresh token rotated' : ''})`,
    );
  };
  const now = Math.floor(Date.now() / 1000);
  if (tokens.expires_at !== undefined && tokens.expires_at <= now + EXPIRY_MARGIN_S) {
    if (tokens.refresh_token) await refresh('the access token has expired');
    else
      throw stateError(
        'E_TOKEN_EXPIRED',
        `The access token of profile "${profile.name}" expired at ${new Date(tokens.expires_at * 1000).toISOString()} and there is no refresh token.`,
        'Log in again with `fapi login` (or `fapi token client-credentials`).',
      );
  }
  const send = () =>
    callResource(s.client, {
      method,
      url,
      headers,
      body,
      accessToken: tokens.access_token,
      scheme,
      ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}),
    });
  let ex = await send();
  narrateCall(ctx, narrate, ex, scheme);
  if (isTokenRejected(ex.response) && !refreshed && tokens.refresh_token) {
    await refresh('the server rejected the access token (invalid_token)');
    ex = await send();
    narrateCall(ctx, narrate, ex, scheme);
  }
  await s.persistNonces();
  printResponse(ctx, ex, Boolean(opts.include));
  if (opts.fail && ex.response.status >= 400) throw resourceError(ex, s.client);
}

function note(ctx: CliContext, narrate: boolean, s: string): void {
  if (narrate) ctx.out.info(`  ${ctx.out.errC.yellow('↻')} ${s}`);
}

function narrateCall(ctx: CliContext, narrate: boolean, ex: Exchange, scheme: 'DPoP' | 'Bearer'): void {
  if (!narrate) return;
  narrateExchange(ctx, ex);
  const c = ctx.out.errC;
  for (const a of ex.attempts) {
    const u = new URL(a.request.url);
    const proof = a.dpopProof
      ? `  DPoP: proof(htm ${String(a.dpopProof.claims.htm)}, htu …${u.pathname}${a.dpopProof.claims.ath ? ', ath ok' : ''}${a.dpopProof.claims.nonce ? ', nonce' : ''})`
      : '  (client certificate)';
    ctx.out.info(
      `  ${c.cyan('→')} ${a.request.method} ${u.pathname}${u.search}  Authorization: ${scheme} «token»${proof}`,
    );
    const r = a.response;
    const www = r.header('www-authenticate');
    const retrying = ex.attempts.indexOf(a) < ex.attempts.length - 1;
    const id = r.header('x-fapi-interaction-id');
    ctx.out.info(
      `  ${c.cyan('←')} ${r.status} ${STATUS_CODES[r.status] ?? ''}${www ? `  WWW-Authenticate: ${www}` : ''}${id ? `  (x-fapi-interaction-id ${short(id, 4, 0)})` : ''}${
        retrying
          ? `  → retrying ${ex.attempts[ex.attempts.indexOf(a) + 1]?.retry === 'clock_skew' ? "with the server's time" : "with the server's nonce"}`
          : ''
      }`,
    );
    const dpop = findChallenge(parseWwwAuthenticate(r.headers['www-authenticate']), 'DPoP');
    if (!retrying && dpop?.params.error === 'use_dpop_nonce')
      ctx.out.info(`    the server asked for a nonce again after the retry; giving up (RFC 9449 §9)`);
  }
}

function printResponse(ctx: CliContext, ex: Exchange, include: boolean): void {
  const r = ex.response;
  const ct = (r.header('content-type') ?? '').toLowerCase();
  const isJson = ct.includes('json');
  if (ctx.json) {
    let parsed: unknown = r.text();
    if (isJson) {
      try {
        parsed = JSON.parse(r.text());
      } catch {
        // keep the text
      }
    }
    ctx.out.result({ status: r.status, headers: r.headers, body: parsed }, () => '');
    return;
  }
  if (include) {
    const lines = [`HTTP ${r.status} ${STATUS_CODES[r.status] ?? ''}`.trimEnd()];
    for (const [k, v] of Object.entries(r.headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
    }
    ctx.out.raw(lines.join('\n') + '\n\n');
  }
  if (isJson && ctx.out.isStdoutTTY) {
    try {
      ctx.out.raw(JSON.stringify(JSON.parse(r.text()), null, 2) + '\n');
      return;
    } catch {
      // not JSON after all: print as is
    }
  }
  // The bytes as received (binary bodies too); a TTY gets a final newline.
  (ctx.out.stdout as unknown as NodeJS.WritableStream).write(r.body);
  if (ctx.out.isStdoutTTY && r.body.length > 0 && r.body[r.body.length - 1] !== 0x0a) ctx.out.raw('\n');
}
