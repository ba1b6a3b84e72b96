/**
 * The lab of `fapi conform client`: a strict lab on free 127.0.0.1 ports in a temporary home,
 * auto-approving logins, that the client-test runner (src/conform/client/runner.ts) switches from
 * one module to the next and reads back: its request log and its failed TLS handshakes since a
 * mark. Also what the contract hands the client: the CA file, a client certificate for the mTLS
 * variants (from the lab CA, or self-signed for self_signed_tls_client_auth), and a client
 * registered beforehand from the user's metadata (RFC 7591).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ClientTestLab, ObservedRequest, PushedRequestObject } from '../src/core/client-test-lab.js';
import type { ClientAuthMethod } from '../src/core/fapi.js';
import { wantsIntrospectionJwt } from '../src/core/introspection-jwt.js';
import { decodeJws } from '../src/core/jws.js';
import { usageError } from '../src/errors.js';
import { createHttpClient } from '../src/http/client.js';
import { generateSigningKey, privateKeyPem } from '../src/keys/generate.js';
import { createCertificate } from '../src/keys/x509.js';
import { silentLogger } from './context.js';
import { startLab, type RunningLab } from './server.js';
import { checkSwitchNames } from './switchboard.js';
import { FAULT_NAMES, RELAXATION_NAMES, TLS_FAULTS } from './switches.js';

/** The subject of the client certificate of the mTLS variants (name it in `--client-metadata`). */
export const CONFORM_CLIENT_SUBJECT = 'CN=fapi-conform-client,O=fapi conform';

/** The resource the client calls (FAPI_RESOURCE) and the scope it asks for (FAPI_SCOPE). */
export const CONFORM_RESOURCE_PATH = '/accounts';
export const CONFORM_SCOPE = 'openid accounts';

/** What the judge needs of a pushed request object (FAPI2-MS §5.3.2), decoded; undefined when it is no JWS. */
function pushedRequestObject(ro: { jws: string; params: string[] }): PushedRequestObject | undefined {
  try {
    const { header, payload } = decodeJws(ro.jws);
    const aud = payload.aud;
    return {
      ...(typeof header.typ === 'string' ? { typ: header.typ } : {}),
      aud:
        typeof aud === 'string'
          ? 'string'
          : Array.isArray(aud)
            ? 'array'
            : aud === undefined
              ? 'missing'
              : 'other',
      sub: payload.sub !== undefined,
      params: ro.params,
    };
  } catch {
    return undefined;
  }
}

export interface ConformClientLab extends ClientTestLab {
  issuer: string;
  rs: string;
  resource: string;
  scope: string;
  caFile: string;
  home: string;
  /** A client certificate and key (PEM files in the lab home) for the mTLS variants. */
  clientCertificate(auth: ClientAuthMethod): Promise<{ certFile: string; keyFile: string; subject: string }>;
  /** Registers the user's client metadata (RFC 7591); its client_id. Bad metadata: exit 2 with the lab's reason. */
  register(metadata: unknown, file: string): Promise<string>;
  close(): Promise<void>;
}

