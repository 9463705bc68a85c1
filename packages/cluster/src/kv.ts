/**
 * The key-value port for durable cluster state (leases, epochs, the
 * partition table). One operation writes: a compare-and-set on the key's
 * revision. Adapters: `MemoryKv` (tests, simulation, embedded mode) and the
 * NATS JetStream KV adapter in @ripple/cluster-nats.
 *
 * Contract: revisions are positive integers that increase with every write
 * to the store; `update(key, value, 0)` creates the key and fails if it
 * exists. A lost compare-and-set rejects with `KvConflictError` (not
 * retryable: re-read first); an unreachable store with `KvUnavailableError`
 * (retryable).
 */
export interface KvEntry {
  readonly value: Uint8Array;
  readonly revision: number;
}

export interface KvStore {
  get(key: string): Promise<KvEntry | null>;
  /** Writes `value` if the key's revision is `expectedRevision` (0: absent); resolves to the new revision. */
  update(key: string, value: Uint8Array, expectedRevision: number): Promise<number>;
}
