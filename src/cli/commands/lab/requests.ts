/**
 * `fapi lab requests [--client ID] [--path P] [-f]`: the running lab's request log, oldest first,
 * one line per request with the check that decided it; `-f` keeps printing new ones until Ctrl-C.
 * `--json` prints the list (with `-f`: one JSON object per line).
 */
import type { CliContext } from '../../context.js';
import { connectLab } from '../../lab-control.js';
import { nextSignal } from '../../signals.js';
import { formatRequestLine, type LabRequest } from '../../../../lab/requests.js';

export interface LabRequestsOptions {
  client?: string;
  path?: string;
  follow?: boolean;
}

/** How often `-f` asks the lab for new requests. */
const POLL_MS = 500;

const line = (r: LabRequest) =>
  formatRequestLine({ ...r, at: Date.parse(r.time) / 1000 }) +
  (r.dpop ? ' dpop' : '') +
  (r.clientCertificate ? ' cert' : '');

export async function run(ctx: CliContext, opts: LabRequestsOptions): Promise<void> {
  const lab = await connectLab(ctx);
  const query = (after?: number) => {
    const q = new URLSearchParams();
    if (opts.client !== undefined) q.set('client_id', opts.client);
    if (opts.path !== undefined) q.set('path', opts.path);
    if (after !== undefined) q.set('after', String(after));
    const s = q.toString();
    return `/lab/requests${s ? `?${s}` : ''}`;
  };
  const fetchAfter = async (after?: number) =>
    ((await lab.get(query(after))) as { requests: LabRequest[] }).requests;
  const first = await fetchAfter();
  if (!opts.follow) {
    ctx.out.result(first, () => (first.length ? first.map(line) : ['no requests recorded (yet)']));
    return;
  }
  const print = (list: LabRequest[]) => {
    for (const r of list) ctx.out.raw(`${ctx.json ? JSON.stringify(r) : line(r)}\n`);
  };
  print(first);
  let last = first.at(-1)?.id ?? 0;
  let stopped = false;
  const poll = async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (stopped) return;
      const next = await fetchAfter(last);
      print(next);
      last = next.at(-1)?.id ?? last;
    }
  };
  const polling = poll();
  await Promise.race([nextSignal(['SIGINT']), polling]);
  stopped = true;
}
