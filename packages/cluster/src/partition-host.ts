/**
 * The seam between the worker agent and the worker's runtime: what the
 * worker implements so the coordinator can move partitions while it runs.
 *
 * - `assign(starts, epoch)`: for each partition, restore the snapshot named
 *   by `snapshotKey` (null: the newest valid snapshot, or empty state if
 *   there is none), replay the input from `offsets`, and resolve once every
 *   partition is live. Before going live the host must claim `epoch` where
 *   it writes (transactional producer epoch / epoch-checked manifest) so a
 *   previous owner's late writes are refused (docs/decisions/0005).
 * - `revoke(partitions, epoch)`: stop fetching, flush output, write a
 *   snapshot, stop; resolve with each partition's snapshot reference and
 *   the offsets it covers. With `discard` the local copy is dropped without
 *   a snapshot (it was stale).
 * - `status()`: offsets and lag of what is held, for heartbeats.
 * A rejected promise is retried by the coordinator (re-sent command).
 */
import type { HandedOffPartition, WorkerLoad } from '@ripple/protocol';

export interface HostContext {
  readonly rebalanceId: string;
  /** W3C traceparent of the coordinator's rebalance span, for child spans */
  readonly traceparent?: string;
  readonly discard?: boolean;
}

export interface HostPartitionStatus {
  readonly partition: number;
  readonly offset: bigint;
  readonly lag: number;
}

export interface PartitionHost {
  assign(starts: readonly HandedOffPartition[], epoch: number, context?: HostContext): Promise<void>;
  revoke(partitions: readonly number[], epoch: number, context?: HostContext): Promise<HandedOffPartition[]>;
  status(): { readonly partitions: readonly HostPartitionStatus[]; readonly load: WorkerLoad };
}
