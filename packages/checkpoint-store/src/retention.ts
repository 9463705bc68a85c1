/**
 * Retention: keep the newest `keep` committed checkpoints, delete the rest,
 * and delete snapshot objects no retained manifest references (old chains,
 * orphans of aborted checkpoints). Pure planning; the service executes the
 * plan manifests first, objects second, so a manifest never outlives an
 * object it references.
 *
 * Never deleted:
 * - an object a retained manifest references;
 * - an object whose checkpoint sequence is at or above the newest committed
 *   one (uploads of the checkpoint in flight, and of aborted ones after the
 *   newest commit that a worker's next increment may still build on: they
 *   become deletable once a later checkpoint commits without them);
 * - an object named outside the layout (not ours to judge; counted).
 */
import type { CheckpointLayout, CheckpointManifest } from '@ripple/protocol';
import { parseCheckpointId, referencedKeys } from '@ripple/protocol';

export interface ListedManifest {
  readonly key: string;
  readonly manifest: CheckpointManifest;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

export interface RetentionInput {
  readonly layout: CheckpointLayout;
  readonly keep: number;
  /** decodable manifests in the store */
  readonly manifests: readonly ListedManifest[];
  /** manifest keys that did not decode */
  readonly corruptManifests: readonly string[];
  /** every object under the layout's snapshots prefix */
  readonly objects: readonly ListedObject[];
  /** keys the in-flight checkpoint has been acked with (kept whatever their sequence) */
  readonly protect?: ReadonlySet<string>;
}

export interface RetentionPlan {
  readonly retained: readonly CheckpointManifest[];
  readonly deleteManifests: readonly string[];
  readonly deleteObjects: readonly string[];
  readonly retainedObjects: number;
  readonly retainedBytes: number;
  /** objects under the snapshots prefix whose names are not of the layout (left alone) */
  readonly foreignObjects: number;
}

export function planRetention(input: RetentionInput): RetentionPlan {
  if (!Number.isInteger(input.keep) || input.keep < 1) throw new RangeError('keep must be an integer >= 1');
  const committed = [...input.manifests].sort((a, b) => a.manifest.seq - b.manifest.seq);
  const retainedListed = committed.slice(Math.max(0, committed.length - input.keep));
  const expired = committed.slice(0, committed.length - retainedListed.length);
  const oldestRetainedSeq = retainedListed[0]?.manifest.seq ?? Number.POSITIVE_INFINITY;
  const newestSeq = retainedListed[retainedListed.length - 1]?.manifest.seq ?? 0;
  const referenced = new Set(retainedListed.flatMap((m) => referencedKeys(m.manifest)));
  const deleteManifests = expired.map((m) => m.key);
  for (const key of input.corruptManifests) {
    const id = input.layout.parseManifestKey(key);
    const seq = id === undefined ? undefined : parseCheckpointId(id)?.seq;
    if (seq !== undefined && seq < oldestRetainedSeq) deleteManifests.push(key);
  }
  const deleteObjects: string[] = [];
  let retainedObjects = 0;
  let retainedBytes = 0;
  let foreignObjects = 0;
  for (const o of input.objects) {
    const parts = input.layout.parseSnapshotKey(o.key);
    if (parts === undefined) {
      foreignObjects++;
      continue;
    }
    if (!referenced.has(o.key) && !input.protect?.has(o.key) && parts.seq < newestSeq) {
      deleteObjects.push(o.key);
    } else {
      retainedObjects++;
      retainedBytes += o.size;
    }
  }
  return {
    retained: retainedListed.map((m) => m.manifest),
    deleteManifests,
    deleteObjects,
    retainedObjects,
    retainedBytes,
    foreignObjects,
  };
}
