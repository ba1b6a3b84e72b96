/**
 * Terminal output: data on stdout (one JSON value with --json), narration on stderr. Colour only on
 * a TTY, never with NO_COLOR or --no-color.
 */
import { redactHeaders, redactBody, redactUrl } from '../http/redact.js';
import type { TraceEvent } from '../http/client.js';

export interface Palette {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const colourful: Palette = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
};
const id = (s: string) => s;
const plain: Palette = { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };

export interface TraceOptions {
  /** Before each arrow, e.g. "[FAPI 2.0 lab] attacker" (a space follows it). */
  prefix?: string;
  /** Spaces before every line (default 0). */
  indent?: number;
  /** Response bodies longer than this many characters are cut with "…" (default 4000). */
  bodyLimit?: number;
}

export interface Stream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export class Output {
  readonly c: Palette;
  readonly errC: Palette;
  constructor(
    readonly stdout: Stream,
    readonly stderr: Stream,
    readonly opts: { json: boolean; color: boolean; verbose: boolean },
  ) {
    this.c = opts.color && stdout.isTTY ? colourful : plain;
    this.errC = opts.color && stderr.isTTY ? colourful : plain;
  }

  /** The command's result: with --json one JSON document on stdout, otherwise the human lines. */
  result(data: unknown, human: () => string | string[]): void {
    if (this.opts.json) {
      this.stdout.write(JSON.stringify(data, null, 2) + '\n');
      return;
    }
    const lines = human();
    const text = Array.isArray(lines) ? lines.join('\n') : lines;
    if (text) this.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Raw bytes on stdout (e.g. an API response body, a DPoP proof). */
  raw(s: string): void {
    this.stdout.write(s);
  }

  /** Narration on stderr; silent with --json unless verbose. */
  info(s: string): void {
    if (this.opts.json && !this.opts.verbose) return;
    this.stderr.write(s + '\n');
  }

  warn(s: string): void {
    this.stderr.write(`${this.errC.yellow('!')} ${s}\n`);
  }

  verbose(s: string): void {
    if (this.opts.verbose) this.stderr.write(this.errC.dim(s) + '\n');
  }

  get isStdoutTTY(): boolean {
    return Boolean(this.stdout.isTTY);
  }

  /**
   * The --verbose HTTP trace, secrets redacted: "→ GET url", its headers and body indented by four,
   * "← 200 url (12 ms)" with the response's. `prefix` names the party before each arrow (the
   * attack scenarios play several), else the request's own label does (`[CA-02 private_key_jwt+dpop]`:
   * the conformance check it belongs to); `indent` moves every line right, `bodyLimit` cuts long bodies.
   */
  trace = (e: TraceEvent, o: TraceOptions = {}): void => {
    if (!this.opts.verbose) return;
    const c = this.errC;
    const margin = ' '.repeat(o.indent ?? 0);
    const prefix = o.prefix ?? (e.request.label ? c.dim(`[${e.request.label}]`) : undefined);
    const lead = `${margin}${prefix ? `${prefix} ` : ''}`;
    const inner = `${margin}    `;
    const indent = (s: string) =>
      s
        .split('\n')
        .map((l) => inner + l)
        .join('\n');
    const limit = o.bodyLimit ?? 4000;
    if (e.phase === 'request') {
      const lines = [
        `${lead}${c.cyan('→')} ${e.request.method} ${redactUrl(e.request.url)}${e.request.clientCert ? ' (client certificate)' : ''}`,
      ];
      for (const [k, v] of Object.entries(redactHeaders(e.request.headers ?? {})))
        lines.push(`${inner}${k}: ${String(v)}`);
      if (e.request.body !== undefined) {
        const ct = (e.request.headers?.['content-type'] ?? e.request.headers?.['Content-Type']) as
          string | undefined;
        lines.push(indent(redactBody(Buffer.from(e.request.body).toString('utf8'), ct)));
      }
      this.stderr.write(lines.join('\n') + '\n');
    } else if (e.phase === 'response' && e.response) {
      const r = e.response;
      const lines = [`${lead}${c.cyan('←')} ${r.status} ${redactUrl(r.url)} (${e.ms} ms)`];
      for (const [k, v] of Object.entries(redactHeaders(r.headers))) lines.push(`${inner}${k}: ${String(v)}`);
      const body = r.text();
      if (body)
        lines.push(
          indent(
            redactBody(body.length > limit ? body.slice(0, limit) + '…' : body, r.header('content-type')),
          ),
        );
      this.stderr.write(lines.join('\n') + '\n');
    } else if (e.phase === 'error') {
      this.stderr.write(
        `${lead}${c.red('✖')} ${e.request.method} ${redactUrl(e.request.url)}: ${(e.error as Error)?.message ?? e.error}\n`,
      );
    }
  };
}

export function colorEnabled(flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0') return false;
  return true;
}
