import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotStoreUnavailableError } from '../errors.ts';
import type { SnapshotStore, StoredSnapshot } from '../ports.ts';

/**
 * Snapshots in a local directory (the StatefulSet's volume, or embedded mode):
 * `<dir>/p<partition>/<id>.snap`. A write goes to `<id>.snap.tmp`, is fsynced,
 * then renamed: a crash leaves at worst a `.tmp` file, which is ignored and
 * cleaned up. The latest snapshot is the greatest id (ids sort by epoch, offset, time).
 */
export class LocalSnapshotStore implements SnapshotStore {
  readonly name = 'local';
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private partDir(partition: number): string {
    return join(this.dir, `p${partition}`);
  }

  /**
   * Write `<id>.snap.tmp`, fsync it, rename it to `<id>.snap`, fsync the
   * directory (so the rename survives a power loss). On any failure (a full
   * disk: ENOSPC) the temporary file is removed and a retryable error thrown:
   * a partial snapshot never carries the final name.
   */
  async put(partition: number, id: string, bytes: Uint8Array): Promise<void> {
    const dir = this.partDir(partition);
    const tmp = join(dir, `${id}.snap.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(dir, `${id}.snap`));
      const dh = await open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw new SnapshotStoreUnavailableError('put', e);
    }
  }

  private async ids(partition: number): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.partDir(partition));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SnapshotStoreUnavailableError('list', e);
    }
    return names
      .filter((n) => n.endsWith('.snap'))
      .map((n) => n.slice(0, -'.snap'.length))
      .sort();
  }

  async list(partition: number): Promise<string[]> {
    return await this.ids(partition);
  }

  async get(partition: number, id: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(join(this.partDir(partition), `${id}.snap`)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new SnapshotStoreUnavailableError('get', e);
    }
  }

  async latest(partition: number): Promise<StoredSnapshot | null> {
    const ids = await this.ids(partition);
    const id = ids[ids.length - 1];
    if (id === undefined) return null;
    try {
      return { id, bytes: new Uint8Array(await readFile(join(this.partDir(partition), `${id}.snap`))) };
    } catch (e) {
      throw new SnapshotStoreUnavailableError('get', e);
    }
  }

  async prune(partition: number, keep: number): Promise<void> {
    const ids = await this.ids(partition);
    const dir = this.partDir(partition);
    for (const id of ids.slice(0, Math.max(0, ids.length - keep)))
      await unlink(join(dir, `${id}.snap`)).catch(() => {});
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) if (n.endsWith('.tmp')) await unlink(join(dir, n)).catch(() => {});
  }
}
