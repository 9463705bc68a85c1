/**
 * Control-plane messages (NATS). JSON on the wire, one object per message
 * with `type` and `v` (the message version). Int64 Kafka offsets travel as
 * decimal strings and are bigints in memory. Everything is validated where
 * it enters (`decodeControlMessage`); a refused message becomes a typed
 * `ControlMessageError` whose `code` the receiver logs and counts.
 *
 * Versioning: adding an optional field keeps `v`; any other change bumps it
 * and receivers list the versions they accept (`SUPPORTED_CONTROL_VERSIONS`).
 * Unknown fields are ignored (tolerant reader), unknown types refused.
 * Fencing: a message carrying an `epoch` below the receiver's current epoch
 * is refused as `CTRL_STALE_EPOCH`.
 */
import type { SnapshotObjectRef } from '../checkpoint/manifest.ts';

/** Worker lifecycle states (see ARCHITECTURE.md). */
export const WORKER_STATES = [
  'starting',
  'active',
  'recovering',
  'draining',
  'stopping',
  'stopped',
  'failed',
] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export interface KafkaOffset {
  readonly topic: string;
  readonly partition: number;
  /** next offset to consume (int64) */
  readonly offset: bigint;
}

export interface Register {
  readonly type: 'register';
  readonly v: 1;
  readonly workerId: string;
  /** distinguishes restarts of the same worker id (e.g. a random id per process start) */
  readonly incarnation: string;
  readonly softwareVersion: string;
  /** host:port of the worker's RPC endpoint */
  readonly rpcAddress: string;
  readonly sentAtMs: number;
}

export interface OwnedPartition {
  readonly partition: number;
  /** next input offset (int64) */
  readonly offset: bigint;
  /** records behind the end of the input partition */
  readonly lag: number;
  /** the assignment epoch under which the worker holds the partition (optional, v1) */
  readonly epoch?: number;
}

export interface WorkerLoad {
  /** process CPU use, 0..number of cores */
  readonly cpu: number;
  readonly eventsPerSec: number;
  readonly keys: number;
  readonly heapBytes: number;
  /**
   * Records sent to the dead-letter topic since the process started, by
   * reason code (at most `MAX_LOAD_REASONS` codes; optional, v1).
   */
  readonly deadLetters?: Readonly<Record<string, number>>;
  /** Events sent to the late-data topic since the process started (optional, v1). */
  readonly late?: number;
}

/** Reason codes a heartbeat's `load.deadLetters` may carry (the heartbeat stays small). */
export const MAX_LOAD_REASONS = 16;

export interface Heartbeat {
  readonly type: 'heartbeat';
  readonly v: 1;
  readonly workerId: string;
  readonly incarnation: string;
  /** the assignment epoch the worker acts on */
  readonly epoch: number;
  readonly state: WorkerState;
  readonly partitions: readonly OwnedPartition[];
  readonly load: WorkerLoad;
  readonly sentAtMs: number;
}

export interface PartitionOwner {
  readonly partition: number;
  readonly workerId: string;
}

/** The full partition -> worker table of one epoch (partitions absent are unassigned). */
export interface Assignment {
  readonly type: 'assignment';
  readonly v: 1;
  readonly epoch: number;
  readonly numPartitions: number;
  readonly owners: readonly PartitionOwner[];
}

/** Rebalance step 1: the old owner drains, snapshots and acks. */
export interface Revoke {
  readonly type: 'revoke';
  readonly v: 1;
  readonly epoch: number;
  readonly rebalanceId: string;
  readonly workerId: string;
  readonly partitions: readonly number[];
  readonly deadlineMs: number;
  /**
   * true: the receiver is not the owner (a fencing revoke: its copy is stale,
   * the partition was given to another worker meanwhile). It drops the
   * partitions without sending their pending output or taking a snapshot, and
   * acks nothing (optional, v1).
   */
  readonly fence?: boolean;
}

export interface HandedOffPartition {
  readonly partition: number;
  /** object key of the snapshot written on drain; null if the partition had no state */
  readonly snapshotKey: string | null;
  readonly offsets: readonly KafkaOffset[];
  /**
   * the partition's next output sequence number (int64) at the hand-over
   * (optional, v1): the new owner checks that what it restored continues it
   */
  readonly outputSequence?: bigint;
}

