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
  type Delta,
  type Value,
  type VwapAcc,
  type VwapResult,
  vwap,
  type WindowEmit,
  WindowOperator,
} from '@ripple/graph-engine';
import {
  decodeTradeBatch,
  defineSchema,
  type OutputRecord,
  type PartitionSnapshot,
  ProtocolError,
  type Schema,
  type SnapshotLeaf,
  type Trade,
} from '@ripple/protocol';
import { MalformedRecordError, SnapshotCorruptError } from './errors.ts';
import type { SourceRecord } from './ports.ts';

/** Schema of the values carried by output deltas. */
export const VWAP_OUTPUT_SCHEMA: Schema = defineSchema({
  name: 'ripple.vwap.window',
  version: 1,
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'window_start_ns', type: 'timestamp_ns' },
    { name: 'window_end_ns', type: 'timestamp_ns' },
    { name: 'vwap', type: 'float64' },
    { name: 'volume', type: 'float64' },
    { name: 'count', type: 'int' },
  ],
});

/**
 * Schema of checkpoint leaves. One leaf per symbol (its panes), plus one leaf
 * named `PARTITION_LEAF` holding the partition's watermark, counters and next
 * sequence number. Accumulators are [count, notional, volume].
 */
export const PARTITION_STATE_SCHEMA: Schema = defineSchema({
  name: 'ripple.vwap.partition-state',
  version: 1,
  fields: [
    { name: 'lo_ns', type: 'int64', optional: true },
    { name: 'hi_ns', type: 'int64', optional: true },
    { name: 'gc_at_ns', type: 'int64', optional: true },
    {
      name: 'panes',
      type: {
        list: {
          record: [
            { name: 'start_ns', type: 'int64' },
            { name: 'acc', type: { list: 'float64' } },
          ],
        },
      },
      optional: true,
    },
    { name: 'max_ts_ns', type: 'int64', optional: true },
    { name: 'watermark_ns', type: 'int64', optional: true },
    { name: 'counters', type: { list: 'int' }, optional: true },
    { name: 'next_sequence', type: 'int64', optional: true },
    { name: 'spec', type: 'string', optional: true },
  ],
});

export const PARTITION_LEAF = '\u0000partition';

export interface VwapPartitionOptions {
  readonly partition: number;
  readonly windowNs: bigint;
  readonly allowedLatenessNs: bigint;
  readonly outOfOrdernessNs: bigint;
}

export interface DeadLetter {
  readonly partition: number;
  readonly offset: bigint;
  readonly value: Uint8Array | null;
  readonly reason: string;
}

export interface LateTrade {
  readonly trade: Trade;
  readonly windowEndNs: bigint;
  readonly watermarkNs: bigint;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const clampTime = (t: bigint): bigint => (t < INT64_MIN ? INT64_MIN : t > INT64_MAX ? INT64_MAX : t);
const NONE = -(2n ** 126n);
const INF = 2n ** 126n;
const unclampTime = (t: bigint): bigint => (t === INT64_MIN ? NONE : t === INT64_MAX ? INF : t);

const keyOf = (t: Trade): string => t.symbol;
const timeOf = (t: Trade): bigint => t.timestampNs;

export class VwapPartition {
  readonly partition: number;
  /** Next input offset to read: every record below it is reflected in the state. */
  nextOffset: bigint | null = null;
  /** Sequence number of the next output record. */
  nextSequence = 0;
  /** Output records produced and not yet handed to the sink. */
  readonly outputs: OutputRecord[] = [];
  readonly late: LateTrade[] = [];
  readonly deadLetters: DeadLetter[] = [];
  records = 0;
  trades = 0;
  private readonly op: WindowOperator<Trade, VwapAcc, VwapResult>;

  constructor(options: VwapPartitionOptions) {
    this.partition = options.partition;
    this.op = new WindowOperator<Trade, VwapAcc, VwapResult>(
      vwap<Trade>('price', 'size'),
      keyOf,
      timeOf,
      {
        window: { kind: 'tumbling', sizeNs: options.windowNs },
        allowedLatenessNs: options.allowedLatenessNs,
        outOfOrdernessNs: options.outOfOrdernessNs,
        partitions: 1,
      },
      {
        onEmit: (_k, e) => this.emit(e),
        onLate: (trade, _key, windowEndNs, watermarkNs) =>
          this.late.push({ trade, windowEndNs, watermarkNs }),
      },
    );
  }

