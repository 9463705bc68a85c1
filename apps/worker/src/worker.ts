/**
 * The worker runtime: it hosts one job over the partitions it owns.
 *
 * Loop (one step): poll a batch -> hand each record to its job partition ->
 * frame outputs, late events and dead letters for the sink -> maybe capture
 * a checkpoint. One batch may be in flight at the sink while the next is
 * fetched and processed; before sending the next, the worker waits for the
 * previous acknowledgement. That is the backpressure: when the sink lags,
 * fetching stops, and memory holds at most two batches.
 *
 * Checkpoints are captured between steps (every output so far acknowledged),
 * encoded with CRC and schema, written to the local cache and handed to the
 * background `CheckpointWriter`; processing goes on meanwhile.
 *
 * Ownership changes at runtime through `assign(partitions, epoch)` (restore
 * from the newest valid snapshot, replay from its offsets, resolve when live)
 * and `revoke(partitions, epoch)` (stop fetching, flush output, checkpoint,
 * resolve with the stored snapshot and offsets). Epochs are tracked per
 * partition (docs/decisions/0005): a request for a partition with an epoch
 * older than one already acted on for it, or an assign at the epoch it was
 * revoked at, is refused (`FencedError`). The static `RIPPLE_PARTITIONS` of
 * `start()` is one caller of the same seam; the cluster host
 * (`cluster-host.ts`) is the other.
 */