export interface RevokeAck {
  readonly type: 'revoke_ack';
  readonly v: 1;
  readonly epoch: number;
  readonly rebalanceId: string;
  readonly workerId: string;
  readonly partitions: readonly HandedOffPartition[];
}

/** Rebalance step 2: the new owner restores from the snapshot and replays from its offsets. */
export interface Assign {
  readonly type: 'assign';
  readonly v: 1;
  readonly epoch: number;
  readonly rebalanceId: string;
  readonly workerId: string;
  readonly partitions: readonly HandedOffPartition[];
}

export interface AssignAck {
  readonly type: 'assign_ack';
  readonly v: 1;
  readonly epoch: number;
  readonly rebalanceId: string;
  readonly workerId: string;
  readonly partitions: readonly number[];
}

export interface CheckpointTrigger {
  readonly type: 'checkpoint_trigger';
  readonly v: 1;
  readonly checkpointId: string;
  readonly epoch: number;
  /** partitions to snapshot; absent means every partition the receiver owns */
  readonly partitions?: readonly number[];
  readonly deadlineMs: number;
}

export interface CheckpointAck {
  readonly type: 'checkpoint_ack';
  readonly v: 1;
  readonly checkpointId: string;
  readonly epoch: number;
  readonly workerId: string;
  readonly partition: number;
  readonly snapshotKey: string;
  readonly bytes: number;
  /** CRC-32C of the snapshot object */
  readonly crc32c: number;
  readonly offsets: readonly KafkaOffset[];
  /**
   * The objects before this one in the partition's snapshot chain, base
   * first (see checkpoint/snapshot-chain.ts). Absent or empty: the acked
   * object is a full snapshot. Acking the key of the previous committed
   * snapshot again means "unchanged": its reference is carried forward.
   */
  readonly chain?: readonly SnapshotObjectRef[];
  /** the partition's next output sequence number (int64) */
  readonly outputSequence?: bigint;
  /** 16 hex digits: the schema the snapshot was written with */
  readonly schemaFingerprint?: string;
}

/** The coordinator replica that holds the leader lease (stored in JetStream KV). */
export interface LeaderLease {
  readonly type: 'leader_lease';
  readonly v: 1;
  readonly holderId: string;
  /** increases with every change of holder */
  readonly term: number;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
}

export interface StatusRequest {
  readonly type: 'status_request';
  readonly v: 1;
  readonly requestId: string;
}

export interface WorkerStatus {
  readonly workerId: string;
  readonly state: WorkerState;
  readonly partitions: readonly number[];
  readonly lastHeartbeatMs: number;
}

/** One row of the partition table in a status response. */
export interface PartitionStatus {
  readonly partition: number;
  /** confirmed owner; null while unowned */
  readonly workerId: string | null;
  readonly epoch: number;
  /** records behind the end of the input, from the owner's last heartbeat */
  readonly lag: number | null;
  /** where it is going while a rebalance moves it */
  readonly movingTo: string | null;
}

/** A rebalance the coordinator decided, for status and tracing. */
export interface RebalanceRecord {
  readonly rebalanceId: string;
  readonly epoch: number;
  readonly reason: string;
  readonly moves: number;
  readonly startedAtMs: number;
  /** null while in progress */
  readonly finishedAtMs: number | null;
  /** the trace holding the rebalance's spans (W3C trace id), if traced */
  readonly traceId: string | null;
}

export interface StatusResponse {
  readonly type: 'status_response';
  readonly v: 1;
  readonly requestId: string;
  readonly leaderId: string | null;
  readonly epoch: number;
  readonly numPartitions: number;
  readonly workers: readonly WorkerStatus[];
  readonly unassigned: readonly number[];
  /** the partition table (optional, v1) */
  readonly partitions?: readonly PartitionStatus[];
  /** recent rebalances, newest first (optional, v1) */
  readonly rebalances?: readonly RebalanceRecord[];
}

