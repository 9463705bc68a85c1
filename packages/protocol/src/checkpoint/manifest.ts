/**
 * The checkpoint manifest: the one document that makes a set of partition
 * snapshots a consistent, complete cluster checkpoint. Invariants (checked
 * by `validateManifest`, hence by every decode):
 * - the checkpoint id parses and its sequence equals `seq`;
 * - partitions are distinct, sorted, and below `numPartitions`;
 * - each partition's chain is restorable: one full base first, then only
 *   increments, no key twice (see snapshot-chain.ts);
 * - no partition reference carries an epoch above the manifest's;
 * - a reference written by an older checkpoint (carried forward because the
 *   partition did not change) names that checkpoint in `writtenBy`.
 * A manifest is written only after every object it references exists
 * (the checkpointer verifies them first), so a manifest never points to a
 * missing object.
 */
import type { KafkaOffset } from '../control/messages.ts';
import { parseCheckpointId } from './checkpoint-id.ts';
import { InvalidCheckpointFieldError } from './errors.ts';
import { FieldReader, isJsonObject } from './fields.ts';
import { validateChain } from './snapshot-chain.ts';

export const SNAPSHOT_KINDS = ['full', 'incremental'] as const;
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

/** One immutable snapshot object in the bucket. */
export interface SnapshotObjectRef {
  readonly key: string;
  readonly bytes: number;
  /** CRC-32C of the whole object */
  readonly crc32c: number;
  readonly kind: SnapshotKind;
}

/** The restorable state of one partition in a checkpoint. */
export interface PartitionCheckpoint {
  readonly partition: number;
  /** the assignment epoch its owner acted on when it wrote the newest object of the chain */
  readonly epoch: number;
  readonly workerId: string;
  /** the checkpoint that wrote the newest object (an older one when carried forward unchanged) */
  readonly writtenBy: string;
  /** full base first, then increments in the order they apply */
  readonly chain: readonly SnapshotObjectRef[];
  /** where to resume reading input: next offset per input topic partition */
  readonly offsets: readonly KafkaOffset[];
  /** the partition's next output sequence number, null when the owner did not report it */
  readonly outputSequence: bigint | null;
  /** fingerprint (16 hex) of the schema the snapshot was written with, null when not reported */
  readonly schemaFingerprint: string | null;
}

export interface CheckpointManifest {
  readonly v: 1;
  readonly cluster: string;
  readonly checkpointId: string;
  readonly seq: number;
  /** the assignment epoch the checkpoint was triggered and committed in */
  readonly epoch: number;
  readonly numPartitions: number;
  readonly triggeredAtMs: number;
  readonly committedAtMs: number;
  /** bytes of new objects this checkpoint wrote, by kind (carried references count 0) */
  readonly written: { readonly full: number; readonly incremental: number };
  readonly partitions: readonly PartitionCheckpoint[];
}

export const MANIFEST_VERSIONS: readonly number[] = [1];

/** Checks a parsed JSON value against the manifest grammar and invariants; returns the typed manifest. */
export function validateManifest(raw: unknown): CheckpointManifest {
  if (!isJsonObject(raw)) throw new InvalidCheckpointFieldError('manifest', '$', 'is not an object');
  const f: FieldReader = new FieldReader('manifest', raw);
  if (raw.v !== 1) f.fail('v', `is not a supported version (${MANIFEST_VERSIONS.join(', ')})`);
  const checkpointId = f.id('checkpointId');
  const seq = f.count('seq');
  const parsed = parseCheckpointId(checkpointId);
  if (parsed === undefined) f.fail('checkpointId', 'is not a checkpoint id (ck-<12 digits>-<nonce>)');
  if (parsed.seq !== seq) f.fail('seq', `does not match the checkpoint id's sequence ${parsed.seq}`);
  const epoch = f.count('epoch');
  const numPartitions = f.int('numPartitions', 1, 0xffffffff);
  const triggeredAtMs = f.count('triggeredAtMs');
  const committedAtMs = f.count('committedAtMs');
  if (committedAtMs < triggeredAtMs) f.fail('committedAtMs', 'is before triggeredAtMs');
  const w = f.object('written');
  const written = { full: w.count('full'), incremental: w.count('incremental') };
  let last = -1;
  const partitions = f.objects('partitions', (g) => {
    const p = readPartitionCheckpoint(g);
    if (p.partition >= numPartitions) g.fail('partition', `is >= numPartitions ${numPartitions}`);
    if (p.partition <= last) g.fail('partition', 'is not above the previous one (sorted, distinct)');
    last = p.partition;
    if (p.epoch > epoch) g.fail('epoch', `is above the manifest's epoch ${epoch}`);
    if (parseCheckpointId(p.writtenBy)!.seq > seq) g.fail('writtenBy', 'is a checkpoint after this one');
    return p;
  });
  return {
    v: 1,
    cluster: f.id('cluster'),
    checkpointId,
    seq,
    epoch,
    numPartitions,
    triggeredAtMs,
    committedAtMs,
    written,
    partitions,
  };
}

/** Reads one partition reference (shared by manifests and restore replies). */
export function readPartitionCheckpoint(g: FieldReader): PartitionCheckpoint {
  const partition = g.partition('partition');
  const epoch = g.count('epoch');
  const writtenBy = g.id('writtenBy');
  if (parseCheckpointId(writtenBy) === undefined) g.fail('writtenBy', 'is not a checkpoint id');
  const chain = g.objects('chain', readObjectRef);
  validateChain(chain, g.at('chain'));
  return {
    partition,
    epoch,
    workerId: g.id('workerId'),
    writtenBy,
    chain,
    offsets: g.offsets('offsets'),
    outputSequence: g.raw.outputSequence === null ? null : g.int64('outputSequence'),
    schemaFingerprint: g.raw.schemaFingerprint === null ? null : g.fingerprint('schemaFingerprint'),
  };
}

export function readObjectRef(g: FieldReader): SnapshotObjectRef {
  return {
    key: g.key('key'),
    bytes: g.count('bytes'),
    crc32c: g.u32('crc32c'),
    kind: g.oneOf('kind', SNAPSHOT_KINDS),
  };
}

/** Every object key the manifest references (what retention must keep). */
export function referencedKeys(m: CheckpointManifest): string[] {
  return m.partitions.flatMap((p) => p.chain.map((o) => o.key));
}
