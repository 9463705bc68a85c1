/**
 * Recovery through committed cluster checkpoints only: a partition is
 * restored from the chain the checkpointer's restore lookup names (NATS
 * request/reply; the checkpointer answers with the newest committed chain
 * whose objects it verified), never from an object no committed manifest
 * references.
 *
 * - `none`: no committed checkpoint holds the partition: it starts empty.
 * - `ok`: every object of the chain is read, checked again (size, CRC-32C of
 *   the object, then the frame CRC and the state schema by the decoder) and
 *   folded base first (checkpoint-chain.ts) into one snapshot the job restores.
 * - no answer, `unavailable`, or a store that cannot be read: not ready,
 *   retried with backoff for as long as it takes (never "start empty").
 * - an object that fails the check here (it changed after the checkpointer
 *   verified it): asked again, up to `maxCorruptRetries` times; then the
 *   partition does not start (RecoveryFailedError).
 */
import { BusUnavailableError, type ControlBus } from '@ripple/cluster';
import { type ObjectStore, ObjectStoreError } from '@ripple/object-store';
import {
  clusterSubjects,
  crc32c,
  decodeRestoreReply,
  decodeSnapshot,
  encodeRestoreRequest,
  type PartitionSnapshot,
  ProtocolError,
  type SnapshotObjectRef,
} from '@ripple/protocol';
import { applyChain } from './checkpoint-chain.ts';
import { RecoveryFailedError, SnapshotCorruptError, WorkerError } from './errors.ts';
import type { Job, JobPartition } from './job.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Logger } from './ports.ts';
import { retryRecovery } from './recovery.ts';

export interface CheckpointRestoreOptions {
  readonly cluster: string;
  /** The worker's job (a getter: the worker builds it after this is constructed). */
  readonly job: () => Job;
  readonly inputTopic: string;
  readonly bus: ControlBus;
  readonly store: ObjectStore;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  /** How long one lookup waits for the checkpointer's answer. */
  readonly lookupTimeoutMs?: number;
  readonly backoffMs?: { readonly first: number; readonly max: number };
  readonly maxCorruptRetries?: number;
  readonly signal?: AbortSignal;
  /**
   * Called with each restored partition and the chain it came from (the
   * participant builds on it), or with `[]` and null when no committed
   * checkpoint holds it (the participant forgets any chain it had for it).
   */
  readonly onRestored?: (
    partition: number,
    chain: readonly SnapshotObjectRef[],
    part: JobPartition | null,
  ) => void;
}

/** Internal: the lookup or the store could not answer (retried). */
class Unavailable extends Error {}

let requests = 0;

export class CheckpointRestore {
  private readonly o: CheckpointRestoreOptions;
  private readonly subject: string;

  constructor(o: CheckpointRestoreOptions) {
    this.o = o;
    this.subject = clusterSubjects(o.cluster).checkpointLookup;
  }

  /** The partition as of the newest committed checkpoint, or null when none holds it. */
  async restore(partition: number): Promise<JobPartition | null> {
    const { metrics, logger } = this.o;
    const refused: string[] = [];
    return await retryRecovery({
      partition,
      metrics,
      backoffMs: this.o.backoffMs ?? { first: 200, max: 5000 },
      ...(this.o.signal === undefined ? {} : { signal: this.o.signal }),
      attempt: () => this.attempt(partition),
      onFailure: (e, delayMs) => {
        if (e instanceof Unavailable) {
          metrics.recoveryStoreErrors.inc({ store: 'checkpointer' });
          logger.error('checkpoint lookup or store unavailable at recovery; not ready, retrying', {
            partition,
            delayMs,
            error: e.message,
          });
          return 'blocked';
        }
        if (!(e instanceof WorkerError || e instanceof ProtocolError)) throw e;
        metrics.snapshotRejected.inc({ reason: e.code });
        refused.push(e.message);
        logger.error('committed checkpoint refused at recovery; asking again', {
          partition,
          error: e.message,
        });
        if (refused.length > (this.o.maxCorruptRetries ?? 3))
          throw new RecoveryFailedError(partition, refused);
        return 'retry';
      },
    });
  }

  private async attempt(partition: number): Promise<JobPartition | null> {
    const { bus, store, inputTopic, logger } = this.o;
    const job = this.o.job();
    const requestId = `r${process.pid}-${++requests}`;
    let reply: ReturnType<typeof decodeRestoreReply>;
    try {
      const m = await bus.request(
        this.subject,
        encodeRestoreRequest({ type: 'restore_request', v: 1, requestId, partition }),
        { timeoutMs: this.o.lookupTimeoutMs ?? 5000 },
      );
      reply = decodeRestoreReply(m.data);
    } catch (e) {
      if (e instanceof BusUnavailableError) throw new Unavailable(`restore lookup: ${e.message}`);
      throw e;
    }
    if (reply.requestId !== requestId || reply.partition !== partition)
      throw new Unavailable(`restore lookup answered another request (${reply.requestId})`);
    if (reply.skipped.length > 0)
      logger.warn('checkpointer skipped corrupt snapshot objects', { partition, skipped: reply.skipped });
    if (reply.status === 'unavailable') throw new Unavailable('the checkpointer cannot read the store');
    if (reply.status === 'none' || reply.snapshot === null) {
      logger.info('no committed checkpoint holds the partition; starting empty', { partition });
      this.o.onRestored?.(partition, [], null);
      return null;
    }
    const chain = reply.snapshot.chain;
    const objects: Array<{ key: string; snapshot: PartitionSnapshot }> = [];
    for (const ref of chain) {
      let bytes: Uint8Array | null;
      try {
        bytes = await store.get(ref.key);
      } catch (e) {
        if (e instanceof ObjectStoreError && e.retryable) throw new Unavailable(`${ref.key}: ${e.message}`);
        throw e;
      }
      if (bytes === null) throw new SnapshotCorruptError(ref.key, 'missing');
      if (bytes.length !== ref.bytes)
        throw new SnapshotCorruptError(ref.key, `is ${bytes.length} bytes, the manifest says ${ref.bytes}`);
      const crc = crc32c(bytes);
      if (crc !== ref.crc32c)
        throw new SnapshotCorruptError(ref.key, `crc32c ${hex(crc)} != ${hex(ref.crc32c)} (manifest)`);
      objects.push({ key: ref.key, snapshot: decodeSnapshot(bytes, { reader: job.stateSchema }) });
    }
    const merged = applyChain(objects);
    if (merged.partition !== partition)
      throw new SnapshotCorruptError(chain[0]?.key ?? 'chain', `holds partition ${merged.partition}`);
    // A checkpoint of a partition that had consumed nothing has no offsets: start empty.
    const p =
      merged.offsets.length === 0 ? job.create(partition) : job.restore(partition, merged, inputTopic);
    this.o.metrics.recoveries.inc({ source: 'checkpoint' });
    logger.info('partition restored from a committed checkpoint', {
      partition,
      checkpoint: reply.checkpointId,
      objects: chain.map((o) => o.key),
      offset: String(p.nextOffset),
      nextSequence: p.nextSequence,
    });
    this.o.onRestored?.(partition, chain, p);
    return merged.offsets.length === 0 ? null : p;
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
