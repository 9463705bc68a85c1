import { MemoryBus } from '@ripple/cluster';
import { MemoryObjectStore } from '@ripple/object-store';
import {
  type CheckpointAck,
  clusterSubjects,
  crc32c,
  decodeControlMessage,
  decodeRestoreRequest,
  encodeControlMessage,
  encodeRestoreReply,
  formatCheckpointId,
  type PartitionCheckpoint,
} from '@ripple/protocol';
import { describe, expect, it } from 'vitest';
import { CheckpointRestore } from '../src/checkpoint-restore.ts';
import { WorkerMetrics } from '../src/metrics.ts';
import { silentLogger } from '../src/ports.ts';
import type { Worker } from '../src/worker.ts';
import { CLUSTER, input, layout, node, SYMBOLS, steps, touchThree } from './checkpoint-world.ts';
import { PARTITIONS } from './memory-world.ts';

/** Publishes a trigger on the bus and collects the acks of every partition. */
async function trigger(bus: MemoryBus, seq: number): Promise<CheckpointAck[]> {
  const s = clusterSubjects(CLUSTER);
  const acks: CheckpointAck[] = [];
  const done = new Promise<void>((resolve) => {
    const sub = bus.subscribe(s.checkpointAck, (m) => {
      const a = decodeControlMessage(m.data);
      if (a.type === 'checkpoint_ack') acks.push(a);
      if (acks.length === PARTITIONS) {
        sub.unsubscribe();
        resolve();
      }
    });
  });
  bus.publish(
    s.checkpointTrigger,
    encodeControlMessage({
      type: 'checkpoint_trigger',
      v: 1,
      checkpointId: formatCheckpointId(seq, 'n'),
      epoch: 1,
      deadlineMs: Date.now() + 60_000,
    }),
    { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  );
  await done;
  return acks.sort((a, b) => a.partition - b.partition);
}

/** Answers restore lookups the way the checkpointer does for a committed manifest made of `acks`. */
function answerLookups(bus: MemoryBus, acks: () => readonly CheckpointAck[]): void {
  bus.subscribe(clusterSubjects(CLUSTER).checkpointLookup, (m) => {
    const r = decodeRestoreRequest(m.data);
    const a = acks().find((x) => x.partition === r.partition);
    const snapshot: PartitionCheckpoint | null =
      a === undefined
        ? null
        : {
            partition: a.partition,
            epoch: a.epoch,
            workerId: a.workerId,
            writtenBy: a.checkpointId,
            chain: [
              ...(a.chain ?? []),
              {
                key: a.snapshotKey,
                bytes: a.bytes,
                crc32c: a.crc32c,
                kind: a.chain?.length ? 'incremental' : 'full',
              },
            ],
            offsets: a.offsets,
            outputSequence: a.outputSequence ?? null,
            schemaFingerprint: a.schemaFingerprint ?? null,
          };
    m.respond?.(
      encodeRestoreReply({
        type: 'restore_plan',
        v: 1,
        requestId: r.requestId,
        partition: r.partition,
        status: snapshot === null ? 'none' : 'ok',
        checkpointId: snapshot === null ? null : (a as CheckpointAck).checkpointId,
        snapshot,
        skipped: [],
      }),
    );
  });
}

async function leaves(w: Worker) {
  return await w.atConsistentPoint((parts) =>
    parts.map(({ part }) => ({
      p: part.partition,
      seq: part.nextSequence,
      off: part.nextOffset,
      leaves: part.snapshotLeaves(),
    })),
  );
}

describe('checkpoint participant (worker side of cluster checkpoints)', () => {
  it('full, then incremental (only changed keys), then unchanged; restore = base + increments, exact', async () => {
    const bus = new MemoryBus();
    const store = new MemoryObjectStore();
    const topic = input();
    const a = node(bus, store, topic, false);
    await a.worker.start();
    await steps(a.worker, Math.ceil((SYMBOLS * PARTITIONS) / 50) + 2); // every symbol once

    const full = await trigger(bus, 1);
    expect(full.map((x) => x.partition)).toEqual([0, 1, 2]);
    for (const ack of full) {
      expect(ack.chain ?? []).toEqual([]);
      expect(layout.parseSnapshotKey(ack.snapshotKey)?.kind).toBe('full');
      const bytes = await store.get(ack.snapshotKey);
      expect(bytes?.length).toBe(ack.bytes);
      expect(crc32c(bytes as Uint8Array)).toBe(ack.crc32c);
      expect(ack.epoch).toBe(1);
      expect(ack.schemaFingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(ack.offsets[0]?.offset).toBeGreaterThan(0n);
    }

    touchThree(topic);
    await steps(a.worker, 4); // 3 symbols per partition change
    const incr = await trigger(bus, 2);
    for (const ack of incr) {
      const f = full.find((x) => x.partition === ack.partition) as CheckpointAck;
      expect(layout.parseSnapshotKey(ack.snapshotKey)?.kind).toBe('incremental');
      expect(ack.chain?.map((o) => o.key)).toEqual([f.snapshotKey]);
      expect(ack.bytes).toBeLessThan(f.bytes * 0.05); // 3 of 300 keys
      expect(ack.offsets[0]?.offset).toBeGreaterThan(f.offsets[0]?.offset as bigint);
    }

    const same = await trigger(bus, 3);
    for (const ack of same) {
      const i = incr.find((x) => x.partition === ack.partition) as CheckpointAck;
      expect(ack.snapshotKey).toBe(i.snapshotKey); // nothing new written, the last object acked again
      expect(ack.chain).toEqual(i.chain);
    }
    expect((await store.list(layout.snapshotsPrefix)).length).toBe(2 * PARTITIONS);
    // Every ack is a checkpoint of its partition; only uploads are timed as store writes.
    const sum = async (name: string, series = name) =>
      ((await a.metrics.registry.getSingleMetric(name)?.get())?.values ?? [])
        .filter(
          (v) =>
            (v as { metricName?: string }).metricName === undefined ||
            (v as { metricName?: string }).metricName === series,
        )
        .reduce((n, v) => n + v.value, 0);
    expect(await sum('ripple_worker_checkpoints_total')).toBe(3 * PARTITIONS);
    expect(
      await sum('ripple_worker_checkpoint_store_seconds', 'ripple_worker_checkpoint_store_seconds_count'),
    ).toBe(2 * PARTITIONS);
    expect(await sum('ripple_last_checkpoint_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);

    // A new owner restores through the lookup: base + increment, exactly the state of the first.
    await a.participant.stop();
    answerLookups(bus, () => same);
    const b = node(bus, store, topic, true);
    await b.worker.start();
    expect(await leaves(b.worker)).toEqual(await leaves(a.worker));
    expect(b.worker.failures()).toEqual([]);

    // Its next checkpoint builds on the restored chain (nothing changed: the restored object again).
    const again = await trigger(bus, 4);
    expect(again.map((x) => x.snapshotKey).sort()).toEqual(same.map((x) => x.snapshotKey).sort());
  });

  it('a partition no committed checkpoint holds starts a new chain (never an increment on an old one)', async () => {
    const bus = new MemoryBus();
    const store = new MemoryObjectStore();
    const topic = input();
    const a = node(bus, store, topic, false);
    await a.worker.start();
    await steps(a.worker, 30);
    const first = await trigger(bus, 1);
    // The lookup answers "none" for every partition (nothing committed): the restore says so to the participant.
    answerLookups(bus, () => []);
    const seen: Array<[number, number, boolean]> = [];
    const restore = new CheckpointRestore({
      cluster: CLUSTER,
      job: () => a.worker.job,
      inputTopic: 'trades',
      bus,
      store,
      metrics: new WorkerMetrics('w-x'),
      logger: silentLogger,
      onRestored: (p, chain, part) => {
        seen.push([p, chain.length, part === null]);
        a.participant.adopt(p, chain, part);
      },
    });
    expect(await restore.restore(1)).toBeNull();
    expect(seen).toEqual([[1, 0, true]]);
    const next = await trigger(bus, 2);
    const kinds = next.map((x) => layout.parseSnapshotKey(x.snapshotKey)?.kind);
    expect(next[1]?.snapshotKey).not.toBe(first[1]?.snapshotKey);
    expect(kinds).toEqual(['full', 'full', 'full']);
    expect(next[0]?.snapshotKey).toBe(first[0]?.snapshotKey); // unchanged: the same object acked again
    expect(next[1]?.chain ?? []).toEqual([]);
  });

  it('a trigger whose sequence does not follow the last one drops the chains no committed manifest is known to hold; an adopted chain stays', async () => {
    const bus = new MemoryBus();
    const store = new MemoryObjectStore();
    const topic = input();
    const a = node(bus, store, topic, false);
    await a.worker.start();
    await steps(a.worker, 30);
    await trigger(bus, 1);
    touchThree(topic);
    await steps(a.worker, 4);
    const second = await trigger(bus, 2);
    // partition 0 is restored from a committed checkpoint holding its chain of checkpoint 2
    const s0 = second[0] as CheckpointAck;
    const kind = (k: string) => layout.parseSnapshotKey(k)?.kind;
    a.participant.adopt(
      0,
      [
        ...(s0.chain ?? []),
        { key: s0.snapshotKey, bytes: s0.bytes, crc32c: s0.crc32c, kind: kind(s0.snapshotKey) ?? 'full' },
      ],
      a.worker.inspect(0)?.part ?? null,
    );
    touchThree(topic);
    await steps(a.worker, 4);
    // checkpoint 3 was never seen: what it named is unknown, it may have committed without 1 and 2
    const fourth = await trigger(bus, 4);
    expect(fourth.map((x) => kind(x.snapshotKey))).toEqual(['incremental', 'full', 'full']);
    expect(fourth[0]?.chain?.at(-1)?.key).toBe(s0.snapshotKey);
    expect(fourth[1]?.chain ?? []).toEqual([]);
    // consecutive again: chains are extended
    touchThree(topic);
    await steps(a.worker, 4);
    const fifth = await trigger(bus, 5);
    expect(fifth.map((x) => kind(x.snapshotKey))).toEqual(['incremental', 'incremental', 'incremental']);
  });

  it('an upload that fails is not acked, and the next snapshot of that partition is full', async () => {
    const bus = new MemoryBus();
    const store = new MemoryObjectStore();
    const topic = input();
    const a = node(bus, store, topic, false);
    await a.worker.start();
    await steps(a.worker, 30);
    await trigger(bus, 1);
    touchThree(topic);
    await steps(a.worker, 4);
    const acks: CheckpointAck[] = [];
    const sub = bus.subscribe(clusterSubjects(CLUSTER).checkpointAck, (m) => {
      const x = decodeControlMessage(m.data);
      if (x.type === 'checkpoint_ack') acks.push(x);
    });
    const put = store.put.bind(store);
    store.put = async (key, bytes, o) => {
      if (key.includes('/p1/')) throw new Error('refused');
      return await put(key, bytes, o);
    };
    await a.participant.checkpoint({
      type: 'checkpoint_trigger',
      v: 1,
      checkpointId: formatCheckpointId(2, 'n'),
      epoch: 1,
      deadlineMs: Date.now() + 60_000,
    });
    await bus.flush();
    expect(acks.map((x) => x.partition).sort()).toEqual([0, 2]);
    store.put = put;
    sub.unsubscribe();
    const next = await trigger(bus, 3);
    expect(layout.parseSnapshotKey(next[1]?.snapshotKey ?? '')?.kind).toBe('full');
    expect(next[1]?.chain ?? []).toEqual([]);
    // the other partitions: unchanged since checkpoint 2, their increments acked again
    expect(
      next.filter((x) => x.partition !== 1).map((x) => layout.parseSnapshotKey(x.snapshotKey)?.kind),
    ).toEqual(['incremental', 'incremental']);
  });

  it('busy and the checkpoint_writing gauge hold while uploads are in flight, not after', async () => {
    const bus = new MemoryBus();
    const store = new MemoryObjectStore();
    const a = node(bus, store, input(), false);
    await a.worker.start();
    await steps(a.worker, 30);
    const writing = async () =>
      (await a.metrics.registry.getSingleMetric('ripple_worker_checkpoint_writing')?.get())?.values[0]?.value;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    const put = store.put.bind(store);
    store.put = async (key, bytes, o) => {
      started++;
      await gate;
      return await put(key, bytes, o);
    };
    expect(a.participant.busy).toBe(false);
    const acks = trigger(bus, 1);
    for (let i = 0; i < 200 && started < PARTITIONS; i++) await new Promise((r) => setTimeout(r, 5));
    expect(started).toBe(PARTITIONS);
    expect(a.participant.busy).toBe(true);
    expect(await writing()).toBe(1);
    release();
    expect((await acks).length).toBe(PARTITIONS);
    for (let i = 0; i < 200 && a.participant.busy; i++) await new Promise((r) => setTimeout(r, 5));
    expect(a.participant.busy).toBe(false);
    expect(await writing()).toBe(0);
  });

  it('handled keeps the newest 1,024 acks; handledTotal counts them all', async () => {
    const bus = new MemoryBus();
    const a = node(bus, new MemoryObjectStore(), input(), false);
    await a.worker.start();
    await steps(a.worker, 30);
    for (let seq = 1; seq <= 400; seq++)
      await a.participant.checkpoint({
        type: 'checkpoint_trigger',
        v: 1,
        checkpointId: formatCheckpointId(seq, 'n'),
        epoch: 1,
        deadlineMs: Date.now() + 60_000,
      });
    expect(a.participant.handledTotal).toBe(400 * PARTITIONS);
    expect(a.participant.handled.length).toBe(1024);
    expect(a.participant.handled.at(-1)?.checkpointId).toBe(formatCheckpointId(400, 'n'));
  });

  it("a revoke writes no hand-over snapshot to the worker's own store: the next owner restores a committed checkpoint", async () => {
    const bus = new MemoryBus();
    const store = new MemoryObjectStore();
    const topic = input();
    answerLookups(bus, () => []);
    const a = node(bus, store, topic, true);
    await a.worker.start();
    await steps(a.worker, 30);
    const before = (await leaves(a.worker)).find((x) => x.p === 1);
    const handoffs = await a.worker.revoke([1], 1);
    expect(handoffs).toEqual([
      { partition: 1, epoch: 1, snapshotId: null, nextOffset: before?.off, nextSequence: before?.seq },
    ]);
    expect(a.snapshots.puts).toBe(0);
    expect(a.worker.owned()).toEqual([0, 2]);
  });

  it('a corrupt object of the committed chain is refused: the partition does not start', async () => {
    const bus = new MemoryBus();
    const store = new MemoryObjectStore();
    const topic = input();
    const a = node(bus, store, topic, false);
    await a.worker.start();
    await steps(a.worker, 30);
    const acks = await trigger(bus, 1);
    const victim = acks[1] as CheckpointAck;
    const bytes = (await store.get(victim.snapshotKey)) as Uint8Array;
    bytes[bytes.length - 9] = (bytes[bytes.length - 9] as number) ^ 0x40;
    await store.put(victim.snapshotKey, bytes);
    await a.participant.stop();
    answerLookups(bus, () => acks);
    const b = node(bus, store, topic, true);
    await b.worker.start();
    const failed = b.worker.failures();
    expect(failed.map((f) => f.partition)).toEqual([victim.partition]);
    expect(
      b.worker
        .progress()
        .map((x) => x.partition)
        .sort(),
    ).toEqual([0, 2]);
  });
});
