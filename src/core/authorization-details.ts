/**
 * Rich Authorization Requests (RFC 9396): the one implementation of its rules for the client and
 * the lab alike. Pure: the type schema (templates/authorization-details.schema.json) is read by
 * src/store/templates.ts and compiled by ./json-schema.ts.
 *
 * The rules, by ID (the lab's checks and the tests carry them):
 *
 * | ID     | rule                                                                                    | spec                  |
 * | RAR-01 | `authorization_details` is JSON: an array of objects, each with a string `type`, within  | RFC 9396 §2, §5       |
 * |        | the server's limits (length, number of details, nesting)                                |                       |
 * | RAR-02 | every `type` is supported (`authorization_details_types_supported`) and, when the client | RFC 9396 §5, §10      |
 * |        | registered `authorization_details_types`, one of those                                  |                       |
 * | RAR-03 | every detail conforms to its type: required fields, field types and values, no unknown  | RFC 9396 §5           |
 * |        | field                                                                                   |                       |
 * | RAR-04 | the consent page presents every detail, in words, escaped; the approval records exactly | RFC 9396 §3.1, §12    |
 * |        | those                                                                                   |                       |
 * | RAR-05 | the token response, the JWT access token and introspection carry the granted details    | RFC 9396 §7, §9.1, §9.2 |
 * | RAR-06 | `authorization_details` in a token request stays within the grant: narrow, never widen  | RFC 9396 §6, §6.1     |
 * | RAR-07 | registered `authorization_details_types` are supported types                            | RFC 9396 §10          |
 * | RAR-08 | a payment executes only when it matches a `payment_initiation` detail of its token:     | RFC 9396 §9 (LAB)     |
 * |        | the same decimal amount, currency and creditor account                                  |                       |
 * | RAR-09 | a payment detail executes once; a replay is refused and recorded                        | RFC 9396 §9 (LAB)     |
 * | RAR-10 | the account APIs show only the accounts an `account_information` detail names           | RFC 9396 §9 (LAB)     |
 *
 * RFC 9396 leaves the resource server's error open: the lab answers 403
 * `error="insufficient_authorization_details"` (RAR-08, RAR-09), by analogy with RFC 6750 §3.1's
 * `insufficient_scope`.
 */
import { usageError } from '../errors.js';
import { childPath, compileSchema, shortJson, type Validator } from './json-schema.js';

/** One authorization details object (RFC 9396 §2): a `type` and fields the type defines. */
export interface AuthorizationDetail {
  type: string;
  [field: string]: unknown;
}

/** The OAuth error of RFC 9396 §5 (authorization and PAR) and §8 (token). */
export const INVALID_AUTHORIZATION_DETAILS = 'invalid_authorization_details';
/** The lab's resource-server error for a request the token's details do not cover (RAR-08, -09). */
export const INSUFFICIENT_AUTHORIZATION_DETAILS = 'insufficient_authorization_details';

/** A refusal of RFC 9396 §5: the rule's ID and a description naming the offending field. */
export class AuthorizationDetailsError extends Error {
  override name = 'AuthorizationDetailsError';
  constructor(
    readonly check: 'RAR-01' | 'RAR-02' | 'RAR-03' | 'RAR-06',
    message: string,
  ) {
    super(message);
  }
}

export interface DetailLimits {
  /** Longest accepted parameter, in characters. */
  maxLength: number;
  /** Most details in one request. */
  maxDetails: number;
  /** Deepest nesting of arrays and objects (the array itself is level 1). */
  maxDepth: number;
}

/** The lab's limits: generous for real requests, and far below what could hurt it. */
export const DEFAULT_DETAIL_LIMITS: Readonly<DetailLimits> = Object.freeze({
  maxLength: 16_384,
  maxDetails: 10,
  maxDepth: 6,
});

const PARAM = 'authorization_details';

/** The nesting depth of a JSON value, without recursion (a hostile value cannot exhaust the stack). */
function depthOf(value: unknown, stopAbove: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > stopAbove) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * RAR-01: parses the `authorization_details` parameter (RFC 9396 §2): a JSON array of objects,
 * each with a non-empty string `type`. Throws an AuthorizationDetailsError with a description that
 * names the problem and never echoes more than a few characters of the input.
 */
