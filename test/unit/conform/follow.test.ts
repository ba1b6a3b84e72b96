/**
 * `--browser follow` (src/conform/follow.ts) against small HTTPS servers on 127.0.0.1:0: it
 * follows the authorization endpoint's redirects on the issuer's own origins to the loopback
 * redirect URI, and never visits another origin (the safety rule: the issuer's endpoints
 * and the --rs URLs only). A login sent elsewhere fails its check, saying where and why it stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryResult } from '../../../src/core/discovery.js';
import type { Login } from '../../../src/conform/context.js';
import { followAuthorization } from '../../../src/conform/follow.js';
import { runConformance } from '../../../src/conform/runner.js';
import type { Check } from '../../../src/conform/types.js';
import { createHttpClient, type HttpClient } from '../../../src/http/client.js';
import { startHttpsServer, type Reply, type TestHttpsServer } from '../../helpers/https-server.js';

const REDIRECT_URI = 'http://127.0.0.1:49152/callback';

let as: TestHttpsServer;
let other: TestHttpsServer;
let http: HttpClient;

beforeAll(async () => {
  [as, other] = await Promise.all([startHttpsServer(), startHttpsServer()]);
  // Both servers are trusted: only the rule, not TLS, can keep the other one unvisited.
  http = createHttpClient({ ca: [as.caPem, other.caPem], timeoutMs: 5000 });
  other.route(() => ({ status: 303, headers: { location: `${REDIRECT_URI}?code=stolen&state=s` } }));
});

afterAll(async () => {
  await Promise.all([as?.close(), other?.close()]);
});

const paths = (s: TestHttpsServer) => s.requests.map((r) => r.url);

describe('--browser follow stays on the issuer’s origins', () => {
  it('redirects on the issuer’s origin are followed, with its cookies, to the redirect URI (never fetched)', async () => {
    as.requests.length = 0;
    as.route((req): Reply | undefined => {
      if (req.url.startsWith('/authorize'))
        return {
          status: 302,
          headers: { location: '/login?step=2', 'set-cookie': 'sid=abc; Path=/; Secure' },
        };
      if (req.url.startsWith('/login'))
        return { status: 303, headers: { location: `${REDIRECT_URI}?code=c0de&state=s&iss=x` } };
      return undefined;
    });
    const end = await followAuthorization(http, `${as.origin}/authorize?client_id=c`, REDIRECT_URI, {
      origins: [as.origin],
    });
    expect(end.kind).toBe('redirect');
    if (end.kind !== 'redirect') return;
    expect(end.status).toBe(303);
    expect(end.params.get('code')).toBe('c0de');
    expect(paths(as)).toEqual(['/authorize?client_id=c', '/login?step=2']);
    expect(as.requests[1]?.headers.cookie).toBe('sid=abc');
  });

  it('a redirect to another origin is not followed: the other server sees nothing, the end says why', async () => {
    as.requests.length = 0;
    other.requests.length = 0;
    as.route((req) =>
      req.url.startsWith('/authorize')
        ? { status: 302, headers: { location: `${other.origin}/login?from=as` } }
        : undefined,
    );
    const end = await followAuthorization(http, `${as.origin}/authorize?client_id=c`, REDIRECT_URI, {
      origins: [as.origin],
    });
    expect(end).toEqual({
      kind: 'page',
      status: 302,
      url: `${as.origin}/authorize?client_id=c`,
      location: `${other.origin}/login?from=as`,
      snippet: `not followed: another origin than the issuer's, ${as.origin}`,
    });
    expect(paths(as)).toEqual(['/authorize?client_id=c']);
    expect(other.requests).toEqual([]);
  });

  it('the same host on another port is another origin', async () => {
    as.requests.length = 0;
    const port = Number(new URL(as.origin).port);
    const elsewhere = `https://127.0.0.1:${port === 65535 ? port - 1 : port + 1}/login`;
    as.route(() => ({ status: 303, headers: { location: elsewhere } }));
    const end = await followAuthorization(http, `${as.origin}/authorize`, REDIRECT_URI, {
      origins: [as.origin],
    });
    expect(end).toMatchObject({ kind: 'page', status: 303, location: elsewhere });
    expect(paths(as)).toEqual(['/authorize']);
  });

  it('in a run: the login of a check sent to another origin fails that check, naming the redirect and the reason', async () => {
    as.requests.length = 0;
    other.requests.length = 0;
    as.route((req) =>
      req.url.startsWith('/authorize')
        ? { status: 302, headers: { location: `${other.origin}/consent` } }
        : undefined,
    );
    const discovery: DiscoveryResult = {
      metadata: { issuer: as.origin, authorization_endpoint: `${as.origin}/authorize` },
      source: 'oauth-authorization-server',
      url: `${as.origin}/.well-known/oauth-authorization-server`,
      fetchedAt: 0,
      attempts: [],
    };
    const login: Check = {
      id: 'T-LOGIN',
      title: 'a login',
      spec: 'RFC 0000',
      level: 'MUST',
      group: 'authorization',
      needs: { scope: 'server', logins: 1 },
      async run(ctx) {
        const end = await ctx.authorize(`${as.origin}/authorize?client_id=c`, REDIRECT_URI);
        ctx.codeOf({ end } as Login);
        return { result: 'passed', detail: 'a code' };
      },
    };
    const report = await runConformance(
      {
        issuer: as.origin,
        http: () => http,
        redirectUri: REDIRECT_URI,
        checks: [login],
        timeoutMs: 5000,
      },
      discovery,
    );
    expect(report.results.map((r) => [r.id, r.result, r.detail])).toEqual([
      [
        'T-LOGIN',
        'failed',
        `login failed: the authorization ended at HTTP 302 → ${other.origin}/consent (not followed: another origin than the issuer's, ${as.origin}), not at the redirect URI`,
      ],
    ]);
    expect(paths(as)).toEqual(['/authorize?client_id=c']);
    expect(other.requests).toEqual([]);
  });
});
