/**
 * The worker's side of cluster checkpoints (apps/checkpointer, docs/decisions/0009).
 *
 * On each `checkpoint_trigger` (NATS, W3C trace context in the headers):
 * 1. at a consistent point of the worker — between steps, once every output
 *    so far is acknowledged by the sink — each owned partition is captured:
 *    - unchanged since its last object (no key changed, same offset and
 *      output sequence): nothing is written, the last object is acked again
 *      (the checkpointer carries the reference forward);
 *    - else a full snapshot (no chain yet, or `nextSnapshotKind` says the
 *      chain is long or heavy enough), or an increment holding only the keys
 *      changed since the last object (checkpoint-chain.ts);
 * 2. after the pause (the pause only copies the values out), each object is
 *    encoded, one partition per event-loop turn, and uploaded directly to
 *    the store in the checkpointer's layout
 *    (`<prefix>/snapshots/p<p>/<id>.{full,incr}.snap`), retried until the
 *    trigger's deadline;
 * 3. each partition is acked with key, size, CRC-32C of the object, input
 *    offsets, output sequence, state-schema fingerprint, epoch and the chain
 *    before the object.
 * An upload that fails is not acked (the checkpoint times out and is never
 * committed) and the partition's next snapshot is full. Checkpoints are
 * handled one at a time, in trigger order. One span per partition and
 * checkpoint, child of the checkpointer's trigger span.
 *
 * What an increment may build on. The chain's tip advances when an object is
 * uploaded, before anything is committed: an object of an aborted checkpoint
 * can be the base of the next increment. That is safe only while retention
 * keeps it, and retention deletes an unreferenced object once a checkpoint
 * with a higher sequence commits without it. A checkpoint commits only with
 * an ack of every partition it names (`trigger.partitions`), so for a
 * partition it names this worker's next ack references the whole chain. A
 * trigger that does not name a partition (nobody owns it in the
 * checkpointer's table: a move in progress, or its owner thought dead) may
 * commit with the partition's older reference carried forward: the
 * partition is then not captured, and a chain holding objects no committed
 * manifest is known to reference is dropped (its next snapshot is full). So
 * is every such chain when a trigger's sequence does not follow the last
 * one's (a trigger missed, or the checkpointer restarted): what the missed
 * checkpoints named is unknown. A chain adopted at restore is committed and
 * kept. (Without this: an increment built on a full object written while
 * the partition was being assigned, deleted two commits later —
 * `verify_failed: … full.snap does not exist`, seen in `pnpm start --real`.)
 */
