/**
 * Recovery of one partition. The rules (apps/worker/README.md, "Recovery"):
 *
 * 1. A store that cannot be listed or read is retried with backoff and
 *    jitter, for as long as it takes (or until the worker stops); meanwhile
 *    the worker is not ready. It never means "start empty".
 * 2. Only a positive "no snapshot for this partition" from the durable store
 *    (and the cache) starts the partition empty from `start_position`.
 * 3. Otherwise the snapshots (cache and store, the store keeps the last N)
 *    are tried newest first: a missing, corrupt (CRC, shape) or incompatible
 *    (window spec, state schema) one is refused, counted and logged, and the
 *    next older one is tried. Restoring from an older one is counted as a fallback.
 * 4. When all are refused the partition does not start (`RecoveryFailedError`,
 *    not ready), unless `recovery_allow_reset` is set.
 *
 * Output sequence numbers come from the restored snapshot, so they continue
 * where the snapshot's state left them.
 *
 * A hand-over names its snapshot (`restoreExact`): that one object is read
 * from the store, without listing; when it is missing, unreadable or
 * refused, the rules above apply (`restore`).
 */
import { decodeSnapshot, ProtocolError } from '@ripple/protocol';
import { Backoff, sleep } from './backoff.ts';
import {
  RecoveryFailedError,
  SnapshotCorruptError,
  SnapshotIncompatibleError,
  WorkerError,
} from './errors.ts';
import type { Job, JobPartition } from './job.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Logger, SnapshotStore } from './ports.ts';

export interface RecoveryOptions {
  readonly job: Job;
  readonly inputTopic: string;
  /** Read first (the StatefulSet volume); may be ahead of the store while the store was down. */
  readonly cache: SnapshotStore | null;
  readonly store: SnapshotStore;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  /** Start a partition empty when all its snapshots are unusable (instead of failing it). */
  readonly allowReset: boolean;
  /** Backoff while the store is unreadable: first and maximum delay (ms). */
  readonly backoffMs?: { readonly first: number; readonly max: number };
  /** Aborted when the worker stops: a waiting recovery gives up. */
  readonly signal?: AbortSignal;
}

/** Thrown when the worker stopped while recovery waited for the store. */
export class RecoveryAbortedError extends Error {
  constructor(partition: number) {
    super(`recovery of partition ${partition} aborted: the worker is stopping`);
    this.name = 'RecoveryAbortedError';
  }
}

interface Candidate {
  readonly store: SnapshotStore;
  readonly id: string;
}

export class Recovery {
  private readonly o: RecoveryOptions;
  constructor(o: RecoveryOptions) {
    this.o = o;
  }

  /**
   * The partition rebuilt from its newest usable snapshot, or null when the
   * store positively holds none (or all are unusable and reset is allowed).
   */
  async restore(partition: number): Promise<JobPartition | null> {
    const { metrics, logger } = this.o;
    return await retryRecovery({
      partition,
      metrics,
      backoffMs: this.o.backoffMs ?? { first: 200, max: 10_000 },
      ...(this.o.signal === undefined ? {} : { signal: this.o.signal }),
      attempt: () => this.attempt(partition),
      onFailure: (e, delayMs) => {
        if (!(e instanceof StoreUnreadable)) throw e;
        metrics.recoveryStoreErrors.inc({ store: e.store });
        logger.error('snapshot store unreadable at recovery; not ready, retrying', {
          store: e.store,
          partition,
          delayMs,
          error: String(e.cause),
        });
        return 'blocked';
      },
    });
  }

  /**
   * The partition rebuilt from exactly snapshot `id` of the durable store
   * (the one a hand-over names): one read, no listing. Null when it cannot
   * be used (missing, unreadable, refused: counted and logged); the caller
   * then falls back to `restore`.
   */
  async restoreExact(partition: number, id: string): Promise<JobPartition | null> {
    const { metrics, logger, store } = this.o;
    try {
      const bytes = await store.get(partition, id);
      if (bytes === null) throw new SnapshotCorruptError(`${store.name}:${id}`, 'missing');
      const p = this.decodeAndRestore(partition, { store, id }, bytes);
      metrics.recoveries.inc({ source: store.name });
      logger.info('partition restored', {
        partition,
        from: store.name,
        checkpoint: id,
        offset: String(p.nextOffset),
        nextSequence: p.nextSequence,
      });
      return p;
    } catch (e) {
      if (e instanceof WorkerError || e instanceof ProtocolError)
        metrics.snapshotRejected.inc({ reason: e.code });
      logger.warn('handed-over snapshot not usable; restoring the newest valid one', {
        store: store.name,
        partition,
        id,
        error: String(e),
      });
      return null;
    }
  }

