// Fault injection at the seam: an ObjectStore that fails chosen operations
// with the adapters' own retryable error, in front of a real adapter.
import {
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreOp,
  ObjectStoreUnavailableError,
  type PutOptions,
} from '@ripple/object-store';

export class FaultyStore implements ObjectStore {
  readonly name: string;
  /** operations that fail while listed */
  readonly failing = new Set<ObjectStoreOp>();
  /** fails matching operations too, e.g. only puts under one prefix */
  failIf: ((op: ObjectStoreOp, key: string) => boolean) | null = null;
  failures = 0;

  private readonly inner: ObjectStore;

  constructor(inner: ObjectStore) {
    this.inner = inner;
    this.name = `faulty-${inner.name}`;
  }

  private gate(op: ObjectStoreOp, key: string): void {
    if (this.failing.has(op) || this.failIf?.(op, key) === true) {
      this.failures++;
      throw new ObjectStoreUnavailableError(op, key, new Error('injected: 503 Slow Down'));
    }
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    this.gate('put', key);
    return this.inner.put(key, bytes, options);
  }
  async get(key: string): Promise<Uint8Array | null> {
    this.gate('get', key);
    return this.inner.get(key);
  }
  async head(key: string): Promise<ObjectInfo | null> {
    this.gate('head', key);
    return this.inner.head(key);
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    this.gate('list', prefix);
    return this.inner.list(prefix);
  }
  async delete(keys: readonly string[]): Promise<void> {
    this.gate('delete', keys[0] ?? '');
    return this.inner.delete(keys);
  }
  close(): void {
    this.inner.close();
  }
}
