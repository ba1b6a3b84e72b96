/**
 * `fapi lab open URL`: a non-interactive browser for the lab, for scripts and CI
 * (`BROWSER="fapi lab open" fapi login`). It follows an authorization URL of a lab started with
 * --auto-approve, trusting the lab CA of this home, until the redirect leaves the lab: the client's
 * loopback redirect URI, which it then loads once, as a browser would.
 */
import { networkError, serverError, stateError, usageError } from '../../../errors.js';
import { browserGet, type CookieJar } from '../../../http/browser-get.js';
import { createHttpClient } from '../../../http/client.js';
import { labHome, labPaths } from '../../../../lab/home.js';
import { readCaFile, type CliContext } from '../../context.js';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

export async function run(ctx: CliContext, _opts: object, args: string[]): Promise<void> {
  let start: URL;
  try {
    start = new URL(args[0] ?? '');
  } catch {
    throw usageError(
      'E_BAD_URL',
      `"${args[0] ?? ''}" is not a URL.`,
      'Pass the authorization URL that `fapi login` opens.',
    );
  }
  if (start.protocol !== 'https:')
    throw usageError('E_BAD_URL', `${start.href} is not an https URL.`, 'Pass the lab authorization URL.');
  const ca = ctx.caFile
    ? readCaFile(ctx.caFile, '--ca')
    : readCaFile(
        labPaths(labHome(ctx.home)).caCert,
        'the lab CA of this home',
        'Start the lab with the same --home, or pass --ca.',
      );
  const http = createHttpClient({ ca: [ca], trace: ctx.out.trace, allowHttpLoopback: true });
  const cookies: CookieJar = new Map();
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const res = await browserGet(http, url.href, cookies);
    const location = res.header('location');
    if (url.origin !== start.origin && LOOPBACK.has(url.hostname)) {
      // The client's redirect URI answered: done.
      ctx.out.result(
        { redirected_to: url.origin + url.pathname, status: res.status },
        () => `delivered the authorization response to ${url.origin}${url.pathname} (HTTP ${res.status})`,
      );
      return;
    }
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url);
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
        throw networkError(
          'E_REDIRECT',
          `The lab redirected to ${url.origin}, which is neither the lab nor a loopback redirect URI.`,
          'Check the client registration.',
        );
      }
      continue;
    }
    if (res.status === 200 && /<form/i.test(res.text())) {
      throw stateError(
        'E_LAB_NOT_AUTO',
        'The lab shows its login and consent page: this lab was not started with --auto-approve.',
        'Open the URL in a real browser, or restart the lab with `fapi lab up --auto-approve`.',
      );
    }
    throw serverError(
      'E_AUTHORIZE',
      `The authorization endpoint answered HTTP ${res.status} without a redirect.`,
      { status: res.status, endpoint: url.origin + url.pathname },
      'Look at the lab dashboard or `fapi lab logs` for the check that refused it.',
    );
  }
  throw networkError(
    'E_REDIRECT_LOOP',
    'Too many redirects while following the authorization URL.',
    'Check the lab logs.',
  );
}
