/**
 * A small, strict JSON Schema (2020-12) validator for the schemas fapi ships
 * (templates/authorization-details.schema.json): only the keywords listed in KEYWORDS, compiled
 * once into plain closures, so validating a value allocates almost nothing (the lab's PAR endpoint
 * runs it on every request: bench row 5a). A keyword outside that list is a compile error, never
 * silently ignored: a schema must mean what it says.
 *
 * Supported: `type` (one or a list), `enum`, `const`, `pattern`, `minLength`, `maxLength`,
 * `minItems`, `maxItems`, `items`, `properties`, `required`, `additionalProperties` (false or a
 * schema), `allOf`, `if`/`then`, and local `$ref`s (`#/$defs/name`). Annotations (`title`,
 * `description`, `$comment`, `$schema`, `$id`, `$defs`, `examples`) are read for messages only.
 *
 * The first problem is reported, as `<path> <problem>`, e.g.
 * `authorization_details[0].instructedAmount.amount must be a positive decimal amount …`: a schema
 * node's `description` says what a value must be, and the nearest `title` names the object whose
 * field is unknown or missing.
 */

type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** Returns the problem with `value` at `path`, or undefined when it is valid. */
export type Validator = (value: unknown, path: string) => string | undefined;

export class SchemaError extends Error {
  override name = 'SchemaError';
}

const KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'allOf',
  'if',
  'then',
  '$ref',
  // annotations
  'title',
  'description',
  '$comment',
  '$schema',
  '$id',
  '$defs',
  'examples',
]);

