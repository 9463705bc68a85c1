/**
 * The committed checkpoints, as the store holds them: every manifest under
 * the layout's prefix that decodes. Rebuilt from a listing on start (the
 * checkpointer's state survives its restart because the store is the
 * state) and refreshed before retention and restore lookups. Manifests are
 * immutable, so a decoded one is cached by key; a manifest that does not
 * decode is reported, never used.
 */
import type { ObjectStore } from '@ripple/object-store';
import {
  type CheckpointFormatError,
  type CheckpointLayout,
  type CheckpointManifest,
  decodeManifest,
  parseCheckpointId,
} from '@ripple/protocol';
import type { ListedManifest } from './retention.ts';

export interface CorruptManifest {
  readonly key: string;
  readonly error: CheckpointFormatError | Error;
}

export interface CatalogView {
  /** decodable manifests, oldest first */
  readonly manifests: readonly ListedManifest[];
  readonly corrupt: readonly CorruptManifest[];
  /** the highest checkpoint sequence seen in any manifest key (decodable or not) */
  readonly highestSeq: number;
}

export class ManifestCatalog {
  private readonly store: ObjectStore;
  private readonly layout: CheckpointLayout;
  private readonly cache = new Map<string, CheckpointManifest>();

  constructor(store: ObjectStore, layout: CheckpointLayout) {
    this.store = store;
    this.layout = layout;
  }

  /** Lists and decodes; throws ObjectStoreUnavailableError when the store cannot be read. */
  async refresh(): Promise<CatalogView> {
    const listed = await this.store.list(this.layout.manifestsPrefix);
    const manifests: ListedManifest[] = [];
    const corrupt: CorruptManifest[] = [];
    let highestSeq = 0;
    const seen = new Set<string>();
    for (const { key } of listed) {
      const id = this.layout.parseManifestKey(key);
      if (id === undefined) continue;
      seen.add(key);
      highestSeq = Math.max(highestSeq, parseCheckpointId(id)!.seq);
      let m = this.cache.get(key);
      if (m === undefined) {
        const bytes = await this.store.get(key);
        if (bytes === null) continue; // deleted between list and get
        try {
          m = decodeManifest(bytes);
        } catch (e) {
          corrupt.push({ key, error: e as Error });
          continue;
        }
        if (m.checkpointId !== id) {
          corrupt.push({ key, error: new Error(`manifest ${key} holds checkpoint ${m.checkpointId}`) });
          continue;
        }
        this.cache.set(key, m);
      }
      manifests.push({ key, manifest: m });
    }
    for (const k of [...this.cache.keys()]) if (!seen.has(k)) this.cache.delete(k);
    manifests.sort((a, b) => a.manifest.seq - b.manifest.seq);
    return { manifests, corrupt, highestSeq };
  }

  /** Adds a manifest this process has just written (saves a read). */
  remember(key: string, manifest: CheckpointManifest): void {
    this.cache.set(key, manifest);
  }
}
