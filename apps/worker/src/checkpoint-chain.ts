/**
 * How a partition's snapshot chain (packages/protocol checkpoint/snapshot-chain.ts)
 * is laid out in snapshot frames (`encodeSnapshot`): a full object holds the
 * job's leaves; an increment holds
 *
 * - `prev:<object key>`: the object it applies to (its base reference; a chain
 *   whose links do not name each other is refused),
 * - `del:<leaf name>`: a leaf gone since that object,
 * - the job's leaves set since that object (the partition leaf always).
 *
 * Marker leaves carry an empty record, so the job's state schema must accept
 * one (every field optional, as `PARTITION_STATE_SCHEMA`). Restoring = the
 * full object's leaves, then for each increment its removals, then its sets
 * (a set leaf replaces the leaf of that name in place, else is added after
 * the others): the same leaves, in the same order, as a full snapshot of the
 * same state. Each object is verified (size, CRC-32C of the whole object,
 * frame CRC and schema by the decoder) before it is applied.
 */
import type { PartitionSnapshot, SnapshotLeaf } from '@ripple/protocol';
import { SnapshotCorruptError } from './errors.ts';

export const PREVIOUS_LEAF_PREFIX = 'prev:';
export const REMOVED_LEAF_PREFIX = 'del:';

const MARKER = {};

/** The leaves of an increment on top of the object `previousKey`. */
export function incrementLeaves(
  changes: { readonly set: readonly SnapshotLeaf[]; readonly removed: readonly string[] },
  previousKey: string,
): SnapshotLeaf[] {
  return [
    { name: PREVIOUS_LEAF_PREFIX + previousKey, value: MARKER },
    ...changes.removed.map((name) => ({ name: REMOVED_LEAF_PREFIX + name, value: MARKER })),
    ...changes.set,
  ];
}

function isMarker(name: string): boolean {
  return name.startsWith(PREVIOUS_LEAF_PREFIX) || name.startsWith(REMOVED_LEAF_PREFIX);
}

/**
 * One snapshot of the state a chain holds: leaves folded base first, header
 * (offsets, epoch, ids) of the last object. Throws SnapshotCorruptError when
 * an object is not where the chain says (a base with markers, an increment
 * without or with another base reference).
 */
export function applyChain(
  objects: ReadonlyArray<{ readonly key: string; readonly snapshot: PartitionSnapshot }>,
): PartitionSnapshot {
  const first = objects[0];
  if (first === undefined) throw new SnapshotCorruptError('chain', 'is empty');
  const leaves = new Map<string, SnapshotLeaf>();
  for (const l of first.snapshot.leaves) {
    if (isMarker(l.name)) throw new SnapshotCorruptError(first.key, `a full snapshot holds ${l.name}`);
    leaves.set(l.name, l);
  }
  for (let i = 1; i < objects.length; i++) {
    const o = objects[i] as (typeof objects)[number];
    const prev = (objects[i - 1] as (typeof objects)[number]).key;
    const ref = o.snapshot.leaves.find((l) => l.name.startsWith(PREVIOUS_LEAF_PREFIX));
    if (ref === undefined || ref.name !== PREVIOUS_LEAF_PREFIX + prev)
      throw new SnapshotCorruptError(
        o.key,
        `is not an increment of ${prev} (${ref?.name ?? 'no base reference'})`,
      );
    for (const l of o.snapshot.leaves)
      if (l.name.startsWith(REMOVED_LEAF_PREFIX)) leaves.delete(l.name.slice(REMOVED_LEAF_PREFIX.length));
    for (const l of o.snapshot.leaves) if (!isMarker(l.name)) leaves.set(l.name, l);
  }
  const last = (objects[objects.length - 1] as (typeof objects)[number]).snapshot;
  return { ...last, nodeCount: leaves.size, leaves: [...leaves.values()] };
}
