/**
 * The `fapi lab` commands that talk to a running lab (fault, relax, fail-next, delay-next,
 * requests, token): its run file says where it is and holds the control secret; requests go to
 * the lab's own listener, trusting only the lab CA, and tolerate the lab's own TLS faults (so a lab
 * switched to tls-wrong-host can be switched back). The lab's answers become FapiErrors: a 400 is
 * a usage error with the lab's code and message (exit 2), a refused secret a local-state error.
 */
import { serverError, stateError, usageError } from '../errors.js';
import { createHttpClient, type HttpClient } from '../http/client.js';
import { readCaFile, type CliContext } from './context.js';
import { DHE_ONLY_CIPHERS, WRONG_TLS_HOST } from '../../lab/switches.js';
import { labHome, labPaths } from '../../lab/home.js';
import { runningLab, type LabRunInfo } from '../../lab/run-file.js';

export interface LabConnection {
  info: LabRunInfo;
  /** GET a public lab resource (`/lab/status`, `/lab/requests`). */
  get(path: string): Promise<unknown>;
  /** A control API call with the run's secret. */
  control(method: 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
}

export async function connectLab(ctx: CliContext): Promise<LabConnection> {
  const info = await runningLab(labPaths(labHome(ctx.home)));
  if (!info)
    throw stateError(
      'E_LAB_NOT_RUNNING',
      `No lab is running for ${ctx.home}.`,
      'Start one with `fapi lab up --detach` (or pass the --home of the running lab).',
    );
  const http: HttpClient = createHttpClient({
    timeoutMs: 10_000,
    labControl: {
      ca: readCaFile(info.ca, 'the lab CA of run.json'),
      alsoHostnames: [WRONG_TLS_HOST],
      alsoTls12Ciphers: DHE_ONLY_CIPHERS,
    },
  });
  const answer = async (method: string, path: string, body: unknown, secret?: string) => {
    const res = await http({
      method,
      url: `${info.issuer}${path}`,
      headers: {
        accept: 'application/json',
        ...(secret ? { authorization: `Bearer ${secret}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = res.json() as Record<string, unknown>;
    if (res.status === 200) return json;
    const description = typeof json.error_description === 'string' ? json.error_description : res.text();
    if (res.status === 400)
      throw usageError(
        typeof json.code === 'string' ? json.code : 'E_LAB_CONTROL_INPUT',
        `The lab refused: ${description}`,
        typeof json.hint === 'string' ? json.hint : undefined,
      );
    if (res.status === 401)
      throw stateError(
        'E_LAB_CONTROL_SECRET',
        `The lab at ${info.issuer} refused the control secret of ${labPaths(labHome(ctx.home)).run}: ${description}`,
        'The run file belongs to another run of the lab: check `fapi lab status`, or restart the lab.',
      );
    throw serverError(
      'E_LAB_CONTROL',
      `The lab answered ${method} ${path} with HTTP ${res.status}: ${description}`,
      { status: res.status, endpoint: `${info.issuer}${path}` },
    );
  };
  return {
    info,
    get: (path) => answer('GET', path, undefined),
    control: (method, path, body) => {
      if (!info.control_secret)
        throw stateError(
          'E_LAB_CONTROL_SECRET',
          'The running lab has no control secret in its run file (started by an older fapi).',
          'Restart it: `fapi lab down && fapi lab up --detach`.',
        );
      return answer(method, path, body ?? {}, info.control_secret);
    },
  };
}

/** The switches and pending one-off failures, as the lab reports them (`GET /lab/status`). */
export interface LabSwitchState {
  strict: boolean;
  relaxations: string[];
  faults: string[];
  warnings?: string[];
  pending: {
    endpoint: string;
    kind: string;
    remaining: number;
    clientId?: string;
    error?: string;
    status?: number;
    ms?: number;
  }[];
  login?: string;
  auto_approve: boolean;
}

/** Lines saying which switches are on and what is pending. */
export function switchLines(s: LabSwitchState, c: CliContext['out']['c']): string[] {
  const lines = [
    `  faults        ${s.faults.length ? c.yellow(s.faults.join(' ')) : 'none'}`,
    `  relaxations   ${s.relaxations.length ? c.yellow(s.relaxations.join(' ')) : 'none'}`,
  ];
  if (s.pending.length)
    lines.push(
      `  pending       ${s.pending
        .map(
          (p) =>
            `${p.kind === 'fail' ? `fail ${p.endpoint} (${p.status} ${p.error})` : `delay ${p.endpoint} ${p.ms} ms`}${p.clientId ? ` for ${p.clientId}` : ''} ×${p.remaining}`,
        )
        .join('; ')}`,
    );
  if (s.auto_approve && s.login) lines.push(`  auto-approve  as ${s.login}`);
  return lines;
}
