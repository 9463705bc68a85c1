// The participant's snapshot chains against the checkpointer's commit and
// retention rules: an increment must never be built on an object retention
// may have deleted. The checkpointer's side is restated here (apps never
// import apps): a checkpoint names the partitions it waits for, commits once
// each of them acked and every object of their chains exists (HEAD, the
// `verify_failed` check), carries the previous reference of the partitions it
// does not name, and then runs the real retention plan
// (`planRetention` of @ripple/checkpoint-store, newest 5 kept).
//
// Found by `pnpm start --real` (2 runs of 6): `verify_failed: … full.snap
// does not exist` — the participant's chain held an object of an aborted (or
// refused) checkpoint, a checkpoint that did not name the partition
// committed without it, retention deleted it, and the next increment was
// built on it.
import { type ListedManifest, planRetention } from '@ripple/checkpoint-store';
import { MemoryBus } from '@ripple/cluster';
import { MemoryObjectStore } from '@ripple/object-store';
import {
  type CheckpointAck,
  type CheckpointManifest,
  clusterSubjects,
  decodeControlMessage,
  decodeSnapshot,
  formatCheckpointId,
  type PartitionCheckpoint,
  type SnapshotObjectRef,
} from '@ripple/protocol';
import { xorshift } from '@ripple/trades';
import { describe, expect, it } from 'vitest';
import { applyChain } from '../src/checkpoint-chain.ts';
import { CLUSTER, input, layout, type Node, node, steps, touchThree } from './checkpoint-world.ts';
import { PARTITIONS } from './memory-world.ts';

const KEEP = 5;
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

type Outcome = { readonly status: 'committed' } | { readonly status: 'aborted'; readonly reason: string };

/** The checkpointer's commit and retention rules over one worker's participant. */
class Checkpointer {
  readonly manifests: ListedManifest[] = [];
  private seq = 0;
  private readonly bus: MemoryBus;
  private readonly store: MemoryObjectStore;
  constructor(bus: MemoryBus, store: MemoryObjectStore) {
    this.bus = bus;
    this.store = store;
  }

  get latest(): CheckpointManifest | null {
    return this.manifests.at(-1)?.manifest ?? null;
  }

  /** One checkpoint naming `named`; uploads of `failing` partitions are refused by the store. */
  async round(n: Node, named: readonly number[], failing: readonly number[] = []): Promise<Outcome> {
    const seq = ++this.seq;
    const checkpointId = formatCheckpointId(seq, 'n');
    const acks = new Map<number, CheckpointAck>();
    const sub = this.bus.subscribe(clusterSubjects(CLUSTER).checkpointAck, (m) => {
      const a = decodeControlMessage(m.data);
      // an ack of a partition the checkpoint does not name is refused (unassigned_partition)
      if (a.type === 'checkpoint_ack' && named.includes(a.partition)) acks.set(a.partition, a);
    });
    const put = this.store.put.bind(this.store);
    this.store.put = async (key, bytes, o) => {
      if (failing.some((p) => key.includes(`/p${p}/`))) throw new Error('refused');
      return await put(key, bytes, o);
    };
    try {
      await n.participant.checkpoint({
        type: 'checkpoint_trigger',
        v: 1,
        checkpointId,
        epoch: 1,
        partitions: [...named],
        deadlineMs: Date.now() + 60_000,
      });
      await this.bus.flush();
    } finally {
      this.store.put = put;
      sub.unsubscribe();
    }
    const missing = named.filter((p) => !acks.has(p));
    if (missing.length > 0) return { status: 'aborted', reason: `ack_timeout: ${missing.join(',')}` };
    const refs = new Map<number, PartitionCheckpoint>();
    for (const p of this.latest?.partitions ?? []) refs.set(p.partition, p);
    for (const a of acks.values()) {
      const chain = chainOf(a);
      for (const o of chain) {
        const info = await this.store.head(o.key);
        if (info === null) return { status: 'aborted', reason: `verify_failed: ${o.key} does not exist` };
        if (info.size !== o.bytes) return { status: 'aborted', reason: `verify_failed: ${o.key} size` };
      }
      refs.set(a.partition, {
        partition: a.partition,
        epoch: a.epoch,
        workerId: a.workerId,
        writtenBy: layout.parseSnapshotKey(a.snapshotKey)!.checkpointId,
        chain,
        offsets: a.offsets,
        outputSequence: a.outputSequence ?? null,
        schemaFingerprint: a.schemaFingerprint ?? null,
      });
    }
    const manifest: CheckpointManifest = {
      v: 1,
      cluster: CLUSTER,
      checkpointId,
      seq,
      epoch: 1,
      numPartitions: PARTITIONS,
      triggeredAtMs: seq,
      committedAtMs: seq,
      written: { full: 0, incremental: 0 },
      partitions: [...refs.values()].sort((a, b) => a.partition - b.partition),
    };
    this.manifests.push({ key: layout.manifestKey(checkpointId), manifest });
    const plan = planRetention({
      layout,
      keep: KEEP,
      manifests: this.manifests,
      corruptManifests: [],
      objects: await this.store.list(layout.snapshotsPrefix),
    });
    this.manifests.splice(0, plan.deleteManifests.length);
    await this.store.delete(plan.deleteObjects);
    return { status: 'committed' };
  }
}

