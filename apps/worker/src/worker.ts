/**
 * The worker runtime: recovery, the processing loop, checkpoints and drain.
 *
 * Loop (one step): poll a batch -> decode and window it per partition ->
 * hand outputs, late events and dead letters to the sink -> maybe capture a
 * checkpoint. One batch may be in flight at the sink while the next is
 * fetched and processed; before sending the next, the worker waits for the
 * previous acknowledgement. That is the backpressure: when the sink lags,
 * fetching stops, and memory holds at most two batches.
 *
 * Checkpoints are captured between steps (every output so far acknowledged),
 * encoded with CRC and schema, written to the local cache and handed to a
 * background writer that stores them in the snapshot store with retries and
 * backoff; processing goes on meanwhile. A newer capture supersedes one still
 * retrying. A store write is atomic (object, then pointer), so a failed or
 * interrupted checkpoint never becomes the latest.
 */
import {
  type Context,
  context,
  propagation,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  DeltaBatchEncoder,
  decodeSnapshot,
  encodeSnapshot,
  type PartitionSnapshot,
  ProtocolError,
  TradeBatchEncoder,
} from '@ripple/protocol';
import type { WorkerConfig } from './config.ts';
import { SnapshotCorruptError, type WorkerError } from './errors.ts';
import { Lifecycle } from './lifecycle.ts';
import type { WorkerMetrics } from './metrics.ts';
import type {
  PartitionStart,
  RecordSink,
  RecordSource,
  SinkRecord,
  SnapshotStore,
  SourceRecord,
  StoredSnapshot,
} from './ports.ts';
import {
  PARTITION_STATE_SCHEMA,
  VWAP_OUTPUT_SCHEMA,
  VwapPartition,
  type VwapPartitionOptions,
} from './vwap-partition.ts';

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface Clock {
  nowMs(): number;
  nowNs(): bigint;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  nowNs: () => BigInt(Date.now()) * 1_000_000n,
};

export interface WorkerDeps {
  readonly config: WorkerConfig;
  readonly source: RecordSource;
  readonly sink: RecordSink;
  /** Durable store (S3 in production). */
  readonly store: SnapshotStore;
  /** Optional local cache (the StatefulSet volume): read first at recovery, written first at checkpoint. */
  readonly cache?: SnapshotStore | null;
  readonly metrics: WorkerMetrics;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly tracer?: Tracer;
  /** Late-data side output topic. */
  readonly lateTopic?: string;
  /** Snapshots kept per partition in the store. */
  readonly keepSnapshots?: number;
  /** Called after each checkpoint capture (the part that pauses processing) and each store write. */
  readonly onCheckpoint?: (event: { phase: 'capture' | 'store'; ms: number; partition?: number }) => void;
  /** Backoff of the checkpoint writer: first and maximum delay. */
  readonly retryBackoffMs?: { first: number; max: number };
}

/** Records per output frame: keeps a Kafka record well under the broker's 1 MiB default. */
const MAX_RECORDS_PER_FRAME = 2000;

export class Worker {
  readonly lifecycle = new Lifecycle();
  private readonly cfg: WorkerConfig;
  private readonly d: WorkerDeps;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly tracer: Tracer;
  private readonly lateTopic: string;
  private readonly parts = new Map<number, VwapPartition>();
  private readonly replayTarget = new Map<number, bigint>();
  private stopRequested = false;
  private lastCaptureMs = 0;
  private lastStoredMs = 0;
  /** Newest captured checkpoint not yet stored, per partition. */
  private queued = new Map<number, StoredSnapshot>();
  private writer: Promise<void> | null = null;
  private checkpointSeq = 0;

  constructor(deps: WorkerDeps) {
    this.d = deps;
    this.cfg = deps.config;
    this.log = deps.logger ?? silentLogger;
    this.clock = deps.clock ?? systemClock;
    this.tracer = deps.tracer ?? trace.getTracer('ripple-worker');
    this.lateTopic = deps.lateTopic ?? `${deps.config.inputTopic}-late`;
    this.lifecycle.onTransition((from, to) => {
      deps.metrics.setState(to);
      this.log.info('state', { from, to });
    });
    deps.metrics.setState(this.lifecycle.state);
  }

