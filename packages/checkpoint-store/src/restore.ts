/**
 * Restore lookup: the newest committed snapshot chain of one partition,
 * verified. Every object of the chain is read and its size and CRC-32C
 * checked against the manifest before it is offered; a missing or corrupt
 * object is reported in `skipped` and the next older committed checkpoint
 * holding the partition is tried. Store outages give `unavailable` (the
 * caller retries), never a wrong answer.
 */
import { type ObjectStore, ObjectStoreError } from '@ripple/object-store';
import {
  type CheckpointManifest,
  crc32c,
  type PartitionCheckpoint,
  type SkippedSnapshot,
  type SnapshotObjectRef,
} from '@ripple/protocol';

export type RestoreAnswer =
  | {
      readonly status: 'ok';
      readonly checkpointId: string;
      readonly snapshot: PartitionCheckpoint;
      readonly skipped: readonly SkippedSnapshot[];
    }
  | { readonly status: 'none' | 'unavailable'; readonly skipped: readonly SkippedSnapshot[] };

/** Why an object fails verification, or null when it is intact. */
export async function verifyObject(store: ObjectStore, ref: SnapshotObjectRef): Promise<string | null> {
  const bytes = await store.get(ref.key);
  if (bytes === null) return 'missing';
  if (bytes.length !== ref.bytes) return `size ${bytes.length} != ${ref.bytes}`;
  const crc = crc32c(bytes);
  if (crc !== ref.crc32c) return `crc32c ${hex(crc)} != ${hex(ref.crc32c)}`;
  return null;
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

/**
 * @param manifests committed manifests, oldest first (ManifestCatalog order)
 * @param onCorrupt called once per skipped object (metrics, logs)
 */
export async function findRestorePlan(
  store: ObjectStore,
  manifests: readonly CheckpointManifest[],
  partition: number,
  onCorrupt: (s: SkippedSnapshot) => void = () => {},
): Promise<RestoreAnswer> {
  const skipped: SkippedSnapshot[] = [];
  const bad = new Map<string, string>();
  try {
    for (let i = manifests.length - 1; i >= 0; i--) {
      const m = manifests[i]!;
      const ref = m.partitions.find((p) => p.partition === partition);
      if (ref === undefined) continue;
      let ok = true;
      for (const o of ref.chain) {
        const known = bad.get(o.key);
        const reason = known ?? (await verifyObject(store, o));
        if (reason === null) continue;
        const s = { checkpointId: m.checkpointId, key: o.key, reason };
        skipped.push(s);
        if (known === undefined) {
          bad.set(o.key, reason);
          onCorrupt(s);
        }
        ok = false;
        break;
      }
      if (ok) return { status: 'ok', checkpointId: m.checkpointId, snapshot: ref, skipped };
    }
  } catch (e) {
    if (e instanceof ObjectStoreError && e.retryable) return { status: 'unavailable', skipped };
    throw e;
  }
  return { status: 'none', skipped };
}
