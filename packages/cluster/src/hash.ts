/**
 * A 32-bit string hash for ring positions: FNV-1a over UTF-16 code units,
 * then murmur3's fmix32 finalizer so that ids differing in one character
 * land far apart. Stable across processes and versions: changing it moves
 * partitions, so it is pinned by a test.
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
