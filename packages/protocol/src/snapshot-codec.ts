/**
 * Partition snapshots (checkpoints): leaf values only (derived nodes are
 * rebuilt by one stabilization), the input offsets to replay from, and the
 * schema of the leaf values, so that a worker of a later version can restore
 * a snapshot written by an earlier one, or refuse it with a
 * `SchemaIncompatibleError` naming each broken rule.
 *
 * Payload grammar (version 1, little-endian; str = u16 length + UTF-8):
 * ```
 * u32 n, schema canonical bytes[n]    its fingerprint = the frame's
 * str checkpointId, str workerId
 * u32 partition, u64 epoch, i64 createdAtNs, u32 nodeCount
 * u32 count, (str topic, u32 partition, i64 offset)*      input offsets
 * u32 count, (str name, value)*                          leaves, names unique
 * ```
 */
import { ByteWriter, INT64_MAX, INT64_MIN, Reader } from './bytes.ts';
import { type DecodeFrameOptions, decodeFrame, finishFrame, MessageType, writeHeader } from './envelope.ts';
import { InvalidValueError, MalformedPayloadError, UnexpectedMessageError } from './errors.ts';
import { decodeSchema } from './schema.ts';
import { assertCompatible } from './schema-compat.ts';
import { writeConforming } from './schema-plan.ts';
import type { Schema } from './schema-types.ts';
import { resolveValue, validateValue } from './schema-values.ts';
import { readValue, type Value, writeValue } from './value-codec.ts';

export interface InputOffset {
  readonly topic: string;
  readonly partition: number;
  /** next offset to consume */
  readonly offset: bigint;
}

export interface SnapshotLeaf {
  readonly name: string;
  readonly value: Value;
}

export interface PartitionSnapshot {
  readonly checkpointId: string;
  readonly workerId: string;
  readonly partition: number;
  /** assignment epoch of the writer (monotonic) */
  readonly epoch: number;
  readonly createdAtNs: bigint;
  readonly nodeCount: number;
  readonly offsets: readonly InputOffset[];
  /** schema of every leaf value */
  readonly schema: Schema;
  readonly leaves: readonly SnapshotLeaf[];
}

export interface RestoredSnapshot extends PartitionSnapshot {
  /** the schema the snapshot was written with; `schema` is the reader's */
  readonly writerSchema: Schema;
}

function u32(v: number, path: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new InvalidValueError(path, 'not an integer in [0, 2^32)');
  return v;
}

function i64(v: bigint, path: string): bigint {
  if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX)
    throw new InvalidValueError(path, 'not an int64 bigint');
  return v;
}

function str(w: ByteWriter, s: string, path: string): void {
  if (typeof s !== 'string' || w.str(s, 2, 0xffff) < 0) {
    throw new InvalidValueError(path, 'not a well-formed string of at most 65535 UTF-8 bytes');
  }
}

/**
 * Encodes a snapshot frame; every leaf value is validated against `schema`
 * first. A checkpoint stalls the partition for this long, so the common case
 * takes one pass: each leaf is checked and written together, guided by the
 * compiled schema, with no error paths built (schema-plan.ts). Anything off
 * sends the whole snapshot through `encodeSnapshotChecked`, which raises the same
 * typed error, with the same path, as it always has.
 */
export function encodeSnapshot(
  s: PartitionSnapshot,
  options: { readonly sequence?: number } = {},
): Uint8Array {
  let out: Uint8Array | undefined;
  try {
    out = encodeFast(s, options.sequence ?? 0);
  } catch {
    out = undefined; // header or offsets refused: errors come in encodeSnapshotChecked's order
  }
  return out ?? encodeSnapshotChecked(s, options);
}

/** Sized from the previous snapshot: a partition's snapshots are about the same size. */
let sizeHint = 1024;
const MAX_SIZE_HINT = 64 << 20;

/** The snapshot bytes, or undefined when a leaf is refused (or a name repeats). */
function encodeFast(s: PartitionSnapshot, sequence: number): Uint8Array | undefined {
  const w = new ByteWriter(sizeHint);
  const lengthAt = writeHead(w, s, sequence);
  const leaves = s.leaves;
  const names = new Set<string>();
  w.u32(leaves.length);
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    if (names.has(leaf.name)) return undefined;
    names.add(leaf.name);
    str(w, leaf.name, 'leaf name');
    if (!writeConforming(w, s.schema, leaf.value)) return undefined;
  }
  finishFrame(w, 0, lengthAt);
  sizeHint = Math.min(MAX_SIZE_HINT, Math.max(1024, w.pos + (w.pos >>> 3)));
  return w.copy();
}

