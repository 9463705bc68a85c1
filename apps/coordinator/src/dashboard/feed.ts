/**
 * What the dashboard shows, gathered by the coordinator: the status it
 * already has (members, partition table, epochs, rebalances with trace ids)
 * plus what it hears on the control bus: each worker's heartbeat load
 * (events/s, lag) kept as a 5-minute series, its dead-letter and late
 * counts by reason (diverted.ts), and the checkpoints (trigger, then one ack
 * per partition snapshot, with its bytes and trace id).
 */
import type { BusSubscription, ControlBus } from '@ripple/cluster';
import {
  type ClusterSubjects,
  decodeControlMessage,
  parseTraceparent,
  type StatusResponse,
  TRACEPARENT,
} from '@ripple/protocol';
import { DivertedCounts, type DivertedRow } from './diverted.ts';

/** One sample per worker and second, the last 5 minutes. */
const SERIES_SECONDS = 300;
const CHECKPOINTS_KEPT = 20;

export interface WorkerSeries {
  readonly t: number[];
  readonly eventsPerSec: number[];
  readonly lag: number[];
}

export interface CheckpointView {
  readonly checkpointId: string;
  readonly epoch: number;
  readonly triggeredAtMs: number;
  readonly traceId: string | null;
  readonly partitionsAcked: number;
  readonly bytes: number;
  /**
   * Bytes written for the checkpoint: acked objects with a chain before them
   * (incremental) or without (full); a partition acking the same object as in
   * its previous checkpoint (unchanged) wrote nothing and adds 0.
   */
  readonly bytesFull: number;
  readonly bytesIncremental: number;
}

export interface DashboardSnapshot {
  readonly atMs: number;
  readonly status: (StatusResponse & { self: string; acting: boolean }) | null;
  readonly series: Readonly<Record<string, WorkerSeries>>;
  readonly checkpoints: readonly CheckpointView[];
  /** dead letters by reason and late events, cluster totals and rates */
  readonly diverted: readonly DivertedRow[];
  readonly jaeger: boolean;
}

interface MutableCheckpoint {
  checkpointId: string;
  epoch: number;
  triggeredAtMs: number;
  traceId: string | null;
  acked: Set<number>;
  bytesFull: number;
  bytesIncremental: number;
}

export class DashboardFeed {
  private readonly series = new Map<string, { t: number[]; eventsPerSec: number[]; lag: number[] }>();
  private readonly latest = new Map<string, { eventsPerSec: number; lag: number }>();
  private readonly checkpoints: MutableCheckpoint[] = [];
  /** The object each partition acked last. */
  private readonly lastObject = new Map<number, string>();
  private readonly diverted = new DivertedCounts();
  private readonly subs: BusSubscription[] = [];
  private sampler: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Listen to heartbeats and checkpoint messages; sample the series every second. */
  attach(bus: ControlBus, subjects: ClusterSubjects): void {
    this.subs.push(
      bus.subscribe(subjects.allHeartbeats, (m) => {
        const msg = safeDecode(m.data);
        if (msg?.type !== 'heartbeat') return;
        const lag = msg.partitions.reduce((n, p) => n + p.lag, 0);
        this.latest.set(msg.workerId, { eventsPerSec: msg.load.eventsPerSec, lag });
        this.diverted.heard(msg.workerId, msg.incarnation, msg.load.deadLetters, msg.load.late);
      }),
      bus.subscribe(subjects.checkpointTrigger, (m) => {
        const msg = safeDecode(m.data);
        if (msg?.type !== 'checkpoint_trigger') return;
        this.checkpoints.unshift({
          checkpointId: msg.checkpointId,
          epoch: msg.epoch,
          triggeredAtMs: this.now(),
          traceId: parseTraceparent(m.headers[TRACEPARENT])?.traceId ?? null,
          acked: new Set(),
          bytesFull: 0,
          bytesIncremental: 0,
        });
        this.checkpoints.length = Math.min(this.checkpoints.length, CHECKPOINTS_KEPT);
      }),
      bus.subscribe(subjects.checkpointAck, (m) => {
        const msg = safeDecode(m.data);
        if (msg?.type !== 'checkpoint_ack') return;
        const c = this.checkpoints.find((x) => x.checkpointId === msg.checkpointId);
        if (c === undefined || c.acked.has(msg.partition)) return;
        c.acked.add(msg.partition);
        const unchanged = this.lastObject.get(msg.partition) === msg.snapshotKey;
        this.lastObject.set(msg.partition, msg.snapshotKey);
        if (unchanged) return;
        if (msg.chain !== undefined && msg.chain.length > 0) c.bytesIncremental += msg.bytes;
        else c.bytesFull += msg.bytes;
      }),
    );
    this.sampler ??= setInterval(() => this.sample(), 1000);
    this.sampler.unref();
  }

  /** Take one sample of every worker heard from (also called by tests). */
  sample(): void {
    const t = Math.floor(this.now() / 1000);
    this.diverted.sample(t);
    for (const [w, v] of this.latest) {
      let s = this.series.get(w);
      if (s === undefined) {
        s = { t: [], eventsPerSec: [], lag: [] };
        this.series.set(w, s);
      }
      if (s.t.at(-1) === t) continue;
      s.t.push(t);
      s.eventsPerSec.push(v.eventsPerSec);
      s.lag.push(v.lag);
      if (s.t.length > SERIES_SECONDS) for (const a of [s.t, s.eventsPerSec, s.lag]) a.shift();
    }
  }

  snapshot(status: DashboardSnapshot['status'], jaeger: boolean): DashboardSnapshot {
    const live = new Set(status?.workers.map((w) => w.workerId) ?? []);
    for (const w of [...this.latest.keys()]) if (!live.has(w)) this.latest.delete(w);
    return {
      atMs: this.now(),
      status,
      series: Object.fromEntries(this.series),
      checkpoints: this.checkpoints.map((c) => ({
        checkpointId: c.checkpointId,
        epoch: c.epoch,
        triggeredAtMs: c.triggeredAtMs,
        traceId: c.traceId,
        partitionsAcked: c.acked.size,
        bytes: c.bytesFull + c.bytesIncremental,
        bytesFull: c.bytesFull,
        bytesIncremental: c.bytesIncremental,
      })),
      diverted: this.diverted.rows(),
      jaeger,
    };
  }

  close(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
    if (this.sampler !== null) clearInterval(this.sampler);
    this.sampler = null;
  }
}

function safeDecode(data: Uint8Array): ReturnType<typeof decodeControlMessage> | undefined {
  try {
    return decodeControlMessage(data);
  } catch {
    return undefined;
  }
}