  private partitionOptions(partition: number): VwapPartitionOptions {
    return {
      partition,
      windowNs: this.cfg.windowNs,
      allowedLatenessNs: this.cfg.allowedLatenessNs,
      outOfOrdernessNs: this.cfg.outOfOrdernessNs,
      maxKeys: this.cfg.maxKeysPerPartition,
      onStep: (ns, recomputes) => {
        this.d.metrics.graphStabilizationNs.observe(ns);
        this.d.metrics.graphRecomputes.observe(recomputes);
      },
    };
  }

  /** Graph counters already reported, per partition (counters only ever add the difference). */
  private readonly graphSeen = new Map<number, { stabilizations: number; cutoffs: number }>();

  // ------------------------------------------------------------------ start

  /** Restore owned partitions from their latest valid snapshot and assign the source. */
  async start(): Promise<void> {
    await this.tracer.startActiveSpan('ripple.worker.recovery', async (span) => {
      try {
        const starts: PartitionStart[] = [];
        let restored = 0;
        for (const partition of this.cfg.partitions) {
          const p = await this.restorePartition(partition);
          if (p === null) {
            this.parts.set(partition, new VwapPartition(this.partitionOptions(partition)));
            starts.push({ partition, position: this.cfg.startPosition });
          } else {
            restored++;
            this.parts.set(partition, p);
            starts.push({ partition, position: p.nextOffset ?? 0n });
          }
        }
        span.setAttribute('ripple.partitions', this.cfg.partitions.length);
        span.setAttribute('ripple.partitions_restored', restored);
        await this.d.source.assign(starts);
        for (const s of starts) {
          const end = await this.d.source.endOffset(s.partition);
          this.replayTarget.set(s.partition, end);
        }
        this.lifecycle.transition(restored > 0 ? 'Recovering' : 'Active');
        this.maybeActive();
        this.lastCaptureMs = this.clock.nowMs();
        this.lastStoredMs = this.lastCaptureMs;
      } catch (e) {
        failSpan(span, e);
        throw e;
      } finally {
        span.end();
      }
    });
  }

  private async restorePartition(partition: number): Promise<VwapPartition | null> {
    const candidates: Array<{ from: string; snap: PartitionSnapshot }> = [];
    const stores = [this.d.cache ?? null, this.d.store].filter((s): s is SnapshotStore => s !== null);
    for (const store of stores) {
      let stored: StoredSnapshot | null;
      try {
        stored = await store.latest(partition);
      } catch (e) {
        this.log.warn('snapshot store unavailable at recovery', {
          store: store.name,
          partition,
          error: String(e),
        });
        continue;
      }
      if (stored === null) continue;
      try {
        const snap = decodeSnapshot(stored.bytes, { reader: PARTITION_STATE_SCHEMA });
        if (snap.partition !== partition)
          throw new SnapshotCorruptError(stored.id, `holds partition ${snap.partition}`);
        candidates.push({ from: store.name, snap });
      } catch (e) {
        const reason =
          e instanceof ProtocolError ? e.code : e instanceof SnapshotCorruptError ? e.code : 'unknown';
        this.d.metrics.snapshotRejected.inc({ reason });
        this.log.error('snapshot rejected', {
          store: store.name,
          partition,
          id: stored.id,
          error: String(e),
        });
      }
    }
    // The newest valid one wins (the cache can be ahead of the store while the store was down).
    candidates.sort((a, b) => cmpSnapshots(b.snap, a.snap, this.cfg.inputTopic, partition));
    for (const c of candidates) {
      try {
        const p = VwapPartition.fromSnapshot(this.partitionOptions(partition), c.snap, this.cfg.inputTopic);
        this.d.metrics.recoveries.inc({ source: c.from });
        this.log.info('partition restored', {
          partition,
          from: c.from,
          checkpoint: c.snap.checkpointId,
          offset: String(p.nextOffset),
        });
        return p;
      } catch (e) {
        this.d.metrics.snapshotRejected.inc({ reason: (e as WorkerError).code ?? 'unknown' });
        this.log.error('snapshot unusable', { partition, from: c.from, error: String(e) });
      }
    }
    return null;
  }