/**
 * `ripple query` (queryable state): asked, over request/reply on
 * `clusterSubjects(c).query(workerId)`, of the worker the coordinator's
 * partition table names as the owner of the key's partition.
 */
export interface KeyQuery {
  readonly type: 'key_query';
  readonly v: 1;
  readonly requestId: string;
  /** the worker asked (it answers not_owner when the partition is not its) */
  readonly workerId: string;
  /** the key (e.g. a symbol) */
  readonly key: string;
  /** the input partition the key is in */
  readonly partition: number;
}

/**
 * `ok`: the worker holds the partition and is live for it (caught up since
 * its assignment); `moving`: it holds it but is restoring / replaying it
 * (just moved here), the answer would be behind; `not_owner`: it does not
 * hold it (moved away, or not arrived yet).
 */
export const KEY_QUERY_STATUSES = ['ok', 'moving', 'not_owner'] as const;
export type KeyQueryStatus = (typeof KEY_QUERY_STATUSES)[number];

/** One window of a key's state: bounds and the job's output fields (int64 fields as decimal strings). */
export interface QueriedWindow {
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** the watermark reached its end: emitted (a late event may still correct it) */
  readonly closed: boolean;
  readonly fields: Readonly<Record<string, string | number | boolean | null>>;
}

export interface KeyQueryReply {
  readonly type: 'key_query_reply';
  readonly v: 1;
  readonly requestId: string;
  readonly workerId: string;
  readonly key: string;
  readonly partition: number;
  readonly status: KeyQueryStatus;
  /** the assignment epoch the worker holds the partition under (null unless held) */
  readonly heldEpoch: number | null;
  /** the partition's event-time watermark (null unless ok) */
  readonly watermarkNs: bigint | null;
  /** the windows the key's state holds, oldest first (empty unless ok) */
  readonly windows: readonly QueriedWindow[];
  /** the last value output for the key (null before its first, or unless ok) */
  readonly lastEmitted: QueriedWindow | null;
}

/** `ripple graph`: the incremental graph of one of a worker's partitions (or a summary of all). */
export interface GraphQuery {
  readonly type: 'graph_query';
  readonly v: 1;
  readonly requestId: string;
  readonly workerId: string;
  /** one partition's graph; null: the partition with the most nodes */
  readonly partition: number | null;
  /** at most this many nodes drawn; the rest are aggregated into one node per kind and height */
  readonly maxNodes: number;
}

export interface GraphReply {
  readonly type: 'graph_reply';
  readonly v: 1;
  readonly requestId: string;
  readonly workerId: string;
  /** partitions the worker holds */
  readonly partitions: readonly number[];
  /** the partition drawn (null when it holds none, or does not hold the one asked for) */
  readonly partition: number | null;
  readonly nodes: number;
  readonly edges: number;
  /** nodes drawn one by one (the others are aggregated) */
  readonly shownNodes: number;
  /** Graphviz DOT ('' when no partition is drawn) */
  readonly dot: string;
}

export type ControlMessage =
  | Register
  | Heartbeat
  | Assignment
  | Revoke
  | RevokeAck
  | Assign
  | AssignAck
  | CheckpointTrigger
  | CheckpointAck
  | LeaderLease
  | StatusRequest
  | StatusResponse
  | KeyQuery
  | KeyQueryReply
  | GraphQuery
  | GraphReply;

export type ControlMessageType = ControlMessage['type'];

/** Versions this build accepts, per message type. */
export const SUPPORTED_CONTROL_VERSIONS: { readonly [K in ControlMessageType]: readonly number[] } = {
  register: [1],
  heartbeat: [1],
  assignment: [1],
  revoke: [1],
  revoke_ack: [1],
  assign: [1],
  assign_ack: [1],
  checkpoint_trigger: [1],
  checkpoint_ack: [1],
  leader_lease: [1],
  status_request: [1],
  status_response: [1],
  key_query: [1],
  key_query_reply: [1],
  graph_query: [1],
  graph_reply: [1],
};

export const CONTROL_MESSAGE_TYPES = Object.keys(SUPPORTED_CONTROL_VERSIONS) as readonly ControlMessageType[];
