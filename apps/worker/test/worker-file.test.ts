import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink, FileSource } from '../src/adapters/file.ts';
import { LocalSnapshotStore } from '../src/adapters/local-snapshot-store.ts';
import { loadConfig } from '../src/config.ts';
import { vwapJob } from '../src/jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from '../src/metrics.ts';
import { Worker } from '../src/worker.ts';

// The worker on files: CSV per partition in, NDJSON per topic and partition out,
// checkpoints in a local directory; bad lines go to the dead-letter file with the parser's reason.

const SEC = 1_000_000_000n;

function csv(partition: number): string {
  const lines = ['# trades of one partition', ''];
  for (let i = 0; i < 300; i++) {
    const ts = 1_700_000_000n * SEC + BigInt(i) * 100_000_000n; // 100 ms apart: 30 s of event time
    lines.push(`SYM${partition}${i % 3},${100 + (i % 7)},${1 + (i % 5)},${ts},XNAS`);
    if (i === 50) lines.push('SYM0,not-a-price,10,1700000000000000000,XNAS');
    if (i === 120) lines.push('SYM0,100,-5,1700000000000000000,XNAS');
  }
  return `${lines.join('\n')}\n`;
}

function readLines(
  path: string,
): Array<{ key: string | null; headers: Record<string, string>; value: unknown }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

describe('worker on files', () => {
  it('reads CSV partitions, writes readable deltas, dead-letters bad lines, resumes from checkpoints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-file-'));
    const output = join(dir, 'out');
    const checkpoints = join(dir, 'checkpoints');
    for (const p of [0, 1]) {
      writeFileSync(join(dir, `trades-p${p}.csv`), csv(p));
    }
    const cfg = loadConfig({
      RIPPLE_WORKER_ID: 'file-w',
      RIPPLE_SOURCE: 'file',
      RIPPLE_INPUT_DIR: dir,
      RIPPLE_OUTPUT_DIR: output,
      RIPPLE_SNAPSHOT_STORE: 'local',
      RIPPLE_NUM_PARTITIONS: '2',
      RIPPLE_PARTITIONS: '0-1',
      RIPPLE_WINDOW: '10s',
      RIPPLE_MAX_BATCH_RECORDS: '1',
    });
    const make = () =>
      new Worker({
        config: cfg,
        job: vwapJob,
        source: new FileSource(cfg.inputDir as string, cfg.inputTopic, 40),
        sink: new FileSink(output, (r) => (r.topic === 'vwap-output' ? 'frame' : undefined)),
        store: new LocalSnapshotStore(checkpoints),
        metrics: new WorkerMetrics('file-w'),
      });
    const a = make();
    await a.start();
    for (let i = 0; i < 4; i++) await a.step();
    await a.drain(); // checkpoint in the local directory
    const b = make();
    await b.start();
    expect(b.lifecycle.state).toBe('recovering');
    while ((await b.step()) > 0) {}
    await b.flushWindows();
    const dlq = [...readLines(join(output, 'trades-dlq-p0.ndjson'))];
    expect(dlq.map((d) => d.headers['ripple-dlq-reason'])).toEqual([
      expect.stringMatching(/^line 54: .*price/),
      expect.stringMatching(/^line 125: .*size/),
    ]);
    const out0 = readLines(join(output, 'vwap-output-p0.ndjson'));
    expect(out0.length).toBeGreaterThan(0);
    expect(out0.every((l) => l.value === 'frame')).toBe(true);
    // Sequence numbers continue across the restart: no gap, no repeat after a graceful drain.
    const seqs = out0.map((l) => Number(l.headers['ripple-first-sequence']));
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
