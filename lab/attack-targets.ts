/**
 * The labs `fapi lab attack` plays against, in-process on free loopback ports: one strict FAPI 2.0
 * lab and one lab per set of relaxations (each scenario relaxes exactly its own defence). They
 * share one lab home, so the CA and the lab keys are made once; each has its own clock, which a
 * scenario may move (a DPoP nonce going stale), and its request log, from which the check that
 * decided a response is read.
 */
import { readFileSync } from 'node:fs';
import type { AttackTarget, Decision, PartyName } from '../src/attacks/types.js';
import { discoverMetadata } from '../src/core/discovery.js';
import { createHttpClient, type HttpClient, type HttpResponse, type TraceEvent } from '../src/http/client.js';
import { RELAXATION_NAMES, type Relaxation } from './config.js';
import { startLab, type RunningLab } from './server.js';

export interface AttackLabsOptions {
  /** The lab home shared by the labs (a temporary folder). */
  home: string;
  /** Every HTTP exchange of every party (for --verbose). */
  trace?: (party: PartyName, target: string, event: TraceEvent) => void;
}

export interface AttackLabs {
  strict(): Promise<AttackTarget>;
  relaxed(relax: readonly string[]): Promise<AttackTarget>;
  /** Starts the labs for these relaxation sets now, concurrently (they are reused later). */
  prepare(relaxSets: readonly (readonly string[])[]): Promise<void>;
  close(): Promise<void>;
}

export function labLabel(relax: readonly string[]): string {
  return relax.length === 0 ? 'FAPI 2.0 lab' : `relaxed lab (${relax.join(', ')})`;
}

function checkRelaxations(relax: readonly string[]): Relaxation[] {
  for (const r of relax)
    if (!(RELAXATION_NAMES as readonly string[]).includes(r))
      throw new Error(`internal: unknown lab relaxation ${JSON.stringify(r)}`);
  return [...relax] as Relaxation[];
}

export function createAttackLabs(o: AttackLabsOptions): AttackLabs {
  const labs = new Map<string, Promise<{ lab: RunningLab; target: AttackTarget }>>();
  const running: RunningLab[] = [];
  // The labs share one CA, so each party has one HTTP client for all of them (one TLS context,
  // kept-alive connections); a trace line names the lab from the port it went to.
  const labelOfPort = new Map<string, string>();
  const clients = new Map<string, HttpClient>();
  let ca: string | undefined;
  const makeHttp = (party: PartyName, cert?: { cert: string; key: string }): HttpClient =>
    createHttpClient({
      ca: [ca as string],
      timeoutMs: 10_000,
      ...(cert ? { cert: cert.cert, key: cert.key } : {}),
      ...(o.trace
        ? {
            trace: (e: TraceEvent) =>
              o.trace?.(party, labelOfPort.get(new URL(e.request.url).port) ?? 'lab', e),
          }
        : {}),
    });
  const http = (party: PartyName, cert?: { cert: string; key: string }): HttpClient => {
    if (cert) return makeHttp(party, cert);
    let c = clients.get(party);
    if (!c) clients.set(party, (c = makeHttp(party)));
    return c;
  };

  const start = async (relax: readonly string[]): Promise<{ lab: RunningLab; target: AttackTarget }> => {
    let offset = 0;
    const lab = await startLab({
      home: o.home,
      config: { port: 0, autoApprove: true, relax: checkRelaxations(relax) },
      clock: () => Date.now() + offset,
    });
    running.push(lab);
    const label = labLabel(relax);
    for (const port of Object.values(lab.ports)) labelOfPort.set(String(port), label);
    ca ??= readFileSync(lab.caFile, 'utf8');
    const { metadata } = await discoverMetadata(http('client'), lab.issuer);
    let seen = lab.ctx.requests.count;
    const ports = new Map<string, string>([
      [String(lab.ports.as), 'as'],
      [String(lab.ports.mtls), 'mtls'],
      [String(lab.ports.rs), 'rs'],
    ]);
    const decision = async (res: HttpResponse, error?: string): Promise<Decision | undefined> => {
      const u = new URL(res.url);
      const listener = ports.get(u.port);
      // The lab records a request once its response is sent: give that hook a few turns.
      for (let i = 0; i < 20; i++) {
        const fresh = lab.ctx.requests.recent(Math.min(lab.ctx.requests.count - seen, 200));
        const hit = fresh.find(
          (r) =>
            r.listener === listener &&
            r.path === u.pathname &&
            r.status === res.status &&
            (error === undefined || r.error === error),
        );
        if (hit) {
          seen = lab.ctx.requests.count;
          const d: Decision = {};
          if (hit.check) d.check = hit.check;
          if (hit.error) d.error = hit.error;
          if (hit.description) d.description = hit.description;
          return d;
        }
        await new Promise((r) => setTimeout(r, i < 5 ? 0 : 5));
      }
      return undefined;
    };
    const target: AttackTarget = {
      mode: relax.length === 0 ? 'fapi2' : 'relaxed',
      label,
      issuer: lab.issuer,
      metadata,
      rs: lab.rs,
      lab: true,
      http,
      async issueCertificate(key, subject) {
        const c = await lab.ctx.ca.issueClientCertificate({ key, subject });
        return { pem: c.pem, derBase64: c.der.toString('base64'), x5t: c.x5tS256, subject: c.subject };
      },
      advanceClock(seconds) {
        offset += seconds * 1000;
      },
      dpopNonceRotateSeconds: lab.ctx.config.dpopNonceRotateSeconds,
      decision,
    };
    return { lab, target };
  };

  const get = (relax: readonly string[]): Promise<{ lab: RunningLab; target: AttackTarget }> => {
    const key = [...relax].sort().join(',');
    let p = labs.get(key);
    if (!p) {
      // The strict lab creates the CA and the keys in the shared home; the others wait for it.
      p = key === '' ? start(relax) : get([]).then(() => start(relax));
      labs.set(key, p);
    }
    return p;
  };

  return {
    strict: async () => (await get([])).target,
    relaxed: async (relax) => (await get(relax)).target,
    async prepare(relaxSets) {
      await get([]);
      await Promise.all(relaxSets.map((r) => get(r)));
    },
    async close() {
      await Promise.allSettled([...labs.values()]);
      await Promise.all(running.map((l) => l.close().catch(() => undefined)));
    },
  };
}
