import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { type ObjectStoreOp, ObjectStoreUnavailableError } from './errors.ts';
import type { ObjectInfo, ObjectStore, PutOptions } from './object-store.ts';
import { checkObjectKey } from './object-store.ts';

const TMP = '.tmp-';

/**
 * Local-directory adapter: one file per key under `root`. `put` writes a
 * temporary file and renames it over the key (atomic on one file system),
 * so a crash never leaves a partial object under a key.
 */
export class DirObjectStore implements ObjectStore {
  readonly name = 'dir';
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private path(key: string): string {
    return join(this.root, ...checkObjectKey(key).split('/'));
  }

  private async io<T>(op: ObjectStoreOp, key: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw new ObjectStoreUnavailableError(op, key, e);
    }
  }

  async put(key: string, bytes: Uint8Array, _options?: PutOptions): Promise<void> {
    const file = this.path(key);
    await this.io('put', key, async () => {
      await mkdir(dirname(file), { recursive: true });
      const tmp = join(dirname(file), `${TMP}${randomBytes(6).toString('hex')}`);
      await writeFile(tmp, bytes);
      await rename(tmp, file);
    });
  }

  async get(key: string): Promise<Uint8Array | null> {
    const file = this.path(key);
    return this.io('get', key, async () => {
      try {
        return new Uint8Array(await readFile(file));
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = this.path(key);
    return this.io('head', key, async () => {
      try {
        const s = await stat(file);
        return s.isFile() ? { key, size: s.size } : null;
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return this.io('list', prefix, async () => {
      const out: ObjectInfo[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries: import('node:fs').Dirent[];
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (e) {
          if (isMissing(e)) return;
          throw e;
        }
        for (const d of entries) {
          const full = join(dir, d.name);
          if (d.isDirectory()) await walk(full);
          else if (d.isFile() && !d.name.startsWith(TMP)) {
            const key = relative(this.root, full).split(sep).join('/');
            if (key.startsWith(prefix)) out.push({ key, size: (await stat(full)).size });
          }
        }
      };
      await walk(this.root);
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const file = this.path(key);
      await this.io('delete', key, () => rm(file, { force: true }));
    }
  }

  close(): void {}
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
