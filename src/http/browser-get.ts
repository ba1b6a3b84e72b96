/**
 * The little of a browser that following a login takes, for `--browser follow` and `fapi lab
 * open`: a cookie jar and a GET that sends its cookies and keeps those the answer sets. The jar
 * holds name=value only (RFC 6265 §5.2: both trimmed; the last Set-Cookie of a name wins); it lives
 * for one login at one server, so attributes (Domain, Path, Expires) are not kept.
 */
import type { HttpClient, HttpResponse } from './client.js';

/** Cookie name → value. */
export type CookieJar = Map<string, string>;

/** GETs `url` as a browser loads a page (Accept: text/html, the jar's cookies); the cookies set go into the jar. */
export async function browserGet(http: HttpClient, url: string, jar: CookieJar): Promise<HttpResponse> {
  const res = await http({
    method: 'GET',
    url,
    headers: {
      accept: 'text/html',
      ...(jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
    },
  });
  const set = res.headers['set-cookie'];
  for (const c of Array.isArray(set) ? set : set ? [set] : []) {
    const pair = c.split(';')[0] ?? '';
    const i = pair.indexOf('=');
    if (i > 0) jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  return res;
}
