import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLogSink, FileLogSource } from '../src/adapters/file-log.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('file log adapters (RIPPLE_SOURCE=log, the embedded cluster)', () => {
  it('what the sink appends the source reads: per partition in order, from any position; end offsets; unassign', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-worker-log-'));
    const sink = new FileLogSink(dir);
    for (let i = 0; i < 20; i++)
      await sink.send([
        { topic: 't', partition: i % 2, key: null, value: enc(`v${i}`), headers: { n: String(i) } },
        { topic: 'other', partition: 0, key: 'k', value: enc('x'), headers: {} },
      ]);
    const src = new FileLogSource(dir, 't');
    expect(await src.endOffset(0)).toBe(10n);
    await src.assign([
      { partition: 0, position: 'earliest' },
      { partition: 1, position: 7n },
    ]);
    const got: string[] = [];
    for (let i = 0; i < 10; i++)
      for (const r of await src.poll(4, 10)) got.push(`${r.partition}:${r.offset}:${r.headers.n}`);
    expect(got.filter((g) => g.startsWith('0:'))).toEqual(
      Array.from({ length: 10 }, (_, i) => `0:${i}:${2 * i}`),
    );
    expect(got.filter((g) => g.startsWith('1:'))).toEqual(['1:7:15', '1:8:17', '1:9:19']);
    await src.unassign([0]);
    await sink.send([{ topic: 't', partition: 0, key: null, value: enc('new'), headers: {} }]);
    expect(await src.poll(10, 10)).toEqual([]);
    await src.assign([{ partition: 0, position: 'latest' }]);
    await sink.send([{ topic: 't', partition: 0, key: null, value: enc('newer'), headers: {} }]);
    expect((await src.poll(10, 10)).map((r) => r.offset)).toEqual([11n]);
  });
});
