/**
 * One owned input partition of the VWAP job: decode -> event-time window
 * (VWAP per symbol) -> output deltas with per-partition sequence numbers.
 *
 * Exactness across crashes rests on three rules the worker follows:
 * 1. Processing is deterministic per partition (one window operator per
 *    partition, fed in offset order), so replaying the same records from the
 *    same state produces the same outputs with the same sequence numbers.
 * 2. A checkpoint is taken only after every output, late and dead-letter record
 *    produced so far has been acknowledged by the sink.
 * 3. Output deltas are absolute (`Set` of the whole window value, or `Remove`),
 *    so a replay that re-emits them is idempotent for any consumer keeping the
 *    last value per (key, window); sequence numbers let a consumer drop them.
 */

import {
  decodeTradeBatch,
  type OutputRecord,
  type PartitionSnapshot,
  ProtocolError,
  type SnapshotLeaf,
  type Trade,
  TradeBatchEncoder,
} from '@ripple/protocol';
import {
  type CompiledPipeline,
  from,
  type KeySnapshot,
  type OutputDelta,
  PIPELINE_SNAPSHOT_VERSION,
  TIME_NONE,
  tumbling,
  type Value,
  type VwapResult,
  WINDOW_SNAPSHOT_VERSION,
  type WindowRecord,
  type WindowSnapshot,
} from '@ripple/stream';
import { MalformedRecordError, SnapshotCorruptError, SnapshotIncompatibleError } from '../../errors.ts';
import type {
  DeadLetter,
  DeadLetterCode,
  JobPartition,
  KeyStateView,
  PartitionGraphStats,
} from '../../job.ts';
import type { SourceRecord } from '../../ports.ts';

/**
 * Leaf names of a checkpoint: the partition's own state is `PARTITION_LEAF`;
 * each key's state is `KEY_LEAF_PREFIX` + the key. A key is data and can be
 * any string, so no key leaf can ever be named like the partition leaf.
 */
export const PARTITION_LEAF = 'partition';
export const KEY_LEAF_PREFIX = 'key:';

export interface VwapPartitionOptions {
  readonly partition: number;
  readonly windowNs: bigint;
  readonly allowedLatenessNs: bigint;
  readonly outOfOrdernessNs: bigint;
  /** Live keys allowed per partition; trades of further new keys are dead-lettered. */
  readonly maxKeys?: number;
  /** Trades whose event time is further than this ahead of the record's log time (or the wall clock) are dead-lettered. */
  readonly maxFutureNs?: bigint;
  /** Wall clock (ms), for records whose source has no log time. */
  readonly nowMs?: () => number;
  /** Called after each pipeline step (window + one graph stabilization) with its duration and recomputes. */
  readonly onStep?: (ns: number, recomputes: number) => void;
}

export interface LateTrade {
  readonly trade: Trade;
  readonly windowEndNs: bigint;
  readonly watermarkNs: bigint;
}

/** An output record of the VWAP topology. */
export type VwapRecord = WindowRecord<'symbol', VwapResult>;

/** The VWAP topology: partition by symbol, tumbling event-time window, VWAP. One per Kafka partition. */
export function vwapTopology(
  o: VwapPartitionOptions,
  onLate: (t: Trade, key: string, windowEndNs: bigint, watermarkNs: bigint) => void,
): CompiledPipeline<Trade, VwapRecord> {
  return from<Trade>()
    .partitionBy('symbol', { partitions: 1 })
    .window(tumbling(o.windowNs), {
      time: 'timestampNs',
      allowedLatenessNs: o.allowedLatenessNs,
      outOfOrdernessNs: o.outOfOrdernessNs,
    })
    .aggregate((a) => a.vwap('price', 'size'))
    .compile({ onLate }) as CompiledPipeline<Trade, VwapRecord>;
}

