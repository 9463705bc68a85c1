/**
 * The fingerprint's fast path: the canonical bytes of a definition written
 * straight into one reused, word-aligned buffer, then hashed a 32-bit word at
 * a time (`fingerprintOf` in schema-canonical.ts).
 *
 * It covers what every valid schema is (names are ASCII by `defineSchema`'s
 * rules) when no field has a default (a default is a `Value`, written by the
 * value codec). For anything else (a default, a non-ASCII or non-string name,
 * a name over 16,383 characters) it writes nothing and returns -1, and the
 * caller takes the general writer, so the bytes, hence the fingerprint, are
 * the same for every input. Each store mirrors `ByteWriter`'s (same
 * expressions, same `Uint8Array` truncation), which the tests check on
 * random definitions.
 */
import type { FieldDef, FieldType, SchemaDef } from './schema-types.ts';
import { primitiveTag } from './schema-types.ts';

/** Longest name taken by the fast path (3 bytes per UTF-16 unit stays below the 16-bit length). */
const MAX_FAST_NAME = 0x3fff;

let buf = new Uint8Array(1024);
let words = new Int32Array(buf.buffer);

/** The buffer the last `writeCanonicalAscii` wrote into, from offset 0 (4-byte aligned). */
export function asciiCanonicalBuffer(): Uint8Array {
  return buf;
}

/** Its 32-bit little-endian words (the same memory). */
export function asciiCanonicalWords(): Int32Array {
  return words;
}

/** Canonical bytes of `def` into the shared buffer: their length, or -1 (nothing usable written). */
export function writeCanonicalAscii(def: SchemaDef): number {
  room(0, 1);
  buf[0] = 1;
  let p = putName(1, def.name);
  if (p < 0) return -1;
  p = room(p, 4);
  const v = def.version;
  const b = buf;
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
  return putFields(p + 4, def.fields);
}

function putFields(p: number, fields: readonly FieldDef[]): number {
  const n = fields.length;
  p = room(p, 2);
  buf[p] = n;
  buf[p + 1] = n >>> 8;
  p += 2;
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    if (f.default !== undefined) return -1;
    p = putName(p, f.name);
    if (p < 0) return -1;
    p = room(p, 2);
    buf[p] = f.optional === true ? 1 : 0;
    p = putType(p + 1, f.type);
    if (p < 0) return -1;
  }
  return p;
}

function putType(p: number, t: FieldType): number {
  if (typeof t === 'string') {
    p = room(p, 1);
    buf[p] = primitiveTag(t);
    return p + 1;
  }
  p = room(p, 1);
  if ('list' in t) {
    buf[p] = 7;
    return putType(p + 1, t.list);
  }
  if ('map' in t) {
    buf[p] = 8;
    return putType(p + 1, t.map);
  }
  buf[p] = 9;
  return putFields(p + 1, t.record);
}

/** u16 byte length, then the ASCII bytes; -1 for anything else. */
function putName(p: number, s: string): number {
  if (typeof s !== 'string') return -1;
  const n = s.length;
  if (n > MAX_FAST_NAME) return -1;
  p = room(p, n + 2);
  const b = buf;
  b[p] = n;
  b[p + 1] = n >>> 8;
  p += 2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    b[p + i] = c;
  }
  return p + n;
}

/** `p`, after growing the buffer (keeping its bytes) so that `n` more bytes fit. */
function room(p: number, n: number): number {
  if (p + n > buf.length) grow(p + n);
  return p;
}

function grow(need: number): void {
  let cap = buf.length * 2;
  while (cap < need) cap *= 2;
  const next = new Uint8Array(cap);
  next.set(buf);
  buf = next;
  words = new Int32Array(next.buffer);
}
