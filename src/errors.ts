/**
 * The one error model of fapi. Every expected failure is a FapiError with a stable `code`, a
 * message naming the exact field or file, an optional OAuth error from a server, and a hint that
 * says what to do. Only src/cli/main.ts turns errors into text and exit codes.
 */

/** Exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  localState: 3,
  network: 4,
  server: 5,
  nonConformant: 6,
  interrupted: 130,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

/** Which exit code each kind of failure maps to. */
export type ErrorKind =
  'usage' | 'localState' | 'network' | 'server' | 'nonConformant' | 'interrupted' | 'internal';

export interface OAuthErrorFields {
  /** HTTP status of the server's answer. */
  status?: number;
  /** The OAuth `error` code, verbatim. */
  error?: string;
  /** The OAuth `error_description`, verbatim. */
  error_description?: string;
  /** Parsed `WWW-Authenticate` challenge, when the error came in one. */
  www_authenticate?: string;
  /** The endpoint that answered. */
  endpoint?: string;
}

export interface FapiErrorOptions {
  kind: ErrorKind;
  hint?: string;
  oauth?: OAuthErrorFields;
  /** Extra machine-readable details, printed with --json. Never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class FapiError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly oauth: OAuthErrorFields | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: FapiErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FapiError';
    this.code = code;
    this.kind = options.kind;
    this.hint = options.hint;
    this.oauth = options.oauth;
    this.details = options.details;
  }

  get exitCode(): number {
    return ExitCode[this.kind];
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.hint) out.hint = this.hint;
    out.exit_code = this.exitCode;
    if (this.oauth) {
      for (const [k, v] of Object.entries(this.oauth)) if (v !== undefined) out[k] = v;
    }
    if (this.details) out.details = this.details;
    return out;
  }
}

/** Shorthands, so call sites read as the kind of failure they are. */
export const usageError = (code: string, message: string, hint?: string, details?: Record<string, unknown>) =>
  new FapiError(code, message, { kind: 'usage', hint, details });

export const stateError = (
  code: string,
  message: string,
  hint?: string,
  extra?: { details?: Record<string, unknown>; cause?: unknown },
) => new FapiError(code, message, { kind: 'localState', hint, ...extra });

export const networkError = (code: string, message: string, hint?: string, cause?: unknown) =>
  new FapiError(code, message, { kind: 'network', hint, cause });

export const serverError = (
  code: string,
  message: string,
  oauth: OAuthErrorFields,
  hint?: string,
  details?: Record<string, unknown>,
) => new FapiError(code, message, { kind: 'server', oauth, hint, details });

export const conformanceError = (
  code: string,
  message: string,
  hint?: string,
  details?: Record<string, unknown>,
) => new FapiError(code, message, { kind: 'nonConformant', hint, details });

export const isFapiError = (e: unknown): e is FapiError => e instanceof FapiError;