const TYPES = new Set<JsonType>(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

type Schema = Record<string, unknown>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

function hasType(v: unknown, t: JsonType): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

/** A short JSON rendering of a value for messages (never more than 40 characters). */
export function shortJson(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

/** JSON equality for `const` and `enum` of non-string values. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** `<path>.<key>`, or `<path>[<key>]` when the key is not an identifier. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

const nonNegativeInt = (v: unknown, k: string, at: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new SchemaError(`${at}: ${k} must be a non-negative integer`);
  return v;
};

/** Compiles a schema into a validator; throws SchemaError for anything it does not support. */
export function compileSchema(root: unknown): Validator {
  if (!isObject(root)) throw new SchemaError('the schema must be a JSON object');
  const defs = isObject(root.$defs) ? root.$defs : {};
  const compiled = new Map<string, Validator>();

  const ref = (target: unknown, at: string, title: string | undefined): Validator => {
    if (typeof target !== 'string' || !target.startsWith('#/$defs/'))
      throw new SchemaError(`${at}: only local references "#/$defs/<name>" are supported`);
    const name = target.slice('#/$defs/'.length);
    if (!isObject(defs[name])) throw new SchemaError(`${at}: ${target} does not exist`);
    // Late binding: a definition may refer to itself or to one compiled later.
    return (v, p) => {
      let fn = compiled.get(name);
      if (!fn) {
        fn = compile(defs[name] as Schema, `#/$defs/${name}`, title);
        compiled.set(name, fn);
      }
      return fn(v, p);
    };
  };

  function compile(s: Schema, at: string, inheritedTitle?: string): Validator {
    for (const k of Object.keys(s))
      if (!KEYWORDS.has(k)) throw new SchemaError(`${at}: the keyword "${k}" is not supported`);
    const title = typeof s.title === 'string' ? s.title : inheritedTitle;
    const must = typeof s.description === 'string' ? s.description : undefined;
    const checks: Validator[] = [];

    if (s.$ref !== undefined) checks.push(ref(s.$ref, at, title));

    if (s.type !== undefined) {
      const types = (Array.isArray(s.type) ? s.type : [s.type]) as JsonType[];
      for (const t of types) if (!TYPES.has(t)) throw new SchemaError(`${at}: unknown type ${String(t)}`);
      const word = types.map((t) => (t === 'object' || t === 'array' ? `an ${t}` : `a ${t}`)).join(' or ');
      checks.push((v, p) => (types.some((t) => hasType(v, t)) ? undefined : `${p} must be ${word}`));
    }

    if (s.const !== undefined) {
      const c = s.const;
      checks.push((v, p) => (jsonEqual(v, c) ? undefined : `${p} must be ${shortJson(c)}`));
    }

    if (s.enum !== undefined) {
      if (!Array.isArray(s.enum) || s.enum.length === 0)
        throw new SchemaError(`${at}: enum must be a non-empty array`);
      const list = s.enum;
      if (list.every((x) => typeof x === 'string')) {
        const set = new Set(list as string[]);
        const shown =
          list.length <= 8 ? `one of ${list.map((x) => JSON.stringify(x)).join(', ')}` : undefined;
        checks.push((v, p) =>
          typeof v === 'string' && set.has(v)
            ? undefined
            : `${p} ${shortJson(v)} is not ${must ?? shown ?? 'an allowed value'}`,
        );
      } else {
        checks.push((v, p) =>
          list.some((x) => jsonEqual(v, x)) ? undefined : `${p} ${shortJson(v)} is not an allowed value`,
        );
      }
    }

    if (s.minLength !== undefined || s.maxLength !== undefined || s.pattern !== undefined) {
      const min = s.minLength === undefined ? 0 : nonNegativeInt(s.minLength, 'minLength', at);
      const max = s.maxLength === undefined ? Infinity : nonNegativeInt(s.maxLength, 'maxLength', at);
      let re: RegExp | undefined;
      if (s.pattern !== undefined) {
        if (typeof s.pattern !== 'string') throw new SchemaError(`${at}: pattern must be a string`);
        // JSON Schema patterns are ECMA-262 and unanchored; the `u` flag reads them as Unicode.
        re = new RegExp(s.pattern, 'u');
      }
      checks.push((v, p) => {
        if (typeof v !== 'string') return undefined; // `type` says what else it must be
        // Length in code points, as JSON Schema counts it.
        const n = v.length > max * 2 ? v.length : [...v].length;
        if (n < min || n > max) {
          const range =
            max === Infinity ? `at least ${min}` : min === 0 ? `at most ${max}` : `${min} to ${max}`;
          return must ? `${p} must be ${must}` : `${p} must be ${range} characters long`;
        }
        if (re && !re.test(v)) return `${p} ${shortJson(v)} is not ${must ?? `of the form ${re.source}`}`;
        return undefined;
      });
    }

    if (s.minItems !== undefined || s.maxItems !== undefined) {
      const min = s.minItems === undefined ? 0 : nonNegativeInt(s.minItems, 'minItems', at);
      const max = s.maxItems === undefined ? Infinity : nonNegativeInt(s.maxItems, 'maxItems', at);
      checks.push((v, p) => {
        if (!Array.isArray(v)) return undefined;
        if (v.length < min) return `${p} must have at least ${min} ${min === 1 ? 'entry' : 'entries'}`;
        if (v.length > max) return `${p} has ${v.length} entries; at most ${max} are allowed`;
        return undefined;
      });
    }

    if (s.items !== undefined) {
      if (!isObject(s.items)) throw new SchemaError(`${at}: items must be a schema`);
      const item = compile(s.items, `${at}/items`, title);
      checks.push((v, p) => {
        if (!Array.isArray(v)) return undefined;
        for (let i = 0; i < v.length; i++) {
          const e = item(v[i], childPath(p, i));
          if (e) return e;
        }
        return undefined;
      });
    }

    if (s.required !== undefined) {
      if (!Array.isArray(s.required) || s.required.some((r) => typeof r !== 'string'))
        throw new SchemaError(`${at}: required must be an array of strings`);
      const required = s.required as string[];
      checks.push((v, p) => {
        if (!isObject(v)) return undefined;
        for (const r of required)
          if (v[r] === undefined)
            return `${childPath(p, r)} is missing${title ? ` (required for ${title})` : ''}`;
        return undefined;
      });
    }

    if (s.properties !== undefined || s.additionalProperties !== undefined) {
      if (s.properties !== undefined && !isObject(s.properties))
        throw new SchemaError(`${at}: properties must be an object`);
      const props = new Map<string, Validator>();
      for (const [k, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
        if (!isObject(sub)) throw new SchemaError(`${at}/properties/${k}: must be a schema`);
        props.set(k, compile(sub, `${at}/properties/${k}`, title));
      }
      const extra = s.additionalProperties;
      let other: Validator | false | undefined;
      if (extra === false) other = false;
      else if (isObject(extra)) other = compile(extra, `${at}/additionalProperties`, title);
      else if (extra !== undefined && extra !== true)
        throw new SchemaError(`${at}: additionalProperties must be a boolean or a schema`);
      checks.push((v, p) => {
        if (!isObject(v)) return undefined;
        for (const k in v) {
          if (!Object.hasOwn(v, k)) continue;
          const fn = props.get(k);
          const cp = childPath(p, k);
          if (fn) {
            const e = fn(v[k], cp);
            if (e) return e;
          } else if (other === false) {
            return `${cp} is not a field of ${title ?? 'this object'}${props.size ? ` (known: ${[...props.keys()].join(', ')})` : ''}`;
          } else if (other) {
            const e = other(v[k], cp);
            if (e) return e;
          }
        }
        return undefined;
      });
    }

    if (s.allOf !== undefined) {
      if (!Array.isArray(s.allOf) || s.allOf.some((x) => !isObject(x)))
        throw new SchemaError(`${at}: allOf must be an array of schemas`);
      const all = (s.allOf as Schema[]).map((x, i) => compile(x, `${at}/allOf/${i}`, title));
      checks.push((v, p) => {
        for (const fn of all) {
          const e = fn(v, p);
          if (e) return e;
        }
        return undefined;
      });
    }

    if (s.if !== undefined || s.then !== undefined) {
      if (!isObject(s.if) || !isObject(s.then))
        throw new SchemaError(`${at}: if and then must come together, as schemas`);
      const cond = compile(s.if, `${at}/if`, title);
      const then = compile(s.then, `${at}/then`, title);
      checks.push((v, p) => (cond(v, p) === undefined ? then(v, p) : undefined));
    }

    if (checks.length === 1) return checks[0] as Validator;
    return (v, p) => {
      for (const fn of checks) {
        const e = fn(v, p);
        if (e) return e;
      }
      return undefined;
    };
  }

  // Compile (and so check) every definition now, not on first use.
  for (const [name, def] of Object.entries(defs)) {
    if (!isObject(def)) throw new SchemaError(`#/$defs/${name} must be a schema`);
    if (!compiled.has(name)) compiled.set(name, compile(def, `#/$defs/${name}`));
  }
  return compile(root, '#');
}
