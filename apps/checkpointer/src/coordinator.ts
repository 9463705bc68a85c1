/**
 * The checkpoint coordinator: which checkpoint is in flight, which
 * partitions must ack it, whether an ack is acceptable, and what manifest
 * the acks make. Pure: no I/O, time passed in (`nowMs`), randomness
 * injected (`nonce`), so tests drive it on a virtual clock and the service
 * (checkpointer.ts) only adds the store and the bus.
 *
 * Life of a checkpoint: `tick` triggers one every `intervalMs` (one in
 * flight at a time) with a fresh id and the current epoch -> `onAck`
 * collects one ack per assigned partition -> when all are in, `tick`
 * returns the candidate manifest for the service to verify and write ->
 * `committed` or `abort`. A checkpoint is aborted, never committed, when an
 * ack is missing at its deadline, the epoch changes before the manifest is
 * written, an object fails verification, or the store stays unavailable.
 *
 * Acks are refused (and counted by reason) when they name another
 * checkpoint, carry a stale (see `keptSince`) or unknown epoch, come from a worker that does
 * not own the partition in this epoch (a zombie), name a key outside the
 * layout, or describe a chain that cannot be restored.
 */
import {
  type Assignment,
  type CheckpointAck,
  CheckpointFormatError,
  type CheckpointLayout,
  type CheckpointManifest,
  type CheckpointTrigger,
  extendChain,
  formatCheckpointId,
  type PartitionCheckpoint,
  type SnapshotObjectRef,
} from '@ripple/protocol';

export interface CoordinatorOptions {
  readonly cluster: string;
  readonly layout: CheckpointLayout;
  /** time between the start of two checkpoints (checkpoint_interval_sec) */
  readonly intervalMs: number;
  /** acks must all arrive within this time of the trigger */
  readonly ackTimeoutMs: number;
  /** a fresh [0-9a-z]{1,16} nonce per checkpoint id */
  readonly nonce: () => string;
}

/** The partitions to checkpoint and their owners in one epoch; owner null = any worker (static mode). */
export interface PartitionTable {
  readonly epoch: number;
  readonly numPartitions: number;
  readonly owners: ReadonlyMap<number, string | null>;
}

export function tableOfAssignment(a: Assignment): PartitionTable {
  return {
    epoch: a.epoch,
    numPartitions: a.numPartitions,
    owners: new Map(a.owners.map((o) => [o.partition, o.workerId])),
  };
}

export function staticTable(epoch: number, numPartitions: number): PartitionTable {
  return {
    epoch,
    numPartitions,
    owners: new Map(Array.from({ length: numPartitions }, (_, p) => [p, null])),
  };
}

export const ACK_REFUSALS = [
  'unknown_checkpoint',
  'stale_epoch',
  'future_epoch',
  'unassigned_partition',
  'not_owner',
  'bad_key',
  'bad_chain',
  'conflicting_duplicate',
] as const;
export type AckRefusal = (typeof ACK_REFUSALS)[number];

export type AckOutcome =
  | { readonly accepted: true; readonly duplicate: boolean; readonly complete: boolean }
  | { readonly accepted: false; readonly reason: AckRefusal; readonly detail: string };

interface AcceptedAck {
  readonly ref: PartitionCheckpoint;
  /** bytes of objects no committed manifest referenced before, by kind (0 when carried forward unchanged) */
  readonly written: { readonly full: number; readonly incremental: number };
  /** the partition's committed reference is carried forward as is */
  readonly unchanged: boolean;
  readonly ack: CheckpointAck;
}

export interface InFlight {
  readonly checkpointId: string;
  readonly seq: number;
  readonly epoch: number;
  readonly triggeredAtMs: number;
  readonly deadlineMs: number;
  /** partitions that must ack, with their owner (null = any) */
  readonly expected: ReadonlyMap<number, string | null>;
  readonly acks: Map<number, AcceptedAck>;
  phase: 'collecting' | 'committing';
}

