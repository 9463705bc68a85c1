import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendToLog, PartitionReader } from '../src/index.ts';

describe('file log: reading while it grows', () => {
  it('every record once, in order, whatever the read sizes and append sizes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-log-'));
    const r = new PartitionReader(dir, 't', 0, 0n);
    const seen: bigint[] = [];
    let written = 0;
    for (let round = 0; round < 200; round++) {
      const n = 1 + (round % 7);
      const value = new Uint8Array(100 + ((round * 997) % 3000)).fill(round % 251);
      await appendToLog(
        dir,
        't',
        Array.from({ length: n }, () => ({ partition: 0, key: null, value, headers: {} })),
      );
      written += n;
      for (const x of await r.read(1 + (round % 5))) seen.push(x.offset);
    }
    for (;;) {
      const got = await r.read(3);
      if (got.length === 0) break;
      for (const x of got) seen.push(x.offset);
    }
    expect(seen.length).toBe(written);
    expect(seen).toEqual(Array.from({ length: written }, (_, i) => BigInt(i)));
  });
});
