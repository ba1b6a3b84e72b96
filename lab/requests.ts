/**
 * The last requests the lab answered, each with the check that decided it (accepted, or refused
 * and why), for the dashboard and the log. A ring buffer: memory stays bounded.
 */
/** Which listener served a request. */
export type ListenerName = 'as' | 'mtls' | 'rs';

export interface RequestRecord {
  /** Epoch seconds. */
  at: number;
  listener: ListenerName;
  method: string;
  /** The path only: query strings may carry one-time values. */
  path: string;
  status: number;
  ms: number;
  clientId?: string;
  outcome: 'accepted' | 'refused';
  /** Catalogue ID of the deciding check, for refusals (e.g. PAR-11). */
  check?: string;
  error?: string;
  description?: string;
  /** The checks that passed, in order. */
  passed: string[];
}

export class RequestLog {
  private readonly items: RequestRecord[] = [];
  private total = 0;
  constructor(private readonly max: number) {}

  add(r: RequestRecord): void {
    this.total++;
    this.items.push(r);
    if (this.items.length > this.max) this.items.shift();
  }

  /** Newest first. */
  recent(n = this.max): RequestRecord[] {
    return this.items.slice(-n).reverse();
  }

  get count(): number {
    return this.total;
  }
}

/** One log line for a request: `POST /par 400 invalid_request PAR-11 (client abc): ...`. */
export function formatRequestLine(r: RequestRecord): string {
  const t = new Date(r.at * 1000).toISOString().slice(11, 23);
  const who = r.clientId ? ` client=${r.clientId}` : '';
  const where = r.listener === 'as' ? '' : ` [${r.listener}]`;
  if (r.outcome === 'accepted') return `${t} ${r.method} ${r.path}${where} ${r.status}${who} accepted`;
  return `${t} ${r.method} ${r.path}${where} ${r.status}${who} ${r.error ?? 'refused'}${r.check ? ` ${r.check}` : ''}${r.description ? `: ${r.description}` : ''}`;
}
