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
/** Not covered by the fast path: the caller takes the general writer. */
const DECLINE = -1;
/** The buffer is too small: grow it and write again from the start. */
const GROW = -2;

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

/**
 * Canonical bytes of `def` into the shared buffer: their length, or -1
 * (nothing usable written). The buffer is passed down as a local, not read
 * from the module at each store; when it is too small the whole definition
 * is written again into one twice as large.
 */
export function writeCanonicalAscii(def: SchemaDef): number {
  for (;;) {
    const n = writeDef(buf, def);
    if (n !== GROW) return n;
    buf = new Uint8Array(buf.length * 2);
    words = new Int32Array(buf.buffer);
  }
}

function writeDef(b: Uint8Array, def: SchemaDef): number {
  b[0] = 1;
  const p = putName(b, 1, def.name);
  if (p < 0) return p;
  if (p + 4 > b.length) return GROW;
  const v = def.version;
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
  return putFields(b, p + 4, def.fields);
}

function putFields(b: Uint8Array, p: number, fields: readonly FieldDef[]): number {
  const n = fields.length;
  if (p + 2 > b.length) return GROW;
  b[p] = n;
  b[p + 1] = n >>> 8;
  p += 2;
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    if (f.default !== undefined) return DECLINE;
    p = putName(b, p, f.name);
    if (p < 0) return p;
    const t = f.type;
    if (typeof t === 'string') {
      // the common case inline: flags and a primitive tag
      if (p + 2 > b.length) return GROW;
      b[p] = f.optional === true ? 1 : 0;
      b[p + 1] = primitiveTag(t);
      p += 2;
    } else {
      if (p + 1 > b.length) return GROW;
      b[p] = f.optional === true ? 1 : 0;
      p = putType(b, p + 1, t);
      if (p < 0) return p;
    }
  }
  return p;
}

function putType(b: Uint8Array, p: number, t: FieldType): number {
  if (p + 1 > b.length) return GROW;
  if (typeof t === 'string') {
    b[p] = primitiveTag(t);
    return p + 1;
  }
  if ('list' in t) {
    b[p] = 7;
    return putType(b, p + 1, t.list);
  }
  if ('map' in t) {
    b[p] = 8;
    return putType(b, p + 1, t.map);
  }
  b[p] = 9;
  return putFields(b, p + 1, t.record);
}

/** u16 byte length, then the ASCII bytes; DECLINE for anything else. */
function putName(b: Uint8Array, p: number, s: string): number {
  if (typeof s !== 'string') return DECLINE;
  const n = s.length;
  if (n > MAX_FAST_NAME) return DECLINE;
  if (p + 2 + n > b.length) return GROW;
  b[p] = n;
  b[p + 1] = n >>> 8;
  p += 2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return DECLINE;
    b[p + i] = c;
  }
  return p + n;
}
