/**
 * TLS handshake probes for the network checks of `fapi conform server` (NET-02..05):
 * one handshake with the TLS versions and cipher suites given, closed as soon as it completes.
 * No HTTP request is ever sent over a probe, so it may offer what fapi itself never uses (TLS 1.0,
 * DHE or CBC suites) to see whether the server accepts it. The server certificate is not checked
 * here: only whether a handshake with these parameters completes.
 */
import tls from 'node:tls';

export interface TlsProbe {
  /** https URL whose host and port are probed. */
  url: string;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  /** OpenSSL cipher list (TLS 1.2 and below). */
  ciphers?: string;
  timeoutMs: number;
}

export type TlsProbeResult = { ok: true; protocol: string; cipher: string } | { ok: false; reason: string };

export function probeTls(p: TlsProbe): Promise<TlsProbeResult> {
  const u = new URL(p.url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({
        host,
        port: Number(u.port || 443),
        servername: /^[\d.]+$|:/.test(host) ? undefined : host,
        minVersion: p.minVersion,
        maxVersion: p.maxVersion,
        // Security level 0 lets the client offer TLS 1.0/1.1 and weak suites at all.
        ciphers: `${p.ciphers ?? tls.DEFAULT_CIPHERS}:@SECLEVEL=0`,
        rejectUnauthorized: false,
      });
    } catch (e) {
      resolve({ ok: false, reason: (e as Error).message });
      return;
    }
    const done = (r: TlsProbeResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(p.timeoutMs, () => done({ ok: false, reason: 'timed out' }));
    socket.once('secureConnect', () =>
      done({ ok: true, protocol: socket.getProtocol() ?? '?', cipher: socket.getCipher().standardName }),
    );
    socket.once('error', (e: Error & { code?: string; reason?: string }) =>
      done({ ok: false, reason: e.reason ?? e.code ?? e.message }),
    );
  });
}
