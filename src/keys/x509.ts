/**
 * X.509 v3 certificates (RFC 5280) for mTLS (RFC 8705): client certificates (keyUsage
 * digitalSignature, EKU clientAuth), TLS server certificates and a CA, for EC P-256, RSA and
 * Ed25519 keys, self-signed or issued by a CA. Built with the small DER writer in ./der.ts and
 * signed with node:crypto, so `fapi keygen --cert` stays fast; node's X509Certificate verifies
 * signatures when parsing.
 */
import {
  KeyObject,
  X509Certificate,
  constants,
  createHash,
  createPublicKey,
  randomBytes,
  sign,
} from 'node:crypto';
import { isIP } from 'node:net';
import type { FapiError } from '../errors.js';
import { stateError, usageError } from '../errors.js';
import {
  DerError,
  Tag,
  bitString,
  bool,
  children,
  ctx,
  ia5,
  nul,
  octets,
  oid,
  printable,
  readOid,
  readOne,
  readString,
  readTime,
  seq,
  setOf,
  time,
  tlv,
  uint,
  utf8,
  type Node,
} from './der.js';

export type SanType = 'dns' | 'ip' | 'uri' | 'email';
export interface San {
  type: SanType;
  value: string;
}

export type CertProfile = 'client' | 'server' | 'ca';

export interface CreateCertificateOptions {
  key: { privateKey: KeyObject; publicKey: KeyObject };
  /** RFC 4514 string, most specific first: "CN=my-client,O=Example". */
  subject: string;
  sans?: San[];
  /** Validity in days from now (default 365). */
  days?: number;
  /** Default: one minute ago, to tolerate clock skew between client and server. */
  notBefore?: Date;
  /** Issue from this CA instead of self-signing. */
  issuer?: { certPem: string; privateKey: KeyObject };
  profile: CertProfile;
  /** Hex serial number; default 128 random bits. */
  serial?: string;
}