export class VwapPartition implements JobPartition {
  readonly partition: number;
  /** Next input offset to read: every record below it is reflected in the state. */
  nextOffset: bigint | null = null;
  /** Output records produced and not yet handed to the sink. */
  readonly outputs: OutputRecord[] = [];
  readonly late: LateTrade[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly pipeline: CompiledPipeline<Trade, VwapRecord>;
  private lastSeq = 0;
  private readonly onStep: ((ns: number, recomputes: number) => void) | null;
  private readonly maxKeys: number;
  private readonly maxFutureNs: bigint;
  /** Event-time bound of the last validated record, and the log time it was computed for. */
  private limitAtMs = Number.NaN;
  private limitNs = 0n;
  private readonly nowMs: () => number;

  constructor(options: VwapPartitionOptions) {
    this.partition = options.partition;
    this.maxKeys = options.maxKeys ?? Number.POSITIVE_INFINITY;
    this.maxFutureNs = options.maxFutureNs ?? 3_600_000_000_000n;
    this.nowMs = options.nowMs ?? Date.now;
    this.onStep = options.onStep ?? null;
    this.pipeline = vwapTopology(options, (trade, _key, windowEndNs, watermarkNs) =>
      this.late.push({ trade, windowEndNs, watermarkNs }),
    );
  }

  /** Sequence number of the next output record. */
  get nextSequence(): number {
    return this.lastSeq + 1;
  }

  /** Process one input record; a record that cannot be decoded becomes a dead letter. */
  ingest(r: SourceRecord): void {
    this.nextOffset = r.offset + 1n;
    if (r.parseError !== undefined) {
      this.deadLetters.push({
        partition: r.partition,
        offset: r.offset,
        value: r.value,
        code: 'parse_error',
        reason: r.parseError,
      });
      return;
    }
    let trades: Trade[];
    try {
      trades = decodeInput(r.value);
    } catch (e) {
      const reason = e instanceof MalformedRecordError ? e.reason : String(e);
      this.deadLetters.push({
        partition: r.partition,
        offset: r.offset,
        value: r.value,
        code: 'malformed',
        reason,
      });
      return;
    }
    trades = this.validate(r, trades);
    if (this.pipeline.keyCount + trades.length > this.maxKeys) trades = this.admit(r, trades);
    this.eventsIn += trades.length;
    const t0 = this.onStep !== null ? performance.now() : 0;
    this.collect(this.pipeline.push(trades));
    if (this.onStep !== null) {
      this.onStep((performance.now() - t0) * 1e6, this.pipeline.graph.stats().lastRecomputes);
    }
  }

  /**
   * Enforce `max_keys_per_partition`: trades of keys beyond the limit are not
   * processed; they go to the dead-letter topic (one record per input record,
   * a TradeBatch of the refused trades) with the reason. Nothing is dropped silently.
   */
  private admit(r: SourceRecord, trades: Trade[]): Trade[] {
    let live = this.pipeline.keyCount;
    const admitted = new Set<string>();
    const keep: Trade[] = [];
    const refused: Trade[] = [];
    for (const t of trades) {
      if (this.pipeline.hasKey(t.symbol) || admitted.has(t.symbol)) keep.push(t);
      else if (live < this.maxKeys) {
        admitted.add(t.symbol);
        live++;
        keep.push(t);
      } else refused.push(t);
    }
    if (refused.length > 0) {
      const enc = new TradeBatchEncoder();
      for (const t of refused) enc.add(t);
      const symbols = [...new Set(refused.map((t) => t.symbol))];
      this.deadLetters.push({
        partition: r.partition,
        offset: r.offset,
        value: enc.finish({ sequence: 0 }),
        code: 'max_keys',
        reason: `max_keys_per_partition (${this.maxKeys}) reached: ${refused.length} trade(s) of ${symbols.length} new key(s), e.g. ${symbols[0]}`,
      });
    }
    return keep;
  }

  /** Trades accepted into the pipeline (after validation and the key limit). */
  eventsIn = 0;

  get lateCount(): number {
    return this.late.length;
  }

  /** The late trades as TradeBatch frames of at most about `maxBytes` each (the side output), and forget them. */
  takeLate(maxBytes: number): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let enc = new TradeBatchEncoder();
    for (const l of this.late) {
      enc.add(l.trade);
      if (enc.byteLength >= maxBytes) {
        frames.push(enc.finish({ sequence: 0 }));
        enc = new TradeBatchEncoder();
      }
    }
    if (enc.count > 0) frames.push(enc.finish({ sequence: 0 }));
    this.late.length = 0;
    return frames;
  }

  graphStats(): PartitionGraphStats {
    const s = this.pipeline.graph.stats();
    return {
      nodeCount: s.nodeCount,
      dirtyCount: s.dirtyCount,
      stabilizations: s.stabilizations,
      cutoffs: s.cutoffs,
    };
  }

