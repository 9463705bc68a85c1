/**
 * The background checkpoint writer: stores captured snapshots in the durable
 * store while processing goes on, retrying with backoff until stored or
 * stopped. A newer capture of a partition supersedes one still retrying. A
 * store write is atomic (object, then pointer), so a failed or interrupted
 * write never becomes the latest.
 */
import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { traceExemplar } from '@ripple/telemetry';
import { Backoff, sleep } from './backoff.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Clock, Logger, SnapshotStore, StoredSnapshot } from './ports.ts';

export interface CheckpointWriterOptions {
  readonly store: SnapshotStore;
  readonly metrics: WorkerMetrics;
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly clock: Clock;
  /** First and maximum delay between attempts. */
  readonly backoffMs: { readonly first: number; readonly max: number };
  /** Snapshots kept per partition in the store. */
  readonly keep: number;
  /** Called after each stored snapshot with the store write time. */
  readonly onStored?: (partition: number, ms: number) => void;
}

export class CheckpointWriter {
  private readonly o: CheckpointWriterOptions;
  /** Newest captured checkpoint not yet stored, per partition. */
  private readonly queued = new Map<number, StoredSnapshot>();
  private writer: Promise<void> | null = null;
  private stopped = false;
  /** Wall-clock ms of the last stored snapshot. */
  lastStoredMs: number;

  constructor(o: CheckpointWriterOptions) {
    this.o = o;
    this.lastStoredMs = o.clock.nowMs();
    o.metrics.lastCheckpoint.set(this.lastStoredMs / 1000);
  }

  /** Queue a snapshot for the store (replacing an older one of the same partition) and start writing. */
  enqueue(partition: number, snapshot: StoredSnapshot): void {
    this.queued.set(partition, snapshot);
    this.kick();
  }

  /** True while a snapshot of `partition` (any, when omitted) waits to be stored. */
  pending(partition?: number): boolean {
    return partition === undefined ? this.queued.size > 0 : this.queued.has(partition);
  }

  /** Partitions with a snapshot waiting to be stored. */
  pendingPartitions(): number[] {
    return [...this.queued.keys()].sort((a, b) => a - b);
  }

  /** Forget what is queued for these partitions (they are no longer owned). */
  forget(partitions: readonly number[]): void {
    for (const p of partitions) this.queued.delete(p);
  }

  /** After this, a failed write is not retried (the process is going away). */
  stop(): void {
    this.stopped = true;
  }

  private kick(): void {
    if (this.writer === null) this.writer = this.writeQueued().finally(() => (this.writer = null));
  }

  private async writeQueued(): Promise<void> {
    const backoff = new Backoff(this.o.backoffMs.first, this.o.backoffMs.max);
    const m = this.o.metrics;
    while (this.queued.size > 0) {
      const [partition, snap] = this.queued.entries().next().value as [number, StoredSnapshot];
      const span: Span = this.o.tracer.startSpan('ripple.worker.checkpoint', {
        attributes: { 'ripple.partition': partition, 'ripple.checkpoint': snap.id },
      });
      const t0 = performance.now();
      m.checkpointWriting.set(1);
      try {
        // inside the span: the store's own spans (S3 PutObject, auto-instrumented) are its children
        await context.with(trace.setSpan(context.active(), span), () =>
          this.o.store.put(partition, snap.id, snap.bytes),
        );
        const storeMs = performance.now() - t0;
        m.checkpointStore.observe({ value: storeMs / 1000, exemplarLabels: traceExemplar(span) });
        this.o.onStored?.(partition, storeMs);
        // Only drop it if no newer capture replaced it meanwhile.
        if (this.queued.get(partition) === snap) this.queued.delete(partition);
        m.checkpoints.inc();
        backoff.reset();
        this.lastStoredMs = this.o.clock.nowMs();
        m.lastCheckpoint.set(this.lastStoredMs / 1000);
        this.o.store.prune(partition, this.o.keep).catch((e: unknown) => {
          this.o.logger.warn('snapshot prune failed', { partition, error: String(e) });
        });
      } catch (e) {
        m.checkpointFailures.inc();
        const delay = backoff.next();
        span.recordException(e as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        this.o.logger.warn('checkpoint store write failed; retrying', {
          store: this.o.store.name,
          partition,
          delayMs: delay,
          error: String(e),
        });
        if (this.stopped) return;
        await sleep(delay);
      } finally {
        m.checkpointWriting.set(0);
        span.end();
      }
    }
  }

  /**
   * Wait until every queued snapshot (of `partitions`, or all) is stored, or
   * `timeoutMs` passes. Returns true when stored.
   */
  async waitForStored(timeoutMs: number, partitions?: readonly number[]): Promise<boolean> {
    const waiting = () =>
      partitions === undefined ? this.queued.size > 0 : partitions.some((p) => this.queued.has(p));
    const deadline = Date.now() + timeoutMs;
    while (waiting() && Date.now() < deadline) {
      this.kick();
      await Promise.race([this.writer, sleep(Math.max(1, Math.min(100, deadline - Date.now())))]);
    }
    return !waiting() && (partitions !== undefined || this.writer === null);
  }
}