export type TickResult =
  | { readonly kind: 'idle' }
  | { readonly kind: 'trigger'; readonly trigger: CheckpointTrigger }
  | { readonly kind: 'commit'; readonly manifest: CheckpointManifest; readonly inFlight: InFlight }
  | { readonly kind: 'timeout'; readonly inFlight: InFlight; readonly missing: readonly number[] };

export class CheckpointCoordinator {
  private readonly o: CoordinatorOptions;
  private table: PartitionTable | null = null;
  private latest: CheckpointManifest | null = null;
  private nextSeq = 1;
  private lastTriggerMs = Number.NEGATIVE_INFINITY;
  private current: InFlight | null = null;

  constructor(options: CoordinatorOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('intervalMs must be > 0');
    if (!(options.ackTimeoutMs > 0)) throw new RangeError('ackTimeoutMs must be > 0');
    this.o = options;
  }

  /** The newest committed manifest and the next sequence number, e.g. rebuilt from the store on start. */
  restore(latest: CheckpointManifest | null, highestSeqSeen: number): void {
    this.latest = latest;
    this.nextSeq = Math.max(this.nextSeq, highestSeqSeen + 1, (latest?.seq ?? 0) + 1);
  }

  get inFlight(): InFlight | null {
    return this.current;
  }

  get latestCommitted(): CheckpointManifest | null {
    return this.latest;
  }

  get epoch(): number | null {
    return this.table?.epoch ?? null;
  }

  /**
   * A new partition table. A new epoch aborts a checkpoint still collecting
   * acks or not yet written (returned, for the service to count); an older
   * epoch is ignored (returns 'stale').
   */
  setTable(table: PartitionTable): { readonly aborted: InFlight | null; readonly stale: boolean } {
    if (this.table !== null && table.epoch < this.table.epoch) return { aborted: null, stale: true };
    const changed = this.table !== null && table.epoch !== this.table.epoch;
    this.table = table;
    // A checkpoint already committing is judged by mayWrite() before its manifest is written.
    if (changed && this.current !== null && this.current.phase === 'collecting') {
      const aborted = this.current;
      this.current = null;
      return { aborted, stale: false };
    }
    return { aborted: null, stale: false };
  }

  /** Advance the clock: trigger, hand over a complete checkpoint, or time one out. */
  tick(nowMs: number): TickResult {
    const c = this.current;
    if (c !== null) {
      if (c.phase === 'committing') return { kind: 'idle' };
      if (c.acks.size === c.expected.size) {
        c.phase = 'committing';
        return { kind: 'commit', manifest: this.manifestOf(c, nowMs), inFlight: c };
      }
      if (nowMs >= c.deadlineMs) {
        this.current = null;
        return {
          kind: 'timeout',
          inFlight: c,
          missing: [...c.expected.keys()].filter((p) => !c.acks.has(p)),
        };
      }
      return { kind: 'idle' };
    }
    if (this.table === null || nowMs < this.lastTriggerMs + this.o.intervalMs) return { kind: 'idle' };
    return { kind: 'trigger', trigger: this.trigger(nowMs, this.table) };
  }

  private trigger(nowMs: number, t: PartitionTable): CheckpointTrigger {
    const seq = this.nextSeq++;
    const checkpointId = formatCheckpointId(seq, this.o.nonce());
    this.lastTriggerMs = nowMs;
    const deadlineMs = nowMs + this.o.ackTimeoutMs;
    // Partitions nobody owns keep their previous reference (nobody advanced them); they are not waited for.
    const expected = new Map([...t.owners].filter(([p]) => p < t.numPartitions));
    this.current = {
      checkpointId,
      seq,
      epoch: t.epoch,
      triggeredAtMs: nowMs,
      deadlineMs,
      expected,
      acks: new Map(),
      phase: 'collecting',
    };
    // The partitions it names are the ones it waits for: an owner captures only those. A partition
    // it does not name keeps its previous reference, so an owner must not build its next increment
    // on an object written for this checkpoint or an aborted one (retention may delete it once this
    // commits); the worker drops such chains (apps/worker/src/checkpoint-participant.ts).
    const trigger: CheckpointTrigger = {
      type: 'checkpoint_trigger',
      v: 1,
      checkpointId,
      epoch: t.epoch,
      partitions: [...expected.keys()].sort((a, b) => a - b),
      deadlineMs,
    };
    return trigger;
  }