  /** Process one input record; a record that cannot be decoded becomes a dead letter. */
  ingest(r: SourceRecord): void {
    this.records++;
    this.nextOffset = r.offset + 1n;
    let trades: Trade[];
    try {
      trades = decodeInput(r.value);
    } catch (e) {
      const reason = e instanceof MalformedRecordError ? e.reason : String(e);
      this.deadLetters.push({ partition: r.partition, offset: r.offset, value: r.value, reason });
      return;
    }
    for (let i = 0; i < trades.length; i++) this.op.push(trades[i] as Trade);
    this.trades += trades.length;
  }

  /** Emit every window still open (end of a bounded input). */
  flushAll(): void {
    this.op.end();
  }

  get keyCount(): number {
    return this.op.stats().keys;
  }

  get watermarkNs(): bigint {
    return this.op.stats().watermarks[0] ?? NONE;
  }

  private emit(e: WindowEmit<VwapResult>): void {
    const delta: Delta =
      e.retract || e.result === null
        ? { kind: 'remove' }
        : {
            kind: 'set',
            value: {
              symbol: e.key,
              window_start_ns: e.startNs,
              window_end_ns: e.endNs,
              vwap: e.result.vwap,
              volume: e.result.volume,
              count: e.result.count,
            },
          };
    this.outputs.push({
      key: e.key,
      partition: this.partition,
      sequence: this.nextSequence++,
      window: { startNs: e.startNs, endNs: e.endNs },
      delta,
    });
  }

  // ------------------------------------------------------------ checkpoints

  /** Leaves of a checkpoint of this partition (call with nothing pending). */
  snapshotLeaves(): SnapshotLeaf[] {
    const snap = this.op.snapshot() as {
      spec: string;
      counters: number[];
      parts: bigint[][];
      keys: Value[][];
    };
    const [maxTs, wm] = snap.parts[0] as [bigint, bigint];
    const leaves: SnapshotLeaf[] = [
      {
        name: PARTITION_LEAF,
        value: {
          spec: snap.spec,
          counters: snap.counters,
          max_ts_ns: clampTime(maxTs),
          watermark_ns: clampTime(wm),
          next_sequence: BigInt(this.nextSequence),
        },
      },
    ];
    for (const row of snap.keys) {
      const [key, lo, hi, gcAt, panes] = row as [string, bigint, bigint, bigint, Value[][]];
      leaves.push({
        name: key,
        value: {
          lo_ns: clampTime(lo),
          hi_ns: clampTime(hi),
          gc_at_ns: clampTime(gcAt),
          panes: panes.map(([start, acc]) => ({ start_ns: start as bigint, acc: acc as Value })),
        },
      });
    }
    return leaves;
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
          next_sequence?: bigint;
        }
      | undefined;
    if (meta === undefined) throw new SnapshotCorruptError(where, 'no partition leaf');
    const offset = snap.offsets.find((o) => o.topic === topic && o.partition === options.partition);
    if (offset === undefined)
      throw new SnapshotCorruptError(where, `no offset for ${topic}/${options.partition}`);
    const keys: Value[] = [];
    for (const leaf of snap.leaves) {
      if (leaf.name === PARTITION_LEAF) continue;
      const v = leaf.value as {
        lo_ns: bigint;
        hi_ns: bigint;
        gc_at_ns: bigint;
        panes: Array<{ start_ns: bigint; acc: Value }>;
      };
      keys.push([
        leaf.name,
        unclampTime(v.lo_ns),
        unclampTime(v.hi_ns),
        unclampTime(v.gc_at_ns),
        v.panes.map((pn) => [pn.start_ns, pn.acc]),
        [],
      ]);
    }
    try {
      p.op.restore({
        format: 1,
        spec: meta.spec ?? '',
        counters: meta.counters ?? [0, 0, 0],
        parts: [[unclampTime(meta.max_ts_ns ?? INT64_MIN), unclampTime(meta.watermark_ns ?? INT64_MIN)]],
        keys,
      });
    } catch (e) {
      throw new SnapshotCorruptError(where, (e as Error).message, e);
    }
    p.nextOffset = offset.offset;
    p.nextSequence = Number(meta.next_sequence ?? 0n);
    return p;
  }
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
