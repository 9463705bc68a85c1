// The checkpoint benches' trade source (not a suite: scripts/bench.ts skips `_` files).
import type { Trade } from '@ripple/protocol';
import { TradeBatchEncoder } from '@ripple/protocol';
import type { PartitionStart, RecordSource, SourceRecord } from '@ripple/worker';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Trades on demand: `load` touches every key of every partition once, `burst(n)` n keys per
 * partition once, `steady` random keys without end, `idle` nothing. One trade per record in
 * load/burst, 20 in steady. Event time advances 1 µs per trade (no window closes: a 1 h window).
 */
export class TradeGenerator implements RecordSource {
  private readonly keysPerPartition: number;
  constructor(keysPerPartition: number) {
    this.keysPerPartition = keysPerPartition;
  }
  mode: 'idle' | 'load' | 'steady' = 'idle';
  private burstLeft = new Map<number, number>();
  private readonly next = new Map<number, bigint>();
  private readonly loaded = new Map<number, number>();
  private readonly ts = new Map<number, bigint>();
  private cursor = 0;
  private rnd = 12345;
  private tick = 0;
  /** One encoder for every record (finish() returns an owned frame and starts over). */
  private readonly enc = new TradeBatchEncoder(256);
  produced = 0;

  async assign(starts: readonly PartitionStart[]): Promise<void> {
    for (const s of starts) {
      this.next.set(s.partition, typeof s.position === 'bigint' ? s.position : 0n);
      this.ts.set(s.partition, BigInt(Date.now() - 3_000_000) * 1_000_000n);
    }
  }
  async unassign(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) this.next.delete(p);
  }
  burst(n: number): void {
    this.tick++;
    for (const p of this.next.keys()) this.burstLeft.set(p, n);
  }
  get loadDone(): boolean {
    return [...this.next.keys()].every((p) => (this.loaded.get(p) ?? 0) >= this.keysPerPartition);
  }
  get burstDone(): boolean {
    return [...this.burstLeft.values()].every((n) => n === 0);
  }
  async poll(max: number): Promise<SourceRecord[]> {
    const out: SourceRecord[] = [];
    const parts = [...this.next.keys()];
    for (let guard = 0; out.length < max && guard < parts.length; ) {
      const p = parts[this.cursor++ % parts.length] as number;
      const keys = this.keysFor(p);
      if (keys === null) {
        guard++;
        continue;
      }
      guard = 0;
      const enc = this.enc;
      let ts = this.ts.get(p) as bigint;
      for (const k of keys) {
        ts += 1000n;
        const t: Trade = {
          symbol: `S${p}K${k}`,
          price: 100 + (k % 50),
          size: 1 + (k % 9),
          timestampNs: ts,
          venue: 'X',
        };
        enc.add(t);
      }
      this.ts.set(p, ts);
      const offset = this.next.get(p) as bigint;
      this.next.set(p, offset + 1n);
      out.push({ partition: p, offset, value: enc.finish({ sequence: 0 }), headers: {} });
      this.produced++;
    }
    if (out.length === 0) await sleep(5);
    return out;
  }
  private keysFor(p: number): number[] | null {
    const left = this.burstLeft.get(p) ?? 0;
    if (left > 0) {
      this.burstLeft.set(p, left - 1);
      return [(this.tick * 7919 + left * 101) % this.keysPerPartition];
    }
    if (this.mode === 'load') {
      const n = this.loaded.get(p) ?? 0;
      if (n >= this.keysPerPartition) return null;
      this.loaded.set(p, n + 1);
      return [n];
    }
    if (this.mode === 'steady') {
      const keys: number[] = [];
      for (let i = 0; i < 20; i++) {
        this.rnd = (Math.imul(this.rnd, 1103515245) + 12345) >>> 0;
        keys.push(this.rnd % this.keysPerPartition);
      }
      return keys;
    }
    return null;
  }
  async endOffset(p: number): Promise<bigint> {
    return this.next.get(p) ?? 0n;
  }
  lastKnownEnd(p: number): bigint | undefined {
    return this.next.get(p);
  }
  async close(): Promise<void> {}
}

/**
 * The worker of the checkpoint benches: every partition on one worker, the in-memory source (this
 * file's generator), 1 h windows (no window closes during a run: the state only grows), room for
 * twice the keys per partition.
 */
export function benchWorkerEnv(partitions: number, keys: number): Record<string, string> {
  return {
    RIPPLE_WORKER_ID: 'bench-w',
    RIPPLE_SOURCE: 'memory',
    RIPPLE_SNAPSHOT_STORE: 'memory',
    RIPPLE_NUM_PARTITIONS: String(partitions),
    RIPPLE_PARTITIONS: `0-${partitions - 1}`,
    RIPPLE_WINDOW: '1h',
    RIPPLE_MAX_BATCH_RECORDS: '500',
    RIPPLE_MAX_KEYS_PER_PARTITION: String(keys * 2),
  };
}
