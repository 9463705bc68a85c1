import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalSnapshotStore } from '../src/adapters/local-snapshot-store.ts';
import { MemorySink, MemorySource } from '../src/adapters/memory.ts';
import { loadConfig } from '../src/config.ts';
import { SinkError, SourceError } from '../src/errors.ts';
import { vwapJob } from '../src/jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from '../src/metrics.ts';
import type { RecordSink, RecordSource } from '../src/ports.ts';
import { Worker } from '../src/worker.ts';
import { config, contractConsumer, newWorker, runToEnd, steppingClock, world } from './memory-world.ts';

// Faults (issue 9): retryable source and sink errors are retried with
// backoff while the worker reports degraded; a non-retryable one stops it
// after a drain attempt; SIGTERM exits 0 only when the final checkpoint was
// stored; a local cache that cannot be written is a counted degradation.

async function metric(m: WorkerMetrics, name: string): Promise<number> {
  const x = m.registry.getSingleMetric(name);
  if (x === undefined) throw new Error(`no metric ${name}`);
  return (await x.get()).values.reduce((n, v) => n + v.value, 0);
}

/** A sink whose sends fail (with `error`) while `failing()` says so. */
function flakySink(inner: RecordSink, failing: () => boolean, error: () => Error): RecordSink {
  return {
    send: async (records) => {
      if (failing()) throw error();
      await inner.send(records);
    },
    close: () => inner.close(),
  };
}

async function golden(records: number, seed: number) {
  const g = world(records, seed);
  const wk = newWorker(g);
  await wk.start();
  await runToEnd(wk);
  return contractConsumer(g.out);
}

