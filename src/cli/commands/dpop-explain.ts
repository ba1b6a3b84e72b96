/**
 * `fapi dpop explain PROOF --method M --url U [--token AT] [--nonce N]`: would a resource server
 * accept this DPoP proof for this request, and if not, why (RFC 9449 §4.3, §7.1; DP-01..16)? The
 * proof goes through fapi's one DPoP verifier (the lab's own); each check is reported, with the
 * likely cause of a mismatch (for example a proxy that rewrote the URL). Exit 0 when acceptable,
 * 6 when not, 2 for bad usage.
 */
import { explainDpopProof, type DpopCheckResult } from '../../core/dpop-explain.js';
import { conformanceError, usageError } from '../../errors.js';
import type { CliContext, GlobalOptions } from '../context.js';

export interface DpopExplainOptions extends GlobalOptions {
  /** Required by commander (requiredOption). */
  method: string;
  url: string;
  token?: string;
  nonce?: string;
}

export async function run(ctx: CliContext, opts: DpopExplainOptions, [proof]: string[]): Promise<void> {
  if (!/^[A-Za-z]+$/.test(opts.method))
    throw usageError(
      'E_BAD_HTM',
      `--method ${JSON.stringify(opts.method)} is not an HTTP method.`,
      'Pass GET, POST, …',
    );
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw usageError(
      'E_BAD_HTU',
      `--url ${JSON.stringify(opts.url)} is not a URL.`,
      'Pass the full URL of the request, as the resource server sees it.',
    );
  }
  if (!proof || proof.trim() === '')
    throw usageError(
      'E_DPOP_PROOF',
      'Give the DPoP proof (the DPoP header value) to explain.',
      'fapi dpop explain "$PROOF" --method GET --url https://rs.example/accounts',
    );
  const e = explainDpopProof({
    proof,
    method: opts.method,
    url: url.href,
    ...(opts.token !== undefined ? { accessToken: opts.token } : {}),
    ...(opts.nonce !== undefined ? { nonce: opts.nonce } : {}),
  });
  ctx.out.result(e, () => {
    const c = ctx.out.c;
    const mark = (s: DpopCheckResult['status']) =>
      s === 'passed'
        ? c.green('✔')
        : s === 'failed'
          ? c.red('✖')
          : s === 'not checked'
            ? c.yellow('·')
            : c.dim('-');
    const claims = e.claims ?? {};
    const lines = [
      e.header
        ? `DPoP proof  alg ${String(e.header.alg)}  htm ${String(claims.htm)}  htu ${String(claims.htu)}  iat ${typeof claims.iat === 'number' ? new Date(claims.iat * 1000).toISOString() : String(claims.iat)}${claims.nonce !== undefined ? `  nonce ${String(claims.nonce)}` : ''}${claims.ath !== undefined ? '  ath' : ''}`
        : 'DPoP proof  (not a JWS)',
      `for ${opts.method.toUpperCase()} ${url.href}${opts.token ? ' with the access token' : ''}`,
      '',
    ];
    for (const k of e.checks) {
      lines.push(
        `  ${mark(k.status)} ${k.id}  ${k.rule}  ${c.dim(k.spec)}${k.status === 'not reached' ? c.dim('  (not reached)') : ''}`,
      );
      if (k.why) lines.push(`          ${k.status === 'failed' ? k.why : c.dim(`not checked: ${k.why}`)}`);
    }
    lines.push(
      '',
      e.failed
        ? `${c.red('✖')} a resource server would refuse it: ${e.failed.id} (${e.failed.error})`
        : `${c.green('✔')} a resource server would accept it for this request`,
    );
    return lines;
  });
  if (e.failed)
    throw conformanceError(
      'E_DPOP_NOT_ACCEPTABLE',
      `The DPoP proof would be refused: ${e.failed.id} (${e.failed.error}): ${e.failed.why}.`,
      'Each check is listed above with its RFC 9449 section.',
      { check: e.failed.id, error: e.failed.error },
    );
}