  /**
   * Trades the window must never see go to the dead-letter topic (one record
   * per input record and reason, a TradeBatch of the refused trades):
   * `invalid_trade` (price and size finite and > 0, price x size finite),
   * `future_timestamp` (event time more than `maxFutureNs` ahead of the
   * record's log time: it would drag the watermark into the future and make
   * every later trade late). (Symbols are at most 255 UTF-8 bytes: the frame
   * decoder guarantees it.) The common case allocates nothing.
   */
  private validate(r: SourceRecord, trades: Trade[]): Trade[] {
    const ms = r.timestampMs ?? this.nowMs();
    if (ms !== this.limitAtMs) {
      // Records of one producer batch share their log time: one bigint product per batch.
      this.limitAtMs = ms;
      this.limitNs = BigInt(Math.floor(ms)) * 1_000_000n + this.maxFutureNs;
    }
    const limit = this.limitNs;
    let first = -1;
    for (let i = 0; i < trades.length; i++) {
      const t = trades[i] as Trade;
      if (!(t.price > 0 && t.size > 0 && Number.isFinite(t.price * t.size)) || t.timestampNs > limit) {
        first = i;
        break;
      }
    }
    if (first < 0) return trades;
    const keep = trades.slice(0, first);
    const refused = new Map<DeadLetterCode, { trades: Trade[]; example: string }>();
    for (let i = first; i < trades.length; i++) {
      const t = trades[i] as Trade;
      let code: DeadLetterCode | null = null;
      let why = '';
      if (!(t.price > 0 && Number.isFinite(t.price))) {
        code = 'invalid_trade';
        why = `price must be finite and > 0, got ${t.price}`;
      } else if (!(t.size > 0 && Number.isFinite(t.size))) {
        code = 'invalid_trade';
        why = `size must be finite and > 0, got ${t.size}`;
      } else if (!Number.isFinite(t.price * t.size)) {
        code = 'invalid_trade';
        why = `price x size is not finite (${t.price} x ${t.size})`;
      } else if (t.timestampNs > limit) {
        code = 'future_timestamp';
        why = `event time ${t.timestampNs} ns is more than ${this.maxFutureNs} ns ahead of ${limit - this.maxFutureNs} ns`;
      }
      if (code === null) keep.push(t);
      else {
        const g = refused.get(code) ?? { trades: [], example: why };
        g.trades.push(t);
        refused.set(code, g);
      }
    }
    for (const [code, g] of refused) {
      const enc = new TradeBatchEncoder();
      for (const t of g.trades) enc.add(t);
      this.deadLetters.push({
        partition: r.partition,
        offset: r.offset,
        value: enc.finish({ sequence: 0 }),
        code,
        reason: `${code}: ${g.trades.length} trade(s), e.g. ${g.example}`,
      });
    }
    return keep;
  }

  /** Emit every window still open (end of a bounded input). */
  flushAll(): void {
    this.collect(this.pipeline.end());
  }

  get keyCount(): number {
    return this.pipeline.keyCount;
  }

  /** The symbol's open windows (partial VWAP) and its last emitted window (read-only). */
  query(key: string): KeyStateView {
    const q = this.pipeline.query(key);
    const last = q.lastEmitted;
    return {
      windows: q.windows.map((w) => ({
        startNs: w.startNs,
        endNs: w.endNs,
        closed: w.closed,
        value: w.value,
      })),
      lastEmitted:
        last === null
          ? null
          : { startNs: last.window_start_ns, endNs: last.window_end_ns, closed: true, value: last },
    };
  }

  graphDot(maxNodes: number): { dot: string; nodes: number; edges: number; shownNodes: number } {
    return this.pipeline.graph.dot(`vwap p${this.partition}`, maxNodes);
  }

  get watermarkNs(): bigint {
    return this.pipeline.watermarkOf(0);
  }

  private collect(deltas: ReadonlyArray<OutputDelta<VwapRecord>>): void {
    for (const d of deltas) {
      const startNs = d.windowStartNs;
      const endNs = d.value !== null ? d.value.window_end_ns : startNs;
      this.lastSeq = d.seq;
      this.outputs.push({
        key: d.windowKey,
        partition: this.partition,
        sequence: d.seq,
        window: { startNs, endNs },
        delta: d.delta,
      });
    }
  }

  // ------------------------------------------------------------ checkpoints

  /** Leaves of a checkpoint of this partition (call with nothing pending). */
  snapshotLeaves(): SnapshotLeaf[] {
    const full = this.pipeline.snapshot();
    return [partitionLeaf(full.window, full.lastSequences[0] ?? 0), ...full.window.keys.map(keyLeaf)];
  }

  /** The partition leaf and the leaves of the keys changed since the last mark; names of keys gone. */
  snapshotChangedLeaves(): { set: SnapshotLeaf[]; removed: string[] } {
    const d = this.pipeline.snapshotChanges();
    return {
      set: [partitionLeaf(d.window, d.lastSequences[0] ?? 0), ...d.window.keys.map(keyLeaf)],
      removed: d.window.removed.map((k) => KEY_LEAF_PREFIX + k),
    };
  }