describe('faults', () => {
  it('retryable sink errors: retried with backoff while degraded (not ready); output exact', async () => {
    const w = world(300, 61);
    let sends = 0;
    w.wrapSink = (s) =>
      flakySink(
        s,
        () => ++sends % 5 < 3, // 2 of every 5 attempts succeed
        () => new SinkError('produce: leader not available', true),
      );
    const m = new WorkerMetrics('w');
    const wk = newWorker(w, config(), m);
    await wk.start();
    let sawDegraded = false;
    for (let i = 0; i < 10_000; i++) {
      const n = await wk.step();
      if (wk.degradedDependencies.includes('sink')) sawDegraded = true;
      if (n === 0 && !wk.degradedDependencies.includes('sink')) break;
    }
    await wk.flushWindows();
    expect(sawDegraded).toBe(true);
    expect(await metric(m, 'ripple_worker_retries_total')).toBeGreaterThan(0);
    const want = await golden(300, 61);
    expect(contractConsumer(w.out).values).toEqual(want.values);
  });

  it('retryable source errors: retried, degraded meanwhile, nothing lost', async () => {
    const w = world(300, 62);
    let polls = 0;
    w.wrapSource = (s: RecordSource): RecordSource => ({
      assign: (x) => s.assign(x),
      unassign: (x) => s.unassign(x),
      endOffset: (p) => s.endOffset(p),
      lastKnownEnd: (p) => s.lastKnownEnd(p),
      close: () => s.close(),
      poll: async (n, ms) => {
        if (++polls % 4 === 0) throw new SourceError('fetch: request timed out', true);
        return await s.poll(n, ms);
      },
    });
    const wk = newWorker(w);
    await wk.start();
    let sawDegraded = false;
    let idle = 0;
    for (let i = 0; i < 10_000 && idle < 3; i++) {
      const n = await wk.step();
      if (wk.degradedDependencies.includes('source')) sawDegraded = true;
      idle = n === 0 && !wk.degradedDependencies.includes('source') ? idle + 1 : 0;
    }
    await wk.flushWindows();
    expect(sawDegraded).toBe(true);
    expect(contractConsumer(w.out).values).toEqual((await golden(300, 62)).values);
  });

  it('a non-retryable sink error stops the loop after a drain attempt; a restart is still exact', async () => {
    const w = world(300, 63);
    let broken = false;
    w.wrapSink = (s) =>
      flakySink(
        s,
        () => broken,
        () => new SinkError('produce: record too large', false),
      );
    const a = newWorker(w);
    await a.start();
    for (let i = 0; i < 10; i++) await a.step();
    broken = true;
    await expect(a.run()).rejects.toThrow(/record too large/);
    expect(a.lifecycle.state).toBe('failed');
    broken = false;
    const b = newWorker(w);
    await b.start();
    await runToEnd(b);
    expect(contractConsumer(w.out).values).toEqual((await golden(300, 63)).values);
  });

  it('a local cache that cannot be written (full disk) is counted; processing and the store go on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-cache-'));
    for (let p = 0; p < 3; p++) writeFileSync(join(dir, `p${p}`), 'not a directory'); // every write fails
    const w = world(300, 64);
    const cfg = config();
    const m = new WorkerMetrics('w');
    const topics = new Map([w.out, w.dlq, w.late].map((t) => [t.name, t]));
    const wk = new Worker({
      config: cfg,
      job: vwapJob,
      source: new MemorySource(w.input.topic),
      sink: new MemorySink(topics),
      store: w.store,
      cache: new LocalSnapshotStore(dir),
      metrics: m,
      clock: steppingClock(),
      lateTopic: 'trades-late',
      retryBackoffMs: { first: 1, max: 4 },
    });
    await wk.start();
    await runToEnd(wk);
    expect(await wk.waitForCheckpoints(2000)).toBe(true);
    expect(await metric(m, 'ripple_worker_cache_write_failures_total')).toBeGreaterThan(0);
    expect(w.store.count(0)).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual(['p0', 'p1', 'p2']); // no stray temporary files
  });

  it('max_in_flight_records is gone (it bounded nothing; the worker holds at most two batches)', () => {
    const cfg = loadConfig({ RIPPLE_WORKER_ID: 'w', KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(cfg).not.toHaveProperty('maxInFlightRecords');
  });

  it('SIGTERM exits 1, naming what was not stored, when the final checkpoint cannot be stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-term-'));
    mkdirSync(join(dir, 'in'));
    const lines = [];
    for (let i = 0; i < 2000; i++)
      lines.push(
        `S${i % 3},${100 + (i % 7)},${1 + (i % 5)},${1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n},X`,
      );
    writeFileSync(join(dir, 'in', 'trades-p0.csv'), `${lines.join('\n')}\n`);
    // A store that lists fine but cannot take a snapshot: its directory is so deep
    // that '<dir>/p0' fits in PATH_MAX (4096) and '<dir>/p0/<id>.snap.tmp' does not.
    let store = join(dir, 'ck');
    while (store.length < 4040 - 251) store = join(store, 'd'.repeat(250));
    store = join(store, 'd'.repeat(4040 - store.length - 1));
    mkdirSync(store, { recursive: true });
    const child = spawn(
      process.execPath,
      ['--conditions=@ripple/source', join(import.meta.dirname, '..', 'src', 'main.ts')],
      {
        env: {
          PATH: process.env.PATH ?? '',
          RIPPLE_WORKER_ID: 'term',
          RIPPLE_SOURCE: 'file',
          RIPPLE_INPUT_DIR: join(dir, 'in'),
          RIPPLE_OUTPUT_DIR: join(dir, 'out'),
          RIPPLE_SNAPSHOT_STORE: 'local',
          RIPPLE_CHECKPOINT_CACHE_DIR: store,
          RIPPLE_NUM_PARTITIONS: '1',
          RIPPLE_PARTITIONS: '0',
          RIPPLE_SHUTDOWN_GRACE_SEC: '1',
          RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
          RIPPLE_HEALTH_PORT: '0',
          RIPPLE_METRICS_PORT: '0',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let log = '';
    child.stderr?.setEncoding('utf8');
    const processed = new Promise<void>((resolve) =>
      child.stderr?.on('data', (c: string) => {
        log += c;
        if (log.includes('checkpoint store write failed')) resolve();
      }),
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await processed;
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(log).toMatch(
      /"partitions":\[0\][^\n]*"msg":"final checkpoint not stored before the grace period ended"/,
    );
  }, 30_000);
});

describe('Kafka error classification', () => {
  it('broker errors marked not retryable stop the loop; network errors and timeouts are retried', async () => {
    const { NetworkError, ProtocolError, TimeoutError } = await import('@platformatic/kafka');
    const { kafkaRetryable } = await import('../src/adapters/kafka.ts');
    expect(kafkaRetryable(new ProtocolError('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(kafkaRetryable(new ProtocolError('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
    expect(kafkaRetryable(new ProtocolError('NOT_LEADER_OR_FOLLOWER'))).toBe(true);
    expect(kafkaRetryable(new NetworkError('connection refused'))).toBe(true);
    expect(kafkaRetryable(new TimeoutError('request timed out'))).toBe(true);
  });
});
