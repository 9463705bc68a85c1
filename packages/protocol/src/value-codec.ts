/**
 * Self-describing binary encoding of `Value` (the engine's structural data
 * type) and of `Delta`. Grammar (little-endian; str = u32 length + UTF-8):
 *
 * ```
 * value  = 0x00 null | 0x01 false | 0x02 true
 *        | 0x03 i32                      number that is an int32
 *        | 0x04 f64                      any other number (NaN, ±Infinity, -0 kept);
 *                                            an int32 value here is refused, and so is any
 *                                            NaN but 0x7ff8000000000000 (one encoding per value)
 *        | 0x05 str
 *        | 0x06 u8 sign(0|1) u16 n bytes[n]   bigint magnitude, little-endian,
 *                                            canonical: no high zero byte, 0 is (0, 0)
 *        | 0x07 u32 count value*             array
 *        | 0x08 u32 count (str value)*       object; keys unique, in JS own-key order
 *                                            (array-index keys ascending first, then the rest)
 * delta  = 0x00 value                        Set
 *        | 0x01 u32 count op*                Patch
 *        | 0x02                              Remove
 * op     = 0x00 str(field) value | 0x01 str(field)
 *        | 0x02 str(field) str(key) value | 0x03 str(field) str(key)
 * ```
 * Nesting is limited to `MAX_DEPTH` levels on both sides (no stack overflow
 * on hostile input), bigints to `MAX_BIGINT_BYTES`.
 */

import type { Delta, PatchOp, Value } from '@ripple/core';
import type { ByteWriter, Reader } from './bytes.ts';
import { InvalidValueError, MalformedPayloadError, ValueOutOfRangeError } from './errors.ts';

// The shapes are defined once in @ripple/core (shared with the stream layer); their encoding is here.
export type { Delta, PatchOp, Value };

export const MAX_DEPTH = 64;
export const MAX_BIGINT_BYTES = 1024;
const MAX_STRING_BYTES = 0xffffffff;

/**
 * Writes `v`. Errors name the failing value by `path` (`value[2].price`);
 * the path is only built when something fails: the first attempt writes
 * with no path at all, and a failure rewinds and writes again with paths to
 * raise the error (same bytes, same error, at the cost of a second pass on
 * the error path only).
 */
export function writeValue(w: ByteWriter, v: Value, path = 'value', depth = 0): void {
  const at = w.pos;
  if (writeFast(w, v, depth)) return;
  w.pos = at;
  writeValueChecked(w, v, path, depth);
}

