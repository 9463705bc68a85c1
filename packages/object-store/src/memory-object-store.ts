import type { ObjectInfo, ObjectStore, PutOptions } from './object-store.ts';
import { checkObjectKey } from './object-store.ts';

/** In-memory adapter: deterministic tests and embedded mode. Stores copies, so callers cannot alias. */
export class MemoryObjectStore implements ObjectStore {
  readonly name = 'memory';
  private readonly objects = new Map<string, Uint8Array>();

  async put(key: string, bytes: Uint8Array, _options?: PutOptions): Promise<void> {
    this.objects.set(checkObjectKey(key), bytes.slice());
  }

  async get(key: string): Promise<Uint8Array | null> {
    const b = this.objects.get(checkObjectKey(key));
    return b === undefined ? null : b.slice();
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const b = this.objects.get(checkObjectKey(key));
    return b === undefined ? null : { key, size: b.length };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    for (const [key, b] of this.objects) if (key.startsWith(prefix)) out.push({ key, size: b.length });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.objects.delete(checkObjectKey(k));
  }

  /** number of objects held (tests) */
  get size(): number {
    return this.objects.size;
  }

  close(): void {}
}
