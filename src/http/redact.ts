/**
 * Redaction of secrets in traces: `Authorization`, `DPoP`, client assertions, codes, verifiers and
 * tokens never reach a log in the clear. Used by the HTTP trace and by anything that prints
 * exchanges (CL-28).
 */
export const SECRET_HEADERS = new Set([
  'authorization',
  'dpop',
  'cookie',
  'set-cookie',
  'proxy-authorization',
]);
export const SECRET_FIELDS = new Set([
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_assertion',
  'client_secret',
  'registration_access_token',
  'token',
  'assertion',
  'initial_access_token',
  'software_statement',
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'password',
]);

export function redacted(name: string, value: string): string {
  return `«redacted: ${name}, ${value.length} chars»`;
}

export function redactHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  // A redirect to the client carries the code (or a JARM response) in its query.
  if (lower === 'location' || lower === 'content-location') return redactUrl(value);
  if (!SECRET_HEADERS.has(lower)) return value;
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const sp = value.indexOf(' ');
    if (sp > 0) return `${value.slice(0, sp)} ${redacted('token', value.slice(sp + 1))}`;
  }
  return redacted(lower, value);
}

export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map((x) => redactHeaderValue(k, x)) : redactHeaderValue(k, v);
  }
  return out;
}

/** Redacts secret members of a JSON value, at any depth. */
export function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_FIELDS.has(k) && typeof v === 'string' ? redacted(k, v) : redactJson(v);
    }
    return out;
  }
  return value;
}

/** Redacts an application/x-www-form-urlencoded body. */
export function redactForm(body: string): string {
  const params = new URLSearchParams(body);
  const parts: string[] = [];
  for (const [k, v] of params) parts.push(`${k}=${SECRET_FIELDS.has(k) ? redacted(k, v) : v}`);
  return parts.join('&');
}

/** Query parameters that are secret: the fields above, and a JARM `response` (it holds the code). */
const SECRET_QUERY_FIELDS = new Set([...SECRET_FIELDS, 'response']);

/** Redacts a URL's query (codes and tokens must never be printed, even in a callback URL). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const k of [...u.searchParams.keys()]) {
      if (SECRET_QUERY_FIELDS.has(k)) u.searchParams.set(k, redacted(k, u.searchParams.get(k) ?? ''));
    }
    return u.toString();
  } catch {
    return url;
  }
}

/** Redacts a body given its content type. */
export function redactBody(body: string, contentType: string | undefined): string {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('json')) {
    try {
      return JSON.stringify(redactJson(JSON.parse(body)), null, 2);
    } catch {
      return body;
    }
  }
  if (ct.includes('x-www-form-urlencoded')) return redactForm(body);
  if (ct.includes('jwt') || /^[\w-]+\.[\w-]+\.[\w-]*$/.test(body.trim())) return redacted('jwt', body);
  return body;
}

/** The secret fields that also appear in free text (`name=value`, `"name": "value"`); not the one-letter JWK members. */
const TEXT_FIELDS = [...SECRET_FIELDS].filter((f) => f.length > 2).join('|');
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
/** A compact JWS or JWE (RFC 7515 §7.1, RFC 7516 §7.1): base64url JSON header first. */
const COMPACT_JOSE =
  /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;
const AUTH_SCHEME = /\b(Bearer|DPoP)(\s+)([A-Za-z0-9._~+/-]{8,}=*)/gi;
const JSON_FIELD = new RegExp(`"(${TEXT_FIELDS}|d|p|q|dp|dq|qi)"(\\s*:\\s*)"([^"«]+)"`, 'g');
const FORM_FIELD = new RegExp(`\\b(${TEXT_FIELDS})=([^\\s&"'«,;]+)`, 'g');

/**
 * Redacts secrets in free text (a program's output, a log line): private keys in PEM, JWTs and
 * other compact JOSE values, credentials after `Bearer` / `DPoP`, and the secret fields of
 * SECRET_FIELDS as `name=value` (forms, query strings) or `"name": "value"` (JSON). CL-28.
 */
export function redactText(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, (m) => redacted('private key', m))
    .replace(COMPACT_JOSE, (m) => redacted('jwt', m))
    .replace(
      AUTH_SCHEME,
      (_m, scheme: string, sp: string, v: string) => `${scheme}${sp}${redacted('token', v)}`,
    )
    .replace(JSON_FIELD, (_m, k: string, sep: string, v: string) => `"${k}"${sep}"${redacted(k, v)}"`)
    .replace(FORM_FIELD, (_m, k: string, v: string) => `${k}=${redacted(k, v)}`);
}