/** Mirror of `writeChecked` that returns false where that one throws. Keep the two in step. */
function writeFast(w: ByteWriter, v: Value, depth: number): boolean {
  switch (typeof v) {
    case 'boolean':
      w.u8(v ? 2 : 1);
      return true;
    case 'number':
      writeNumber(w, v);
      return true;
    case 'string':
      w.u8(5);
      return w.str(v, 4, MAX_STRING_BYTES) >= 0;
    case 'bigint':
      return writeBigint(w, v);
    case 'object': {
      if (v === null) {
        w.u8(0);
        return true;
      }
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        const arr = v as readonly Value[];
        const n = arr.length;
        w.u8(7);
        w.u32(n);
        for (let i = 0; i < n; i++) {
          if (!(i in arr) || !writeFast(w, arr[i]!, depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const obj = v as { readonly [k: string]: Value };
      const keys = Object.keys(obj);
      w.u8(8);
      w.u32(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (w.str(k, 4, MAX_STRING_BYTES) < 0 || !writeFast(w, obj[k]!, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

export function writeNumber(w: ByteWriter, v: number): void {
  if ((v | 0) === v && !Object.is(v, -0)) {
    w.u8(3);
    w.i32(v);
  } else {
    w.u8(4);
    // one NaN: engines may change NaN payload bits on their own (V8 does in double arrays)
    w.f64(Number.isNaN(v) ? Number.NaN : v);
  }
}

/** The reference writer and error path of `writeValue`: same bytes as `writeFast`, throws with the path. */
export function writeValueChecked(w: ByteWriter, v: Value, path: string, depth: number): void {
  switch (typeof v) {
    case 'boolean':
      w.u8(v ? 2 : 1);
      return;
    case 'number':
      writeNumber(w, v);
      return;
    case 'string':
      w.u8(5);
      writeStr(w, v, path);
      return;
    case 'bigint':
      if (!writeBigint(w, v)) throw new InvalidValueError(path, `bigint above ${MAX_BIGINT_BYTES} bytes`);
      return;
    case 'object':
      if (v === null) {
        w.u8(0);
        return;
      }
      if (depth >= MAX_DEPTH)
        throw new InvalidValueError(path, `nested deeper than ${MAX_DEPTH} (or cyclic)`);
      if (Array.isArray(v)) {
        const arr = v as readonly Value[];
        w.u8(7);
        w.u32(arr.length);
        for (let i = 0; i < arr.length; i++) {
          if (!(i in arr)) throw new InvalidValueError(`${path}[${i}]`, 'sparse array hole');
          writeValueChecked(w, arr[i]!, `${path}[${i}]`, depth + 1);
        }
        return;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) {
        throw new InvalidValueError(path, `not a plain object (${Object.prototype.toString.call(v)})`);
      }
      {
        const obj = v as { readonly [k: string]: Value };
        const keys = Object.keys(obj);
        w.u8(8);
        w.u32(keys.length);
        for (const k of keys) {
          writeStr(w, k, path);
          writeValueChecked(w, obj[k]!, `${path}.${k}`, depth + 1);
        }
      }
      return;
    default:
      throw new InvalidValueError(path, `${typeof v} is not a Value`);
  }
}

function writeStr(w: ByteWriter, s: string, path: string): void {
  if (w.str(s, 4, MAX_STRING_BYTES) < 0) throw new InvalidValueError(path, 'string with a lone surrogate');
}

// a magnitude below 2^64 goes through one 64-bit store instead of a bigint shift per byte
const big64 = new BigUint64Array(1);
const big8 = new Uint8Array(big64.buffer);
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** Writes tag 6 and the canonical magnitude; false (nothing written) above `MAX_BIGINT_BYTES`. */
export function writeBigint(w: ByteWriter, v: bigint): boolean {
  const neg = v < 0n;
  let m = neg ? -v : v;
  if (m <= U64_MAX) {
    big64[0] = m;
    let n = 8;
    while (n > 0 && big8[n - 1] === 0) n--;
    w.ensure(4 + n);
    const b = w.buf;
    const p = w.pos;
    b[p] = 6;
    b[p + 1] = neg ? 1 : 0;
    b[p + 2] = n; // u16 n, n <= 8
    b[p + 3] = 0;
    for (let i = 0; i < n; i++) b[p + 4 + i] = big8[i]!;
    w.pos = p + 4 + n;
    return true;
  }
  const bytes: number[] = [];
  while (m > 0n) {
    bytes.push(Number(m & 0xffn));
    m >>= 8n;
    if (bytes.length > MAX_BIGINT_BYTES) return false;
  }
  w.u8(6);
  w.u8(neg ? 1 : 0);
  w.u16(bytes.length);
  for (const b of bytes) w.u8(b);
  return true;
}

export function readValue(r: Reader, depth = 0): Value {
  const at = r.pos;
  const tag = r.u8();
  switch (tag) {
    case 0:
      return null;
    case 1:
      return false;
    case 2:
      return true;
    case 3:
      return r.i32();
    case 4: {
      if (r.remaining >= 8 && isNonCanonicalNaN(r.b, r.pos)) {
        throw new MalformedPayloadError('non-canonical NaN (only 0x7ff8000000000000)', at);
      }
      const v = r.f64();
      // canonical: an int32 value has exactly one encoding (tag 3), so decode∘encode is the identity
      if ((v | 0) === v && !Object.is(v, -0))
        throw new MalformedPayloadError('non-canonical number (int32 as f64)', at);
      return v;
    }
    case 5:
      return r.str(4);
    case 6:
      return readBigint(r, at);
    case 7: {
      if (depth >= MAX_DEPTH) throw new MalformedPayloadError(`value nested deeper than ${MAX_DEPTH}`, at);
      const n = r.count('array', 1);
      const out: Value[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, depth + 1);
      return out;
    }
    case 8: {
      if (depth >= MAX_DEPTH) throw new MalformedPayloadError(`value nested deeper than ${MAX_DEPTH}`, at);
      const n = r.count('object', 5);
      const out: { [k: string]: Value } = {};
      let lastIndex = -1;
      let named = false;
      for (let i = 0; i < n; i++) {
        const kAt = r.pos;
        const k = r.str(4);
        // `in` is false for almost every key: then a plain store is safe (no own key, no
        // inherited setter such as __proto__) and much cheaper than defineProperty
        const plain = !(k in out);
        if (!plain && Object.hasOwn(out, k)) {
          throw new MalformedPayloadError(`duplicate object key ${JSON.stringify(k)}`, kAt);
        }
        // canonical order is JS's own key order (what the encoder writes): array-index keys
        // first, ascending, then the others; any other order would not survive a re-encode
        const index = arrayIndex(k);
        if (index < 0) named = true;
        else if (named || index <= lastIndex) {
          throw new MalformedPayloadError(`object key ${JSON.stringify(k)} out of canonical order`, kAt);
        } else lastIndex = index;
        const v = readValue(r, depth + 1);
        if (plain) out[k] = v;
        // defineProperty: a "__proto__" key stays an own property instead of replacing the prototype
        else
          Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new MalformedPayloadError(`unknown value tag ${tag}`, at);
  }
}

/** The array index a key denotes in JS objects (0 .. 2^32-2), or -1. */
function arrayIndex(k: string): number {
  const n = k.length;
  if (n === 0 || n > 10) return -1;
  const c0 = k.charCodeAt(0);
  if (c0 < 48 || c0 > 57 || (c0 === 48 && n > 1)) return -1;
  for (let i = 1; i < n; i++) {
    const c = k.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  const v = Number(k);
  return v <= 4294967294 ? v : -1;
}

/** A NaN whose bits are not the canonical quiet NaN 00 00 00 00 00 00 f8 7f (little-endian). */
function isNonCanonicalNaN(b: Uint8Array, p: number): boolean {
  const hi = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
  const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  const nan = (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) !== 0 || lo !== 0);
  return nan && !(hi === 0x7ff80000 && lo === 0);
}

function readBigint(r: Reader, at: number): bigint {
  const sign = r.u8();
  if (sign > 1) throw new MalformedPayloadError(`bad bigint sign ${sign}`, at + 1);
  const n = r.u16();
  if (n > MAX_BIGINT_BYTES)
    throw new ValueOutOfRangeError('bigint', `${n} bytes > ${MAX_BIGINT_BYTES}`, at + 2);
  r.need(n);
  const b = r.b;
  const p = r.pos;
  if (n > 0 && b[p + n - 1] === 0)
    throw new MalformedPayloadError('non-canonical bigint (high zero byte)', at);
  if (n === 0 && sign === 1) throw new MalformedPayloadError('non-canonical bigint (negative zero)', at);
  let m = 0n;
  if (n <= 8) {
    for (let i = 0; i < 8; i++) big8[i] = i < n ? b[p + i]! : 0;
    m = big64[0]!;
  } else for (let i = n - 1; i >= 0; i--) m = (m << 8n) | BigInt(b[p + i]!);
  r.pos = p + n;
  return sign === 1 ? -m : m;
}

export function writeDelta(w: ByteWriter, d: Delta, path = 'delta'): void {
  switch (d?.kind) {
    case 'set':
      w.u8(0);
      writeValue(w, d.value, `${path}.value`);
      return;
    case 'patch': {
      const ops = d.ops;
      if (!Array.isArray(ops)) throw new InvalidValueError(`${path}.ops`, 'not an array');
      w.u8(1);
      w.u32(ops.length);
      for (let i = 0; i < ops.length; i++) writeOp(w, ops[i]!, `${path}.ops[${i}]`);
      return;
    }
    case 'remove':
      w.u8(2);
      return;
    default:
      throw new InvalidValueError(path, 'kind is not set, patch or remove');
  }
}

function writeOp(w: ByteWriter, op: PatchOp, path: string): void {
  const fieldOk = typeof op?.field === 'string';
  switch (fieldOk ? op.op : undefined) {
    case 'field_set':
      w.u8(0);
      writeStr(w, op.field, path);
      writeValue(w, (op as { value: Value }).value, `${path}.value`);
      return;
    case 'field_remove':
      w.u8(1);
      writeStr(w, op.field, path);
      return;
    case 'map_set':
    case 'map_remove': {
      const key = (op as { key: unknown }).key;
      if (typeof key !== 'string') throw new InvalidValueError(`${path}.key`, 'not a string');
      w.u8(op.op === 'map_set' ? 2 : 3);
      writeStr(w, op.field, path);
      writeStr(w, key, path);
      if (op.op === 'map_set') writeValue(w, op.value, `${path}.value`);
      return;
    }
    default:
      throw new InvalidValueError(path, 'not a patch op with a string field');
  }
}

export function readDelta(r: Reader): Delta {
  const at = r.pos;
  const kind = r.u8();
  if (kind === 0) return { kind: 'set', value: readValue(r) };
  if (kind === 2) return { kind: 'remove' };
  if (kind !== 1) throw new MalformedPayloadError(`unknown delta kind ${kind}`, at);
  const n = r.count('patch ops', 5);
  const ops: PatchOp[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const opAt = r.pos;
    const op = r.u8();
    const field = r.str(4);
    switch (op) {
      case 0:
        ops[i] = { op: 'field_set', field, value: readValue(r) };
        break;
      case 1:
        ops[i] = { op: 'field_remove', field };
        break;
      case 2: {
        const key = r.str(4);
        ops[i] = { op: 'map_set', field, key, value: readValue(r) };
        break;
      }
      case 3:
        ops[i] = { op: 'map_remove', field, key: r.str(4) };
        break;
      default:
        throw new MalformedPayloadError(`unknown patch op ${op}`, opAt);
    }
  }
  return { kind: 'patch', ops };
}
