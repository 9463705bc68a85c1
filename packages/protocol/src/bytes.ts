/**
 * Little-endian byte primitives shared by every codec: a growable writer and
 * a bounds-checked reader. Internal to the package (not exported).
 *
 * Invariant: every `Reader` method checks the bytes it needs against the end
 * of its window *before* reading or allocating, and throws a typed
 * `DecodeError`; a declared count is checked against the bytes left (each
 * element needs at least one byte) so hostile input cannot cause a large
 * allocation.
 */
import { MalformedPayloadError, TruncatedError, ValueOutOfRangeError } from './errors.ts';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // the scratch-array conversions below assume a little-endian host (all Node targets are)
  throw new Error('@ripple/protocol requires a little-endian host');
}

const scratch = new ArrayBuffer(8);
const scratchU8 = new Uint8Array(scratch);
const scratchF64 = new Float64Array(scratch);
const scratchI64 = new BigInt64Array(scratch);
const scratchU64 = new BigUint64Array(scratch);

import { INT64_MAX, INT64_MIN } from '@ripple/core';

export { INT64_MAX, INT64_MIN };
export const UINT64_MAX = 2n ** 64n - 1n;
const TWO32 = 4294967296;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
// ES2024 String.prototype.isWellFormed (Node >= 20); the base tsconfig's lib is ES2023
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/** A growable output buffer. `bytes()` returns a view; `copy()` an owned copy. */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** A view of the bytes written so far; invalidated by the next write or reset. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** An owned copy of the bytes written so far. */
  copy(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    this.pos = p + 2;
  }

  u32(v: number): void {
    this.ensure(4);
    putU32(this.buf, this.pos, v);
    this.pos += 4;
  }

  /** Reserves 4 bytes, returns their offset for `patchU32`. */
  reserveU32(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }

  patchU32(at: number, v: number): void {
    putU32(this.buf, at, v);
  }

  i32(v: number): void {
    this.u32(v >>> 0);
  }

  f64(v: number): void {
    this.ensure(8);
    scratchF64[0] = v;
    this.#put8();
  }

  /** Copies the 8 scratch bytes to the buffer (cheaper than TypedArray#set for 8 bytes). */
  #put8(): void {
    putScratch8(this.buf, this.pos);
    this.pos += 8;
  }

  /** A non-negative safe integer as u64 (caller validated the range). */
  u53(v: number): void {
    this.ensure(8);
    putU32(this.buf, this.pos, v >>> 0);
    putU32(this.buf, this.pos + 4, Math.floor(v / TWO32));
    this.pos += 8;
  }

  /** A signed 64-bit bigint (caller validated the range). */
  i64(v: bigint): void {
    this.ensure(8);
    scratchI64[0] = v;
    this.#put8();
  }

  u64(v: bigint): void {
    this.ensure(8);
    scratchU64[0] = v;
    this.#put8();
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Writes `s` as UTF-8 preceded by its byte length in `lenBytes` (1, 2 or 4)
   * bytes. Returns the byte length, or -1 (nothing written) when it exceeds
   * `maxBytes` or the string has lone surrogates (it would not round-trip).
   */
  str(s: string, lenBytes: 1 | 2 | 4, maxBytes: number): number {
    const n = s.length;
    this.ensure(lenBytes + n * 3);
    const b = this.buf;
    const start = this.pos + lenBytes;
    let p = start;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[p++] = c;
    }
    if (i < n) {
      if (!isWellFormed.call(s)) return -1;
      p = start + utf8Encoder.encodeInto(s, b.subarray(start)).written;
    }
    const len = p - start;
    if (len > maxBytes) return -1;
    if (lenBytes === 1) b[this.pos] = len;
    else if (lenBytes === 2) {
      b[this.pos] = len;
      b[this.pos + 1] = len >>> 8;
    } else putU32(b, this.pos, len);
    this.pos = p;
    return len;
  }
}

/**
 * Hands out small encoded values as views into shared 8 KiB slabs, like
 * Node's Buffer pool: no backing-store allocation per value, and a handed-out
 * view is never written again (a full slab is replaced, not reused). Hazard:
 * a retained view keeps its whole slab (8 KiB) alive; copy it (`slice()`) to
 * keep it long.
 */
export class SlabWriter extends ByteWriter {
  #start = 0;
  readonly #slab: number;
  constructor(slabBytes = 8192) {
    super(slabBytes);
    this.#slab = slabBytes;
  }

