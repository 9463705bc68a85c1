import { KvConflictError, KvUnavailableError } from './errors.ts';
import type { KvEntry, KvStore } from './kv.ts';

/**
 * In-memory KvStore with the same compare-and-set semantics as JetStream KV
 * (one revision counter per store). `available = false` makes every call
 * reject with KvUnavailableError, for outage tests. Several clients may share
 * one instance (two coordinator replicas in one process).
 */
export class MemoryKv implements KvStore {
  private readonly entries = new Map<string, KvEntry>();
  private revision = 0;
  available = true;

  async get(key: string): Promise<KvEntry | null> {
    return this.getSync(key);
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<number> {
    return this.updateSync(key, value, expectedRevision);
  }

  getSync(key: string): KvEntry | null {
    if (!this.available) throw new KvUnavailableError('get', new Error('store marked unavailable'));
    return this.entries.get(key) ?? null;
  }

  updateSync(key: string, value: Uint8Array, expectedRevision: number): number {
    if (!this.available) throw new KvUnavailableError('update', new Error('store marked unavailable'));
    const current = this.entries.get(key)?.revision ?? 0;
    if (current !== expectedRevision) throw new KvConflictError(key, expectedRevision);
    this.revision++;
    this.entries.set(key, { value: value.slice(), revision: this.revision });
    return this.revision;
  }
}
