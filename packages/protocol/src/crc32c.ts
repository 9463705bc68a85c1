/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 *
 * Pure TypeScript slicing-by-16 for short inputs; for inputs of at least
 * `NATIVE_THRESHOLD` bytes the SSE4.2/ARMv8 implementation of the optional
 * native package `@node-rs/crc32` when it loads on this platform (it is ~4x
 * faster there, but its call overhead makes it slower below ~512 bytes).
 * Both give identical results (tested). The choice and the measurements:
 * docs/decisions/0002-crc32c-and-fingerprint-width.md.
 */
import { createRequire } from 'node:module';

const POLY = 0x82f63b78;
/** 16 tables of 256 entries in one Int32Array: table s at [s*256, s*256+256). */
const T = new Int32Array(16 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[i] = c;
}
for (let i = 0; i < 256; i++) {
  for (let s = 1; s < 16; s++) {
    const prev = T[(s - 1) * 256 + i]!;
    T[s * 256 + i] = (prev >>> 8) ^ T[prev & 0xff]!;
  }
}

/** Inputs at least this long go to the native implementation when available. */
export const NATIVE_THRESHOLD = 512;

type NativeCrc = (input: Uint8Array, initialState?: number) => number;
const native: NativeCrc | undefined = loadNative();

function loadNative(): NativeCrc | undefined {
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: NativeCrc };
    const f = mod.crc32c;
    // self-check with the standard check value before trusting it
    if (typeof f === 'function' && f(new TextEncoder().encode('123456789')) === 0xe3069283) return f;
  } catch {
    // not installed or no binary for this platform: the pure implementation is used
  }
  return undefined;
}

/** Which implementation serves large inputs: 'native' or 'js'. */
export const crc32cBackend: 'native' | 'js' = native === undefined ? 'js' : 'native';

/**
 * CRC-32C of `bytes[start, end)`, continuing from `crc` (0 to start). Returns
 * the finished unsigned 32-bit value, which can be passed back as `crc` to
 * continue over the next chunk. No allocation for short inputs.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  if (native !== undefined && end - start >= NATIVE_THRESHOLD) {
    return native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), crc) >>> 0;
  }
  return crc32cJs(bytes, start, end, crc);
}

/** The pure TypeScript implementation (exported for equivalence tests and the decision bench). */
export function crc32cJs(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  const fast = end - 16;
  while (i <= fast) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      T[3840 + (a & 0xff)]! ^
      T[3584 + ((a >>> 8) & 0xff)]! ^
      T[3328 + ((a >>> 16) & 0xff)]! ^
      T[3072 + (a >>> 24)]! ^
      T[2816 + bytes[i + 4]!]! ^
      T[2560 + bytes[i + 5]!]! ^
      T[2304 + bytes[i + 6]!]! ^
      T[2048 + bytes[i + 7]!]! ^
      T[1792 + bytes[i + 8]!]! ^
      T[1536 + bytes[i + 9]!]! ^
      T[1280 + bytes[i + 10]!]! ^
      T[1024 + bytes[i + 11]!]! ^
      T[768 + bytes[i + 12]!]! ^
      T[512 + bytes[i + 13]!]! ^
      T[256 + bytes[i + 14]!]! ^
      T[bytes[i + 15]!]!;
    i += 16;
  }
  while (i < end) {
    c = T[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    i++;
  }
  return ~c >>> 0;
}