  markSnapshotted(): void {
    this.pipeline.markSnapshotted();
  }

  get changedKeyCount(): number {
    return this.pipeline.changedKeyCount;
  }

  /** Rebuild from a verified snapshot (the decoder has checked CRC and schema). */
  static fromSnapshot(options: VwapPartitionOptions, snap: PartitionSnapshot, topic: string): VwapPartition {
    const where = `partition ${options.partition} checkpoint ${snap.checkpointId}`;
    const p = new VwapPartition(options);
    const meta = snap.leaves.find((l) => l.name === PARTITION_LEAF)?.value as
      | {
          spec?: string;
          counters?: number[];
          max_ts_ns?: bigint;
          watermark_ns?: bigint;
          last_sequence?: bigint;
        }
      | undefined;
    if (meta === undefined) throw new SnapshotCorruptError(where, 'no partition leaf');
    const spec = p.pipeline.snapshot().window.window;
    if (meta.spec !== undefined && meta.spec !== spec)
      throw new SnapshotIncompatibleError(where, 'window spec', meta.spec, spec);
    const offset = snap.offsets.find((o) => o.topic === topic && o.partition === options.partition);
    if (offset === undefined)
      throw new SnapshotCorruptError(where, `no offset for ${topic}/${options.partition}`);
    const keys: KeySnapshot[] = [];
    for (const leaf of snap.leaves) {
      if (leaf.name === PARTITION_LEAF) continue;
      if (!leaf.name.startsWith(KEY_LEAF_PREFIX))
        throw new SnapshotIncompatibleError(
          where,
          'leaf naming',
          JSON.stringify(leaf.name),
          `${KEY_LEAF_PREFIX}<key>`,
        );
      const v = leaf.value as {
        lo_ns: bigint;
        hi_ns: bigint;
        gc_at_ns: bigint;
        panes: Array<{ start_ns: bigint; acc: Value }>;
      };
      keys.push({
        key: leaf.name.slice(KEY_LEAF_PREFIX.length),
        pendingFromNs: v.lo_ns,
        pendingToNs: v.hi_ns,
        idleSinceNs: v.gc_at_ns,
        panes: v.panes.map((pn) => ({ startNs: pn.start_ns, acc: pn.acc })),
        sessions: [],
      });
    }
    const lastSeq = Number(meta.last_sequence ?? 0n);
    const [events = 0, late = 0, emitted = 0] = meta.counters ?? [];
    try {
      p.pipeline.restore({
        version: PIPELINE_SNAPSHOT_VERSION,
        lastSequences: [lastSeq],
        window: {
          version: WINDOW_SNAPSHOT_VERSION,
          window: meta.spec ?? '',
          counters: { events, late, emitted },
          partitions: [
            { maxEventTimeNs: meta.max_ts_ns ?? TIME_NONE, watermarkNs: meta.watermark_ns ?? TIME_NONE },
          ],
          keys,
        },
      });
    } catch (e) {
      throw new SnapshotCorruptError(where, (e as Error).message, e);
    }
    p.lastSeq = lastSeq;
    p.nextOffset = offset.offset;
    return p;
  }
}

function partitionLeaf(w: WindowSnapshot, lastSequence: number): SnapshotLeaf {
  const time = w.partitions[0];
  return {
    name: PARTITION_LEAF,
    value: {
      spec: w.window,
      counters: [w.counters.events, w.counters.late, w.counters.emitted],
      max_ts_ns: time?.maxEventTimeNs ?? TIME_NONE,
      watermark_ns: time?.watermarkNs ?? TIME_NONE,
      last_sequence: BigInt(lastSequence),
    },
  };
}

function keyLeaf(k: KeySnapshot): SnapshotLeaf {
  return {
    name: KEY_LEAF_PREFIX + k.key,
    value: {
      lo_ns: k.pendingFromNs,
      hi_ns: k.pendingToNs,
      gc_at_ns: k.idleSinceNs,
      panes: k.panes.map((pn) => ({ start_ns: pn.startNs, acc: pn.acc })),
    },
  };
}

const MAGIC0 = 0x52; // 'R' of "RIPP"

/** Trades of one input record value: a TradeBatch frame. */
export function decodeInput(value: Uint8Array | null): Trade[] {
  if (value === null || value.length === 0) throw new MalformedRecordError('empty record value');
  if (value[0] !== MAGIC0) throw new MalformedRecordError('not a RIPP frame (bad magic)');
  try {
    return decodeTradeBatch(value);
  } catch (e) {
    if (e instanceof ProtocolError) throw new MalformedRecordError(`${e.code}: ${e.message}`, e);
    throw e;
  }
}
