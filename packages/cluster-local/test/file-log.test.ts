import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendToLog, EndCounter, PartitionReader } from '../src/index.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('file log: a partitioned log on local files', () => {
  it('appends, reads from any offset in order, with max, headers and keys; end offsets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-log-'));
    for (let i = 0; i < 50; i++)
      await appendToLog(dir, 't', [
        { partition: 0, key: `k${i}`, value: enc(`a${i}`), headers: { i: String(i) } },
        { partition: 1, key: null, value: enc(`b${i}`), headers: {} },
      ]);
    const r = new PartitionReader(dir, 't', 0, 10n);
    const first = await r.read(7);
    expect(first.map((x) => x.offset)).toEqual([10n, 11n, 12n, 13n, 14n, 15n, 16n]);
    expect(first[0]).toMatchObject({ key: 'k10', headers: { i: '10' }, partition: 0 });
    const rest = await r.read(1000);
    expect(rest.map((x) => Number(x.offset))).toEqual(Array.from({ length: 33 }, (_, i) => 17 + i));
    expect(new TextDecoder().decode(rest.at(-1)?.value)).toBe('a49');
    expect(await r.read(10)).toEqual([]);
    await appendToLog(dir, 't', [{ partition: 0, key: null, value: enc('late'), headers: {} }]);
    expect((await r.read(10)).map((x) => x.offset)).toEqual([50n]);
    const end = new EndCounter(dir, 't', 1);
    expect(await end.end()).toBe(50n);
    expect(await new EndCounter(dir, 't', 7).end()).toBe(0n);
    expect(await new PartitionReader(dir, 'none', 0, 0n).read(5)).toEqual([]);
  });
});
