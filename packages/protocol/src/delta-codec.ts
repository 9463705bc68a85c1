/**
 * Output records (what a worker emits per changed key) in `DeltaBatch`
 * frames. The frame's fingerprint names the schema of the output values
 * (e.g. VWAP per symbol); a receiver must know it (`SchemaRegistry`).
 *
 * Record grammar (version 1, little-endian):
 * ```
 * u16 n, key[n]           UTF-8
 * u32 partition
 * u64 sequence            per-partition, integer in [0, 2^53-1]
 * i64 window.startNs      event time
 * i64 window.endNs        >= startNs
 * delta                   see value-codec.ts
 * ```
 * Idempotent deltas plus (partition, sequence) let a consumer drop replayed
 * duplicates: effectively-once output.
 */
import { BatchEncoder, forEachRecord } from './batch.ts';
import { type ByteWriter, INT64_MAX, INT64_MIN, Reader } from './bytes.ts';
import { type DecodeFrameOptions, decodeFrame, type Frame, MessageType } from './envelope.ts';
import { InvalidValueError, ValueOutOfRangeError } from './errors.ts';
import type { SchemaRegistry } from './schema-registry.ts';
import type { Schema } from './schema-types.ts';
import { type Delta, readDelta, writeDelta } from './value-codec.ts';

export interface EventTimeWindow {
  /** inclusive start, ns */
  readonly startNs: bigint;
  /** exclusive end, ns; >= startNs */
  readonly endNs: bigint;
}

export interface OutputRecord {
  readonly key: string;
  readonly partition: number;
  /** per-partition sequence number */
  readonly sequence: number;
  readonly window: EventTimeWindow;
  readonly delta: Delta;
}

function isInt64(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX;
}

export function writeOutputRecord(w: ByteWriter, r: OutputRecord): void {
  if (typeof r?.key !== 'string') throw new InvalidValueError('record.key', 'not a string');
  if (!Number.isInteger(r.partition) || r.partition < 0 || r.partition > 0xffffffff) {
    throw new InvalidValueError('record.partition', 'not an integer in [0, 2^32)');
  }
  if (!Number.isSafeInteger(r.sequence) || r.sequence < 0) {
    throw new InvalidValueError('record.sequence', 'not an integer in [0, 2^53-1]');
  }
  const win = r.window;
  if (!isInt64(win?.startNs) || !isInt64(win.endNs) || win.endNs < win.startNs) {
    throw new InvalidValueError('record.window', 'needs int64 bigints with startNs <= endNs');
  }
  const start = w.pos;
  try {
    if (w.str(r.key, 2, 0xffff) < 0)
      throw new InvalidValueError('record.key', 'above 65535 UTF-8 bytes or not well-formed');
    w.u32(r.partition);
    w.u53(r.sequence);
    w.i64(win.startNs);
    w.i64(win.endNs);
    writeDelta(w, r.delta, 'record.delta');
  } catch (e) {
    w.pos = start;
    throw e;
  }
}

export function readOutputRecord(r: Reader): OutputRecord {
  const key = r.str(2);
  const partition = r.u32();
  const sequence = r.u53('record.sequence');
  const at = r.pos;
  const startNs = r.i64();
  const endNs = r.i64();
  if (endNs < startNs) throw new ValueOutOfRangeError('record.window', 'endNs < startNs', at);
  const delta = readDelta(r);
  return { key, partition, sequence, window: { startNs, endNs }, delta };
}

/** Builds `DeltaBatch` frames; the default frame event time is the max window end. */
export class DeltaBatchEncoder extends BatchEncoder<OutputRecord> {
  constructor(schema: Schema, initialBytes?: number) {
    super(MessageType.DeltaBatch, schema.fingerprint, writeOutputRecord, (r) => r.window.endNs, initialBytes);
  }
}

export interface DecodedDeltaBatch {
  readonly frame: Frame;
  readonly schema: Schema;
  readonly records: OutputRecord[];
}

export interface DecodeDeltaOptions extends DecodeFrameOptions {
  /** Schemas the receiver knows; an unknown fingerprint is an UnknownSchemaError (retryable). */
  readonly schemas: SchemaRegistry;
}

/** Decodes a buffer holding exactly one `DeltaBatch` frame. */
export function decodeDeltaBatch(bytes: Uint8Array, options: DecodeDeltaOptions): DecodedDeltaBatch {
  const frame = decodeFrame(bytes, options);
  const schema = options.schemas.require(frame.fingerprint);
  const records: OutputRecord[] = [];
  forEachRecord(frame, MessageType.DeltaBatch, (p, s, e) => {
    const r = new Reader(p, s, e, 'output record');
    records.push(readOutputRecord(r));
    r.done();
  });
  return { frame, schema, records };
}