export interface CertInfo {
  pem: string;
  der: Buffer;
  /** RFC 4514 string, most specific RDN first. */
  subject: string;
  issuer: string;
  /** Upper-case hex, no leading zeros. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** base64url SHA-256 of the DER (RFC 8705 §3.1). */
  x5tS256: string;
  /** Issuer equals subject and the certificate's own key verifies its signature. */
  selfSigned: boolean;
  /** Subject alternative names. */
  sans: San[];
  /** basicConstraints cA. */
  ca: boolean;
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ecdsaSha512: '1.2.840.10045.4.3.4',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ed25519: '1.3.101.112',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// RFC 4514 §3 names, plus the common extras accepted on input.
const ATTR_NAMES: Record<string, string> = {
  CN: '2.5.4.3',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  STREET: '2.5.4.9',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
};
const INPUT_ALIASES: Record<string, string> = {
  ...ATTR_NAMES,
  SERIALNUMBER: '2.5.4.5',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
  E: '1.2.840.113549.1.9.1',
  TITLE: '2.5.4.12',
  GIVENNAME: '2.5.4.42',
  SN: '2.5.4.4',
  SURNAME: '2.5.4.4',
  ORGANIZATIONIDENTIFIER: '2.5.4.97',
};
const NAME_FOR_OID = Object.fromEntries(Object.entries(ATTR_NAMES).map(([k, v]) => [v, k]));

// ── distinguished names ──────────────────────────────────────────────────────

interface Ava {
  oid: string;
  /** A string value, or the raw DER of a "#hex" value. */
  value: string | Buffer;
}
type Rdn = Ava[];

function badSubject(dn: string, why: string): FapiError {
  return usageError(
    'E_SUBJECT',
    `--subject ${JSON.stringify(dn)} is not a distinguished name: ${why}.`,
    'Write it as RFC 4514, e.g. --subject "CN=my-client,O=Example Ltd,C=GB" (escape "," inside values as "\\,").',
    { flag: '--subject' },
  );
}

/** Splits on unescaped separators, keeping escapes for the value decoder. */
function splitUnescaped(s: string, seps: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (seps.includes(ch)) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function unescapeValue(dn: string, v: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const ch = v[i] as string;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const next = v.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(next)) {
      bytes.push(parseInt(next, 16));
      i += 2;
    } else if (i + 1 < v.length) {
      bytes.push(...Buffer.from(v[i + 1] as string, 'utf8'));
      i += 1;
    } else throw badSubject(dn, 'it ends with a lone "\\"');
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Parses an RFC 4514 string ("CN=a,O=b", most specific first) or an OpenSSL-style "/O=b/CN=a"
 * (DER order) into RDNs in DER order (least specific first).
 */
export function parseDn(dn: string): Rdn[] {
  const text = dn.replace(/^\s+/, '');
  if (!text.trim()) throw badSubject(dn, 'it is empty');
  const openssl = text.startsWith('/');
  const parts = openssl ? splitUnescaped(text.slice(1), '/') : splitUnescaped(text, ',;');
  const rdns: Rdn[] = parts.map((part) => {
    if (!part.trim()) throw badSubject(dn, 'it has an empty component');
    return splitUnescaped(part, '+').map((avaText): Ava => {
      const eq = avaText.indexOf('=');
      if (eq <= 0) throw badSubject(dn, `"${avaText.trim()}" has no "type=value"`);
      const type = avaText.slice(0, eq).trim();
      let raw = avaText.slice(eq + 1).replace(/^ +/, '');
      if (raw.endsWith(' ') && !raw.endsWith('\\ ')) raw = raw.replace(/ +$/, '');
      const attrOid = /^\d+(\.\d+)+$/.test(type) ? type : INPUT_ALIASES[type.toUpperCase()];
      if (!attrOid) throw badSubject(dn, `unknown attribute type "${type}"`);
      if (raw.startsWith('#')) {
        const hex = raw.slice(1);
        if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw badSubject(dn, `"${type}" has a bad #hex value`);
        const der = Buffer.from(hex, 'hex');
        try {
          readOne(der);
        } catch {
          throw badSubject(dn, `"${type}" has a #hex value that is not DER`);
        }
        return { oid: attrOid, value: der };
      }
      const value = unescapeValue(dn, raw);
      if (!value) throw badSubject(dn, `"${type}" has an empty value`);
      if (attrOid === ATTR_NAMES.C && !/^[A-Za-z]{2}$/.test(value))
        throw badSubject(dn, `C must be a two-letter country code, not "${value}"`);
      return { oid: attrOid, value };
    });
  });
  // RFC 4514 §2.1: the string lists RDNs from the last (most specific) to the first.
  return openssl ? rdns : rdns.reverse();
}

function encodeAvaValue(a: Ava): Buffer {
  if (Buffer.isBuffer(a.value)) return a.value;
  const v = a.value;
  if (a.oid === ATTR_NAMES.C) return printable(v.toUpperCase());
  if (a.oid === ATTR_NAMES.DC || a.oid === '1.2.840.113549.1.9.1') {
    // eslint-disable-next-line no-control-regex
    if (/^[\x00-\x7f]*$/.test(v)) return ia5(v);
  }
  if (a.oid === '2.5.4.5' && /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(v)) return printable(v);
  return utf8(v);
}

export function encodeName(rdns: Rdn[]): Buffer {
  return seq(...rdns.map((rdn) => setOf(...rdn.map((a) => seq(oid(a.oid), encodeAvaValue(a))))));
}

function escapeValue(v: string): string {
  let s = v.replace(/[\\"+,;<>]/g, (c) => '\\' + c).replace(/\0/g, '\\00');
  if (s.startsWith(' ') || s.startsWith('#')) s = '\\' + s;
  if (s.endsWith(' ') && s.length > 1) s = s.slice(0, -1) + '\\ ';
  return s;
}

/** RFC 4514 string of a DER Name: RDNs most specific first, unknown types as OID=#hex. */
export function nameToString(name: Node): string {
  const rdns = children(name).map((rdn) =>
    children(rdn)
      .map((ava) => {
        const [t, v] = children(ava) as [Node, Node];
        const o = readOid(t);
        const short = NAME_FOR_OID[o];
        const text = readString(v);
        if (!short || text === undefined) return `${o}=#${v.raw.toString('hex').toUpperCase()}`;
        return `${short}=${escapeValue(text)}`;
      })
      .join('+'),
  );
  return rdns.reverse().join(',');
}

// ── subject alternative names ────────────────────────────────────────────────

const DNS_NAME =
  /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

function badSan(spec: string, why: string): FapiError {
  return usageError(
    'E_SAN',
    `--san ${JSON.stringify(spec)}: ${why}.`,
    'Use --san dns:client.example.com, --san ip:127.0.0.1, --san uri:https://client.example/id or --san email:ops@example.com.',
    { flag: '--san' },
  );
}

/** Parses a `--san` value: "dns:NAME", "ip:ADDR", "uri:URI", "email:ADDR"; a bare IP or host name is guessed. */
export function parseSanSpec(spec: string): San {
  const m = spec.match(/^(dns|ip|uri|email):(.*)$/i);
  const san: San = m
    ? { type: (m[1] as string).toLowerCase() as SanType, value: m[2] as string }
    : isIP(spec)
      ? { type: 'ip', value: spec }
      : { type: 'dns', value: spec };
  checkSan(san, spec);
  return san;
}

function checkSan(san: San, spec = `${san.type}:${san.value}`): void {
  const v = san.value;
  switch (san.type) {
    case 'dns':
      if (!DNS_NAME.test(v) || v.length > 253) throw badSan(spec, `"${v}" is not a DNS name`);
      return;
    case 'ip':
      if (!isIP(v)) throw badSan(spec, `"${v}" is not an IPv4 or IPv6 address`);
      return;
    case 'uri':
      try {
        const u = new URL(v);
        if (!/^[a-z][a-z0-9+.-]*:$/.test(u.protocol)) throw new Error('scheme');

        if (!/^[\x21-\x7e]+$/.test(v)) throw new Error('ascii');
      } catch {
        throw badSan(spec, `"${v}" is not an absolute ASCII URI`);
      }
      return;
    case 'email':
      if (!/^[^@\s]+@[^@\s]+$/.test(v) || /[^\x21-\x7e]/.test(v))
        throw badSan(spec, `"${v}" is not an e-mail address`);
      return;
    default:
      throw badSan(spec, `unknown type "${String(san.type)}"`);
  }
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6 (RFC 4291 §2.2), possibly with "::" and an embedded IPv4 tail.
  let s = ip;
  const tail: number[] = [];
  const m = s.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (m) {
    const b = (m[2] as string).split('.').map(Number) as [number, number, number, number];
    tail.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
    s = m[1] as string;
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const words = (x: string) => (x ? x.split(':').map((h) => parseInt(h, 16)) : []);
  const halves = s.split('::');
  let all: number[];
  if (halves.length === 2) {
    const h = words(halves[0] as string);
    const r = [...words(halves[1] as string), ...tail];
    all = [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
  } else all = [...words(s), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

function ipToString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(b.readUInt16BE(i));
  // RFC 5952 §4.2: compress the longest run of two or more zero words.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

function encodeSan(s: San): Buffer {
  checkSan(s);
  switch (s.type) {
    case 'email':
      return tlv(0x81, Buffer.from(s.value, 'latin1'));
    case 'dns':
      return tlv(0x82, Buffer.from(s.value, 'latin1'));
    case 'uri':
      return tlv(0x86, Buffer.from(s.value, 'latin1'));
    case 'ip':
      return tlv(0x87, ipBytes(s.value));
  }
}

function decodeSans(ext: Buffer): San[] {
  const out: San[] = [];
  for (const gn of children(readOne(ext))) {
    const v = gn.content;
    if (gn.tag === 0x81) out.push({ type: 'email', value: v.toString('latin1') });
    else if (gn.tag === 0x82) out.push({ type: 'dns', value: v.toString('latin1') });
    else if (gn.tag === 0x86) out.push({ type: 'uri', value: v.toString('latin1') });
    else if (gn.tag === 0x87 && (v.length === 4 || v.length === 16))
      out.push({ type: 'ip', value: ipToString(v) });
  }
  return out;
}

// ── signing ──────────────────────────────────────────────────────────────────

interface Signer {
  algId: Buffer;
  sign(data: Buffer): Buffer;
}

/**
 * The signature algorithm for a signing key: ecdsa-with-SHA256 for P-256 (SHA-384/512 for
 * P-384/521 CA keys), sha256WithRSAEncryption for RSA (RSA-PSS certificates cause interop trouble
 * with TLS stacks; this is the certificate signature, not the JWS algorithm), Ed25519 (RFC 8410).
 */
function signerFor(key: KeyObject): Signer {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const by: Record<string, [string, string]> = {
      prime256v1: [OID.ecdsaSha256, 'sha256'],
      secp384r1: [OID.ecdsaSha384, 'sha384'],
      secp521r1: [OID.ecdsaSha512, 'sha512'],
    };
    const pick = by[curve ?? ''];
    if (!pick) throw new X509Error(`EC curve ${String(curve)} is not supported for signing certificates`);
    return { algId: seq(oid(pick[0])), sign: (d) => sign(pick[1], d, { key, dsaEncoding: 'der' }) };
  }
  if (type === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      throw new X509Error('RSA keys under 2048 bits cannot sign certificates');
    return {
      algId: seq(oid(OID.sha256WithRSA), nul()),
      sign: (d) => sign('sha256', d, { key, padding: constants.RSA_PKCS1_PADDING }),
    };
  }
  if (type === 'ed25519') return { algId: seq(oid(OID.ed25519)), sign: (d) => sign(null, d, key) };
  throw new X509Error(`${String(type)} keys cannot sign certificates here (EC, RSA or Ed25519 only)`);
}

export class X509Error extends Error {
  override name = 'X509Error';
}

// ── building ─────────────────────────────────────────────────────────────────

function ext(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function spkiOf(key: KeyObject): Buffer {
  const pub = key.type === 'public' ? key : createPublicKey(key);
  return pub.export({ type: 'spki', format: 'der' });
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
function keyIdentifier(spki: Buffer): Buffer {
  const [, bits] = children(readOne(spki)) as [Node, Node];
  return createHash('sha1').update(bits.content.subarray(1)).digest();
}

function randomSerial(): Buffer {
  const b = randomBytes(16);
  // Positive (RFC 5280 §4.1.2.2) and a full 16 bytes long.
  b[0] = ((b[0] as number) & 0x7f) | 0x40;
  return b;
}

function serialBytes(hex: string): Buffer {
  const clean = hex.replace(/:/g, '');
  if (!/^[0-9a-fA-F]{1,40}$/.test(clean) || /^0+$/.test(clean))
    throw new X509Error(`serial ${JSON.stringify(hex)} must be 1 to 20 bytes of non-zero hex`);
  return Buffer.from(clean.length % 2 ? '0' + clean : clean, 'hex');
}

function toPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/** The DER of every "BEGIN CERTIFICATE" block in a PEM text. */
export function pemCertificates(pem: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g))
    out.push(Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64'));
  return out;
}

export async function createCertificate(opts: CreateCertificateOptions): Promise<CertInfo> {
  const days = opts.days ?? 365;
  if (!Number.isFinite(days) || days <= 0) throw new X509Error(`days must be positive, not ${days}`);
  const now = Date.now();
  const notBefore = new Date(Math.floor((opts.notBefore?.getTime() ?? now - 60_000) / 1000) * 1000);
  const notAfter = new Date(
    Math.floor(((opts.notBefore?.getTime() ?? now) + days * 86_400_000) / 1000) * 1000,
  );
  const subjectName = encodeName(parseDn(opts.subject));
  const spki = spkiOf(opts.key.publicKey);
  if (!spki.equals(spkiOf(opts.key.privateKey)))
    throw new X509Error('the public key does not belong to the private key');
  const ski = keyIdentifier(spki);

  let issuerName: Buffer;
  let authorityKeyId: Buffer;
  let signingKey: KeyObject;
  if (opts.issuer) {
    const ca = inspectIssuer(opts.issuer.certPem, opts.issuer.privateKey, notBefore);
    issuerName = ca.subjectDer;
    authorityKeyId = ca.keyId;
    signingKey = opts.issuer.privateKey;
  } else {
    issuerName = subjectName;
    authorityKeyId = ski;
    signingKey = opts.key.privateKey;
  }
  const signer = signerFor(signingKey);

  const rsa = opts.key.publicKey.asymmetricKeyType === 'rsa';
  const exts: Buffer[] = [];
  if (opts.profile === 'ca') {
    // RFC 5280 §4.2.1.9: critical in CA certificates; pathLen 0: this CA issues end entities only.
    exts.push(ext(OID.basicConstraints, true, seq(bool(true), uint(0))));
    // keyCertSign (bit 5) + cRLSign (bit 6).
    exts.push(ext(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)));
  } else {
    exts.push(ext(OID.basicConstraints, true, seq()));
    // digitalSignature (bit 0), plus keyEncipherment (bit 2) for RSA server keys (TLS RSA key exchange).
    const ku =
      opts.profile === 'server' && rsa
        ? bitString(Buffer.from([0xa0]), 5)
        : bitString(Buffer.from([0x80]), 7);
    exts.push(ext(OID.keyUsage, true, ku));
    exts.push(
      ext(OID.extKeyUsage, false, seq(oid(opts.profile === 'client' ? OID.clientAuth : OID.serverAuth))),
    );
  }
  if (opts.sans?.length) {
    // RFC 5280 §4.2.1.6: critical only when the subject is empty (never the case here).
    exts.push(ext(OID.subjectAltName, false, seq(...opts.sans.map(encodeSan))));
  }
  exts.push(ext(OID.subjectKeyIdentifier, false, octets(ski)));
  exts.push(ext(OID.authorityKeyIdentifier, false, seq(ctx(0, authorityKeyId, false))));

  const tbs = seq(
    ctx(0, uint(2)), // v3
    uint(opts.serial ? serialBytes(opts.serial) : randomSerial()),
    signer.algId,
    issuerName,
    seq(time(notBefore), time(notAfter)),
    subjectName,
    spki,
    ctx(3, seq(...exts)),
  );
  const der = seq(tbs, signer.algId, bitString(signer.sign(tbs)));
  return parseCertificateDer(der);
}

/**
 * Checks a CA certificate and its key before issuing (RFC 5280 §4.2.1.9 cA, §4.2.1.3 keyCertSign,
 * validity, a key type that can sign here); returns what the new certificate needs. Throws
 * X509Error.
 */
export function inspectIssuer(
  certPem: string,
  key: KeyObject,
  at: Date = new Date(),
): { subjectDer: Buffer; keyId: Buffer } {
  const der = pemCertificates(certPem)[0];
  if (!der) throw new X509Error('the CA certificate is not a PEM certificate');
  const parsed = parseTbs(der);
  if (!spkiOf(key).equals(parsed.spki.raw))
    throw new X509Error('the CA private key does not match the CA certificate');
  if (!parsed.ca) throw new X509Error('the CA certificate is not a CA (basicConstraints cA is not true)');
  if (parsed.keyUsage !== undefined && !(parsed.keyUsage & 0x04))
    throw new X509Error('the CA certificate may not sign certificates (keyUsage lacks keyCertSign)');
  if (parsed.notAfter.getTime() < Date.now())
    throw new X509Error(`the CA certificate expired on ${parsed.notAfter.toISOString()}`);
  if (parsed.notBefore.getTime() > at.getTime() + 86_400_000)
    throw new X509Error(`the CA certificate is not valid before ${parsed.notBefore.toISOString()}`);
  signerFor(key);
  return { subjectDer: parsed.subject.raw, keyId: parsed.ski ?? keyIdentifier(parsed.spki.raw) };
}

// ── parsing ──────────────────────────────────────────────────────────────────

interface Tbs {
  serial: string;
  issuer: Node;
  subject: Node;
  notBefore: Date;
  notAfter: Date;
  spki: Node;
  ca: boolean;
  /** keyUsage bits, first byte (bit 0 = 0x80). */
  keyUsage?: number;
  ski?: Buffer;
  sans: San[];
}

function parseTbs(der: Buffer): Tbs {
  try {
    const [tbs] = children(readOne(der)) as [Node];
    const f = children(tbs);
    let i = f[0]?.tag === 0xa0 ? 1 : 0;
    const serialNode = f[i++] as Node;
    i++; // signature algorithm
    const issuer = f[i++] as Node;
    const [nb, na] = children(f[i++] as Node) as [Node, Node];
    const subject = f[i++] as Node;
    const spki = f[i++] as Node;
    if (serialNode.tag !== Tag.INTEGER || issuer.tag !== Tag.SEQUENCE || spki?.tag !== Tag.SEQUENCE)
      throw new DerError('not a certificate');
    const out: Tbs = {
      serial: serialNode.content
        .toString('hex')
        .toUpperCase()
        .replace(/^(00)+(?=.)/, ''),
      issuer,
      subject,
      notBefore: readTime(nb),
      notAfter: readTime(na),
      spki,
      ca: false,
      sans: [],
    };
    const extsNode = f.slice(i).find((n) => n.tag === 0xa3);
    if (extsNode) {
      for (const e of children(children(extsNode)[0] as Node)) {
        const parts = children(e);
        const id = readOid(parts[0] as Node);
        const value = (parts[parts.length - 1] as Node).content;
        if (id === OID.basicConstraints) {
          const bc = children(readOne(value));
          out.ca = bc[0]?.tag === Tag.BOOLEAN && bc[0].content[0] !== 0;
        } else if (id === OID.keyUsage) {
          out.keyUsage = readOne(value).content[1] ?? 0;
        } else if (id === OID.subjectKeyIdentifier) {
          out.ski = Buffer.from(readOne(value).content);
        } else if (id === OID.subjectAltName) {
          out.sans = decodeSans(value);
        }
      }
    }
    return out;
  } catch (cause) {
    if (cause instanceof DerError || cause instanceof RangeError || cause instanceof TypeError)
      throw new X509Error(`not an X.509 certificate (${(cause as Error).message})`);
    throw cause;
  }
}

export function x5tS256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

export function parseCertificateDer(der: Buffer): CertInfo {
  const tbs = parseTbs(der);
  let selfSigned = false;
  if (tbs.issuer.raw.equals(tbs.subject.raw)) {
    try {
      const x = new X509Certificate(der);
      selfSigned = x.verify(x.publicKey);
    } catch {
      selfSigned = false;
    }
  }
  return {
    pem: toPem(der),
    der: Buffer.from(der),
    subject: nameToString(tbs.subject),
    issuer: nameToString(tbs.issuer),
    serial: tbs.serial,
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
    x5tS256: x5tS256(der),
    selfSigned,
    sans: tbs.sans,
    ca: tbs.ca,
  };
}

/** Parses the first certificate of a PEM text. */
export function parseCertificate(pem: string): CertInfo {
  const der = pemCertificates(pem)[0];
  if (!der) throw new X509Error('no "BEGIN CERTIFICATE" block');
  return parseCertificateDer(der);
}

/** True when the certificate's public key is the key's (private or public). */
export function certMatchesKey(
  certPem: string,
  key: KeyObject | { publicKey: KeyObject } | { privateKey: KeyObject },
): boolean {
  const der = pemCertificates(certPem)[0];
  if (!der) return false;
  const k = key instanceof KeyObject ? key : 'publicKey' in key ? key.publicKey : key.privateKey;
  try {
    return spkiOf(k).equals(parseTbs(der).spki.raw);
  } catch {
    return false;
  }
}

/** True when `certPem` was signed by `caPem`'s key and names it as issuer. */
export function certIssuedBy(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** Wraps an X509Error as a local-state error naming a file, for the CA inputs of the CLI. */
export function x509StateError(err: unknown, file: string, hint: string): unknown {
  if (err instanceof X509Error)
    return stateError('E_CERT_INVALID', `${file}: ${err.message}.`, hint, { details: { file }, cause: err });
  return err;
}

export { toPem as certificatePem };
