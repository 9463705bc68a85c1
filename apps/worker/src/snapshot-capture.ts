/**
 * Capture of partition checkpoints: encode each partition's state (leaves,
 * input offset, epoch; CRC and schema by the protocol's encoder), write it to
 * the local cache (a failure there, e.g. a full disk, is counted and logged:
 * it only makes restarts slower) and queue it for the durable store.
 *
 * It also schedules them: every `checkpoint_interval_sec` each partition that
 * consumed something since its last checkpoint is due; a round is spread over
 * steps, one partition per step, to keep each pause short (partitions are
 * independent: each snapshot carries its own offsets).
 */
import { encodeSnapshot } from '@ripple/protocol';
import type { CheckpointWriter } from './checkpoint-writer.ts';
import type { JobPartition } from './job.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Logger, SnapshotStore } from './ports.ts';
import { checkpointId } from './recovery.ts';

export interface SnapshotCaptureOptions {
  readonly workerId: string;
  readonly inputTopic: string;
  readonly stateSchema: Parameters<typeof encodeSnapshot>[0]['schema'];
  readonly intervalMs: number;
  readonly cache: SnapshotStore | null;
  readonly writer: CheckpointWriter;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  readonly onCapture?: (ms: number) => void;
}

export class SnapshotCapture {
  private readonly o: SnapshotCaptureOptions;
  /** Partitions due in this round and not yet captured. */
  private due: number[] = [];
  /** Next offset of each partition's last captured checkpoint. */
  private readonly capturedAt = new Map<number, bigint>();
  private lastRoundMs = 0;
  private seq = 0;

  constructor(o: SnapshotCaptureOptions) {
    this.o = o;
  }

  /** Start counting the interval from `nowMs`. */
  startClock(nowMs: number): void {
    this.lastRoundMs = nowMs;
  }

  /** The partition to capture now, if any (a new round starts when the interval passed). */
  next(nowMs: number, parts: ReadonlyMap<number, JobPartition>): number | undefined {
    if (this.due.length === 0 && nowMs - this.lastRoundMs >= this.o.intervalMs) {
      this.lastRoundMs = nowMs;
      // A partition with nothing consumed since its last checkpoint is not written again.
      this.due = [...parts].filter(([p, x]) => x.nextOffset !== this.capturedAt.get(p)).map(([p]) => p);
    }
    return this.due.shift();
  }

  /** These partitions are no longer owned. */
  forget(partitions: readonly number[]): void {
    this.due = this.due.filter((p) => !partitions.includes(p));
    for (const p of partitions) this.capturedAt.delete(p);
  }

  /**
   * Capture the partitions now (the caller made sure every output so far is
   * acknowledged). Returns the snapshot id per captured partition; a
   * partition that consumed nothing yet has nothing to save.
   */
  async capture(
    parts: ReadonlyArray<{ part: JobPartition; epoch: number }>,
    createdAtNs: bigint,
  ): Promise<Map<number, string>> {
    const { cache, metrics, logger } = this.o;
    const t0 = performance.now();
    const ids = new Map<number, string>();
    for (const { part: p, epoch } of parts) {
      if (p.nextOffset === null) continue;
      const snapshotId = checkpointId(epoch, p.nextOffset, createdAtNs);
      const leaves = p.snapshotLeaves();
      const bytes = encodeSnapshot({
        checkpointId: snapshotId,
        workerId: this.o.workerId,
        partition: p.partition,
        epoch,
        createdAtNs,
        nodeCount: leaves.length,
        offsets: [{ topic: this.o.inputTopic, partition: p.partition, offset: p.nextOffset }],
        schema: this.o.stateSchema,
        leaves,
      });
      if (cache !== null) {
        try {
          await cache.put(p.partition, snapshotId, bytes);
          await cache.prune(p.partition, 2);
        } catch (e) {
          metrics.cacheWriteFailures.inc();
          logger.warn('checkpoint cache write failed', {
            store: cache.name,
            partition: p.partition,
            error: String(e),
          });
        }
      }
      this.o.writer.enqueue(p.partition, { id: snapshotId, bytes });
      this.capturedAt.set(p.partition, p.nextOffset);
      ids.set(p.partition, snapshotId);
    }
    const captureMs = performance.now() - t0;
    metrics.checkpointCapture.observe(captureMs / 1000);
    this.o.onCapture?.(captureMs);
    logger.debug?.('checkpoint captured', { capture: `${this.seq++}`, partitions: [...ids.keys()] });
    return ids;
  }
}
