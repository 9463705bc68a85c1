/**
 * Recovery of one partition: read the latest snapshot from the local cache
 * and from the durable store, verify each (CRC, schema, partition), and
 * rebuild the job partition from the newest valid one.
 */
import { decodeSnapshot, type PartitionSnapshot, ProtocolError } from '@ripple/protocol';
import { SnapshotCorruptError, type WorkerError } from './errors.ts';
import type { Job, JobPartition } from './job.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Logger, SnapshotStore, StoredSnapshot } from './ports.ts';

export interface RecoveryOptions {
  readonly job: Job;
  readonly inputTopic: string;
  /** Read first (the StatefulSet volume); may be ahead of the store while the store was down. */
  readonly cache: SnapshotStore | null;
  readonly store: SnapshotStore;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
}

export class Recovery {
  private readonly o: RecoveryOptions;
  constructor(o: RecoveryOptions) {
    this.o = o;
  }

  /** The partition rebuilt from its newest valid snapshot, or null when there is none to use. */
  async restore(partition: number): Promise<JobPartition | null> {
    const { job, metrics, logger } = this.o;
    const candidates: Array<{ from: string; snap: PartitionSnapshot }> = [];
    const stores = [this.o.cache, this.o.store].filter((s): s is SnapshotStore => s !== null);
    for (const store of stores) {
      let stored: StoredSnapshot | null;
      try {
        stored = await store.latest(partition);
      } catch (e) {
        logger.warn('snapshot store unavailable at recovery', {
          store: store.name,
          partition,
          error: String(e),
        });
        continue;
      }
      if (stored === null) continue;
      try {
        const snap = decodeSnapshot(stored.bytes, { reader: job.stateSchema });
        if (snap.partition !== partition)
          throw new SnapshotCorruptError(stored.id, `holds partition ${snap.partition}`);
        candidates.push({ from: store.name, snap });
      } catch (e) {
        const reason =
          e instanceof ProtocolError ? e.code : e instanceof SnapshotCorruptError ? e.code : 'unknown';
        metrics.snapshotRejected.inc({ reason });
        logger.error('snapshot rejected', { store: store.name, partition, id: stored.id, error: String(e) });
      }
    }
    // The newest valid one wins (the cache can be ahead of the store while the store was down).
    candidates.sort((a, b) => cmpSnapshots(b.snap, a.snap, this.o.inputTopic, partition));
    for (const c of candidates) {
      try {
        const p = job.restore(partition, c.snap, this.o.inputTopic);
        metrics.recoveries.inc({ source: c.from });
        logger.info('partition restored', {
          partition,
          from: c.from,
          checkpoint: c.snap.checkpointId,
          offset: String(p.nextOffset),
        });
        return p;
      } catch (e) {
        metrics.snapshotRejected.inc({ reason: (e as WorkerError).code ?? 'unknown' });
        logger.error('snapshot unusable', { partition, from: c.from, error: String(e) });
      }
    }
    return null;
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