  private async attempt(partition: number): Promise<JobPartition | null> {
    const { metrics, logger } = this.o;
    const candidates: Candidate[] = [];
    if (this.o.cache !== null) {
      // The cache is an optimisation: unreadable, it is skipped (the store is authoritative).
      try {
        for (const id of await this.o.cache.list(partition)) candidates.push({ store: this.o.cache, id });
      } catch (e) {
        logger.warn('snapshot cache unreadable at recovery; using the store', {
          store: this.o.cache.name,
          partition,
          error: String(e),
        });
      }
    }
    try {
      for (const id of await this.o.store.list(partition)) {
        if (!candidates.some((c) => c.id === id)) candidates.push({ store: this.o.store, id });
      }
    } catch (e) {
      throw new StoreUnreadable(this.o.store.name, e);
    }
    if (candidates.length === 0) return null; // positively none: first start of this partition
    // Newest first (ids sort by epoch, offset, time); on equal ids the cache comes first.
    candidates.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const refused: string[] = [];
    for (const c of candidates) {
      let bytes: Uint8Array | null;
      try {
        bytes = await c.store.get(partition, c.id);
      } catch (e) {
        if (c.store === this.o.cache) {
          refused.push(`${c.store.name}:${c.id}: unreadable (${String(e)})`);
          continue;
        }
        throw new StoreUnreadable(c.store.name, e);
      }
      try {
        if (bytes === null) throw new SnapshotCorruptError(`${c.store.name}:${c.id}`, 'missing');
        const p = this.decodeAndRestore(partition, c, bytes);
        metrics.recoveries.inc({ source: c.store.name });
        if (refused.length > 0) {
          metrics.snapshotFallbacks.inc();
          logger.warn('partition restored from an older snapshot', { partition, refused });
        }
        logger.info('partition restored', {
          partition,
          from: c.store.name,
          checkpoint: c.id,
          offset: String(p.nextOffset),
          nextSequence: p.nextSequence,
        });
        return p;
      } catch (e) {
        const reason = e instanceof WorkerError || e instanceof ProtocolError ? e.code : 'unknown';
        metrics.snapshotRejected.inc({ reason });
        logger.error('snapshot refused', { store: c.store.name, partition, id: c.id, error: String(e) });
        refused.push(`${c.store.name}:${c.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const err = new RecoveryFailedError(partition, refused);
    if (this.o.allowReset) {
      logger.error('no usable snapshot; starting empty because recovery_allow_reset is set', {
        partition,
        refused,
      });
      return null;
    }
    throw err;
  }

  private decodeAndRestore(partition: number, c: Candidate, bytes: Uint8Array): JobPartition {
    const where = `${c.store.name}:${c.id}`;
    let snap: ReturnType<typeof decodeSnapshot>;
    try {
      snap = decodeSnapshot(bytes, { reader: this.o.job.stateSchema });
    } catch (e) {
      if (e instanceof ProtocolError && e.code === 'PROTO_SCHEMA_INCOMPATIBLE') {
        const s = this.o.job.stateSchema;
        throw new SnapshotIncompatibleError(
          where,
          'state schema',
          'another schema',
          `${s.name} v${s.version}`,
          e,
        );
      }
      throw e;
    }
    if (snap.partition !== partition)
      throw new SnapshotCorruptError(where, `holds partition ${snap.partition}`);
    return this.o.job.restore(partition, snap, this.o.inputTopic);
  }
}

/** Internal: the store could not answer (retried by `restore`). */
class StoreUnreadable extends Error {
  readonly store: string;
  constructor(store: string, cause: unknown) {
    super(`snapshot store ${store} unreadable: ${String(cause)}`, { cause });
    this.store = store;
  }
}

/** Sortable id: epoch, then next offset, then creation time. */
export function checkpointId(epoch: number, nextOffset: bigint, createdAtNs: bigint): string {
  return `e${String(epoch).padStart(10, '0')}-o${nextOffset.toString().padStart(19, '0')}-t${createdAtNs.toString().padStart(20, '0')}`;
}

/**
 * The retry loop of both restorers (this one and the cluster checkpoints'):
 * `attempt` until it answers; each failure goes to `onFailure`, which throws
 * (the restore fails) or says whether the partition is `blocked` (its source
 * of state unavailable: `ripple_worker_recovery_blocked` counts it while it
 * lasts) or only asked again; then a backoff wait. An abort ends it.
 */
export async function retryRecovery<T>(o: {
  readonly partition: number;
  readonly metrics: WorkerMetrics;
  readonly backoffMs: { first: number; max: number };
  readonly signal?: AbortSignal;
  readonly attempt: () => Promise<T>;
  readonly onFailure: (e: unknown, delayMs: number) => 'blocked' | 'retry';
}): Promise<T> {
  const backoff = new Backoff(o.backoffMs.first, o.backoffMs.max);
  let blocked = false;
  try {
    for (;;) {
      if (o.signal?.aborted === true) throw new RecoveryAbortedError(o.partition);
      try {
        return await o.attempt();
      } catch (e) {
        const delayMs = backoff.next();
        if (o.onFailure(e, delayMs) === 'blocked' && !blocked) {
          blocked = true;
          o.metrics.recoveryBlocked.inc();
        }
        await sleep(delayMs, o.signal);
      }
    }
  } finally {
    if (blocked) o.metrics.recoveryBlocked.dec();
  }
}
