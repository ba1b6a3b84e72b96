/**
 * `fapi lab status`: exit 0 when a lab runs (with its URLs, whether it answers, and the switches on
 * now), 3 when none does. The control secret only with --show-secrets.
 */
import { stateError } from '../../../errors.js';
import { readCaFile, type CliContext } from '../../context.js';
import { switchLines } from '../../lab-control.js';
import { tilde } from '../../text.js';
import type { labStatus } from '../../../../lab/dashboard.js';
import { labHome, labPaths } from '../../../../lab/home.js';
import { TLS_FAULTS, runningLab, type LabRunInfo } from '../../../../lab/run-file.js';

/** What the lab's own `/lab/status` says. */
type LiveStatus = ReturnType<typeof labStatus>;

/** The lab's own /lab/status, or undefined when it does not answer fapi. */
async function liveStatus(info: LabRunInfo): Promise<LiveStatus | undefined> {
  try {
    const { createHttpClient } = await import('../../../http/client.js');
    const ca = readCaFile(info.ca, 'the lab CA');
    const res = await createHttpClient({ ca: [ca], timeoutMs: 3000 })({
      method: 'GET',
      url: `${info.issuer}/lab/status`,
    });
    return res.status === 200 ? (res.json() as LiveStatus) : undefined;
  } catch {
    return undefined;
  }
}

export interface LabStatusOptions {
  showSecrets?: boolean;
}

export async function run(ctx: CliContext, opts: LabStatusOptions = {}): Promise<void> {
  const p = labPaths(labHome(ctx.home));
  const info = await runningLab(p);
  if (!info)
    throw stateError(
      'E_LAB_NOT_RUNNING',
      `No lab is running for ${ctx.home}.`,
      'Start one with `fapi lab up` (or `fapi lab up --detach`).',
    );
  const live = await liveStatus(info);
  const data = {
    running: true,
    answering: Boolean(live),
    pid: info.pid,
    issuer: info.issuer,
    rs: info.rs,
    mtls: info.mtls,
    ca: info.ca,
    dashboard: info.dashboard,
    started_at: info.started_at,
    log: info.log,
    strict: live ? live.strict : info.warnings.length === 0,
    ecosystem: live?.ecosystem ?? (info.ecosystem ? { name: info.ecosystem } : { name: 'fapi2' }),
    warnings: info.warnings,
    clients: live ? live.clients.length : undefined,
    requests_total: live?.requests_total,
    // The switches on now: the lab's own word, else its run file (rewritten on every change).
    relaxations: live ? live.relaxations : info.relax,
    faults: live ? live.faults : info.faults,
    pending: live?.pending,
    ...(opts.showSecrets && info.control_secret ? { control_secret: info.control_secret } : {}),
  };
  // Under tls-wrong-host / tls12-dhe-only fapi's own TLS checks refuse the lab, by design.
  const notAnswering = info.faults.some((f) => TLS_FAULTS.includes(f))
    ? '  — not answering fapi: its TLS fault makes fapi refuse the connection'
    : '  — not answering';
  ctx.out.result(data, () => {
    const c = ctx.out.c;
    return [
      `${c.green('●')} lab running (pid ${info.pid}) since ${info.started_at}${live ? '' : c.yellow(notAnswering)}`,
      `  issuer        ${info.issuer}`,
      `  mTLS aliases  ${info.mtls}`,
      `  resource      ${info.rs}`,
      `  lab CA        ${tilde(info.ca, ctx.env.HOME)}`,
      `  dashboard     ${info.dashboard}`,
      ...(live ? [`  clients       ${data.clients}   requests ${String(data.requests_total)}`] : []),
      `  profile       ${data.strict ? 'strict FAPI 2.0' : c.yellow('relaxed: ' + info.warnings.join('; '))}`,
      ...(live
        ? switchLines(live, c)
        : [
            `  faults        ${info.faults.length ? c.yellow(info.faults.join(' ')) : 'none'}`,
            `  relaxations   ${info.relax.length ? c.yellow(info.relax.join(' ')) : 'none'}`,
          ]),
      ...(data.control_secret ? [`  control       ${data.control_secret}  (Authorization: Bearer …)`] : []),
      ...(data.ecosystem.name === 'fapi2'
        ? []
        : [
            `  ecosystem     ${data.ecosystem.name}${live ? ` — ${live.ecosystem.title}` : ''}`,
            ...(live?.ecosystem.not_supported ?? []).map((x) => `  ${c.yellow('!')} not supported: ${x}`),
          ]),
    ];
  });
}