/** The frame header and every snapshot field before the leaves. */
function writeHead(w: ByteWriter, s: PartitionSnapshot, sequence: number): number {
  if (!Number.isSafeInteger(s.epoch) || s.epoch < 0)
    throw new InvalidValueError('epoch', 'not an integer in [0, 2^53-1]');
  const lengthAt = writeHeader(w, {
    type: MessageType.Snapshot,
    flags: 0,
    sequence,
    eventTimeNs: i64(s.createdAtNs, 'createdAtNs'),
    fingerprint: s.schema.fingerprint,
  });
  w.u32(s.schema.canonical.length);
  w.raw(s.schema.canonical);
  str(w, s.checkpointId, 'checkpointId');
  str(w, s.workerId, 'workerId');
  w.u32(u32(s.partition, 'partition'));
  w.u53(s.epoch);
  w.i64(s.createdAtNs);
  w.u32(u32(s.nodeCount, 'nodeCount'));
  w.u32(s.offsets.length);
  s.offsets.forEach((o, i) => {
    str(w, o.topic, `offsets[${i}].topic`);
    w.u32(u32(o.partition, `offsets[${i}].partition`));
    w.i64(i64(o.offset, `offsets[${i}].offset`));
  });
  return lengthAt;
}

/**
 * The reference encoder (internal: the error path, and the oracle of the tests):
 * validates every leaf, then writes; raises typed errors with paths.
 */
export function encodeSnapshotChecked(
  s: PartitionSnapshot,
  options: { readonly sequence?: number },
): Uint8Array {
  const names = new Set<string>();
  for (const leaf of s.leaves) {
    if (names.has(leaf.name)) throw new InvalidValueError(`leaves.${leaf.name}`, 'duplicate leaf name');
    names.add(leaf.name);
    validateValue(s.schema, leaf.value);
  }
  const w = new ByteWriter(sizeHint);
  const lengthAt = writeHead(w, s, options.sequence ?? 0);
  w.u32(s.leaves.length);
  for (const leaf of s.leaves) {
    str(w, leaf.name, 'leaf name');
    writeValue(w, leaf.value, `leaves.${leaf.name}`);
  }
  finishFrame(w, 0, lengthAt);
  return w.copy();
}

export interface DecodeSnapshotOptions extends DecodeFrameOptions {
  /** The schema this worker reads leaf values with. */
  readonly reader: Schema;
}

/**
 * Decodes and verifies a snapshot frame, then converts every leaf value to
 * the reader's schema (`resolveValue`). Throws SchemaIncompatibleError when
 * the writer's schema cannot be read as the reader's.
 */
export function decodeSnapshot(bytes: Uint8Array, options: DecodeSnapshotOptions): RestoredSnapshot {
  const f = decodeFrame(bytes, options);
  if (f.type !== MessageType.Snapshot) {
    throw new UnexpectedMessageError(`expected a snapshot frame, got type ${f.type}`, 5);
  }
  const r = new Reader(f.payload, 0, f.payload.length, 'snapshot');
  const n = r.u32();
  r.need(n);
  const writer = decodeSchema(f.payload, r.pos, r.pos + n);
  if (writer.fingerprint !== f.fingerprint) {
    throw new MalformedPayloadError('embedded schema does not match the frame fingerprint', 36 + r.pos);
  }
  r.pos += n;
  assertCompatible(options.reader, writer);
  const checkpointId = r.str(2);
  const workerId = r.str(2);
  const partition = r.u32();
  const epoch = r.u53('snapshot.epoch');
  const createdAtNs = r.i64();
  if (createdAtNs !== f.eventTimeNs) {
    throw new MalformedPayloadError('frame event time differs from the snapshot createdAtNs', 16);
  }
  const nodeCount = r.u32();
  const offsetCount = r.count('offsets', 14);
  const offsets: InputOffset[] = [];
  for (let i = 0; i < offsetCount; i++)
    offsets.push({ topic: r.str(2), partition: r.u32(), offset: r.i64() });
  const leafCount = r.count('leaves', 3);
  const leaves: SnapshotLeaf[] = [];
  const names = new Set<string>();
  for (let i = 0; i < leafCount; i++) {
    const at = r.pos;
    const name = r.str(2);
    if (names.has(name)) throw new MalformedPayloadError(`duplicate leaf ${JSON.stringify(name)}`, 36 + at);
    names.add(name);
    leaves.push({ name, value: resolveValue(options.reader, writer, readValue(r)) });
  }
  r.done();
  return {
    checkpointId,
    workerId,
    partition,
    epoch,
    createdAtNs,
    nodeCount,
    offsets,
    schema: options.reader,
    writerSchema: writer,
    leaves,
  };
}
