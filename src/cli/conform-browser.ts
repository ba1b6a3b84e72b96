/**
 * Logins of `fapi conform server` in a real browser (`--browser CMD`, else $BROWSER, else the
 * system browser): for each login the loopback listener (src/http/callback.ts) waits on the test
 * clients' registered redirect URI, the browser is opened on the authorization URL, and the
 * response comes back to the listener. One login at a time, numbered "n of N".
 */
import net from 'node:net';
import type { AuthorizationEnd, Authorizer } from '../conform/follow.js';
import { startCallbackListener } from '../http/callback.js';
import { openBrowser } from './browser.js';

/** A free loopback port for the test clients' redirect URI (RFC 8252 §7.3: an IP literal). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function browserAuthorizer(o: {
  command: string | undefined;
  timeoutMs: number;
  total: () => number;
  say: (line: string) => void;
}): Authorizer {
  return {
    interactive: true,
    async authorize({ url, redirectUri, n, deny, signal }): Promise<AuthorizationEnd> {
      const listener = await startCallbackListener({
        redirectUri,
        timeoutMs: o.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      try {
        o.say(
          deny
            ? `login ${n} of ${o.total()}: opening the browser (${o.command ?? 'the system browser'}); this time press Cancel or Deny there, do not approve (user-rejects-authentication)`
            : `login ${n} of ${o.total()}: opening the browser (${o.command ?? 'the system browser'}); finish the login there`,
        );
        const opened = openBrowser(url, o.command);
        void opened.failed.then((why) => {
          if (why) o.say(`the browser did not start (${why}); open this URL yourself: ${url}`);
        });
        const params = await listener.response;
        return {
          kind: 'redirect',
          status: 0,
          location: new URL(`${redirectUri}?${params.toString()}`),
          params,
          fragment: new URLSearchParams(),
        };
      } finally {
        await listener.close();
      }
    },
  };
}