  private maybeActive(): void {
    if (this.lifecycle.state !== 'Recovering') return;
    for (const [partition, target] of this.replayTarget) {
      const p = this.parts.get(partition);
      if (p === undefined || (p.nextOffset ?? 0n) < target) return;
    }
    this.lifecycle.transition('Active');
  }

  // ------------------------------------------------------------------- loop

  /** Run steps until `requestStop()`; then drain and checkpoint. */
  async run(): Promise<void> {
    while (!this.stopRequested) {
      const n = await this.step(200);
      if (n === 0) await this.flushCheckpointIfDue();
    }
    await this.drain();
  }

  requestStop(): void {
    this.stopRequested = true;
  }

  /** One poll-process-send cycle. Returns the number of records processed. */
  async step(maxWaitMs = 0): Promise<number> {
    const records = await (this.prefetched ?? this.d.source.poll(this.cfg.maxBatchRecords, maxWaitMs));
    // Fetch the next batch while this one is processed. Only one poll is ever
    // outstanding, and positions in checkpoints come from processed records, not
    // from the source, so a prefetched batch lost in a crash is simply read again.
    this.prefetched = this.stopRequested ? null : this.d.source.poll(this.cfg.maxBatchRecords, maxWaitMs);
    this.prefetched?.catch(() => {}); // surfaced by the next step
    if (records.length === 0) {
      this.maybeActive();
      return 0;
    }
    const span = this.tracer.startSpan('ripple.worker.batch', {
      attributes: { 'ripple.records': records.length },
    });
    const ctx = trace.setSpan(context.active(), span);
    try {
      const touched = new Set<VwapPartition>();
      for (const r of records) {
        const p = this.parts.get(r.partition);
        if (p === undefined) continue; // revoked meanwhile
        p.ingest(r);
        touched.add(p);
        this.d.metrics.recordsIn.inc({ partition: r.partition });
      }
      await this.sendPending([...touched], ctx);
      this.observe(touched);
      this.maybeActive();
      await this.flushCheckpointIfDue();
      return records.length;
    } catch (e) {
      failSpan(span, e);
      throw e;
    } finally {
      span.end();
    }
  }

  /** Per-step metrics of the partitions a batch touched, and graph totals over all partitions. */
  private observe(touched: Iterable<VwapPartition>): void {
    const m = this.d.metrics;
    for (const p of touched) this.observePartition(p);
    let nodes = 0;
    let dirty = 0;
    for (const q of this.parts.values()) {
      const s = q.pipeline.graph.stats();
      nodes += s.nodeCount;
      dirty += s.dirtyCount;
    }
    m.graphNodes.set(nodes);
    m.graphDirty.set(dirty);
  }

  private observePartition(p: VwapPartition): void {
    const m = this.d.metrics;
    const g = p.pipeline.graph.stats();
    const seen = this.graphSeen.get(p.partition) ?? { stabilizations: 0, cutoffs: 0 };
    m.graphStabilizations.inc(Math.max(0, g.stabilizations - seen.stabilizations));
    m.graphCutoffs.inc(Math.max(0, g.cutoffs - seen.cutoffs));
    this.graphSeen.set(p.partition, { stabilizations: g.stabilizations, cutoffs: g.cutoffs });
    m.keys.set({ partition: p.partition }, p.keyCount);
    const wm = p.watermarkNs;
    if (wm > -(2n ** 62n)) m.watermarkLagMs.set({ partition: p.partition }, Number(wm));
    const end = this.d.source.lastKnownEnd(p.partition);
    if (end !== undefined && p.nextOffset !== null) {
      m.consumerLag.set({ partition: p.partition }, Number(end > p.nextOffset ? end - p.nextOffset : 0n));
    }
  }