  /** Starts a value of at most `maxBytes` (it must not grow past that). */
  begin(maxBytes: number): void {
    if (this.buf.length - this.pos < maxBytes) {
      this.buf = new Uint8Array(Math.max(this.#slab, maxBytes));
      this.pos = 0;
    }
    this.#start = this.pos;
  }

  /** Offset of the current value's first byte. */
  get start(): number {
    return this.#start;
  }

  /** The value written since `begin`, as a view that will not be overwritten. */
  take(): Uint8Array {
    // A constructor call, not subarray(): V8 inlines it (subarray looks up the species constructor).
    const b = this.buf;
    const out = new Uint8Array(b.buffer, b.byteOffset + this.#start, this.pos - this.#start);
    this.#start = this.pos;
    return out;
  }

  /** Drops the value in progress. */
  abandon(): void {
    this.pos = this.#start;
  }
}

export function putU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

export function getU32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** A float64 at `b[p, p + 8)` (the caller checked the room). */
export function putF64(b: Uint8Array, p: number, v: number): void {
  scratchF64[0] = v;
  putScratch8(b, p);
}

function putScratch8(b: Uint8Array, p: number): void {
  const s = scratchU8;
  b[p] = s[0]!;
  b[p + 1] = s[1]!;
  b[p + 2] = s[2]!;
  b[p + 3] = s[3]!;
  b[p + 4] = s[4]!;
  b[p + 5] = s[5]!;
  b[p + 6] = s[6]!;
  b[p + 7] = s[7]!;
}

/** A non-negative safe integer as u64 at `b[p, p + 8)` (the caller validated the range and the room). */
export function putU53(b: Uint8Array, p: number, v: number): void {
  putU32(b, p, v >>> 0);
  putU32(b, p + 4, Math.floor(v / TWO32));
}

/**
 * Appends `s` as u8 length + UTF-8 at `b[p]`: the end offset; -1 when it does
 * not fit in `b`; -2 when it is over `maxBytes` (at most 255) or not well-formed.
 */
export function putStr8(b: Uint8Array, p: number, s: string, maxBytes: number): number {
  const n = s.length;
  if (n <= maxBytes && p + 1 + n <= b.length) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[p + 1 + i] = c;
    }
    if (i === n) {
      b[p] = n;
      return p + 1 + n;
    }
  }
  return putStr8Slow(b, p, s, maxBytes);
}

function putStr8Slow(b: Uint8Array, p: number, s: string, maxBytes: number): number {
  if (!isWellFormed.call(s)) return -2;
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      len += 4; // a pair (well-formed): 4 bytes for 2 units
      i++;
    } else len += 3;
  }
  if (len > maxBytes) return -2;
  if (p + 1 + len > b.length) return -1;
  utf8Encoder.encodeInto(s, b.subarray(p + 1, p + 1 + len));
  b[p] = len;
  return p + 1 + len;
}

function get8(b: Uint8Array, p: number): void {
  const s = scratchU8;
  s[0] = b[p]!;
  s[1] = b[p + 1]!;
  s[2] = b[p + 2]!;
  s[3] = b[p + 3]!;
  s[4] = b[p + 4]!;
  s[5] = b[p + 5]!;
  s[6] = b[p + 6]!;
  s[7] = b[p + 7]!;
}

export function getF64(b: Uint8Array, p: number): number {
  get8(b, p);
  return scratchF64[0]!;
}

export function getI64(b: Uint8Array, p: number): bigint {
  get8(b, p);
  return scratchI64[0]!;
}

export function getU64(b: Uint8Array, p: number): bigint {
  get8(b, p);
  return scratchU64[0]!;
}

/** A u64 that must be a safe integer; -1 when it is not (caller raises). */
export function getU53(b: Uint8Array, p: number): number {
  const hi = getU32(b, p + 4);
  if (hi > 0x1fffff) return -1;
  return hi * TWO32 + getU32(b, p);
}

/**
 * Interned short ASCII strings: symbols and venues repeat, so a direct-mapped
 * cache turns most short string decodes into a hash and a byte compare, with
 * no allocation. A miss decodes and replaces the entry. Each entry keeps the
 * full 32-bit hash of its bytes: most misses are told by one compare.
 */