function chainOf(a: CheckpointAck): SnapshotObjectRef[] {
  const prefix = a.chain ?? [];
  return [
    ...prefix,
    {
      key: a.snapshotKey,
      bytes: a.bytes,
      crc32c: a.crc32c,
      kind: prefix.length > 0 ? 'incremental' : 'full',
    },
  ];
}

/** The state the latest committed chain of `p` restores, as leaves (what a restore would load). */
async function restoredLeaves(store: MemoryObjectStore, n: Node, m: CheckpointManifest, p: number) {
  const ref = m.partitions.find((x) => x.partition === p)!;
  const objects = [];
  for (const o of ref.chain) {
    const bytes = await store.get(o.key);
    expect(bytes, `${o.key} of the committed chain of p${p}`).not.toBeNull();
    objects.push({ key: o.key, snapshot: decodeSnapshot(bytes!, { reader: n.worker.job.stateSchema }) });
  }
  return applyChain(objects).leaves;
}

async function world(fullEvery: number) {
  const bus = new MemoryBus();
  const store = new MemoryObjectStore();
  const topic = input();
  const n = node(bus, store, topic, false, fullEvery);
  await n.worker.start();
  await steps(n.worker, 30); // every symbol once
  return { bus, store, topic, n, cp: new Checkpointer(bus, store) };
}

describe('snapshot chains vs commit and retention', () => {
  it('an increment is never built on an object of an aborted checkpoint once one not naming its partition committed', async () => {
    const { store, topic, n, cp } = await world(10);
    expect(await cp.round(n, ALL)).toEqual({ status: 'committed' }); // 1: full objects
    touchThree(topic);
    await steps(n.worker, 4);
    // 2: p0's upload fails: aborted; p1 and p2 wrote increments no manifest references
    expect((await cp.round(n, ALL, [0])).status).toBe('aborted');
    touchThree(topic);
    await steps(n.worker, 4);
    // 3: p2 is not named (nobody owns it in the checkpointer's table, e.g. while it is being assigned):
    // committed with p2's reference of checkpoint 1; retention deletes p2's increment of checkpoint 2
    expect(await cp.round(n, [0, 1])).toEqual({ status: 'committed' });
    expect(await store.list(`${layout.snapshotsPrefix}p2/`)).toHaveLength(1);
    touchThree(topic);
    await steps(n.worker, 4);
    // 4: p2 named again (same owner, no restore in between): its chain must not hold the deleted object
    expect(await cp.round(n, ALL)).toEqual({ status: 'committed' });
    const m = cp.latest!;
    expect(m.partitions[2]!.chain.map((o) => o.kind)).toEqual(['full']);
    expect(m.partitions[1]!.chain.map((o) => o.kind)).toEqual([
      'full',
      'incremental',
      'incremental',
      'incremental',
    ]);
    const now = await n.worker.atConsistentPoint((parts) => parts.map(({ part }) => part.snapshotLeaves()));
    for (const p of ALL) expect(await restoredLeaves(store, n, m, p)).toEqual(now[p]);
  });

  it('random commit / abort / unnamed-partition / upload-failure sequences: no commit meets a missing object, every committed chain restores the state', async () => {
    const seeds = Number(process.env.CHAIN_SAFETY_SEEDS ?? 8);
    for (let seed = 1; seed <= seeds; seed++) {
      const rnd = xorshift(seed * 7919);
      const { store, topic, n, cp } = await world(2 + (rnd() % 4));
      const outcomes: string[] = [];
      for (let round = 0; round < 14; round++) {
        const changed = ALL.filter(() => rnd() % 3 !== 0);
        if (changed.length > 0) {
          touchThree(topic, changed);
          await steps(n.worker, 2 + changed.length);
        }
        const named = ALL.filter(() => rnd() % 4 !== 0);
        const failing = rnd() % 4 === 0 ? [rnd() % PARTITIONS] : [];
        const o = await cp.round(n, named, failing);
        outcomes.push(o.status === 'committed' ? 'c' : o.reason.split(':')[0]!);
        expect(o.status === 'aborted' ? o.reason : 'ok', `seed ${seed} round ${round}`).not.toMatch(
          /^verify_failed/,
        );
        if (o.status === 'committed') {
          const now = await n.worker.atConsistentPoint((parts) =>
            parts.map(({ part }) => part.snapshotLeaves()),
          );
          for (const p of named)
            expect(
              await restoredLeaves(store, n, cp.latest!, p),
              `seed ${seed} round ${round} p${p}`,
            ).toEqual(now[p]);
        }
        // every manifest retention kept references only objects that exist
        for (const { manifest } of cp.manifests)
          for (const ref of manifest.partitions)
            for (const o of ref.chain) expect(await store.head(o.key), o.key).not.toBeNull();
      }
      // the sequences do exercise both outcomes
      expect(outcomes, `seed ${seed}`).toContain('c');
    }
  }, 60_000); // 3.4 s alone; 5.04 s once in a full run at load 12 (over the 5 s default)
});