  /** Encode and send everything the partitions produced; resolves when the sink acknowledged all of it. */
  private async sendPending(parts: readonly VwapPartition[], ctx: Context): Promise<void> {
    const headers: Record<string, string> = {
      'ripple-worker': this.cfg.workerId,
      'ripple-epoch': String(this.cfg.epoch),
    };
    propagation.inject(ctx, headers);
    const out: SinkRecord[] = [];
    const counts: Array<{ partition: number; deltas: number; bytes: number; dead: number; late: number }> =
      [];
    for (const p of parts) {
      let deltas = 0;
      let bytes = 0;
      const outputs = p.outputs;
      for (let i = 0; i < outputs.length; i += MAX_RECORDS_PER_FRAME) {
        const enc = new DeltaBatchEncoder(VWAP_OUTPUT_SCHEMA);
        const chunk = outputs.slice(i, i + MAX_RECORDS_PER_FRAME);
        for (const r of chunk) enc.add(r);
        const first = chunk[0]?.sequence ?? 0;
        const value = enc.finish({ sequence: first });
        deltas += chunk.length;
        bytes += value.length;
        out.push({
          topic: this.cfg.outputTopic,
          partition: p.partition,
          key: `p${p.partition}`,
          value,
          headers: { ...headers, 'ripple-first-sequence': String(first) },
        });
      }
      for (const dl of p.deadLetters) {
        out.push({
          topic: this.cfg.dlqTopic,
          partition: p.partition,
          key: null,
          value: dl.value ?? new Uint8Array(0),
          headers: {
            ...headers,
            'ripple-dlq-reason': dl.reason.slice(0, 512),
            'ripple-source-topic': this.cfg.inputTopic,
            'ripple-source-partition': String(dl.partition),
            'ripple-source-offset': String(dl.offset),
          },
        });
      }
      if (p.late.length > 0) {
        const enc = new TradeBatchEncoder();
        for (const l of p.late) enc.add(l.trade);
        out.push({
          topic: this.lateTopic,
          partition: p.partition,
          key: null,
          value: enc.finish({ sequence: 0 }),
          headers: { ...headers, 'ripple-late-count': String(p.late.length) },
        });
      }
      counts.push({ partition: p.partition, deltas, bytes, dead: p.deadLetters.length, late: p.late.length });
    }
    for (const p of parts) {
      p.outputs.length = 0;
      p.deadLetters.length = 0;
      p.late.length = 0;
    }
    // At most one batch in flight: wait for the previous one, then send this one
    // while the caller goes on to fetch and process the next batch.
    await this.settle();
    const sending = this.transmit(out, counts);
    sending.catch(() => {}); // surfaced by the next settle()
    this.inflight = sending;
  }

  private inflight: Promise<void> | null = null;
  private prefetched: Promise<SourceRecord[]> | null = null;

  /** Wait until everything handed to the sink is acknowledged (rethrows a send failure). */
  async settle(): Promise<void> {
    const p = this.inflight;
    if (p === null) return;
    this.inflight = null;
    await p;
  }

  private async transmit(
    out: SinkRecord[],
    counts: Array<{ partition: number; deltas: number; bytes: number; dead: number; late: number }>,
  ): Promise<void> {
    if (out.length > 0) {
      this.d.metrics.backpressure.set(1);
      const t0 = performance.now();
      await this.d.sink.send(out);
      this.d.metrics.sinkLatency.observe((performance.now() - t0) / 1000);
      this.d.metrics.backpressure.set(0);
    }
    const m = this.d.metrics;
    for (const c of counts) {
      if (c.deltas > 0) m.deltasSent.inc({ partition: c.partition }, c.deltas);
      if (c.bytes > 0) m.deltaBytes.inc({ partition: c.partition }, c.bytes);
      if (c.dead > 0) m.deadLetters.inc({ partition: c.partition }, c.dead);
      if (c.late > 0) m.lateEvents.inc({ partition: c.partition }, c.late);
    }
  }

