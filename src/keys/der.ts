/**
 * A minimal ASN.1 DER writer and reader (ITU-T X.690 §8, §10), just what X.509 certificates
 * (RFC 5280) and PKCS#12 (RFC 7292) need. It exists so that making a certificate costs a few
 * milliseconds: the general-purpose X.509 libraries take longer to import than the whole
 * `fapi keygen --cert` budget.
 */

export class DerError extends Error {
  override name = 'DerError';
}

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single-byte tag. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(Tag.SEQUENCE, Buffer.concat(items));

/** SET OF: DER sorts the encodings (X.690 §11.6). */
export const setOf = (...items: Buffer[]): Buffer =>
  tlv(Tag.SET, Buffer.concat([...items].sort(Buffer.compare)));

export const nul = (): Buffer => Buffer.from([Tag.NULL, 0]);
export const bool = (v: boolean): Buffer => Buffer.from([Tag.BOOLEAN, 1, v ? 0xff : 0]);
export const octets = (b: Uint8Array): Buffer => tlv(Tag.OCTET_STRING, b);
export const utf8 = (s: string): Buffer => tlv(Tag.UTF8_STRING, Buffer.from(s, 'utf8'));
export const printable = (s: string): Buffer => tlv(Tag.PRINTABLE_STRING, Buffer.from(s, 'latin1'));
export const ia5 = (s: string): Buffer => tlv(Tag.IA5_STRING, Buffer.from(s, 'latin1'));
/** BMPString: UTF-16 big-endian. */
export const bmp = (s: string): Buffer => tlv(Tag.BMP_STRING, Buffer.from(s, 'utf16le').swap16());

/** BIT STRING with `unused` trailing bits in the last byte. */
export const bitString = (b: Uint8Array, unused = 0): Buffer =>
  tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unused]), b]));

/** A non-negative INTEGER from big-endian magnitude bytes (a 0x00 is prepended when needed). */
export function uint(magnitude: Uint8Array | number): Buffer {
  let b: Buffer;
  if (typeof magnitude === 'number') {
    if (!Number.isSafeInteger(magnitude) || magnitude < 0) throw new DerError(`bad integer ${magnitude}`);
    const bytes: number[] = [];
    for (let v = magnitude; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    b = Buffer.from(bytes.length ? bytes : [0]);
  } else {
    b = Buffer.from(magnitude);
  }
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if ((b[0] as number) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(Tag.INTEGER, b);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map((p) => {
    if (!/^\d+$/.test(p)) throw new DerError(`bad OID ${dotted}`);
    return BigInt(p);
  });
  if (parts.length < 2) throw new DerError(`bad OID ${dotted}`);
  const arcs = [(parts[0] as bigint) * 40n + (parts[1] as bigint), ...parts.slice(2)];
  const out: number[] = [];
  for (const arc of arcs) {
    const bytes: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  }
  return tlv(Tag.OID, Buffer.from(out));
}

/** Context-specific tag [n]: constructed (EXPLICIT, or IMPLICIT of a constructed type) or primitive. */
export const ctx = (n: number, content: Uint8Array, constructed = true): Buffer =>
  tlv((constructed ? 0xa0 : 0x80) | n, content);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always in UTC with seconds. */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const rest = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(Tag.UTC_TIME, Buffer.from(pad(y % 100) + rest, 'latin1'));
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(pad(y, 4) + rest, 'latin1'));
}

// ── reading ──────────────────────────────────────────────────────────────────

export interface Node {
  tag: number;
  /** The whole TLV. */
  raw: Buffer;
  /** The value bytes. */
  content: Buffer;
}

/** Reads the TLV at `offset`; DER only (definite lengths, single-byte tags). */
export function read(buf: Buffer, offset = 0): Node & { end: number } {
  if (offset + 2 > buf.length) throw new DerError('truncated DER');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let len = buf[offset + 1] as number;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized DER length');
    if (p + n > buf.length) throw new DerError('truncated DER');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] as number);
    p += n;
  }
  const end = p + len;
  if (end > buf.length) throw new DerError('truncated DER');
  return { tag, raw: buf.subarray(offset, end), content: buf.subarray(p, end), end };
}

/** Reads exactly one TLV spanning the whole buffer. */
export function readOne(buf: Buffer): Node {
  const n = read(buf, 0);
  if (n.end !== buf.length) throw new DerError('trailing bytes after DER value');
  return n;
}

/** The children of a constructed value. */
export function children(node: Node): Node[] {
  const out: Node[] = [];
  let p = 0;
  while (p < node.content.length) {
    const c = read(node.content, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function readOid(node: Node): string {
  if (node.tag !== Tag.OID || node.content.length === 0) throw new DerError('expected an OID');
  const arcs: bigint[] = [];
  let v = 0n;
  for (const byte of node.content) {
    v = (v << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs.shift() as bigint;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

export function readTime(node: Node): Date {
  const s = node.content.toString('latin1');
  let m: RegExpMatchArray | null;
  if (node.tag === Tag.UTC_TIME && (m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/))) {
    const yy = Number(m[1]);
    return new Date(
      Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!),
    );
  }
  if (
    node.tag === Tag.GENERALIZED_TIME &&
    (m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/))
  ) {
    return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  }
  throw new DerError(`unsupported time ${JSON.stringify(s)}`);
}

/** Decodes the directory-string types found in certificate names. */
export function readString(node: Node): string | undefined {
  switch (node.tag) {
    case Tag.UTF8_STRING:
      return node.content.toString('utf8');
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.T61_STRING:
      return node.content.toString('latin1');
    case Tag.BMP_STRING:
      return Buffer.from(node.content).swap16().toString('utf16le');
    case Tag.UNIVERSAL_STRING: {
      let s = '';
      for (let i = 0; i + 3 < node.content.length; i += 4)
        s += String.fromCodePoint(node.content.readUInt32BE(i));
      return s;
    }
    default:
      return undefined;
  }
}
