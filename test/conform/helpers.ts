/**
 * `fapi conform server` against in-process labs: the lab of test/lab/helpers.ts (auto-approve, a
 * clock the test moves, so the checks that wait for expiry take no time), its CA trusted, its CA
 * key issuing tls_client_auth certificates, its RS as --rs, its `/payments` as --rs-payment (the RAR
 * checks pay 1.00 EUR to Bob Example there), `--browser follow`.
 */
import { readFileSync } from 'node:fs';
import type { LabConfig } from '../../lab/config.js';
import { labPaths } from '../../lab/home.js';
import { ALL_CHECKS } from '../../src/conform/checks/index.js';
import type { HttpFactory } from '../../src/conform/parties.js';
import { runConformance, type ConformOptions, type ConformReport } from '../../src/conform/runner.js';
import { defaultPayment } from '../../src/conform/payment.js';
import { selectChecks } from '../../src/conform/select.js';
import type { CheckResult, Variant } from '../../src/conform/types.js';
import {
  createHttpClient,
  makeResponse,
  type HttpRequest,
  type HttpResponse,
} from '../../src/http/client.js';
import { readPemPrivateKey } from '../../src/keys/generate.js';
import { startTestLab, type TestLab } from '../lab/helpers.js';

export const REDIRECT_URI = 'http://127.0.0.1:49152/callback';

/**
 * A hostile middlebox in front of the lab, for rules no lab switch breaks: it sees each request
 * (with the client certificate of the HTTPS client that sends it) and may rewrite it, answer it
 * itself, or rewrite the lab's answer. Undefined: the request goes through as it is.
 */
export type Interpose = (
  req: HttpRequest,
  send: (req: HttpRequest) => Promise<HttpResponse>,
  cert: string | undefined,
) => Promise<HttpResponse> | undefined;

export interface LabRunOptions extends Partial<ConformOptions> {
  only?: string[];
  skip?: string[];
  interpose?: Interpose;
}

/**
 * The run's HTTP clients: trusting `ca` (PEM), with the test client's certificate when it has one,
 * 10 s per request; through `interpose` when given.
 */
export function httpTrusting(ca: string, interpose?: Interpose): HttpFactory {
  return (cert) => {
    const h = createHttpClient({
      ca: [ca],
      timeoutMs: 10_000,
      ...(cert ? { cert: cert.cert, key: cert.key } : {}),
    });
    return interpose ? (req) => interpose(req, h, cert?.cert) ?? h(req) : h;
  };
}

export function conformOptions(t: TestLab, o: LabRunOptions = {}): ConformOptions {
  const { only, skip, interpose, ...rest } = o;
  return {
    issuer: t.lab.issuer,
    http: httpTrusting(t.ca, interpose),
    redirectUri: REDIRECT_URI,
    rs: [`${t.lab.rs}/accounts`],
    rsScope: 'accounts',
    payment: defaultPayment(`${t.lab.rs}/payments`),
    clientCa: { certPem: t.ca, privateKey: readPemPrivateKey(readFileSync(labPaths(t.home).caKey, 'utf8')) },
    checks: selectChecks(ALL_CHECKS, { only, skip }),
    allChecks: ALL_CHECKS,
    timeoutMs: 10_000,
    wait: async (s) => t.advance(s),
    slowConcurrency: 1,
    ...rest,
  };
}

export async function conformLab(
  config: Partial<LabConfig>,
  o: LabRunOptions = {},
): Promise<{ report: ConformReport; lab: TestLab }> {
  const lab = await startTestLab(config);
  try {
    const report = await runConformance(conformOptions(lab, o));
    return { report, lab };
  } finally {
    await lab.close();
  }
}

export const label = (v: Variant | null) => (v ? `${v.auth}+${v.sender}` : 'server');

/** "ID [variant] result: detail" lines, for failure messages. */
export function lines(results: readonly CheckResult[]): string[] {
  return results.map((r) => `${r.id} [${label(r.variant)}] ${r.result}: ${r.detail}`);
}

export const notPassed = (rs: readonly CheckResult[]) =>
  rs.filter((r) => r.result !== 'passed' && r.result !== 'skipped');

/** The request's form body, parsed (empty for other bodies). */
export function formOf(req: HttpRequest): URLSearchParams {
  const ct = String(req.headers?.['content-type'] ?? '');
  return ct.includes('x-www-form-urlencoded') && req.body !== undefined
    ? new URLSearchParams(Buffer.from(req.body).toString('utf8'))
    : new URLSearchParams();
}

/** A JSON answer in place of the lab's. */
export function jsonAnswer(
  req: HttpRequest,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return makeResponse(
    req.url,
    status,
    { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    Buffer.from(JSON.stringify(body)),
  );
}

/** A registration request with these metadata fields removed (a server that drops what it ignores). */
export function dropFromRegistration(...fields: string[]): Interpose {
  return (req, send) => {
    if (req.method !== 'POST' || !new URL(req.url).pathname.endsWith('/register') || req.body === undefined)
      return undefined;
    const md = JSON.parse(Buffer.from(req.body).toString('utf8')) as Record<string, unknown>;
    for (const f of fields) delete md[f];
    return send({ ...req, body: JSON.stringify(md) });
  };
}
