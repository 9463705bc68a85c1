/**
 * A schema's identity: its canonical bytes (what is hashed, sent in a
 * handshake and stored in snapshots) and its 64-bit fingerprint.
 */
import { ByteWriter, type Reader } from './bytes.ts';
import { MalformedPayloadError } from './errors.ts';
import { asciiCanonicalBuffer, asciiCanonicalWords, writeCanonicalAscii } from './schema-canonical-ascii.ts';
import {
  type FieldDef,
  type FieldType,
  MAX_TYPE_DEPTH,
  primitiveTag,
  type SchemaDef,
  TAG_PRIMITIVE,
} from './schema-types.ts';
import { readValue, type Value, writeValue } from './value-codec.ts';

// // schema = u8 1, u16-str name, u32 version, fields
// fields = u16 count, field*
// field  = u16-str name, u8 flags (1 optional, 2 has default), type, [value default]
// type   = u8 1..6 primitive | 7 type (list) | 8 type (map) | 9 fields (record)

const scratch = new ByteWriter(512);

/** Canonical bytes of a definition (not validated: use `defineSchema`). Owned copy. */
export function canonicalBytes(def: SchemaDef): Uint8Array {
  scratch.reset();
  writeCanonical(scratch, def);
  return scratch.copy();
}

function writeCanonical(w: ByteWriter, def: SchemaDef): void {
  w.u8(1);
  w.str(def.name, 2, 0xffff);
  w.u32(def.version);
  writeFields(w, def.fields);
}

function writeFields(w: ByteWriter, fields: readonly FieldDef[]): void {
  w.u16(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    w.str(f.name, 2, 0xffff);
    w.u8((f.optional === true ? 1 : 0) | (f.default !== undefined ? 2 : 0));
    writeType(w, f.type);
    if (f.default !== undefined) writeValue(w, f.default);
  }
}

function writeType(w: ByteWriter, t: FieldType): void {
  if (typeof t === 'string') w.u8(primitiveTag(t));
  else if ('list' in t) {
    w.u8(7);
    writeType(w, t.list);
  } else if ('map' in t) {
    w.u8(8);
    writeType(w, t.map);
  } else {
    w.u8(9);
    writeFields(w, t.record);
  }
}

/**
 * The fingerprint of a definition: 64-bit hash of its canonical bytes
 * (no validation, no allocation beyond the bigint result). No cache: each
 * call writes and hashes the bytes (the fast path of schema-canonical-ascii.ts
 * when it applies, the general writer otherwise; same bytes either way).
 */
export function fingerprintOf(def: SchemaDef): bigint {
  const n = writeCanonicalAscii(def);
  if (n >= 0) return hash64Words(asciiCanonicalWords(), asciiCanonicalBuffer(), n);
  scratch.reset();
  writeCanonical(scratch, def);
  return hash64(scratch.buf, 0, scratch.pos);
}

/** The fingerprint of canonical bytes as received (a handshake): the hash alone. */
export function fingerprintOfCanonical(canonical: Uint8Array): bigint {
  return hash64(canonical, 0, canonical.length);
}

/** Reads canonical bytes into an unvalidated definition (`readSchema` validates it). */
export function readCanonical(r: Reader): SchemaDef {
  const at = r.pos;
  const v = r.u8();
  if (v !== 1) throw new MalformedPayloadError(`unknown schema encoding ${v}`, at);
  const name = r.str(2);
  const version = r.u32();
  return { name, version, fields: readFields(r, 0) };
}

function readFields(r: Reader, depth: number): FieldDef[] {
  const n = r.u16();
  r.need(n * 4);
  const out: FieldDef[] = [];
  for (let i = 0; i < n; i++) {
    const name = r.str(2);
    const at = r.pos;
    const flags = r.u8();
    if (flags > 3) throw new MalformedPayloadError(`unknown field flags ${flags}`, at);
    const type = readType(r, depth);
    const f: { name: string; type: FieldType; optional?: boolean; default?: Value } = { name, type };
    if (flags & 1) f.optional = true;
    if (flags & 2) f.default = readValue(r);
    out.push(f);
  }
  return out;
}

function readType(r: Reader, depth: number): FieldType {
  const at = r.pos;
  if (depth > MAX_TYPE_DEPTH) throw new MalformedPayloadError('schema types nested too deep', at);
  const tag = r.u8();
  const p = TAG_PRIMITIVE[tag];
  if (p !== undefined) return p;
  if (tag === 7) return { list: readType(r, depth + 1) };
  if (tag === 8) return { map: readType(r, depth + 1) };
  if (tag === 9) return { record: readFields(r, depth + 1) };
  throw new MalformedPayloadError(`unknown schema type tag ${tag}`, at);
}

/**
 * 64-bit non-cryptographic hash: two 32-bit multiply-rotate lanes over
 * little-endian words (Murmur3-style mixing), cross-mixed and finalized.
 * Identity, not authentication (see the decision record for the width).
 */
export function hash64(b: Uint8Array, start: number, end: number): bigint {
  const len = end - start;
  let h1 = 0x9747b28c ^ len;
  let h2 = 0x85ebca6b ^ len;
  let i = start;
  const last = end - 4;
  while (i <= last) {
    const k = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    h1 = lane1(h1, k);
    h2 = lane2(h2, k);
    i += 4;
  }
  return finish(h1, h2, b, i, end);
}

/**
 * `hash64(b, 0, len)` when `words` views the same memory as `b` from offset 0
 * (4-byte aligned): one load per word instead of four byte loads and shifts.
 */
export function hash64Words(words: Int32Array, b: Uint8Array, len: number): bigint {
  let h1 = 0x9747b28c ^ len;
  let h2 = 0x85ebca6b ^ len;
  const n = len >>> 2;
  for (let j = 0; j < n; j++) {
    const k = words[j]!;
    h1 = lane1(h1, k);
    h2 = lane2(h2, k);
  }
  return finish(h1, h2, b, n << 2, len);
}

function lane1(h: number, k: number): number {
  let k1 = Math.imul(k, 0xcc9e2d51);
  k1 = (k1 << 15) | (k1 >>> 17);
  h ^= Math.imul(k1, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function lane2(h: number, k: number): number {
  let k2 = Math.imul(k, 0x239b961b);
  k2 = (k2 << 16) | (k2 >>> 16);
  h ^= Math.imul(k2, 0xab0e9789);
  h = (h << 17) | (h >>> 15);
  return (Math.imul(h, 5) + 0x38b34ae5) | 0;
}

/** The 0..3 tail bytes `b[i, end)`, the cross-mix and the finalizer; one bigint allocation. */
function finish(h1: number, h2: number, b: Uint8Array, i: number, end: number): bigint {
  let t = 0;
  for (let s = 0; i < end; i++, s += 8) t |= b[i]! << s;
  h1 ^= Math.imul(((Math.imul(t, 0xcc9e2d51) << 15) | 0) ^ t, 0x1b873593);
  h2 ^= Math.imul(t ^ 0x5bd1e995, 0xab0e9789);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  hashOut32[0] = h1;
  hashOut32[1] = h2;
  return hashOut64[0]!;
}

// little-endian host (checked in bytes.ts): [lo, hi] u32 halves read as one u64, one bigint allocation
const hashOut32 = new Uint32Array(2);
const hashOut64 = new BigUint64Array(hashOut32.buffer);

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
