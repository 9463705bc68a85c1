import type { HandedOffPartition, WorkerLoad } from '@ripple/protocol';
import type { HostContext, HostPartitionStatus, PartitionHost } from './partition-host.ts';

/**
 * In-memory snapshots shared by MemoryPartitionHosts, with epoch-checked
 * commits: the partition's epoch is claimed by a new owner; a write under a
 * lower epoch is refused (the fencing rule a real store must apply).
 */
export class MemorySnapshotStore {
  private readonly snaps = new Map<number, { key: string; epoch: number; offset: bigint }[]>();
  private readonly claimed = new Map<number, number>();
  private seq = 0;
  refused = 0;

  claim(partition: number, epoch: number): boolean {
    if ((this.claimed.get(partition) ?? 0) > epoch) return false;
    this.claimed.set(partition, epoch);
    return true;
  }

  put(partition: number, epoch: number, offset: bigint): string | null {
    if ((this.claimed.get(partition) ?? 0) > epoch) {
      this.refused++;
      return null;
    }
    const key = `p${partition}/e${epoch}/${this.seq++}`;
    const list = this.snaps.get(partition) ?? [];
    list.push({ key, epoch, offset });
    this.snaps.set(partition, list);
    return key;
  }

  find(partition: number, key: string | null): { key: string; offset: bigint } | null {
    const list = this.snaps.get(partition) ?? [];
    if (key === null) return list[list.length - 1] ?? null;
    return list.find((s) => s.key === key) ?? null;
  }
}

/**
 * A PartitionHost without a runtime, for tests and the embedded cluster:
 * each held partition is an offset that `advance` moves forward; revoke
 * snapshots it, assign restores it (exactly the named snapshot, or the
 * newest). `delayMs` simulates drain/restore time.
 */
export class MemoryPartitionHost implements PartitionHost {
  readonly held = new Map<number, { epoch: number; offset: bigint }>();
  readonly log: string[] = [];
  delayMs = 0;
  failNext: 'assign' | 'revoke' | null = null;

  readonly store: MemorySnapshotStore;
  readonly topic: string;
  /**
   * false: a named snapshot missing from `store` is not an error, the
   * partition resumes at the reference's offset (hosts in separate processes
   * that share no store, e.g. scripts/demo-worker.ts)
   */
  readonly strict: boolean;

  constructor(store: MemorySnapshotStore, options: { topic?: string; strict?: boolean } = {}) {
    this.store = store;
    this.topic = options.topic ?? 'trades';
    this.strict = options.strict ?? true;
  }

  private async pause(): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
  }

  async assign(starts: readonly HandedOffPartition[], epoch: number, context?: HostContext): Promise<void> {
    await this.pause();
    if (this.failNext === 'assign') {
      this.failNext = null;
      throw new Error('injected assign failure');
    }
    for (const s of starts) {
      if (!this.store.claim(s.partition, epoch))
        throw new Error(`partition ${s.partition}: epoch ${epoch} is stale`);
      const snap = this.store.find(s.partition, s.snapshotKey);
      if (s.snapshotKey !== null && snap === null && this.strict)
        throw new Error(`snapshot ${s.snapshotKey} not found`);
      this.held.set(s.partition, { epoch, offset: snap?.offset ?? s.offsets[0]?.offset ?? 0n });
      this.log.push(
        `assign ${s.partition} e${epoch} from ${snap?.key ?? 'empty'} (${context?.rebalanceId ?? '-'})`,
      );
    }
  }

  async revoke(
    partitions: readonly number[],
    epoch: number,
    context?: HostContext,
  ): Promise<HandedOffPartition[]> {
    await this.pause();
    if (this.failNext === 'revoke') {
      this.failNext = null;
      throw new Error('injected revoke failure');
    }
    const out: HandedOffPartition[] = [];
    for (const p of partitions) {
      const h = this.held.get(p);
      this.held.delete(p);
      if (h === undefined || context?.discard === true) continue;
      const key = this.store.put(p, h.epoch, h.offset);
      out.push({
        partition: p,
        snapshotKey: key,
        offsets: key === null ? [] : [{ topic: this.topic, partition: p, offset: h.offset }],
      });
      this.log.push(`revoke ${p} e${epoch} -> ${key ?? 'fenced'}`);
    }
    return out;
  }

  /** Processes `n` records on every held partition. */
  advance(n: number): void {
    for (const h of this.held.values()) h.offset += BigInt(n);
  }

  status(): { partitions: HostPartitionStatus[]; load: WorkerLoad } {
    return {
      partitions: [...this.held].map(([partition, h]) => ({ partition, offset: h.offset, lag: 0 })),
      load: { cpu: 0, eventsPerSec: 0, keys: this.held.size, heapBytes: 0 },
    };
  }
}