const INTERN_SLOTS = 4096;
const INTERN_MAX = 16;
const internBytes = new Uint8Array(INTERN_SLOTS * INTERN_MAX);
const internLen = new Uint8Array(INTERN_SLOTS);
const internHash = new Int32Array(INTERN_SLOTS);
const internStr: string[] = new Array<string>(INTERN_SLOTS).fill('');

/** Decodes UTF-8 `b[start, end)`, ASCII fast path; throws on invalid UTF-8. */
export function utf8(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > INTERN_MAX) return n <= 64 ? asciiOrSlow(b, start, end) : utf8Slow(b, start, end);
  let h = n;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const base = slot * INTERN_MAX;
  if (internHash[slot] === h && internLen[slot] === n) {
    let i = 0;
    while (i < n && internBytes[base + i] === b[start + i]) i++;
    if (i === n) return internStr[slot]!;
  }
  const s = asciiOrSlow(b, start, end);
  if (s.length === n) {
    // cache ASCII only: any non-ASCII UTF-8 string has fewer UTF-16 units than bytes
    for (let i = 0; i < n; i++) internBytes[base + i] = b[start + i]!;
    internLen[slot] = n;
    internHash[slot] = h;
    internStr[slot] = s;
  }
  return s;
}

const fromCharCode = String.fromCharCode;

function asciiOrSlow(b: Uint8Array, start: number, end: number): string {
  let bits = 0;
  for (let i = start; i < end; i++) bits |= b[i]!;
  if (bits >= 0x80) return utf8Slow(b, start, end);
  // One string built from up to 8 codes per call (`s += char` allocates a string per byte).
  let s = '';
  let i = start;
  for (; i + 8 <= end; i += 8) {
    s += fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
  }
  switch (end - i) {
    case 1:
      return s + fromCharCode(b[i]!);
    case 2:
      return s + fromCharCode(b[i]!, b[i + 1]!);
    case 3:
      return s + fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!);
    case 4:
      return s + fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
    case 5:
      return s + fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!);
    case 6:
      return s + fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!);
    case 7:
      return s + fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!);
    default:
      return s;
  }
}

function utf8Slow(b: Uint8Array, start: number, end: number): string {
  try {
    return utf8Decoder.decode(b.subarray(start, end));
  } catch (cause) {
    throw new MalformedPayloadError('invalid UTF-8 in string', start, { cause });
  }
}

/** A bounds-checked cursor over `bytes[pos, end)`. */
export class Reader {
  readonly b: Uint8Array;
  pos: number;
  readonly end: number;
  /** what is being decoded, for error messages */
  readonly what: string;
  constructor(b: Uint8Array, pos: number, end: number, what: string) {
    this.b = b;
    this.pos = pos;
    this.end = end;
    this.what = what;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (this.end - this.pos < n) throw new TruncatedError(this.what, n, this.end - this.pos, this.pos);
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const p = this.pos;
    this.pos = p + 2;
    return this.b[p]! | (this.b[p + 1]! << 8);
  }

  u32(): number {
    this.need(4);
    const v = getU32(this.b, this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    return this.u32() | 0;
  }

  f64(): number {
    this.need(8);
    const v = getF64(this.b, this.pos);
    this.pos += 8;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = getI64(this.b, this.pos);
    this.pos += 8;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = getU64(this.b, this.pos);
    this.pos += 8;
    return v;
  }

  /** A u64 that must be a safe integer, else ValueOutOfRangeError naming `field`. */
  u53(field: string): number {
    this.need(8);
    const v = getU53(this.b, this.pos);
    if (v < 0) throw new ValueOutOfRangeError(field, 'above 2^53-1', this.pos);
    this.pos += 8;
    return v;
  }

  /** A count of elements that each take at least `minBytes`; checked against what is left. */
  count(what: string, minBytes: number): number {
    const at = this.pos;
    const n = this.u32();
    if (n * minBytes > this.end - this.pos)
      throw new TruncatedError(`${this.what} ${what}`, n * minBytes, this.end - this.pos, at);
    return n;
  }

  str(lenBytes: 1 | 2 | 4): string {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u32();
    this.need(n);
    const start = this.pos;
    this.pos = start + n;
    return utf8(this.b, start, start + n);
  }

  /** Throws unless every byte of the window was consumed. */
  done(): void {
    if (this.pos !== this.end) {
      throw new MalformedPayloadError(`${this.end - this.pos} trailing byte(s) after ${this.what}`, this.pos);
    }
  }
}