  /**
   * An ack below the checkpoint's epoch is acceptable from the partition's
   * owner in this epoch: a partition keeps the epoch it was assigned in for
   * as long as it stays with that owner (the coordinator sends assigns only
   * for what moves), so after a rebalance the partitions that did not move
   * ack with their older epoch. Not below the epoch of the partition's last
   * committed reference (a copy from before it moved away and back), and
   * never in static mode (no named owner: the epochs must match).
   */
  private keptSince(ack: CheckpointAck): boolean {
    const owner = this.current?.expected.get(ack.partition);
    if (owner === undefined || owner === null || owner !== ack.workerId) return false;
    const floor = this.latest?.partitions.find((x) => x.partition === ack.partition)?.epoch ?? 0;
    return ack.epoch >= floor;
  }

  onAck(ack: CheckpointAck): AckOutcome {
    const c = this.current;
    const refuse = (reason: AckRefusal, detail: string): AckOutcome => ({ accepted: false, reason, detail });
    if (c === null || ack.checkpointId !== c.checkpointId)
      return refuse('unknown_checkpoint', `no checkpoint ${ack.checkpointId} in flight`);
    if (ack.epoch > c.epoch) return refuse('future_epoch', `epoch ${ack.epoch} > ${c.epoch}`);
    if (ack.epoch < c.epoch && !this.keptSince(ack))
      return refuse('stale_epoch', `epoch ${ack.epoch} < ${c.epoch}`);
    if (!c.expected.has(ack.partition))
      return refuse('unassigned_partition', `partition ${ack.partition} is not assigned in epoch ${c.epoch}`);
    const owner = c.expected.get(ack.partition);
    if (owner !== null && owner !== ack.workerId)
      return refuse('not_owner', `partition ${ack.partition} is owned by ${owner}, not ${ack.workerId}`);
    const prev = c.acks.get(ack.partition);
    if (prev !== undefined) {
      const same = JSON.stringify(prev.ack, big) === JSON.stringify(ack, big);
      if (!same)
        return refuse('conflicting_duplicate', `partition ${ack.partition} acked twice, differently`);
      return { accepted: true, duplicate: true, complete: c.acks.size === c.expected.size };
    }
    const accepted = this.accept(c, ack);
    if ('reason' in accepted) return refuse(accepted.reason, accepted.detail);
    c.acks.set(ack.partition, accepted);
    return { accepted: true, duplicate: false, complete: c.acks.size === c.expected.size };
  }