  // ------------------------------------------------------------ checkpoints

  /** Partitions whose checkpoint is due and not yet captured in this round. */
  private due: number[] = [];

  /**
   * Every `checkpoint_interval_sec` each partition is checkpointed; partitions
   * are independent (each snapshot carries its own offsets), so a round is
   * spread over steps, one partition per step, to keep each pause short.
   */
  private async flushCheckpointIfDue(): Promise<void> {
    const now = this.clock.nowMs();
    this.d.metrics.checkpointAge.set((now - this.lastStoredMs) / 1000);
    if (this.due.length === 0 && now - this.lastCaptureMs >= this.cfg.checkpointIntervalSec * 1000) {
      this.lastCaptureMs = now;
      this.due = [...this.parts.keys()];
    }
    const next = this.due.shift();
    if (next !== undefined) await this.capture([next]);
  }

  /**
   * Capture a checkpoint of the given partitions (all by default) now, once
   * every output so far is acknowledged; write it to the cache and queue it
   * for the store.
   */
  async capture(partitions: readonly number[] = [...this.parts.keys()]): Promise<void> {
    await this.settle(); // a checkpoint never covers outputs the sink has not acknowledged
    const t0 = performance.now();
    const createdAtNs = this.clock.nowNs();
    const id = `${this.checkpointSeq++}`;
    for (const partition of partitions) {
      const p = this.parts.get(partition);
      if (p === undefined || p.nextOffset === null) continue; // nothing consumed yet: nothing to save
      const snapshotId = checkpointId(this.cfg.epoch, p.nextOffset, createdAtNs);
      const leaves = p.snapshotLeaves();
      const bytes = encodeSnapshot({
        checkpointId: snapshotId,
        workerId: this.cfg.workerId,
        partition: p.partition,
        epoch: this.cfg.epoch,
        createdAtNs,
        nodeCount: leaves.length,
        offsets: [{ topic: this.cfg.inputTopic, partition: p.partition, offset: p.nextOffset }],
        schema: PARTITION_STATE_SCHEMA,
        leaves,
      });
      if (this.d.cache) {
        try {
          await this.d.cache.put(p.partition, snapshotId, bytes);
          await this.d.cache.prune(p.partition, 2);
        } catch (e) {
          this.log.warn('checkpoint cache write failed', { partition: p.partition, error: String(e) });
        }
      }
      this.queued.set(p.partition, { id: snapshotId, bytes });
    }
    const captureMs = performance.now() - t0;
    this.d.metrics.checkpointDuration.observe(captureMs / 1000);
    this.d.onCheckpoint?.({ phase: 'capture', ms: captureMs });
    this.log.info('checkpoint captured', { capture: id, partitions });
    if (this.writer === null) this.writer = this.writeQueued().finally(() => (this.writer = null));
  }

  /** Background: store queued checkpoints, retrying with backoff until stored or stopped. */
  private async writeQueued(): Promise<void> {
    const backoff = this.d.retryBackoffMs ?? { first: 100, max: 5000 };
    let delay = backoff.first;
    while (this.queued.size > 0) {
      const [partition, snap] = this.queued.entries().next().value as [number, StoredSnapshot];
      const span: Span = this.tracer.startSpan('ripple.worker.checkpoint', {
        attributes: { 'ripple.partition': partition, 'ripple.checkpoint': snap.id },
      });
      const t0 = performance.now();
      try {
        await this.d.store.put(partition, snap.id, snap.bytes);
        this.d.onCheckpoint?.({ phase: 'store', ms: performance.now() - t0, partition });
        // Only drop it if no newer capture replaced it meanwhile.
        if (this.queued.get(partition) === snap) this.queued.delete(partition);
        this.d.metrics.checkpoints.inc();
        delay = backoff.first;
        this.lastStoredMs = this.clock.nowMs();
        this.d.store.prune(partition, this.d.keepSnapshots ?? 3).catch((e: unknown) => {
          this.log.warn('snapshot prune failed', { partition, error: String(e) });
        });
      } catch (e) {
        this.d.metrics.checkpointFailures.inc();
        failSpan(span, e);
        this.log.warn('checkpoint store write failed; retrying', {
          partition,
          delayMs: delay,
          error: String(e),
        });
        if (this.stopRequested && this.giveUp) return;
        await sleep(delay);
        delay = Math.min(backoff.max, delay * 2);
      } finally {
        span.end();
      }
    }
  }

