/**
 * The worker runtime as a `PartitionHost` of @ripple/cluster: what the
 * embedded `WorkerAgent` calls when the coordinator moves partitions.
 *
 * - assign: each start's reference becomes a hand-over expectation (next
 *   input offset, next output sequence); the runtime restores the newest
 *   valid snapshot, refuses one that is behind the hand-over (the
 *   coordinator re-sends), replays, and resolves once live. A partition
 *   that did not start (no usable snapshot) fails the assign.
 * - revoke: the runtime stops fetching, flushes output, checkpoints and
 *   waits until the checkpoint is stored (not with cluster checkpoints: the
 *   next owner restores a committed one); each hand-over becomes a
 *   `HandedOffPartition` (snapshot id or null, input offset, output sequence).
 *   `discard`: the local copy is stale, dropped without output or snapshot.
 * - status: held partitions (offset, lag) and the process load.
 *
 * Trace context: the agent's span arrives as `context.traceparent`; the
 * runtime's restore / replay / checkpoint spans are its children.
 */
import { type Context, context } from '@opentelemetry/api';
import {
  contextFromHeaders,
  type HostContext,
  type HostPartitionStatus,
  type PartitionHost,
} from '@ripple/cluster';
import { type HandedOffPartition, MAX_LOAD_REASONS, type WorkerLoad } from '@ripple/protocol';
import { PartitionNotStartedError } from './errors.ts';
import type { HandoffExpectation, Worker } from './worker.ts';

export interface WorkerPartitionHostOptions {
  readonly worker: Worker;
  /** Input topic: the offsets of a hand-over are positions in it. */
  readonly inputTopic: string;
  /** Milliseconds (monotonic enough for rates); default `performance.now`. */
  readonly now?: () => number;
  /**
   * Whether an assign holds the restored state to the previous owner's
   * hand-over (default true). False in cluster checkpoint mode: restores go
   * only through the checkpointer's committed manifests, and the hand-over's
   * snapshot is in none, so the new owner restores the newest committed
   * checkpoint (behind the hand-over) and replays from its offsets; what it
   * emits again carries the same output sequences and the consumer contract
   * drops it. Holding it to the hand-over would refuse every graceful move.
   */
  readonly handoffExpectations?: boolean;
}

export class WorkerPartitionHost implements PartitionHost {
  private readonly worker: Worker;
  private readonly inputTopic: string;
  private readonly now: () => number;
  private readonly handoffExpectations: boolean;
  private last: { atMs: number; cpuUs: number; records: number };
  private load: WorkerLoad = { cpu: 0, eventsPerSec: 0, keys: 0, heapBytes: 0 };

  constructor(o: WorkerPartitionHostOptions) {
    this.worker = o.worker;
    this.inputTopic = o.inputTopic;
    this.now = o.now ?? (() => performance.now());
    this.handoffExpectations = o.handoffExpectations ?? true;
    this.last = { atMs: this.now(), cpuUs: cpuMicros(), records: o.worker.processedRecords };
  }

  async assign(starts: readonly HandedOffPartition[], epoch: number, ctx?: HostContext): Promise<void> {
    const partitions = starts.map((s) => s.partition);
    const expected = new Map<number, HandoffExpectation>();
    for (const s of this.handoffExpectations ? starts : []) {
      const at = s.offsets.find((o) => o.topic === this.inputTopic && o.partition === s.partition);
      if (at === undefined) continue; // no reference (dead owner, first assignment): the newest valid snapshot
      expected.set(s.partition, {
        nextOffset: at.offset,
        ...(s.outputSequence === undefined ? {} : { nextSequence: Number(s.outputSequence) }),
        ...(s.snapshotKey === null ? {} : { snapshotId: s.snapshotKey }),
      });
    }
    await context.with(parent(ctx), () => this.worker.assign(partitions, epoch, expected));
    const owned = new Set(this.worker.owned());
    const missing = partitions.filter((p) => !owned.has(p));
    if (missing.length > 0) throw new PartitionNotStartedError(missing);
  }

  async revoke(
    partitions: readonly number[],
    epoch: number,
    ctx?: HostContext,
  ): Promise<HandedOffPartition[]> {
    if (ctx?.discard === true) {
      await this.worker.release(partitions, epoch);
      return [];
    }
    const handoffs = await context.with(parent(ctx), () => this.worker.revoke(partitions, epoch));
    return handoffs.map((h) => ({
      partition: h.partition,
      snapshotKey: h.snapshotId,
      offsets:
        h.nextOffset === null
          ? []
          : [{ topic: this.inputTopic, partition: h.partition, offset: h.nextOffset }],
      outputSequence: BigInt(h.nextSequence),
    }));
  }

  status(): { partitions: HostPartitionStatus[]; load: WorkerLoad } {
    const held = this.worker.held();
    const t = this.now();
    const dt = t - this.last.atMs;
    // Rates over at least a second (heartbeats come every interval; status may be asked more often).
    if (dt >= 1000) {
      const cpu = cpuMicros();
      const records = this.worker.processedRecords;
      this.load = {
        cpu: (cpu - this.last.cpuUs) / 1000 / dt,
        eventsPerSec: ((records - this.last.records) * 1000) / dt,
        keys: 0,
        heapBytes: 0,
      };
      this.last = { atMs: t, cpuUs: cpu, records };
    }
    let keys = 0;
    for (const h of held) keys += h.keys;
    const { deadLetters, late } = this.worker.diverted;
    return {
      partitions: held.map((h) => ({ partition: h.partition, offset: h.offset, lag: h.lag })),
      load: {
        ...this.load,
        keys,
        heapBytes: process.memoryUsage().heapUsed,
        // reason codes are the job's few constants; the heartbeat carries at most MAX_LOAD_REASONS
        deadLetters: Object.fromEntries([...deadLetters].slice(0, MAX_LOAD_REASONS)),
        late,
      },
    };
  }
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** The agent's span (its traceparent) as the parent of what the runtime does for it. */
function parent(ctx: HostContext | undefined): Context {
  return ctx?.traceparent === undefined
    ? context.active()
    : contextFromHeaders({ traceparent: ctx.traceparent });
}
