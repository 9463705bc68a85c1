/**
 * Where checkpoint objects live in a bucket, defined once for the
 * checkpointer, the workers and the CLI:
 *
 * ```
 * <prefix>/manifests/<checkpointId>.manifest                    written by the checkpointer, last
 * <prefix>/snapshots/p<partition>/<checkpointId>.full.snap      written by the partition owner
 * <prefix>/snapshots/p<partition>/<checkpointId>.incr.snap
 * ```
 * Checkpoint ids sort by sequence, so a listing returns manifests oldest
 * first. Retention parses snapshot keys to tell an orphan of a finished
 * checkpoint (deletable) from an upload of the one in flight (kept).
 */
import { parseCheckpointId } from './checkpoint-id.ts';
import type { SnapshotKind } from './manifest.ts';

export interface SnapshotKeyParts {
  readonly partition: number;
  readonly checkpointId: string;
  readonly seq: number;
  readonly kind: SnapshotKind;
}

export interface CheckpointLayout {
  readonly prefix: string;
  readonly manifestsPrefix: string;
  readonly snapshotsPrefix: string;
  manifestKey(checkpointId: string): string;
  /** the checkpoint id of a manifest key of this layout, else undefined */
  parseManifestKey(key: string): string | undefined;
  snapshotKey(partition: number, checkpointId: string, kind: SnapshotKind): string;
  parseSnapshotKey(key: string): SnapshotKeyParts | undefined;
}

const KIND_SUFFIX: Readonly<Record<SnapshotKind, string>> = { full: 'full', incremental: 'incr' };

export function checkpointLayout(prefix: string): CheckpointLayout {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  const root = p === '' ? '' : `${p}/`;
  const manifestsPrefix = `${root}manifests/`;
  const snapshotsPrefix = `${root}snapshots/`;
  const snapshotRe = /^p(0|[1-9][0-9]{0,9})\/(ck-[0-9]{12}-[0-9a-z]{1,16})\.(full|incr)\.snap$/;
  return Object.freeze({
    prefix: p,
    manifestsPrefix,
    snapshotsPrefix,
    manifestKey: (id: string) => {
      if (parseCheckpointId(id) === undefined) throw new RangeError(`not a checkpoint id: ${id}`);
      return `${manifestsPrefix}${id}.manifest`;
    },
    parseManifestKey: (key: string) => {
      if (!key.startsWith(manifestsPrefix) || !key.endsWith('.manifest')) return undefined;
      const id = key.slice(manifestsPrefix.length, -'.manifest'.length);
      return parseCheckpointId(id) === undefined ? undefined : id;
    },
    snapshotKey: (partition: number, id: string, kind: SnapshotKind) => {
      if (!Number.isInteger(partition) || partition < 0)
        throw new RangeError(`not a partition: ${partition}`);
      if (parseCheckpointId(id) === undefined) throw new RangeError(`not a checkpoint id: ${id}`);
      return `${snapshotsPrefix}p${partition}/${id}.${KIND_SUFFIX[kind]}.snap`;
    },
    parseSnapshotKey: (key: string) => {
      if (!key.startsWith(snapshotsPrefix)) return undefined;
      const m = snapshotRe.exec(key.slice(snapshotsPrefix.length));
      if (m === null) return undefined;
      const ids = parseCheckpointId(m[2]!);
      if (ids === undefined) return undefined;
      const parts: SnapshotKeyParts = {
        partition: Number(m[1]),
        checkpointId: m[2]!,
        seq: ids.seq,
        kind: m[3] === 'full' ? 'full' : 'incremental',
      };
      return parts;
    },
  });
}