  private giveUp = false;

  /** Wait until every queued checkpoint is stored, or `timeoutMs` passes. Returns true when stored. */
  async waitForCheckpoints(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((this.writer !== null || this.queued.size > 0) && Date.now() < deadline) {
      if (this.writer === null) this.writer = this.writeQueued().finally(() => (this.writer = null));
      await Promise.race([this.writer, sleep(Math.max(1, Math.min(100, deadline - Date.now())))]);
    }
    return this.queued.size === 0 && this.writer === null;
  }

  // ------------------------------------------------------------------ drain

  /** Stop taking input, checkpoint what was processed, close. Used by SIGTERM and `run()`. */
  async drain(): Promise<void> {
    this.stopRequested = true;
    if (this.lifecycle.state === 'Active') this.lifecycle.transition('Draining');
    else if (this.lifecycle.state === 'Recovering') this.lifecycle.transition('Stopping');
    try {
      await this.capture();
      const stored = await this.waitForCheckpoints(this.cfg.shutdownGraceSec * 1000);
      if (!stored) this.log.error('final checkpoint not stored before the grace period ended');
      this.giveUp = true;
      if (this.lifecycle.state === 'Draining') this.lifecycle.transition('Stopping');
      this.prefetched = null;
      await this.d.source.close();
      await this.d.sink.close();
      this.lifecycle.transition('Stopped');
    } catch (e) {
      if (this.lifecycle.canTransition('Failed')) this.lifecycle.transition('Failed');
      throw e;
    }
  }

  /** Per-partition progress, for status and tests. */
  progress(): Array<{ partition: number; nextOffset: bigint | null; nextSequence: number; keys: number }> {
    return [...this.parts.values()].map((p) => ({
      partition: p.partition,
      nextOffset: p.nextOffset,
      nextSequence: p.nextSequence,
      keys: p.keyCount,
    }));
  }

  /** End of a bounded input: emit every open window (embedded/file mode). */
  async flushWindows(): Promise<void> {
    for (const p of this.parts.values()) p.flushAll();
    await this.sendPending([...this.parts.values()], context.active());
    await this.settle();
  }
}

/** Sortable id: epoch, then next offset, then creation time. */
export function checkpointId(epoch: number, nextOffset: bigint, createdAtNs: bigint): string {
  return `e${String(epoch).padStart(10, '0')}-o${nextOffset.toString().padStart(19, '0')}-t${createdAtNs.toString().padStart(20, '0')}`;
}

function offsetOf(s: PartitionSnapshot, topic: string, partition: number): bigint {
  return s.offsets.find((o) => o.topic === topic && o.partition === partition)?.offset ?? -1n;
}

function cmpSnapshots(a: PartitionSnapshot, b: PartitionSnapshot, topic: string, partition: number): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const oa = offsetOf(a, topic, partition);
  const ob = offsetOf(b, topic, partition);
  if (oa !== ob) return oa < ob ? -1 : 1;
  return a.createdAtNs < b.createdAtNs ? -1 : a.createdAtNs > b.createdAtNs ? 1 : 0;
}

function failSpan(span: Span, e: unknown): void {
  span.recordException(e as Error);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