export function parseAuthorizationDetails(
  text: string,
  limits: DetailLimits = DEFAULT_DETAIL_LIMITS,
): AuthorizationDetail[] {
  const fail = (m: string) => new AuthorizationDetailsError('RAR-01', m);
  if (text.length > limits.maxLength)
    throw fail(`${PARAM} is ${text.length} characters long; this server accepts at most ${limits.maxLength}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail(`${PARAM} is not JSON: it must be a JSON array of objects (RFC 9396 §2)`);
  }
  return checkDetailsShape(value, limits);
}

/** RAR-01 for a value already parsed (a request object's claim, RFC 9396 §3; a token response). */
export function checkDetailsShape(
  value: unknown,
  limits: DetailLimits = DEFAULT_DETAIL_LIMITS,
): AuthorizationDetail[] {
  const fail = (m: string) => new AuthorizationDetailsError('RAR-01', m);
  if (!Array.isArray(value))
    throw fail(`${PARAM} must be a JSON array of objects (RFC 9396 §2), not ${jsonKind(value)}`);
  if (value.length === 0) throw fail(`${PARAM} must not be an empty array`);
  if (value.length > limits.maxDetails)
    throw fail(`${PARAM} has ${value.length} entries; this server accepts at most ${limits.maxDetails}`);
  const depth = depthOf(value, limits.maxDepth);
  if (depth > limits.maxDepth)
    throw fail(
      `${PARAM} is nested more than ${limits.maxDepth} levels deep; this server accepts at most ${limits.maxDepth}`,
    );
  value.forEach((d, i) => {
    const at = childPath(PARAM, i);
    if (typeof d !== 'object' || d === null || Array.isArray(d))
      throw fail(`${at} must be a JSON object, not ${jsonKind(d)}`);
    const type = (d as Record<string, unknown>).type;
    if (type === undefined)
      throw fail(`${at}.type is missing: every authorization details object has one (RFC 9396 §2)`);
    if (typeof type !== 'string' || type.length === 0) throw fail(`${at}.type must be a non-empty string`);
  });
  return value as AuthorizationDetail[];
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * RAR-02: every type is one the server supports (RFC 9396 §5: an unknown type is refused) and, when
 * the client registered `authorization_details_types` (§10), one of those. Types compare as exact
 * strings, without normalisation (§12).
 */
export function checkDetailTypes(
  details: readonly AuthorizationDetail[],
  supported: readonly string[],
  registered?: readonly string[],
): void {
  details.forEach((d, i) => {
    if (!supported.includes(d.type))
      throw new AuthorizationDetailsError(
        'RAR-02',
        `${childPath(PARAM, i)}.type ${shortJson(d.type)} is not supported; this server supports ${supported.join(', ')}`,
      );
    if (registered && !registered.includes(d.type))
      throw new AuthorizationDetailsError(
        'RAR-02',
        `${childPath(PARAM, i)}.type ${shortJson(d.type)} is not registered for this client (authorization_details_types: ${registered.join(', ') || 'none'})`,
      );
  });
}

/** A compiled type schema, and the types and count limit it declares. */
export interface DetailSchema {
  validate: Validator;
  /** The types the schema defines (`$defs.detail.properties.type.enum`). */
  types: readonly string[];
  /** The schema's `maxItems` (else DEFAULT_DETAIL_LIMITS.maxDetails). */
  maxDetails: number;
}

/** Compiles the authorization details schema (templates/authorization-details.schema.json). */
export function compileDetailSchema(schema: unknown): DetailSchema {
  const validate = compileSchema(schema);
  const s = schema as {
    maxItems?: unknown;
    $defs?: { detail?: { properties?: { type?: { enum?: unknown } } } };
  };
  const types = s.$defs?.detail?.properties?.type?.enum;
  if (!Array.isArray(types) || types.some((t) => typeof t !== 'string'))
    throw new Error(
      'the authorization details schema must list its types in $defs.detail.properties.type.enum',
    );
  return {
    validate,
    types: types as string[],
    maxDetails: typeof s.maxItems === 'number' ? s.maxItems : DEFAULT_DETAIL_LIMITS.maxDetails,
  };
}

/** RAR-03: every detail conforms to its type's schema (RFC 9396 §5). */
export function checkDetailsSchema(details: readonly AuthorizationDetail[], schema: DetailSchema): void {
  const problem = schema.validate(details, PARAM);
  if (problem) throw new AuthorizationDetailsError('RAR-03', problem);
}

// ── words for people (the consent page, the CLI) ─────────────────────────────

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const ACTION_WORDS: Readonly<Record<string, string>> = {
  list_accounts: 'list your accounts',
  read_balances: 'read their balances',
  read_transactions: 'read their transactions',
  initiate: 'initiate it',
  status: 'check its status',
  cancel: 'cancel it',
};

/**
 * One detail in words, as the consent page shows it (RFC 9396 §3.1: the user consents to what they
 * read): "Pay 10.00 EUR to Bob Example (IBAN GB29…), reference "Invoice 42"". Plain text: the
 * caller escapes it for HTML (§12: the data is the client's, so the attacker's).
 */
export function describeDetail(d: AuthorizationDetail): string {
  if (d.type === 'payment_initiation') {
    const amount = obj(d.instructedAmount);
    const account = obj(d.creditorAccount);
    const parts = [
      `Pay ${str(amount.amount) ?? '?'} ${str(amount.currency) ?? '?'} to ${str(d.creditorName) ?? 'an unnamed creditor'}`,
    ];
    const ids = [
      str(account.iban) ? `IBAN ${str(account.iban)}` : undefined,
      str(account.bic) ? `BIC ${str(account.bic)}` : undefined,
    ].filter(Boolean);
    if (ids.length) parts[0] += ` (${ids.join(', ')})`;
    const ref = str(d.remittanceInformationUnstructured);
    if (ref) parts.push(`reference "${ref}"`);
    parts.push('once');
    return parts.join(', ');
  }
  if (d.type === 'account_information') {
    const actions = Array.isArray(d.actions)
      ? d.actions.map((a) => ACTION_WORDS[String(a)] ?? String(a))
      : [];
    const accounts = Array.isArray(d.accounts)
      ? d.accounts.map((a) => str(obj(a).iban)).filter((x): x is string => Boolean(x))
      : [];
    const what = actions.length ? actions.join(', ') : 'read your accounts';
    const which = accounts.length
      ? `only the account${accounts.length > 1 ? 's' : ''} ${accounts.map((a) => `IBAN ${a}`).join(', ')}`
      : 'all your accounts';
    return `${what.charAt(0).toUpperCase()}${what.slice(1)}: ${which}`;
  }
  return `${d.type}: ${JSON.stringify(d)}`;
}

// ── comparing details (RFC 9396 §6.1) ───────────────────────────────────────

/** Canonical JSON (sorted keys): equal values give equal strings (RFC 9396 §12: no normalisation). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function subset(a: unknown, b: unknown): boolean {
  // a ⊆ b for two optional string lists; an absent list in b means "no restriction".
  if (b === undefined) return true;
  if (!Array.isArray(b)) return false;
  if (a === undefined) return false;
  if (!Array.isArray(a)) return false;
  return a.every((x) => b.some((y) => canonicalJson(x) === canonicalJson(y)));
}

/**
 * Whether `requested` asks for no more than `granted` (RFC 9396 §6.1: the comparison is the type's).
 * A payment is a single instruction: only the same payment is covered. For account information,
 * fewer actions, fewer locations and fewer accounts are covered (each list is additive, as in §6.1's
 * example); other types must be identical.
 */
export function detailCovers(granted: AuthorizationDetail, requested: AuthorizationDetail): boolean {
  if (granted.type !== requested.type) return false;
  if (requested.type === 'account_information') {
    const keys = new Set([...Object.keys(requested), ...Object.keys(granted)]);
    for (const k of keys) {
      if (k === 'type') continue;
      if (k === 'actions' || k === 'locations' || k === 'accounts') {
        if (!subset(requested[k], granted[k])) return false;
      } else if (canonicalJson(requested[k]) !== canonicalJson(granted[k])) return false;
    }
    return true;
  }
  return canonicalJson(granted) === canonicalJson(requested);
}

/**
 * RAR-06: the requested details stay within the granted ones (RFC 9396 §6, §6.1): each requested
 * detail is covered by a granted one, and no granted detail covers two requests (two requests for
 * one granted payment would be two payments). Returns the problem, or undefined.
 */
export function detailsWithin(
  requested: readonly AuthorizationDetail[],
  granted: readonly AuthorizationDetail[],
): string | undefined {
  // A bipartite matching (Kuhn's augmenting paths): requests are few (at most maxDetails).
  const owner: (number | undefined)[] = granted.map(() => undefined);
  const tryAssign = (r: number, seen: boolean[]): boolean => {
    for (let g = 0; g < granted.length; g++) {
      if (seen[g] || !detailCovers(granted[g] as AuthorizationDetail, requested[r] as AuthorizationDetail))
        continue;
      seen[g] = true;
      const current = owner[g];
      if (current === undefined || tryAssign(current, seen)) {
        owner[g] = r;
        return true;
      }
    }
    return false;
  };
  for (let r = 0; r < requested.length; r++) {
    if (
      !tryAssign(
        r,
        granted.map(() => false),
      )
    )
      return `${childPath(PARAM, r)} (${describeDetail(requested[r] as AuthorizationDetail)}) was not granted: a token request may narrow the granted authorization details, never widen them (RFC 9396 §6.1)`;
  }
  return undefined;
}

// ── the payment rule (RAR-08) ───────────────────────────────────────────────

/** What a payment request instructs, as the resource server reads it from its body. */
export interface PaymentInstruction {
  amount: string;
  currency: string;
  /** The creditor account's identification (an IBAN at the lab). */
  creditorAccount: string;
}

/**
 * A decimal string as [digits without leading zeros, scale]: "10.50" and "010.5" both give
 * ["105", 1]. Undefined when it is not a plain non-negative decimal.
 */
function decimal(s: string): [string, number] | undefined {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(s);
  if (!m) return undefined;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  const digits = `${m[1] as string}${frac}`.replace(/^0+(?=.)/, '');
  return [digits === '' ? '0' : digits, digits === '0' ? 0 : frac.length];
}

/** Two decimal amounts are equal as numbers ("10", "10.0" and "10.00" are the same amount). */
export function sameAmount(a: string, b: string): boolean {
  const x = decimal(a);
  const y = decimal(b);
  return x !== undefined && y !== undefined && x[0] === y[0] && x[1] === y[1];
}

/** Why a payment does not match one payment_initiation detail, or undefined when it does. */
export function paymentMismatch(detail: AuthorizationDetail, p: PaymentInstruction): string | undefined {
  if (detail.type !== 'payment_initiation') return 'not a payment_initiation detail';
  const amount = obj(detail.instructedAmount);
  const account = obj(detail.creditorAccount);
  const consented = `${str(amount.amount) ?? '?'} ${str(amount.currency) ?? '?'}`;
  if (str(amount.currency) !== p.currency)
    return `the payment is in ${p.currency}, the consent in ${str(amount.currency) ?? '?'} (${consented})`;
  if (!sameAmount(str(amount.amount) ?? '', p.amount))
    return `the payment is ${p.amount} ${p.currency}, the consent is for ${consented}`;
  // RFC 9396 §12: strings compare exactly, without normalisation.
  if (str(account.iban) !== p.creditorAccount)
    return `the payment goes to the account ${p.creditorAccount}, the consent to ${str(account.iban) ?? '?'}`;
  return undefined;
}

/**
 * RAR-08: the indexes of the token's payment_initiation details that this payment matches (same
 * decimal amount, currency and creditor account), or why none does.
 */
export function matchPayment(
  details: readonly AuthorizationDetail[],
  p: PaymentInstruction,
): { matches: number[] } | { problem: string } {
  const payments = details.map((d, i) => [d, i] as const).filter(([d]) => d.type === 'payment_initiation');
  if (payments.length === 0)
    return {
      problem:
        "the access token carries no payment_initiation authorization detail: a payment needs the user's consent to that payment (RFC 9396)",
    };
  const matches: number[] = [];
  let first: string | undefined;
  for (const [d, i] of payments) {
    const why = paymentMismatch(d, p);
    if (why === undefined) matches.push(i);
    else first ??= why;
  }
  if (matches.length) return { matches };
  return {
    problem:
      payments.length === 1
        ? (first as string)
        : `no payment_initiation detail of the token matches: ${first as string}`,
  };
}

/**
 * The request body of the payment a payment_initiation detail consents to, in the open-banking
 * shape of the lab's `POST /payments` (UK Open Banking domestic payment): `instructedAmount
 * {currency, amount}` → `Data.Initiation.InstructedAmount {Amount, Currency}`, `creditorAccount
 * {iban}` and `creditorName` → `CreditorAccount {Identification, Name}`; `debtorIban` picks the
 * account to pay from. The inverse of what the lab's RS reads (RAR-08).
 */
export function paymentInitiationBody(
  detail: AuthorizationDetail,
  debtorIban?: string,
): Record<string, unknown> {
  const amount = obj(detail.instructedAmount);
  const account = obj(detail.creditorAccount);
  return {
    Data: {
      Initiation: {
        InstructedAmount: { Amount: str(amount.amount), Currency: str(amount.currency) },
        CreditorAccount: {
          SchemeName: 'UK.OBIE.IBAN',
          Identification: str(account.iban),
          Name: str(detail.creditorName),
        },
        ...(debtorIban ? { DebtorAccount: { SchemeName: 'UK.OBIE.IBAN', Identification: debtorIban } } : {}),
      },
    },
  };
}

/**
 * The same payment_initiation detail for another amount: `factor` times its amount, with as many
 * decimals ("1.00" × 2 = "2.00"); undefined when the detail has no decimal `instructedAmount.amount`.
 */
export function detailForOtherAmount(
  detail: AuthorizationDetail,
  factor = 2,
): AuthorizationDetail | undefined {
  const amount = obj(detail.instructedAmount);
  const m = /^([0-9]{1,13})(?:\.([0-9]{1,6}))?$/.exec(str(amount.amount) ?? '');
  if (!m) return undefined;
  const scale = (m[2] ?? '').length;
  const units = BigInt(`${m[1] as string}${m[2] ?? ''}`) * BigInt(factor);
  const digits = units.toString().padStart(scale + 1, '0');
  const other = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return { ...detail, instructedAmount: { ...amount, amount: other } };
}

/** The details of a token or introspection claim, when it is a well-formed list; else undefined. */
export function detailsOfClaim(v: unknown): AuthorizationDetail[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.every(
    (d) => typeof d === 'object' && d !== null && !Array.isArray(d) && typeof d.type === 'string',
  )
    ? (v as AuthorizationDetail[])
    : undefined;
}

// ── the client (fapi login / token client-credentials / token refresh) ───────

/** What the client accepts from its user: the shape of RFC 9396 §2, with room for any server. */
export const CLIENT_DETAIL_LIMITS: Readonly<DetailLimits> = Object.freeze({
  maxLength: 1_048_576,
  maxDetails: 1000,
  maxDepth: 32,
});

/**
 * The details a user passed to `--authorization-details` (JSON text): RAR-01's shape, refused as a
 * usage error (exit 2) naming the problem.
 */
export function parseRequestedDetails(text: string, flag = '--authorization-details'): AuthorizationDetail[] {
  try {
    return parseAuthorizationDetails(text, CLIENT_DETAIL_LIMITS);
  } catch (e) {
    if (!(e instanceof AuthorizationDetailsError)) throw e;
    throw usageError(
      'E_AUTHORIZATION_DETAILS',
      `${flag}: ${e.message}.`,
      'Pass a JSON array of objects with a "type", e.g. \'[{"type":"payment_initiation",…}]\', or @FILE.',
    );
  }
}

/**
 * Before anything is sent: the server must support RAR (`authorization_details_types_supported`,
 * RFC 9396 §10) and every requested type (§5 would refuse it). Usage errors (exit 2) naming the
 * type and what the server supports.
 */
export function checkRequestedTypes(
  details: readonly AuthorizationDetail[],
  metadata: { authorization_details_types_supported?: unknown; issuer?: unknown },
  flag = '--authorization-details',
): void {
  const supported = metadata.authorization_details_types_supported;
  const server = typeof metadata.issuer === 'string' ? metadata.issuer : 'the server';
  if (!Array.isArray(supported) || supported.some((t) => typeof t !== 'string'))
    throw usageError(
      'E_AUTHORIZATION_DETAILS_UNSUPPORTED',
      `${server} does not support Rich Authorization Requests: its metadata has no authorization_details_types_supported (RFC 9396 §10).`,
      `Ask for access with --scope instead, or drop ${flag}.`,
    );
  for (const d of details) {
    if (!supported.includes(d.type))
      throw usageError(
        'E_AUTHORIZATION_DETAILS_TYPE',
        `${flag}: the type ${JSON.stringify(d.type)} is not supported by ${server}.`,
        `It supports: ${(supported as string[]).join(', ') || 'none'} (authorization_details_types_supported).`,
        { type: d.type },
      );
  }
}
