/**
 * `--browser follow`: fapi itself plays the user's browser for servers that approve without a
 * person (the lab with --auto-approve, most sandboxes). It GETs the authorization URL and follows
 * the redirects, with the cookies the server sets, until one goes to the client's loopback
 * redirect URI (never fetched: its query is the authorization response). It only ever talks to
 * the issuer's own origins; a redirect anywhere else, a page instead of a redirect, or too many
 * hops end the login with what was seen.
 */
import { browserGet, type CookieJar } from '../http/browser-get.js';
import type { HttpClient, HttpResponse } from '../http/client.js';

/** Where an authorization ended. */
export type AuthorizationEnd =
  | {
      kind: 'redirect';
      /** The HTTP status of the redirect to the client (0 when a real browser delivered it). */
      status: number;
      location: URL;
      /** The authorization response: the redirect URI's query. */
      params: URLSearchParams;
      /** Parameters found in the fragment instead (RFC 6749 §4.1.2 wants the query). */
      fragment: URLSearchParams;
    }
  | {
      kind: 'page';
      /** The status of the last answer: an error page, a login page, or a redirect elsewhere. */
      status: number;
      url: string;
      /** A redirect that was not followed (another origin). */
      location?: string;
      /** The start of the page, for the evidence. */
      snippet: string;
    };

/** Logs in: a browser opened on the URL (one at a time), or `follow`. */
export interface Authorizer {
  /** A person is involved: one login at a time, and negative checks do not use it. */
  interactive: boolean;
  authorize(o: {
    url: string;
    redirectUri: string;
    n: number;
    /** The person is to cancel this login (press Cancel or Deny) instead of approving it. */
    deny?: boolean;
    signal?: AbortSignal;
  }): Promise<AuthorizationEnd>;
}

/** True when `location` is the redirect URI (same scheme, host, port and path; the query may differ). */
export function isRedirectTo(location: URL, redirectUri: string): boolean {
  const r = new URL(redirectUri);
  return (
    location.protocol === r.protocol &&
    location.hostname === r.hostname &&
    location.port === r.port &&
    location.pathname === r.pathname
  );
}

function snippet(res: HttpResponse): string {
  return res
    .text()
    .slice(0, 400)
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160);
}

export interface FollowOptions {
  /** Origins the browser may visit (the issuer's and its authorization endpoint's). */
  origins: readonly string[];
  maxHops?: number;
  /** Stop after the first answer (a page load), without following. */
  firstOnly?: boolean;
}

/** Follows an authorization URL to the redirect URI (see the module comment). */
export async function followAuthorization(
  http: HttpClient,
  url: string,
  redirectUri: string,
  o: FollowOptions,
): Promise<AuthorizationEnd> {
  const cookies: CookieJar = new Map();
  let current = new URL(url);
  for (let hop = 0; hop < (o.maxHops ?? 12); hop++) {
    const res = await browserGet(http, current.href, cookies);
    const loc = res.header('location');
    if (res.status < 300 || res.status >= 400 || !loc)
      return { kind: 'page', status: res.status, url: current.href, snippet: snippet(res) };
    const next = new URL(loc, current);
    if (isRedirectTo(next, redirectUri))
      return {
        kind: 'redirect',
        status: res.status,
        location: next,
        params: next.searchParams,
        fragment: new URLSearchParams(next.hash.replace(/^#/, '')),
      };
    if (o.firstOnly)
      return { kind: 'page', status: res.status, url: current.href, location: next.href, snippet: '' };
    // Another origin: a third party, which the run never talks to (only the issuer's own origins).
    if (!o.origins.includes(next.origin))
      return {
        kind: 'page',
        status: res.status,
        url: current.href,
        location: next.href,
        snippet: `not followed: another origin than the issuer's, ${o.origins.join(' or ')}`,
      };
    current = next;
  }
  return { kind: 'page', status: 0, url: current.href, snippet: 'too many redirects' };
}

/** The `--browser follow` authorizer. */
export function followAuthorizer(http: HttpClient, origins: readonly string[]): Authorizer {
  return {
    interactive: false,
    authorize: ({ url, redirectUri }) => followAuthorization(http, url, redirectUri, { origins }),
  };
}
