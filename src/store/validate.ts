/**
 * A tiny structural validator: each check names the JSON path of the bad field, so a corrupt or
 * hand-edited file is reported precisely (e.g. `profile.json: $.keys.signing.kid must be a string`).
 */
export type Check = (value: unknown, path: string) => string | undefined;

export const str: Check = (v, p) => (typeof v === 'string' ? undefined : `${p} must be a string`);
export const nonEmptyStr: Check = (v, p) =>
  typeof v === 'string' && v.length > 0 ? undefined : `${p} must be a non-empty string`;
export const num: Check = (v, p) =>
  typeof v === 'number' && Number.isFinite(v) ? undefined : `${p} must be a number`;
export const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : `${p} must be true or false`);
export const oneOf =
  (...allowed: readonly (string | number)[]): Check =>
  (v, p) =>
    allowed.includes(v as string)
      ? undefined
      : `${p} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
export const httpsUrl: Check = (v, p) => {
  if (typeof v !== 'string') return `${p} must be a URL string`;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' ? undefined : `${p} must be an https URL`;
  } catch {
    return `${p} must be a URL`;
  }
};
export const anyObject: Check = (v, p) => (isPlainObject(v) ? undefined : `${p} must be an object`);
export const arrayOf =
  (item: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `${p} must be an array`;
    for (let i = 0; i < v.length; i++) {
      const e = item(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return undefined;
  };

export interface Shape {
  [key: string]: { check: Check; optional?: boolean };
}

export const req = (check: Check) => ({ check });
export const opt = (check: Check) => ({ check, optional: true });

/** An object with the given fields; unknown fields are allowed (forward compatibility) unless strict. */
export const object =
  (shape: Shape, strict = false): Check =>
  (v, p) => {
    if (!isPlainObject(v)) return `${p} must be an object`;
    for (const [k, { check, optional }] of Object.entries(shape)) {
      const val = v[k];
      if (val === undefined) {
        if (!optional) return `${p}.${k} is missing`;
        continue;
      }
      const e = check(val, `${p}.${k}`);
      if (e) return e;
    }
    if (strict) {
      for (const k of Object.keys(v)) if (!(k in shape)) return `${p}.${k} is not a known option`;
    }
    return undefined;
  };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