  private accept(c: InFlight, ack: CheckpointAck): AcceptedAck | { reason: AckRefusal; detail: string } {
    const previous = this.latest?.partitions.find((p) => p.partition === ack.partition);
    const committed = new Map((previous?.chain ?? []).map((o) => [o.key, o]));
    const parts = this.o.layout.parseSnapshotKey(ack.snapshotKey);
    if (parts === undefined || parts.partition !== ack.partition || parts.seq > c.seq)
      return {
        reason: 'bad_key',
        detail: `${ack.snapshotKey} is not a snapshot key of partition ${ack.partition}`,
      };
    // A key of an earlier checkpoint: the owner's state did not change since it wrote that object
    // (committed or not); it is referenced again, nothing new was written.
    if (parts.seq === c.seq && parts.checkpointId !== c.checkpointId)
      return {
        reason: 'bad_key',
        detail: `${ack.snapshotKey} names another attempt of checkpoint ${parts.seq}`,
      };
    const prefix = ack.chain ?? [];
    const reused = parts.seq < c.seq;
    const kind = prefix.length === 0 ? 'full' : 'incremental';
    if (parts.kind !== kind)
      return {
        reason: 'bad_chain',
        detail: `${ack.snapshotKey} is named ${parts.kind} but acked as ${kind}`,
      };
    for (const o of prefix) {
      const q = this.o.layout.parseSnapshotKey(o.key);
      if (q === undefined || q.partition !== ack.partition || q.seq >= parts.seq)
        return {
          reason: 'bad_chain',
          detail: `chain object ${o.key} is not an earlier snapshot of partition ${ack.partition}`,
        };
    }
    const next: SnapshotObjectRef = { key: ack.snapshotKey, bytes: ack.bytes, crc32c: ack.crc32c, kind };
    let chain: SnapshotObjectRef[];
    try {
      chain = extendChain(prefix.length === 0 ? undefined : prefix, next);
    } catch (e) {
      if (e instanceof CheckpointFormatError) return { reason: 'bad_chain', detail: e.message };
      throw e;
    }
    // Objects a committed manifest already references must be acked exactly as committed; the others
    // (this checkpoint's object, or objects of aborted checkpoints referenced for the first time) are new.
    const written = { full: 0, incremental: 0 };
    for (const o of chain) {
      const known = committed.get(o.key);
      if (known === undefined) written[o.kind] += o.bytes;
      else if (known.bytes !== o.bytes || known.crc32c !== o.crc32c || known.kind !== o.kind)
        return {
          reason: 'bad_chain',
          detail: `${o.key} acked with another size, CRC or kind than committed`,
        };
    }
    const ref: PartitionCheckpoint = { ...this.baseRef(ack), writtenBy: parts.checkpointId, chain };
    return { ref, written, unchanged: reused && committed.has(ack.snapshotKey), ack };
  }

  private baseRef(ack: CheckpointAck) {
    return {
      partition: ack.partition,
      epoch: ack.epoch,
      workerId: ack.workerId,
      offsets: ack.offsets,
      outputSequence: ack.outputSequence ?? null,
      schemaFingerprint: ack.schemaFingerprint ?? null,
    };
  }

  private manifestOf(c: InFlight, nowMs: number): CheckpointManifest {
    const t = this.table!;
    const refs = new Map<number, PartitionCheckpoint>();
    // Partitions nobody owns now carry their previous reference forward.
    for (const p of this.latest?.partitions ?? [])
      if (p.partition < t.numPartitions) refs.set(p.partition, p);
    const written = { full: 0, incremental: 0 };
    for (const [p, a] of c.acks) {
      refs.set(p, a.ref);
      written.full += a.written.full;
      written.incremental += a.written.incremental;
    }
    return {
      v: 1,
      cluster: this.o.cluster,
      checkpointId: c.checkpointId,
      seq: c.seq,
      epoch: c.epoch,
      numPartitions: t.numPartitions,
      triggeredAtMs: c.triggeredAtMs,
      committedAtMs: Math.max(nowMs, c.triggeredAtMs),
      written,
      partitions: [...refs.values()].sort((a, b) => a.partition - b.partition),
    };
  }

  /**
   * Whether the in-flight checkpoint may still be written: false once the
   * epoch moved on (the service then aborts instead of writing).
   */
  mayWrite(c: InFlight): boolean {
    return this.current === c && this.table?.epoch === c.epoch;
  }

  /** The manifest is durable: it becomes the latest committed checkpoint. */
  committed(c: InFlight, manifest: CheckpointManifest): void {
    if (this.current === c) this.current = null;
    if (this.latest === null || manifest.seq > this.latest.seq) this.latest = manifest;
  }

  /** The checkpoint will never be committed; the previous one stays latest. */
  abort(c: InFlight): void {
    if (this.current === c) this.current = null;
  }
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