export async function startConformClientLab(
  o: { warmTls?: boolean; requireRequestObjects?: boolean } = {},
): Promise<ConformClientLab> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'fapi-conform-client-'));
  let running: RunningLab;
  try {
    running = await startLab({
      home,
      config: {
        port: 0,
        autoApprove: true,
        faults: [],
        relax: [],
        // --jar: FAPI2-MS §5.3.1-1, every pushed request a signed request object (MS-01).
        requireSignedRequestObject: o.requireRequestObjects === true,
      },
      logger: silentLogger,
    });
  } catch (e) {
    await rm(home, { recursive: true, force: true });
    throw e;
  }
  const ctx = running.ctx;
  // The TLS faults make a certificate (an RSA key for tls12-dhe-only) the first time they are on;
  // made now, switching to them later costs nothing (a module switch stays under 50 ms).
  if (o.warmTls) {
    for (const f of TLS_FAULTS) await ctx.switches.setFaults([f]);
    await ctx.switches.setFaults([]);
  }
  const caPem = ctx.ca.certPem;

  return {
    issuer: running.issuer,
    rs: running.rs,
    resource: `${running.rs}${CONFORM_RESOURCE_PATH}`,
    scope: CONFORM_SCOPE,
    caFile: running.caFile,
    home,
    async apply(setup) {
      const faults = checkSwitchNames('fault', [...(setup.faults ?? [])], FAULT_NAMES);
      const relax = checkSwitchNames('relaxation', [...(setup.relax ?? [])], RELAXATION_NAMES);
      ctx.overrides.clear();
      await ctx.switches.setRelaxations(relax);
      await ctx.switches.setFaults(faults);
      if (setup.rsRefusals)
        ctx.overrides.failNext({
          endpoint: 'rs',
          status: 401,
          error: 'invalid_token',
          error_description: 'the access token has expired (the lab refuses it so that the client refreshes)',
          times: setup.rsRefusals,
        });
    },
    mark: () => ({ requests: ctx.requests.count, handshakes: ctx.handshakeFailures.count }),
    observe(since) {
      const records = ctx.requests.select({ afterId: since.requests });
      const clients: Record<string, { auth: string; sender: 'dpop' | 'mtls' | 'none' }> = {};
      const requests = records.map((r): ObservedRequest => {
        if (r.clientId && !clients[r.clientId]) {
          const c = ctx.clients.get(r.clientId);
          if (c)
            clients[r.clientId] = {
              auth: c.metadata.token_endpoint_auth_method,
              sender: c.metadata.dpop_bound_access_tokens
                ? 'dpop'
                : c.metadata.tls_client_certificate_bound_access_tokens
                  ? 'mtls'
                  : 'none',
            };
        }
        const ro = r.credentials?.requestObject
          ? pushedRequestObject(r.credentials.requestObject)
          : undefined;
        // MS-11: asked with Accept: application/token-introspection+jwt, or with no preference by a
        // client registered with introspection_signed_response_alg (RFC 9701 §4, §6).
        const introspectionJwt =
          r.path === '/introspect'
            ? wantsIntrospectionJwt(
                r.credentials?.introspectionAccept,
                r.clientId
                  ? ctx.clients.get(r.clientId)?.metadata.introspection_signed_response_alg
                  : undefined,
              )
            : undefined;
        return {
          id: r.id,
          listener: r.listener,
          method: r.method,
          path: r.path,
          status: r.status,
          outcome: r.outcome,
          ...(r.clientId !== undefined ? { clientId: r.clientId } : {}),
          ...(r.grantType !== undefined ? { grantType: r.grantType } : {}),
          ...(r.error !== undefined ? { error: r.error } : {}),
          ...(r.check !== undefined ? { check: r.check } : {}),
          dpop: r.dpop,
          clientCertificate: r.clientCertificate,
          ...(ro ? { requestObject: ro } : {}),
          ...(introspectionJwt !== undefined ? { introspectionJwt } : {}),
        };
      });
      const failures = ctx.handshakeFailures.since(since.handshakes);
      return {
        requests,
        total: ctx.requests.count - since.requests,
        handshakeFailures: ctx.handshakeFailures.count - since.handshakes,
        handshakeReasons: failures.map((f) => `${f.listener}: ${f.reason}`),
        clients,
      };
    },
    async clientCertificate(auth) {
      const key = await generateSigningKey('ES256');
      // self_signed_tls_client_auth registers the certificate itself (RFC 8705 §2.2); the other
      // methods need one the lab trusts: from its CA (§2.1, and for certificate-bound tokens).
      const cert =
        auth === 'self_signed_tls_client_auth'
          ? await createCertificate({ key, subject: CONFORM_CLIENT_SUBJECT, profile: 'client' })
          : await ctx.ca.issueClientCertificate({ key, subject: CONFORM_CLIENT_SUBJECT });
      const certFile = path.join(home, 'client-cert.pem');
      const keyFile = path.join(home, 'client-key.pem');
      await writeFile(certFile, cert.pem, { mode: 0o644 });
      await writeFile(keyFile, privateKeyPem(key.privateKey), { mode: 0o600 });
      await chmod(keyFile, 0o600);
      return { certFile, keyFile, subject: cert.subject };
    },
    async register(metadata, file) {
      const http = createHttpClient({ ca: [caPem], timeoutMs: 10_000 });
      const res = await http({
        method: 'POST',
        url: `${running.issuer}/register`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(metadata),
      });
      let body: { client_id?: unknown; error?: unknown; error_description?: unknown } | undefined;
      try {
        body = res.json() as typeof body;
      } catch {
        body = undefined;
      }
      if (res.status === 201 && typeof body?.client_id === 'string') return body.client_id;
      throw usageError(
        'E_CLIENT_METADATA',
        `The lab refused the client metadata of ${file}: ${String(body?.error ?? res.status)}${body?.error_description ? ` (${String(body.error_description)})` : ''}.`,
        'Fix the metadata (README "Test your own client" lists what the lab needs), or leave --client-metadata out and let the client register itself.',
      );
    },
    async close() {
      await running.close({ save: false });
      await rm(home, { recursive: true, force: true });
    },
  };
}