import { context, propagation, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { BusMessage, BusSubscription, ControlBus } from '@ripple/cluster';
import { type ObjectStore, ObjectStoreError } from '@ripple/object-store';
import {
  type ChainPolicy,
  type CheckpointAck,
  type CheckpointLayout,
  type CheckpointTrigger,
  clusterSubjects,
  crc32c,
  encodeControlMessage,
  encodeSnapshot,
  formatFingerprint,
  nextSnapshotKind,
  parseCheckpointId,
  type Schema,
  type SnapshotKind,
  type SnapshotLeaf,
  type SnapshotObjectRef,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import { traceExemplar } from '@ripple/telemetry';
import { Backoff, sleep } from './backoff.ts';
import { incrementLeaves } from './checkpoint-chain.ts';
import type { JobPartition } from './job.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Clock, Logger } from './ports.ts';

/** Entries of `CheckpointParticipant.handled` kept (the newest). */
const HANDLED_KEPT = 1024;

/** What the participant needs from the worker. */
export interface CheckpointHost {
  /** The job: its state schema is the snapshots' schema. */
  readonly job: { readonly stateSchema: Schema };
  /**
   * Runs `fn` between steps, once every output so far is acknowledged, with
   * the owned partitions and the epoch each is owned at; processing waits.
   */
  atConsistentPoint<T>(fn: (parts: ReadonlyArray<{ part: JobPartition; epoch: number }>) => T): Promise<T>;
}

export interface CheckpointParticipantOptions {
  readonly cluster: string;
  readonly workerId: string;
  readonly inputTopic: string;
  readonly bus: ControlBus;
  readonly store: ObjectStore;
  readonly layout: CheckpointLayout;
  readonly policy: ChainPolicy;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly tracer?: Tracer;
  /** Upload retries: first and maximum delay (ms). */
  readonly backoffMs?: { readonly first: number; readonly max: number };
}

/** The object a partition's next increment builds on, and the state it holds. */
interface Tip {
  readonly chain: readonly SnapshotObjectRef[];
  readonly nextOffset: bigint | null;
  readonly nextSequence: number;
  /** leading objects of `chain` a committed manifest references (the chain adopted at restore) */
  readonly committed: number;
}

/** What the consistent point captured of one partition (values only: encoded after the pause). */
interface Capture {
  readonly partition: number;
  readonly epoch: number;
  readonly offsets: CheckpointAck['offsets'];
  readonly nextOffset: bigint | null;
  readonly nextSequence: number;
  readonly createdAtNs: bigint;
  readonly kind: SnapshotKind;
  /** the chain before the object acked */
  readonly prefix: readonly SnapshotObjectRef[];
  /** leading objects of `prefix` known committed */
  readonly committed: number;
  /** the leaves to write; null: unchanged, the last object (`unchanged`) is acked again */
  readonly leaves: SnapshotLeaf[] | null;
  readonly unchanged: SnapshotObjectRef | null;
}

/** A capture encoded: the object acked, and its bytes (null: unchanged, nothing to write). */
interface Sealed {
  readonly c: Capture;
  readonly ref: SnapshotObjectRef;
  readonly bytes: Uint8Array | null;
}

export class CheckpointParticipant {
  private readonly o: CheckpointParticipantOptions;
  private readonly tips = new Map<number, Tip>();
  private readonly subjects: ReturnType<typeof clusterSubjects>;
  private fingerprint = '';
  private stateSchema: Schema | null = null;
  private host: CheckpointHost | null = null;
  private sub: BusSubscription | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** Sequence of the last trigger handled (null: none yet). */
  private lastSeq: number | null = null;
  /** Triggers received and not yet handled to the end (acks sent or given up). */
  private pending = 0;
  /** Uploads in flight (the `checkpoint_writing` gauge is 1 while there is one). */
  private uploading = 0;
  private stopped = false;
  /** The last checkpoints handled (at most HANDLED_KEPT), one entry per partition acked, for tests and status. */
  readonly handled: Array<{ checkpointId: string; partition: number; kind: string; bytes: number }> = [];
  /** Partition acks sent since the start (`handled` keeps only the last ones). */
  handledTotal = 0;

  constructor(o: CheckpointParticipantOptions) {
    this.o = o;
    this.subjects = clusterSubjects(o.cluster);
  }

  /** Starts answering triggers for the partitions `host` owns. */
  start(host: CheckpointHost): void {
    this.host = host;
    this.stateSchema = host.job.stateSchema;
    this.fingerprint = formatFingerprint(host.job.stateSchema.fingerprint);
    this.sub = this.o.bus.subscribe(this.subjects.checkpointTrigger, (m) => this.onTrigger(m));
  }

  /** Stops answering triggers; waits for the checkpoint in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.sub?.unsubscribe();
    this.sub = null;
    await this.queue;
  }

  /**
   * The partition was restored from `chain` (a committed one): its next
   * increment builds on it. `[]`/null: it starts empty, its next snapshot is
   * full (a chain this worker wrote before the partition moved away is
   * never built on).
   */
  adopt(partition: number, chain: readonly SnapshotObjectRef[], part: JobPartition | null): void {
    if (chain.length === 0 || part === null) this.tips.delete(partition);
    else
      this.tips.set(partition, {
        chain,
        nextOffset: part.nextOffset,
        nextSequence: part.nextSequence,
        committed: chain.length,
      });
  }

  /** These partitions are no longer owned. */
  forget(partitions: readonly number[]): void {
    for (const p of partitions) this.tips.delete(p);
  }

  private onTrigger(m: BusMessage): void {
    const r = tryDecodeControlMessage(m.data);
    if (!r.ok || r.message.type !== 'checkpoint_trigger') {
      this.o.metrics.checkpointTriggersRefused.inc();
      this.o.logger.warn('checkpoint trigger refused', {
        subject: m.subject,
        error: r.ok ? `unexpected ${r.message.type}` : r.error.message,
      });
      return;
    }
    const trigger = r.message;
    this.pending++;
    this.queue = this.queue
      .then(() => this.checkpoint(trigger, m.headers))
      .catch((e: unknown) => {
        this.o.logger.error('checkpoint failed', { checkpointId: trigger.checkpointId, error: String(e) });
      })
      .finally(() => this.pending--);
  }

  /** True while a checkpoint is being captured, uploaded or acked (or one waits for its turn). */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Handles one trigger: capture at a consistent point, upload, ack. */
  async checkpoint(
    trigger: CheckpointTrigger,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const host = this.host;
    if (host === null || this.stopped) return;
    const wanted = trigger.partitions === undefined ? null : new Set(trigger.partitions);
    this.dropUnsafeTips(trigger, wanted);
    if (this.o.clock.nowMs() > trigger.deadlineMs) {
      this.o.logger.warn('checkpoint trigger past its deadline; ignored', {
        checkpointId: trigger.checkpointId,
      });
      return;
    }
    const parent = propagation.extract(context.active(), headers);
    const tracer = this.o.tracer ?? trace.getTracer('ripple-worker');
    const t0 = performance.now();
    const captures = await host.atConsistentPoint((parts) =>
      parts
        .filter(({ part }) => wanted === null || wanted.has(part.partition))
        .map(({ part, epoch }) => this.capture(part, epoch)),
    );
    const pauseMs = performance.now() - t0;
    this.o.metrics.checkpointCapture.observe(pauseMs / 1000);
    // Encoding happens one partition at a time with a turn of the event loop between two, so the
    // worker's loop keeps processing meanwhile.
    let turn: Promise<void> = Promise.resolve();
    await Promise.all(
      captures.map((c) =>
        tracer.startActiveSpan(
          'ripple.worker.checkpoint',
          {
            attributes: {
              'ripple.checkpoint': trigger.checkpointId,
              'ripple.partition': c.partition,
              'ripple.snapshot.kind': c.leaves === null ? 'unchanged' : c.kind,
              'ripple.checkpoint.pause_ms': pauseMs,
            },
          },
          parent,
          async (span) => {
            try {
              const mine = turn.then(() => new Promise<void>((r) => setImmediate(r)));
              turn = mine;
              await mine;
              const sealed = this.seal(c, trigger.checkpointId);
              span.setAttribute('ripple.snapshot.bytes', sealed.bytes?.length ?? 0);
              const t0 = performance.now();
              await this.upload(sealed, trigger);
              if (sealed.bytes !== null)
                this.o.metrics.checkpointStore.observe({
                  value: (performance.now() - t0) / 1000,
                  exemplarLabels: traceExemplar(span),
                });
              const ack = this.ackOf(sealed, trigger);
              const out: Record<string, string> = {};
              propagation.inject(trace.setSpan(context.active(), span), out);
              this.o.bus.publish(this.subjects.checkpointAck, encodeControlMessage(ack), out);
              this.o.metrics.checkpoints.inc();
              this.o.metrics.lastCheckpoint.set(this.o.clock.nowMs() / 1000);
              this.handled.push({
                checkpointId: trigger.checkpointId,
                partition: c.partition,
                kind: sealed.bytes === null ? 'unchanged' : sealed.ref.kind,
                bytes: sealed.bytes?.length ?? 0,
              });
              // bounded: a worker acks every partition every interval for as long as it runs
              if (this.handled.length > HANDLED_KEPT)
                this.handled.splice(0, this.handled.length - HANDLED_KEPT);
              this.handledTotal++;
            } catch (e) {
              span.recordException(e as Error);
              span.setStatus({ code: SpanStatusCode.ERROR });
              // The object may be missing: the next snapshot of the partition starts a new chain.
              this.tips.delete(c.partition);
              this.o.metrics.checkpointFailures.inc();
              this.o.logger.warn('checkpoint upload failed; not acked, next snapshot full', {
                checkpointId: trigger.checkpointId,
                partition: c.partition,
                error: String(e),
              });
            } finally {
              span.end();
            }
          },
        ),
      ),
    );
    await this.o.bus.flush().catch(() => {});
  }

  /**
   * Before a trigger is handled (even one past its deadline): drops the
   * chains an increment may no longer build on — those holding objects no
   * committed manifest is known to reference, of the partitions the trigger
   * does not name, or of every partition when its sequence does not follow
   * the last trigger's (see the header).
   */
  private dropUnsafeTips(trigger: CheckpointTrigger, wanted: ReadonlySet<number> | null): void {
    const seq = parseCheckpointId(trigger.checkpointId)?.seq ?? null;
    const gap = seq === null || (this.lastSeq !== null && seq !== this.lastSeq + 1);
    this.lastSeq = seq;
    const dropped: number[] = [];
    for (const [p, tip] of this.tips) {
      if (tip.committed >= tip.chain.length) continue;
      if (gap || (wanted !== null && !wanted.has(p))) {
        this.tips.delete(p);
        dropped.push(p);
      }
    }
    if (dropped.length > 0)
      this.o.logger.info('uncommitted snapshot chains dropped; next snapshots full', {
        checkpointId: trigger.checkpointId,
        partitions: dropped,
        reason: gap ? 'trigger sequence gap' : 'partitions not in the checkpoint',
      });
  }

  /**
   * Synchronous, at the consistent point: the partition's values (or
   * "unchanged"), and the state marked as the base of the next increment.
   * Encoding waits until processing has resumed (`seal`).
   */
  private capture(part: JobPartition, epoch: number): Capture {
    const partition = part.partition;
    const offsets =
      part.nextOffset === null ? [] : [{ topic: this.o.inputTopic, partition, offset: part.nextOffset }];
    const base = {
      partition,
      epoch,
      offsets,
      nextOffset: part.nextOffset,
      nextSequence: part.nextSequence,
      createdAtNs: this.o.clock.nowNs(),
    };
    const tip = this.tips.get(partition);
    const last = tip?.chain[tip.chain.length - 1];
    if (
      tip !== undefined &&
      last !== undefined &&
      part.changedKeyCount === 0 &&
      tip.nextOffset === part.nextOffset &&
      tip.nextSequence === part.nextSequence
    )
      return {
        ...base,
        kind: last.kind,
        prefix: tip.chain.slice(0, -1),
        committed: tip.committed,
        leaves: null,
        unchanged: last,
      };
    const kind =
      tip === undefined || last === undefined ? 'full' : nextSnapshotKind(tip.chain, this.o.policy);
    const leaves =
      kind === 'full'
        ? part.snapshotLeaves()
        : incrementLeaves(part.snapshotChangedLeaves(), (last as SnapshotObjectRef).key);
    part.markSnapshotted();
    const prefix = kind === 'full' ? [] : (tip?.chain ?? []);
    return {
      ...base,
      kind,
      prefix,
      committed: kind === 'full' ? 0 : (tip?.committed ?? 0),
      leaves,
      unchanged: null,
    };
  }

  /** Encodes a capture; the partition's next increment builds on the object (dropped if its upload fails). */
  private seal(c: Capture, checkpointId: string): Sealed {
    if (c.leaves === null) return { c, ref: c.unchanged as SnapshotObjectRef, bytes: null };
    const bytes = encodeSnapshot({
      checkpointId,
      workerId: this.o.workerId,
      partition: c.partition,
      epoch: c.epoch,
      createdAtNs: c.createdAtNs,
      nodeCount: c.leaves.length,
      offsets: c.offsets,
      schema: this.stateSchema as Schema,
      leaves: c.leaves,
    });
    const ref: SnapshotObjectRef = {
      key: this.o.layout.snapshotKey(c.partition, checkpointId, c.kind),
      bytes: bytes.length,
      crc32c: crc32c(bytes),
      kind: c.kind,
    };
    this.tips.set(c.partition, {
      chain: [...c.prefix, ref],
      nextOffset: c.nextOffset,
      nextSequence: c.nextSequence,
      committed: c.committed,
    });
    return { c, ref, bytes };
  }

  private async upload(c: Sealed, trigger: CheckpointTrigger): Promise<void> {
    if (c.bytes === null) return;
    this.uploading++;
    this.o.metrics.checkpointWriting.set(1);
    try {
      await this.put(c.ref, c.bytes, trigger);
    } finally {
      if (--this.uploading === 0) this.o.metrics.checkpointWriting.set(0);
    }
  }

  private async put(ref: SnapshotObjectRef, bytes: Uint8Array, trigger: CheckpointTrigger): Promise<void> {
    const b = this.o.backoffMs ?? { first: 100, max: 2000 };
    const backoff = new Backoff(b.first, b.max);
    for (;;) {
      try {
        await this.o.store.put(ref.key, bytes, { contentType: 'application/x-ripple-snapshot' });
        this.o.metrics.checkpointBytes.inc({ kind: ref.kind }, bytes.length);
        return;
      } catch (e) {
        const delay = backoff.next();
        if (!(e instanceof ObjectStoreError) || !e.retryable || this.stopped) throw e;
        if (this.o.clock.nowMs() + delay > trigger.deadlineMs) throw e;
        await sleep(delay);
      }
    }
  }

  private ackOf(s: Sealed, trigger: CheckpointTrigger): CheckpointAck {
    const c = s.c;
    return {
      type: 'checkpoint_ack',
      v: 1,
      checkpointId: trigger.checkpointId,
      epoch: c.epoch,
      workerId: this.o.workerId,
      partition: c.partition,
      snapshotKey: s.ref.key,
      bytes: s.ref.bytes,
      crc32c: s.ref.crc32c,
      offsets: c.offsets,
      ...(c.prefix.length > 0 ? { chain: c.prefix } : {}),
      outputSequence: BigInt(c.nextSequence),
      schemaFingerprint: this.fingerprint,
    };
  }
}
