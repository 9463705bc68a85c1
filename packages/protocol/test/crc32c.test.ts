import { describe, expect, it } from 'vitest';
import { crc32c, crc32cBackend, crc32cJs } from '../src/index.ts';

const enc = new TextEncoder();

describe('crc32c', () => {
  it('matches the standard check value and RFC 3720 vectors', () => {
    expect(crc32c(enc.encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const inc = new Uint8Array(32).map((_, i) => i);
    expect(crc32c(inc)).toBe(0x46dd794e);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('pure and native (when loaded) agree on every length and alignment, continuation included', () => {
    const big = new Uint8Array(5000).map((_, i) => (i * 131 + 17) & 0xff);
    for (let start = 0; start < 8; start++) {
      for (const len of [0, 1, 7, 15, 16, 17, 63, 511, 512, 513, 4096]) {
        const ref = crc32cJs(big, start, start + len);
        expect(crc32c(big, start, start + len)).toBe(ref);
        const mid = start + (len >> 1);
        expect(crc32cJs(big, mid, start + len, crc32cJs(big, start, mid))).toBe(ref);
        expect(crc32c(big, mid, start + len, crc32c(big, start, mid))).toBe(ref);
      }
    }
    expect(['js', 'native']).toContain(crc32cBackend);
  });
});
