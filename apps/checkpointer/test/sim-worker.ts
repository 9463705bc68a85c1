// A simulated partition owner for tests: on a checkpoint trigger it
// snapshots each owned partition (full or incremental by the chain policy,
// or "unchanged" when nothing changed), uploads the object to the store and
// acks over the bus, exactly as a worker is specified to. Its state is a
// key -> value map per partition that tests mutate.

import type { BusMessage, ControlBus } from '@ripple/cluster';
import type { ObjectStore } from '@ripple/object-store';
import {
  type ChainPolicy,
  type CheckpointAck,
  type CheckpointLayout,
  clusterSubjects,
  crc32c,
  DEFAULT_CHAIN_POLICY,
  decodeControlMessage,
  diffKeyed,
  encodeControlMessage,
  type KeyedIncrement,
  nextSnapshotKind,
  type SnapshotObjectRef,
} from '@ripple/protocol';

export interface SimPartition {
  state: Map<string, number>;
  /** the state at the last snapshot this worker wrote */
  snapshotted: Map<string, number>;
  chain: SnapshotObjectRef[];
  offset: bigint;
}

export class SimWorker {
  readonly id: string;
  readonly partitions = new Map<number, SimPartition>();
  epoch: number;
  /** when false the worker ignores triggers (dead, or paused) */
  alive = true;
  /** partitions whose ack is withheld (the worker "dies" mid-checkpoint for them) */
  readonly withhold = new Set<number>();
  readonly acked: CheckpointAck[] = [];
  uploadFailures = 0;
  lastError: unknown = undefined;
  private readonly unsub: () => void;
  private readonly pending = new Set<Promise<void>>();

  private readonly bus: ControlBus;
  private readonly store: ObjectStore;
  private readonly layout: CheckpointLayout;
  private readonly policy: ChainPolicy;

  constructor(
    bus: ControlBus,
    store: ObjectStore,
    layout: CheckpointLayout,
    cluster: string,
    id: string,
    epoch: number,
    partitions: readonly number[],
    policy: ChainPolicy = DEFAULT_CHAIN_POLICY,
  ) {
    this.bus = bus;
    this.store = store;
    this.layout = layout;
    this.policy = policy;
    this.id = id;
    this.epoch = epoch;
    for (const p of partitions) this.own(p);
    const s = clusterSubjects(cluster);
    const sub = bus.subscribe(s.checkpointTrigger, (m) => {
      const job = this.onTrigger(m, s.checkpointAck);
      this.pending.add(job);
      void job.finally(() => this.pending.delete(job));
    });
    this.unsub = () => sub.unsubscribe();
  }

  own(p: number, from?: { chain: readonly SnapshotObjectRef[]; state: Map<string, number> }): void {
    this.partitions.set(p, {
      state: new Map(from?.state ?? []),
      snapshotted: new Map(from?.state ?? []),
      chain: [...(from?.chain ?? [])],
      offset: 0n,
    });
  }

  /** Changes `n` keys of partition p. */
  churn(p: number, n: number, seed = 0): void {
    const s = this.partitions.get(p)!;
    for (let i = 0; i < n; i++) s.state.set(`k${(seed * 7919 + i) % 500}`, seed * 1000 + i);
    s.offset += BigInt(n);
  }

  private async onTrigger(m: BusMessage, ackSubject: string): Promise<void> {
    if (!this.alive) return;
    const t = decodeControlMessage(m.data);
    if (t.type !== 'checkpoint_trigger') return;
    for (const [p, s] of this.partitions) {
      if (!this.alive) return;
      let ack: CheckpointAck;
      try {
        ack = await this.snapshot(p, s, t.checkpointId, t.epoch);
      } catch (e) {
        this.uploadFailures++;
        this.lastError = e;
        continue; // upload failed: no ack, the checkpoint times out
      }
      if (this.withhold.has(p) || !this.alive) continue;
      this.acked.push(ack);
      this.bus.publish(ackSubject, encodeControlMessage(ack), m.headers);
    }
  }

  private async snapshot(
    p: number,
    s: SimPartition,
    checkpointId: string,
    _epoch: number,
  ): Promise<CheckpointAck> {
    const base = {
      type: 'checkpoint_ack' as const,
      v: 1 as const,
      checkpointId,
      epoch: this.epoch,
      workerId: this.id,
      partition: p,
      offsets: [{ topic: 'trades', partition: p, offset: s.offset }],
      outputSequence: s.offset,
      schemaFingerprint: '00000000000000aa',
    };
    const tip = s.chain[s.chain.length - 1];
    const inc = diffKeyed(s.snapshotted, s.state);
    if (tip !== undefined && inc.set.length === 0 && inc.removed.length === 0) {
      return {
        ...base,
        snapshotKey: tip.key,
        bytes: tip.bytes,
        crc32c: tip.crc32c,
        chain: s.chain.slice(0, -1),
      };
    }
    const kind = nextSnapshotKind(s.chain, this.policy);
    const body: KeyedIncrement<string, number> | { full: Array<[string, number]> } =
      kind === 'full' ? { full: [...s.state] } : inc;
    const bytes = new TextEncoder().encode(JSON.stringify({ partition: p, checkpointId, body }));
    const key = this.layout.snapshotKey(p, checkpointId, kind);
    await this.store.put(key, bytes);
    const ref: SnapshotObjectRef = { key, bytes: bytes.length, crc32c: crc32c(bytes), kind };
    const prefix = kind === 'full' ? [] : [...s.chain];
    s.chain = [...prefix, ref];
    s.snapshotted = new Map(s.state);
    return {
      ...base,
      snapshotKey: key,
      bytes: ref.bytes,
      crc32c: ref.crc32c,
      ...(prefix.length > 0 ? { chain: prefix } : {}),
    };
  }

  /** Waits for the snapshot jobs started so far. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  stop(): void {
    this.alive = false;
    this.unsub();
  }
}

/** Rebuilds a partition's state from a chain's objects (what a restore does). */
export async function restoreState(
  store: ObjectStore,
  chain: readonly SnapshotObjectRef[],
): Promise<Map<string, number>> {
  const state = new Map<string, number>();
  for (const o of chain) {
    const bytes = await store.get(o.key);
    if (bytes === null) throw new Error(`missing ${o.key}`);
    const { body } = JSON.parse(new TextDecoder().decode(bytes)) as {
      body: { full: Array<[string, number]> } | { set: Array<[string, number]>; removed: string[] };
    };
    if ('full' in body) {
      state.clear();
      for (const [k, v] of body.full) state.set(k, v);
    } else {
      for (const k of body.removed) state.delete(k);
      for (const [k, v] of body.set) state.set(k, v);
    }
  }
  return state;
}
