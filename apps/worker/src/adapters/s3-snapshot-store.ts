import { type ObjectStore, S3ObjectStore } from '@ripple/object-store';
import { SnapshotStoreUnavailableError } from '../errors.ts';
import type { SnapshotStore, StoredSnapshot } from '../ports.ts';

export interface S3StoreOptions {
  readonly endpoint: string | null;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string | null;
  readonly secretAccessKey: string | null;
  /** Key prefix, e.g. "checkpoints" or "checkpoints/<cluster>". */
  readonly prefix: string;
  /** Per-request timeout; a hung S3 must not hang checkpoints forever. */
  readonly requestTimeoutMs?: number;
}

/**
 * The worker's own snapshots (`checkpoint_mode: worker`) in S3 (or any S3
 * API: Ceph RGW, MinIO), on the ObjectStore port of @ripple/object-store
 * (one S3 adapter for the worker, the checkpointer and the CLI):
 * `<prefix>/p<partition>/<id>.snap`, and a small pointer object holding the
 * id of the latest complete snapshot. `put` writes the snapshot, then the
 * pointer: a crash or failure in between leaves the previous pointer, so a
 * partial or failed checkpoint is never "latest". Any store failure is a
 * SnapshotStoreUnavailableError (retryable); a missing object is null.
 *
 * One pointer per assignment epoch (`LATEST.e<epoch>`, the epoch read from
 * the snapshot id `e<epoch>-o...`; `LATEST` for an id without one), and the
 * newest epoch's pointer is the one read. A partition has one owner per
 * epoch, so only a fenced owner (a zombie back from a pause) writes an older
 * epoch, and its late write can never move the pointer a newer owner wrote
 * back to its stale state (with a single pointer, last writer won: found by
 * the cluster test's SIGSTOP/SIGCONT zombie, whose hand-over snapshot hid
 * the new owner's and stalled the partition's next move).
 */
export class S3SnapshotStore implements SnapshotStore {
  readonly name = 's3';
  private readonly store: ObjectStore;
  private readonly prefix: string;

  constructor(o: S3StoreOptions, store?: ObjectStore) {
    this.prefix = o.prefix.replace(/^\/+|\/+$/g, '');
    this.store =
      store ??
      new S3ObjectStore({
        endpoint: o.endpoint,
        region: o.region,
        bucket: o.bucket,
        accessKeyId: o.accessKeyId,
        secretAccessKey: o.secretAccessKey,
        requestTimeoutMs: o.requestTimeoutMs ?? 5000,
      });
  }

  private key(partition: number, name: string): string {
    return `${this.prefix === '' ? '' : `${this.prefix}/`}p${partition}/${name}`;
  }

  private async io<T>(op: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof SnapshotStoreUnavailableError) throw e;
      throw new SnapshotStoreUnavailableError(op, e);
    }
  }

  async put(partition: number, id: string, bytes: Uint8Array): Promise<void> {
    await this.io('put', async () => {
      await this.store.put(this.key(partition, `${id}.snap`), bytes, {
        contentType: 'application/x-ripple-snapshot',
      });
      await this.store.put(this.key(partition, pointerName(id)), new TextEncoder().encode(id), {
        contentType: 'text/plain',
      });
    });
  }

  /** The pointer objects of a partition, oldest epoch first (`LATEST` sorts before `LATEST.e...`). */
  private async pointers(partition: number): Promise<string[]> {
    const objects = await this.io('list', () => this.store.list(this.key(partition, 'LATEST')));
    return objects
      .map((o) => o.key.slice(o.key.lastIndexOf('/') + 1))
      .filter((name) => name === 'LATEST' || /^LATEST\.e\d+$/.test(name))
      .sort();
  }

  private async pointer(partition: number): Promise<string | null> {
    const newest = (await this.pointers(partition)).at(-1);
    if (newest === undefined) return null;
    const p = await this.io('get', () => this.store.get(this.key(partition, newest)));
    return p === null ? null : new TextDecoder().decode(p).trim();
  }

  async latest(partition: number): Promise<StoredSnapshot | null> {
    const id = await this.pointer(partition);
    if (id === null) return null;
    const bytes = await this.get(partition, id);
    return bytes === null ? null : { id, bytes };
  }

  /**
   * Committed snapshots: those at or before the LATEST pointer, and the
   * pointer's own id even when its object is missing (recovery then counts it
   * as unreadable and falls back). Without a pointer, every snapshot object.
   */
  async list(partition: number): Promise<string[]> {
    const latest = await this.pointer(partition);
    const ids = await this.ids(partition);
    if (latest === null) return ids;
    const committed = ids.filter((id) => id <= latest);
    if (!committed.includes(latest)) committed.push(latest);
    return committed.sort();
  }

  async get(partition: number, id: string): Promise<Uint8Array | null> {
    return await this.io('get', () => this.store.get(this.key(partition, `${id}.snap`)));
  }

  private async ids(partition: number): Promise<string[]> {
    const objects = await this.io('list', () => this.store.list(this.key(partition, '')));
    return objects
      .map((o) => o.key.slice(o.key.lastIndexOf('/') + 1))
      .filter((name) => name.endsWith('.snap'))
      .map((name) => name.slice(0, -'.snap'.length))
      .sort();
  }

  async prune(partition: number, keep: number): Promise<void> {
    const latest = await this.pointer(partition);
    const ids = await this.ids(partition);
    const old = ids.slice(0, Math.max(0, ids.length - keep)).filter((id) => id !== latest);
    // Pointers of older epochs are never read again.
    const stalePointers = (await this.pointers(partition)).slice(0, -1);
    if (old.length === 0 && stalePointers.length === 0) return;
    await this.io('prune', () =>
      this.store.delete([
        ...old.map((id) => this.key(partition, `${id}.snap`)),
        ...stalePointers.map((name) => this.key(partition, name)),
      ]),
    );
  }

  destroy(): void {
    this.store.close();
  }
}

/** The pointer object a snapshot id is committed through: one per assignment epoch. */
export function pointerName(id: string): string {
  const m = /^e(\d+)-/.exec(id);
  return m === null ? 'LATEST' : `LATEST.e${m[1]}`;
}