import { setImmediate as yieldToIo } from 'node:timers/promises';
import {
  type Context,
  context,
  propagation,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { CheckpointWriter } from './checkpoint-writer.ts';
import type { WorkerConfig } from './config.ts';
import { DependencyHealth, isRetryable } from './dependency-health.ts';
import {
  CheckpointNotStoredError,
  FencedError,
  HandoffMismatchError,
  RecoveryFailedError,
} from './errors.ts';
import type { Job, JobFactory, JobPartition } from './job.ts';
import { Lifecycle } from './lifecycle.ts';
import type { WorkerMetrics } from './metrics.ts';
import { OutputFramer } from './output-framer.ts';
import { OutputSender } from './output-sender.ts';
import {
  type Clock,
  hasClaims,
  type Logger,
  type PartitionStart,
  type RecordSink,
  type RecordSource,
  type SnapshotStore,
  type SourceRecord,
  silentLogger,
  systemClock,
} from './ports.ts';
import { Recovery, RecoveryAbortedError } from './recovery.ts';
import { SnapshotCapture } from './snapshot-capture.ts';
import { StepMetrics } from './step-metrics.ts';

/**
 * Processing time after which a step stops taking records of its batch (ms):
 * the event loop gets a turn at least this often, and what one step frames
 * and sends stays bounded.
 */
const STEP_BUDGET_MS = 25;

export interface WorkerDeps {
  readonly config: WorkerConfig;
  /** The job this worker hosts (e.g. `vwapJob`). */
  readonly job: JobFactory;
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
  /** Backoff of the checkpoint writer and of recovery while the store is unreadable: first and maximum delay. */
  readonly retryBackoffMs?: { first: number; max: number };
  /**
   * Cluster checkpoints (checkpoint-participant.ts): partitions are restored
   * through this (the checkpointer's committed manifests) instead of the
   * snapshot store, and the worker takes no checkpoint of its own (no
   * interval capture, none at drain): the checkpointer triggers them.
   */
  readonly restorer?: { restore(partition: number): Promise<JobPartition | null> };
}

/** What a revoke hands over: where the next owner resumes. */
export interface PartitionHandoff {
  readonly partition: number;
  /** Epoch the partition's state was produced under. */
  readonly epoch: number;
  /**
   * Id of the stored snapshot the next owner restores (null: nothing
   * consumed yet, cluster checkpoints — the next owner restores the newest
   * committed one —, or nothing handed over because the partition's output
   * was found fenced — a newer owner exists; the next one restores the newest
   * valid snapshot, as after a crash).
   */
  readonly snapshotId: string | null;
  readonly nextOffset: bigint | null;
  readonly nextSequence: number;
}

/** Where the previous owner handed a partition over: what the restored state must reach. */
export interface HandoffExpectation {
  /** Next input offset the hand-over covers (null: the previous owner had consumed nothing). */
  readonly nextOffset: bigint | null;
  /** Next output sequence number at the hand-over, when the previous owner said. */
  readonly nextSequence?: number;
  /** Id of the snapshot the previous owner stored at the hand-over: restored directly when usable. */
  readonly snapshotId?: string;
}

/** A held partition as heartbeats report it. */
export interface HeldPartition {
  readonly partition: number;
  /** Epoch the partition is held at. */
  readonly epoch: number;
  /** Next input offset (0 when nothing consumed yet). */
  readonly offset: bigint;
  /** Records behind the end of the input partition as of the last poll. */
  readonly lag: number;
  readonly keys: number;
}

export class Worker {
  readonly lifecycle = new Lifecycle();
  readonly job: Job;
  private readonly cfg: WorkerConfig;
  private readonly d: WorkerDeps;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly tracer: Tracer;
  private readonly framer: OutputFramer;
  private readonly recovery: Recovery;
  private readonly writer: CheckpointWriter;
  private readonly stepMetrics: StepMetrics;
  private readonly health: DependencyHealth;
  private readonly sender: OutputSender;
  private readonly snapshots: SnapshotCapture;
  private readonly parts = new Map<number, JobPartition>();
  /** Epoch each owned partition was assigned at. */
  private readonly epochs = new Map<number, number>();
  /** Highest epoch acted on (any partition); the epoch of output a partition has none for. */
  private epoch: number;
  /** Configured epoch: nothing older is ever accepted. */
  private readonly epochFloor: number;
  /** Highest epoch seen per partition (assign, revoke or release). */
  private readonly seen = new Map<number, number>();
  /** Partitions given up at the epoch in `seen`: an assign at that same epoch is stale. */
  private readonly goneAt = new Map<number, number>();
  /** Input records processed since start (all partitions), for the load in heartbeats. */
  processedRecords = 0;

  /** Dead letters by reason and late events since start, for the load in heartbeats. */
  get diverted(): { readonly deadLetters: ReadonlyMap<string, number>; readonly late: number } {
    return this.d.metrics.diverted;
  }
  /** Offsets each restored/assigned partition must reach to be live, and who waits for it. */
  private readonly replayTarget = new Map<number, bigint>();
  private readonly liveWaiters = new Map<number, Array<() => void>>();
  private stopRequested = false;
  /** Aborted by `requestStop()`: waits for an unreadable store give up. */
  private readonly stopping = new AbortController();
  /** Assigned partitions that did not start (no usable snapshot), with the reason. */
  private readonly failed = new Map<number, RecoveryFailedError>();
  /** Serializes steps with assign/revoke. */
  private turn: Promise<void> = Promise.resolve();
  /** Bumped on every assign; a batch fetched before it may hold records of the re-assigned partitions. */
  private assignGen = 0;
  private readonly assignedAt = new Map<number, number>();

  constructor(deps: WorkerDeps) {
    this.d = deps;
    this.cfg = deps.config;
    this.epoch = deps.config.epoch;
    this.epochFloor = deps.config.epoch;
    this.log = deps.logger ?? silentLogger;
    this.clock = deps.clock ?? systemClock;
    this.tracer = deps.tracer ?? trace.getTracer('ripple-worker');
    this.job = deps.job(deps.config, {
      onStep: (ns, recomputes) => {
        deps.metrics.graphStabilization.observe(ns / 1e9);
        deps.metrics.graphRecomputes.observe(recomputes);
      },
      clock: this.clock,
    });
    this.framer = new OutputFramer(
      {
        input: deps.config.inputTopic,
        output: deps.config.outputTopic,
        dlq: deps.config.dlqTopic,
        late: deps.lateTopic ?? `${deps.config.inputTopic}-late`,
      },
      this.job.outputSchema,
      deps.config.workerId,
      deps.config.maxMessageBytes,
    );
    this.recovery = new Recovery({
      job: this.job,
      inputTopic: deps.config.inputTopic,
      cache: deps.cache ?? null,
      store: deps.store,
      metrics: deps.metrics,
      logger: this.log,
      allowReset: deps.config.recoveryAllowReset,
      signal: this.stopping.signal,
      ...(deps.retryBackoffMs !== undefined ? { backoffMs: deps.retryBackoffMs } : {}),
    });
    this.writer = new CheckpointWriter({
      store: deps.store,
      metrics: deps.metrics,
      tracer: this.tracer,
      logger: this.log,
      clock: this.clock,
      backoffMs: deps.retryBackoffMs ?? { first: 100, max: 5000 },
      keep: deps.keepSnapshots ?? deps.config.keepSnapshots,
      onStored: (partition, ms) => deps.onCheckpoint?.({ phase: 'store', ms, partition }),
    });
    this.stepMetrics = new StepMetrics(deps.metrics, deps.source, this.clock);
    this.health = new DependencyHealth(
      deps.metrics,
      this.log,
      deps.retryBackoffMs ?? { first: 100, max: 5000 },
      this.stopping.signal,
    );
    this.sender = new OutputSender(deps.sink, deps.metrics, this.health, this.stopping.signal);
    this.snapshots = new SnapshotCapture({
      workerId: deps.config.workerId,
      inputTopic: deps.config.inputTopic,
      stateSchema: this.job.stateSchema,
      intervalMs: deps.config.checkpointIntervalSec * 1000,
      cache: deps.cache ?? null,
      writer: this.writer,
      metrics: deps.metrics,
      logger: this.log,
      onCapture: (ms) => deps.onCheckpoint?.({ phase: 'capture', ms }),
    });
    this.lifecycle.onTransition((from, to) => {
      deps.metrics.setState(to);
      this.log.info('state', { from, to });
    });
    deps.metrics.setState(this.lifecycle.state);
  }

  /** Run `fn` when no step, assign or revoke is running. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((r) => {
      release = r;
    });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Refuse a stale request for any of `partitions`; otherwise record `epoch` as seen for them. */
  private checkEpoch(
    operation: 'assign' | 'revoke' | 'release',
    partitions: readonly number[],
    epoch: number,
  ): void {
    if (epoch < this.epochFloor) throw new FencedError(operation, epoch, this.epochFloor);
    for (const p of partitions) {
      const seen = this.seen.get(p) ?? this.epochFloor;
      if (epoch < seen || (operation === 'assign' && this.goneAt.get(p) === epoch))
        throw new FencedError(operation, epoch, seen, p);
    }
    for (const p of partitions) {
      this.seen.set(p, epoch);
      if (operation === 'assign') this.goneAt.delete(p);
      else this.goneAt.set(p, epoch);
    }
    if (epoch > this.epoch) this.epoch = epoch;
  }

  // ------------------------------------------------------------- ownership

  /**
   * Restore the statically configured partitions (`RIPPLE_PARTITIONS`) and
   * assign the source. A cluster member starts with none (`[]`): the
   * coordinator assigns them.
   */
  async start(partitions: readonly number[] = this.cfg.partitions): Promise<void> {
    try {
      for (const p of partitions) this.seen.set(p, this.cfg.epoch);
      await this.attach(partitions, this.cfg.epoch);
    } catch (e) {
      if (e instanceof RecoveryAbortedError) return; // stopped while the store was unreadable
      throw e;
    }
    const now = this.clock.nowMs();
    this.snapshots.startClock(now);
    this.writer.lastStoredMs = now;
  }

  /**
   * Take ownership of `partitions` at `epoch`: restore each from its newest
   * valid snapshot (or start it empty), replay from the snapshot's offsets,
   * and resolve once every one of them has caught up with the log end seen
   * at assignment (live). Needs the loop (`run()` or `step()`) to progress.
   * With `expected` (the previous owner's hand-over), a partition whose
   * restored state is behind it fails the assign (`HandoffMismatchError`,
   * retryable): nothing is taken, the coordinator re-sends.
   */
  async assign(
    partitions: readonly number[],
    epoch: number,
    expected?: ReadonlyMap<number, HandoffExpectation>,
  ): Promise<void> {
    this.checkEpoch('assign', partitions, epoch);
    const { live } = await this.attach(partitions, epoch, expected);
    await this.tracer.startActiveSpan(
      'ripple.worker.replay',
      { attributes: { 'ripple.partitions': partitions.join(','), 'ripple.epoch': epoch } },
      async (span) => {
        try {
          await live;
        } finally {
          span.end();
        }
      },
    );
  }

  /** Restore and assign; `live` resolves once the partitions caught up (a promise in an object: not awaited here). */
  private async attach(
    partitions: readonly number[],
    epoch: number,
    expected?: ReadonlyMap<number, HandoffExpectation>,
  ): Promise<{ live: Promise<void> }> {
    return await this.tracer.startActiveSpan('ripple.worker.recovery', async (span) => {
      try {
        const fresh = partitions.filter((p) => !this.parts.has(p));
        const restoredParts = new Map<number, JobPartition>();
        const starts: PartitionStart[] = [];
        // Fence a previous owner's output (transactional sink) while the snapshots are read:
        // claimed before anything is produced, released again for what does not start.
        const sink = this.d.sink;
        const claiming = fresh.length > 0 && hasClaims(sink) ? sink.claim(fresh) : null;
        claiming?.catch(() => {}); // awaited below
        // Restores of several partitions (a rebalance) in parallel: each is S3 round trips.
        const restoring = await Promise.allSettled(
          fresh.map((partition) => this.restore(partition, expected)),
        );
        try {
          for (let i = 0; i < fresh.length; i++) {
            const partition = fresh[i] as number;
            const r = restoring[i] as PromiseSettledResult<JobPartition | null>;
            if (r.status === 'rejected') {
              const e: unknown = r.reason;
              if (!(e instanceof RecoveryFailedError)) throw e;
              this.failed.set(partition, e);
              this.d.metrics.partitionsFailed.set(this.failed.size);
              this.log.error('partition not started', { partition, error: e.message });
              continue;
            }
            const p = r.value;
            const want = expected?.get(partition);
            if (want !== undefined) checkHandoff(partition, p, want);
            this.failed.delete(partition);
            this.d.metrics.partitionsFailed.set(this.failed.size);
            if (p === null) {
              restoredParts.set(partition, this.job.create(partition));
              starts.push({ partition, position: this.cfg.startPosition });
            } else {
              restoredParts.set(partition, p);
              starts.push({ partition, position: p.nextOffset ?? 0n });
            }
          }
          if (claiming !== null) await claiming;
        } catch (e) {
          if (claiming !== null && hasClaims(sink))
            await claiming.then(
              () => sink.release(fresh),
              () => {},
            );
          throw e;
        }
        const notStarted = fresh.filter((p) => !restoredParts.has(p));
        if (notStarted.length > 0 && hasClaims(sink)) await sink.release(notStarted);
        const restored = [...restoredParts.values()].filter((p) => p.nextOffset !== null).length;
        span.setAttribute('ripple.partitions', fresh.length);
        span.setAttribute('ripple.partitions_restored', restored);
        const live = await this.exclusive(async () => {
          await this.reposition(starts);
          // Partitions already owned stay as they are; they now act at the new epoch.
          for (const partition of partitions)
            if (this.parts.has(partition)) this.epochs.set(partition, epoch);
          for (const [partition, p] of restoredParts) {
            this.parts.set(partition, p);
            this.epochs.set(partition, epoch);
            this.assignedAt.set(partition, this.assignGen);
          }
          const waits: Array<Promise<void>> = [];
          // The log ends the replay must reach (seen at assignment), read together.
          const ends = await Promise.all(starts.map((s) => this.d.source.endOffset(s.partition)));
          for (const [i, s] of starts.entries()) {
            this.replayTarget.set(s.partition, ends[i] as bigint);
            waits.push(new Promise<void>((r) => this.liveWaiters.set(s.partition, [r])));
          }
          const st = this.lifecycle.state;
          if (st === 'starting') this.lifecycle.transition(restored > 0 ? 'recovering' : 'active');
          else if (st === 'active' && restored > 0) this.lifecycle.transition('recovering');
          this.maybeLive();
          return { live: Promise.all(waits).then(() => {}) };
        });
        return live;
      } catch (e) {
        failSpan(span, e);
        throw e;
      } finally {
        span.end();
      }
    });
  }

  /** A partition's state: the hand-over's snapshot when named and usable, else the newest valid one. */
  private async restore(
    partition: number,
    expected: ReadonlyMap<number, HandoffExpectation> | undefined,
  ): Promise<JobPartition | null> {
    if (this.d.restorer !== undefined) return await this.d.restorer.restore(partition);
    const id = expected?.get(partition)?.snapshotId;
    const exact = id === undefined ? null : await this.recovery.restoreExact(partition, id);
    return exact ?? (await this.recovery.restore(partition));
  }

  /**
   * Give up `partitions` (the coordinator moved them away at `epoch`): stop
   * fetching them, send what they produced, checkpoint them, wait until the
   * checkpoint is stored, forget them. Resolves with where the next owner resumes.
   * With cluster checkpoints (`restorer`) nothing is checkpointed here: the
   * next owner restores the newest committed cluster checkpoint and replays.
   * A partition whose output the sink found fenced (this worker is a zombie
   * for it: a newer owner claimed it) is dropped instead, like `release`: its
   * output would be refused and its snapshot must not be used.
   */
  async revoke(
    partitions: readonly number[],
    epoch: number,
    timeoutMs = this.cfg.shutdownGraceSec * 1000,
  ): Promise<PartitionHandoff[]> {
    this.checkEpoch('revoke', partitions, epoch);
    return await this.exclusive(async () => {
      for (const p of partitions) this.failed.delete(p);
      this.d.metrics.partitionsFailed.set(this.failed.size);
      const held = partitions.filter((p) => this.parts.has(p));
      await this.d.source.unassign(held);
      // A zombie's copy (its output fenced by a newer owner) is dropped, not flushed or checkpointed.
      const fenced = new Set(this.fencedOf(held));
      let parts = held.filter((p) => !fenced.has(p)).map((p) => this.parts.get(p) as JobPartition);
      const span = this.tracer.startSpan('ripple.worker.handoff_checkpoint', {
        attributes: { 'ripple.partitions': held.join(','), 'ripple.epoch': epoch },
      });
      let ids: Map<number, string>;
      try {
        await this.sendPending(parts, trace.setSpan(context.active(), span));
        // The flush itself may find a partition fenced (its transaction refused): no snapshot of it either.
        for (const p of this.fencedOf(parts.map((x) => x.partition))) fenced.add(p);
        parts = parts.filter((x) => !fenced.has(x.partition));
        const owned = parts.map((x) => x.partition);
        // Cluster checkpoints: the next owner restores the newest committed checkpoint (the
        // checkpointer's manifests), never a hand-over snapshot, so none is written.
        ids = new Map();
        if (this.d.restorer === undefined) {
          ids = await this.capture(owned);
          if (!(await this.writer.waitForStored(timeoutMs, owned))) {
            throw new CheckpointNotStoredError('revoke', owned, timeoutMs);
          }
        }
      } catch (e) {
        failSpan(span, e);
        this.dropFenced([...fenced], epoch);
        // Nothing half-moved: the partitions stay owned and are read again from where they are.
        await this.resume(parts);
        throw e;
      } finally {
        span.end();
      }
      this.dropFenced([...fenced], epoch);
      const owned = parts.map((x) => x.partition);
      const out: PartitionHandoff[] = [...fenced].map((partition) => ({
        partition,
        epoch,
        snapshotId: null,
        nextOffset: null,
        nextSequence: 0,
      }));
      for (const p of parts) {
        out.push({
          partition: p.partition,
          epoch: this.epochs.get(p.partition) ?? this.epoch,
          snapshotId: ids.get(p.partition) ?? null,
          nextOffset: p.nextOffset,
          nextSequence: p.nextSequence,
        });
      }
      this.forget(owned);
      // Closing the producers is not part of the hand-over (nothing of theirs is open): not awaited.
      if (hasClaims(this.d.sink))
        this.d.sink
          .release(owned)
          .catch((e: unknown) => this.log.warn('output producers not released', { error: String(e) }));
      this.log.info('partitions revoked', { partitions: owned, epoch });
      return out;
    });
  }

  /** Those of `partitions` whose output the sink found fenced. */
  private fencedOf(partitions: readonly number[]): number[] {
    const sink = this.d.sink;
    if (!hasClaims(sink) || sink.isFenced === undefined) return [];
    return partitions.filter((p) => sink.isFenced?.(p) === true);
  }

  /** Forget fenced partitions without output or snapshot (inside `exclusive`, source already unassigned). */
  private dropFenced(partitions: readonly number[], epoch: number): void {
    if (partitions.length === 0) return;
    this.forget(partitions);
    if (hasClaims(this.d.sink))
      this.d.sink
        .release(partitions)
        .catch((e: unknown) => this.log.warn('output producers not released', { error: String(e) }));
    this.d.metrics.stalePartitionsDropped.inc({ reason: 'output_fenced' }, partitions.length);
    this.log.warn('revoke of fenced partitions: dropped without output or snapshot', { partitions, epoch });
  }

  /**
   * Drop `partitions` without sending their pending output or checkpointing
   * them: the local copy is stale (the coordinator gave them to another
   * owner at a newer epoch while this worker was cut off).
   */
  async release(partitions: readonly number[], epoch: number): Promise<void> {
    this.checkEpoch('release', partitions, epoch);
    await this.exclusive(async () => {
      for (const p of partitions) this.failed.delete(p);
      this.d.metrics.partitionsFailed.set(this.failed.size);
      const owned = partitions.filter((p) => this.parts.has(p));
      await this.d.source.unassign(owned);
      this.forget(owned);
      if (hasClaims(this.d.sink)) await this.d.sink.release(owned);
      if (owned.length > 0) this.d.metrics.stalePartitionsDropped.inc({ reason: 'fence' }, owned.length);
      this.log.warn('stale partitions dropped', { partitions: owned, epoch });
    });
  }

  private forget(partitions: readonly number[]): void {
    for (const p of partitions) {
      this.parts.delete(p);
      this.epochs.delete(p);
      this.assignedAt.delete(p);
      this.replayTarget.delete(p);
      this.liveWaiters.delete(p);
      this.stepMetrics.forget(p);
    }
    this.snapshots.forget(partitions);
    this.maybeLive();
  }

  /** Read `parts` again from their own positions (after a revoke that could not complete). */
  private async resume(parts: readonly JobPartition[]): Promise<void> {
    await this.reposition(
      parts.map((p) => ({ partition: p.partition, position: p.nextOffset ?? this.cfg.startPosition })),
    );
    for (const p of parts) this.assignedAt.set(p.partition, this.assignGen);
  }

  /** The records of a batch fetched at assignment generation `gen` whose partition was not (re)assigned since. */
  private current(records: SourceRecord[], gen: number): SourceRecord[] {
    if (gen >= this.assignGen) return records;
    return records.filter((r) => (this.assignedAt.get(r.partition) ?? 0) <= gen);
  }

  /**
   * Point the source at `starts` (inside `exclusive`). The prefetched poll may
   * still be running: a source moves a partition's position when a poll takes
   * its records, so a poll that saw the new positions would take records the
   * step then has to drop as fetched before the assign — after the source
   * had moved past them: lost input (found by the cluster-member test, 1 run
   * in ~4 under load). A source whose polls the reposition interrupts
   * (`interruptiblePoll`: the poll takes nothing, moves nothing) is moved at
   * once, and the prefetched batch stays (what it took before is filtered
   * by `current` like any batch fetched before an assign). Otherwise that
   * poll is settled first — up to its fetch wait — its records of the
   * partitions not being repositioned are kept (processed next, in order),
   * and only then does the source move.
   */
  private async reposition(starts: readonly PartitionStart[]): Promise<void> {
    const moving = new Set(starts.map((s) => s.partition));
    const pre = this.d.source.interruptiblePoll === true ? null : this.prefetched;
    if (pre !== null) this.prefetched = null;
    let fetched: SourceRecord[] = [];
    if (pre !== null) {
      try {
        fetched = this.current(await pre.records, pre.gen);
      } catch {
        // A failed poll moved no position: the next step polls again.
      }
    }
    const older = this.leftover === null ? [] : this.current(this.leftover.records, this.leftover.gen);
    const keep = [...older, ...fetched].filter((r) => !moving.has(r.partition));
    await this.d.source.assign(starts);
    this.assignGen++;
    this.leftover = keep.length > 0 ? { gen: this.assignGen, records: keep } : null;
  }

  /**
   * Ready to take traffic: Active, and every assigned partition started (a
   * partition without a usable snapshot keeps the worker not ready).
   */
  get ready(): boolean {
    return this.lifecycle.ready && this.failed.size === 0 && this.health.healthy;
  }

  /** Dependencies failing with retryable errors right now (the worker retries them with backoff). */
  get degradedDependencies(): string[] {
    return this.health.list();
  }

  /** Assigned partitions that did not start, with the reason. */
  failures(): Array<{ partition: number; code: string; error: string }> {
    return [...this.failed].map(([partition, e]) => ({ partition, code: e.code, error: e.message }));
  }

  /** Partitions owned now. */
  owned(): number[] {
    return [...this.parts.keys()].sort((a, b) => a - b);
  }

  /** Held partitions with their epoch, position and lag (as of the last poll), for heartbeats. */
  held(): HeldPartition[] {
    return [...this.parts.values()].map((p) => {
      const offset = p.nextOffset ?? 0n;
      const end = this.d.source.lastKnownEnd(p.partition);
      return {
        partition: p.partition,
        epoch: this.epochs.get(p.partition) ?? this.epoch,
        offset,
        lag: end === undefined || end <= offset ? 0 : Number(end - offset),
        keys: p.keyCount,
      };
    });
  }

  /**
   * A held partition for a read-only query (`ripple query`, `ripple graph`):
   * its job state, the epoch it is held under, and whether it is live (caught
   * up with the log end seen at its assignment); undefined when not held.
   * Read between steps (a step's ingest is synchronous), never mutated.
   */
  inspect(partition: number): { part: JobPartition; epoch: number; live: boolean } | undefined {
    const part = this.parts.get(partition);
    if (part === undefined) return undefined;
    return {
      part,
      epoch: this.epochs.get(partition) ?? this.epoch,
      live: !this.replayTarget.has(partition),
    };
  }

  /** Resolve waiters of partitions that caught up; Recovering -> Active once none is replaying. */
  private maybeLive(): void {
    if (this.replayTarget.size > 0) {
      for (const [partition, target] of this.replayTarget) {
        const p = this.parts.get(partition);
        if (p === undefined || (p.nextOffset ?? 0n) < target) continue;
        this.replayTarget.delete(partition);
        for (const w of this.liveWaiters.get(partition) ?? []) w();
        this.liveWaiters.delete(partition);
      }
    }
    if (this.lifecycle.state === 'recovering' && this.replayTarget.size === 0) {
      this.lifecycle.transition('active');
    }
  }

  // ------------------------------------------------------------------- loop

  /**
   * Run steps until `requestStop()`; then drain and checkpoint. Resolves
   * with whether the final checkpoint was stored. A non-retryable failure
   * rejects (after a drain attempt: what was acknowledged is checkpointed).
   */
  async run(): Promise<boolean> {
    try {
      while (!this.stopRequested) {
        const t0 = performance.now();
        const n = await this.step(200);
        if (n === 0) await this.exclusive(() => this.flushCheckpointIfDue());
        // A step whose promises are already resolved (an in-memory source, a
        // sink that acknowledges at once) would otherwise never give the event
        // loop a turn: no HTTP request, no timer, no signal would be served.
        // After a long step, a timer turn: it always passes the I/O poll phase
        // (an immediate queued from an I/O callback runs before it).
        if (performance.now() - t0 > 5) await new Promise((r) => setTimeout(r, 0));
        else await yieldToIo();
      }
    } catch (e) {
      this.log.error('non-retryable failure: draining before exit', { error: String(e) });
      this.stopRequested = true;
      this.stopping.abort();
      await this.drain().catch((d: unknown) => this.log.error('drain failed', { error: String(d) }));
      throw e;
    }
    return await this.drain();
  }

  requestStop(): void {
    this.stopRequested = true;
    this.stopping.abort();
  }

  private prefetched: { gen: number; records: Promise<SourceRecord[]> } | null = null;
  /** Records of a batch not processed within the step budget (processed first by the next step). */
  private leftover: { gen: number; records: SourceRecord[] } | null = null;

  /**
   * One poll-process-send cycle. Returns the number of records processed.
   * With `maxWaitMs`, the wait for input happens outside the turn: an
   * assign or revoke is not held up by a poll waiting for data (the poll is
   * started inside the turn, so it never overlaps a reposition of a source
   * whose polls cannot be interrupted).
   */
  async step(maxWaitMs = 0): Promise<number> {
    if (maxWaitMs > 0 && this.leftover === null) {
      if (this.prefetched === null)
        await this.exclusive(async () => {
          if (this.prefetched === null && this.leftover === null && !this.stopRequested)
            this.prefetched = this.pollAhead(maxWaitMs);
        });
      await this.prefetched?.records.then(
        () => {},
        () => {}, // surfaced by the step
      );
    }
    return await this.exclusive(() => this.stepOnce(maxWaitMs));
  }

  /** Start the next poll (at most one is ever outstanding); its failure is surfaced by the step that takes it. */
  private pollAhead(maxWaitMs: number): { gen: number; records: Promise<SourceRecord[]> } {
    const records = this.d.source.poll(this.cfg.maxBatchRecords, maxWaitMs);
    records.catch(() => {});
    return { gen: this.assignGen, records };
  }

  private async stepOnce(maxWaitMs: number): Promise<number> {
    let gen: number;
    let records: SourceRecord[];
    if (this.leftover !== null) {
      ({ gen, records } = this.leftover);
      this.leftover = null;
    } else {
      gen = this.prefetched?.gen ?? this.assignGen;
      try {
        // No batch waiting (a reposition took it): what is there now; the next step waits outside the turn.
        records = await (this.prefetched?.records ?? this.d.source.poll(this.cfg.maxBatchRecords, 0));
      } catch (e) {
        this.prefetched = null;
        if (!isRetryable(e) || this.stopRequested) throw e;
        await this.health.retryAfter('source', e);
        return 0;
      }
      this.health.recovered('source');
      // Fetch the next batch while this one is processed. Only one poll is ever
      // outstanding, and positions in checkpoints come from processed records, not
      // from the source, so a prefetched batch lost in a crash is simply read again.
      this.prefetched = this.stopRequested ? null : this.pollAhead(maxWaitMs);
    }
    // A batch fetched before an assign may hold records of a partition at its
    // old position: the assign repositioned the source, so drop those.
    records = this.current(records, gen);
    if (records.length === 0) {
      this.maybeLive();
      return 0;
    }
    const span = this.tracer.startSpan('ripple.worker.batch', {
      attributes: { 'ripple.records': records.length },
    });
    const ctx = trace.setSpan(context.active(), span);
    try {
      const touched = new Set<JobPartition>();
      const t0 = performance.now();
      let processed = records.length;
      for (let i = 0; i < records.length; i++) {
        const r = records[i] as SourceRecord;
        const p = this.parts.get(r.partition);
        if (p !== undefined) {
          this.processedRecords++;
          p.ingest(r);
          touched.add(p);
          this.d.metrics.recordsIn.inc({ partition: r.partition });
        } // else: revoked meanwhile
        // A big batch must not hold the event loop (health, metrics, signals):
        // past the budget, the rest waits for the next step.
        if ((i & 63) === 63 && i + 1 < records.length && performance.now() - t0 > STEP_BUDGET_MS) {
          this.leftover = { gen, records: records.slice(i + 1) };
          processed = i + 1;
          break;
        }
      }
      await this.sendPending([...touched], ctx);
      this.stepMetrics.observe(touched, this.parts.values());
      this.maybeLive();
      await this.flushCheckpointIfDue();
      return processed;
    } catch (e) {
      failSpan(span, e);
      throw e;
    } finally {
      span.end();
    }
  }

  /** Frame and send everything the partitions produced; the previous send must be acknowledged first. */
  private async sendPending(parts: readonly JobPartition[], ctx: Context): Promise<void> {
    const traceHeaders: Record<string, string> = {};
    propagation.inject(ctx, traceHeaders);
    const { records, counts } = this.framer.frame(
      parts,
      (p) => this.epochs.get(p) ?? this.epoch,
      traceHeaders,
    );
    // In the batch's context: the sink latency histogram takes its trace id as exemplar.
    await context.with(ctx, () => this.sender.send(records, counts));
  }

  /** Wait until everything handed to the sink is acknowledged (rethrows a send failure). */
  async settle(): Promise<void> {
    await this.sender.settle();
  }

  // ------------------------------------------------------------ checkpoints

  /** Every `checkpoint_interval_sec`, one due partition per step (see `SnapshotCapture`). */
  private async flushCheckpointIfDue(): Promise<void> {
    if (this.d.restorer !== undefined) return; // cluster checkpoints: the checkpointer triggers them
    const now = this.clock.nowMs();
    const next = this.snapshots.next(now, this.parts);
    if (next !== undefined) await this.capture([next]);
  }

  /**
   * Capture a checkpoint of the given partitions (all by default) now, once
   * every output so far is acknowledged; write it to the cache and queue it
   * for the store. Returns the snapshot id per captured partition.
   */
  async capture(partitions: readonly number[] = [...this.parts.keys()]): Promise<Map<number, string>> {
    await this.settle(); // a checkpoint never covers outputs the sink has not acknowledged
    const parts: Array<{ part: JobPartition; epoch: number }> = [];
    for (const partition of partitions) {
      const part = this.parts.get(partition);
      if (part !== undefined) parts.push({ part, epoch: this.epochs.get(partition) ?? this.epoch });
    }
    return await this.snapshots.capture(parts, this.clock.nowNs());
  }

  /**
   * Run `fn` between steps, once every output so far is acknowledged, with
   * the owned partitions and their epochs (a cluster checkpoint's capture).
   */
  async atConsistentPoint<T>(
    fn: (parts: ReadonlyArray<{ part: JobPartition; epoch: number }>) => T,
  ): Promise<T> {
    return await this.exclusive(async () => {
      await this.settle();
      const parts = [...this.parts.values()].map((part) => ({
        part,
        epoch: this.epochs.get(part.partition) ?? this.epoch,
      }));
      return fn(parts);
    });
  }

  /** Wait until every queued checkpoint is stored, or `timeoutMs` passes. Returns true when stored. */
  async waitForCheckpoints(timeoutMs: number): Promise<boolean> {
    return await this.writer.waitForStored(timeoutMs);
  }

  // ------------------------------------------------------------------ drain

  /**
   * Stop taking input, checkpoint what was processed, close. Used by SIGTERM
   * and `run()`. Resolves with whether the final checkpoint was stored within
   * the grace period; rejects when what was produced could not be acknowledged.
   */
  async drain(): Promise<boolean> {
    this.stopRequested = true;
    if (this.lifecycle.state === 'active') this.lifecycle.transition('draining');
    else if (this.lifecycle.state === 'recovering' || this.lifecycle.state === 'starting')
      this.lifecycle.transition('stopping');
    try {
      // Cluster checkpoints: what was acknowledged is replayed from the last committed checkpoint.
      if (this.d.restorer === undefined) await this.capture();
      const stored = await this.writer.waitForStored(this.cfg.shutdownGraceSec * 1000);
      if (!stored)
        this.log.error('final checkpoint not stored before the grace period ended', {
          store: this.d.store.name,
          partitions: this.writer.pendingPartitions(),
          graceSec: this.cfg.shutdownGraceSec,
        });
      this.writer.stop();
      if (this.lifecycle.state === 'draining') this.lifecycle.transition('stopping');
      this.prefetched = null;
      await this.d.source.close();
      await this.d.sink.close();
      this.lifecycle.transition('stopped');
      return stored;
    } catch (e) {
      if (this.lifecycle.canTransition('failed')) this.lifecycle.transition('failed');
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

/** The restored state must reach the previous owner's hand-over (a newer snapshot is fine). */
function checkHandoff(partition: number, p: JobPartition | null, want: HandoffExpectation): void {
  if (want.nextOffset === null) return;
  const got = p?.nextOffset ?? null;
  if (got === null || got < want.nextOffset)
    throw new HandoffMismatchError(
      partition,
      `restored next offset ${got ?? 'none'}, handed over at ${want.nextOffset}`,
    );
  if (got === want.nextOffset && want.nextSequence !== undefined && p!.nextSequence !== want.nextSequence)
    throw new HandoffMismatchError(
      partition,
      `restored next output sequence ${p!.nextSequence}, handed over at ${want.nextSequence}`,
    );
}

function failSpan(span: Span, e: unknown): void {
  span.recordException(e as Error);
  span.setStatus({ code: SpanStatusCode.ERROR });
}
