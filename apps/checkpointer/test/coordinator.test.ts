// The pure coordinator on a virtual clock.
import { type CheckpointAck, type CheckpointManifest, checkpointLayout } from '@ripple/protocol';
import { describe, expect, it } from 'vitest';
import {
  CheckpointCoordinator,
  type PartitionTable,
  staticTable,
  tableOfAssignment,
} from '../src/coordinator.ts';

const layout = checkpointLayout('ck/c1');
let n = 0;
const make = () =>
  new CheckpointCoordinator({
    cluster: 'c1',
    layout,
    intervalMs: 10_000,
    ackTimeoutMs: 3_000,
    nonce: () => `n${n++}`,
  });

const table = (epoch: number, owners: Record<number, string>): PartitionTable =>
  tableOfAssignment({
    type: 'assignment',
    v: 1,
    epoch,
    numPartitions: 4,
    owners: Object.entries(owners).map(([p, w]) => ({ partition: Number(p), workerId: w })),
  });

function ack(id: string, partition: number, over: Partial<CheckpointAck> = {}): CheckpointAck {
  return {
    type: 'checkpoint_ack',
    v: 1,
    checkpointId: id,
    epoch: 1,
    workerId: partition % 2 === 0 ? 'w0' : 'w1',
    partition,
    snapshotKey: layout.snapshotKey(partition, id, 'full'),
    bytes: 100 + partition,
    crc32c: 7,
    offsets: [{ topic: 't', partition, offset: 10n }],
    ...over,
  };
}

function triggerId(c: CheckpointCoordinator, now: number): string {
  const r = c.tick(now);
  if (r.kind !== 'trigger') throw new Error(`expected a trigger, got ${r.kind}`);
  return r.trigger.checkpointId;
}

function commitAll(c: CheckpointCoordinator, now: number): CheckpointManifest {
  const r = c.tick(now);
  if (r.kind !== 'commit') throw new Error(`expected commit, got ${r.kind}`);
  c.committed(r.inFlight, r.manifest);
  return r.manifest;
}

describe('CheckpointCoordinator', () => {
  it('does nothing before it knows the partitions, then triggers every interval with id, epoch and the partitions it waits for', () => {
    const c = make();
    expect(c.tick(0).kind).toBe('idle');
    c.setTable(table(1, { 3: 'w1', 0: 'w0', 1: 'w1' }));
    const r = c.tick(5);
    expect(r).toMatchObject({
      kind: 'trigger',
      // partition 2 has no owner: not named (an owner must not extend its chain for a checkpoint
      // that carries the partition's previous reference)
      trigger: { type: 'checkpoint_trigger', epoch: 1, deadlineMs: 3_005, partitions: [0, 1, 3] },
    });
    const id = (r as { trigger: { checkpointId: string } }).trigger.checkpointId;
    expect(id).toMatch(/^ck-000000000001-n\d+$/);
    expect(c.onAck(ack(id, 2))).toMatchObject({ accepted: false, reason: 'unassigned_partition' });
    for (const p of [0, 1, 3]) expect(c.onAck(ack(id, p))).toMatchObject({ accepted: true });
    commitAll(c, 100);
    expect(c.tick(9_999).kind).toBe('idle');
    expect(triggerId(c, 10_005)).toMatch(/^ck-000000000002-/);
  });

  it('commits only when every assigned partition acked; the manifest holds each reference', () => {
    const c = make();
    c.setTable(table(1, { 0: 'w0', 1: 'w1', 2: 'w0' }));
    const id = triggerId(c, 0);
    expect(c.onAck(ack(id, 0))).toEqual({ accepted: true, duplicate: false, complete: false });
    expect(c.onAck(ack(id, 1))).toEqual({ accepted: true, duplicate: false, complete: false });
    expect(c.tick(10).kind).toBe('idle');
    expect(c.onAck(ack(id, 0))).toEqual({ accepted: true, duplicate: true, complete: false });
    expect(c.onAck(ack(id, 2))).toEqual({ accepted: true, duplicate: false, complete: true });
    const m = commitAll(c, 20);
    expect(m.partitions.map((p) => [p.partition, p.workerId, p.writtenBy, p.chain.length])).toEqual([
      [0, 'w0', id, 1],
      [1, 'w1', id, 1],
      [2, 'w0', id, 1],
    ]);
    expect(m.written).toEqual({ full: 303, incremental: 0 });
    expect(c.latestCommitted).toBe(m);
  });

  it('an ack missing at the deadline aborts the checkpoint; the previous one stays latest', () => {
    const c = make();
    c.setTable(table(1, { 0: 'w0', 1: 'w1' }));
    const first = triggerId(c, 0);
    c.onAck(ack(first, 0));
    c.onAck(ack(first, 1));
    const m1 = commitAll(c, 1);
    const id = triggerId(c, 10_000);
    c.onAck(ack(id, 0));
    expect(c.tick(12_999).kind).toBe('idle');
    expect(c.tick(13_000)).toMatchObject({ kind: 'timeout', missing: [1] });
    expect(c.latestCommitted).toBe(m1);
    expect(c.onAck(ack(id, 1))).toMatchObject({ accepted: false, reason: 'unknown_checkpoint' });
  });

  it('refuses stale-epoch, future-epoch, zombie, unassigned, foreign-key, bad-chain and conflicting acks', () => {
    const c = make();
    c.setTable(table(1, { 0: 'w0', 1: 'w1' }));
    const id = triggerId(c, 0);
    const reason = (a: CheckpointAck) => {
      const r = c.onAck(a);
      return r.accepted ? 'accepted' : r.reason;
    };
    expect(reason(ack(id, 0, { epoch: 0, workerId: 'zombie' }))).toBe('stale_epoch');
    expect(reason(ack(id, 0, { epoch: 2 }))).toBe('future_epoch');
    expect(reason(ack(id, 0, { workerId: 'zombie' }))).toBe('not_owner');
    expect(reason(ack(id, 3))).toBe('unassigned_partition');
    expect(reason(ack('ck-000000000009-x', 0))).toBe('unknown_checkpoint');
    expect(reason(ack(id, 0, { snapshotKey: 'elsewhere/x.snap' }))).toBe('bad_key');
    expect(reason(ack(id, 0, { snapshotKey: layout.snapshotKey(1, id, 'full') }))).toBe('bad_key');
    expect(reason(ack(id, 0, { snapshotKey: layout.snapshotKey(0, id, 'incremental') }))).toBe('bad_chain');
    const later = layout.snapshotKey(0, 'ck-000000000005-z', 'full');
    expect(
      reason(
        ack(id, 0, {
          snapshotKey: layout.snapshotKey(0, id, 'incremental'),
          chain: [{ key: later, bytes: 1, crc32c: 1, kind: 'full' }],
        }),
      ),
    ).toBe('bad_chain');
    expect(reason(ack(id, 0))).toBe('accepted');
    expect(reason(ack(id, 0, { bytes: 1 }))).toBe('conflicting_duplicate');
  });

  it('accepts an older epoch from the owner of a partition that did not move, not below its last committed epoch', () => {
    const c = make();
    c.setTable(table(1, { 0: 'w0', 1: 'w1' }));
    const id1 = triggerId(c, 0);
    c.onAck(ack(id1, 0));
    c.onAck(ack(id1, 1));
    commitAll(c, 1);
    // epoch 2: partition 1 moved to w0 (assigned at 2), partition 0 stayed with w0 (still held at 1)
    c.setTable(table(2, { 0: 'w0', 1: 'w0' }));
    const id2 = triggerId(c, 10_000);
    const reason = (a: CheckpointAck) => {
      const r = c.onAck(a);
      return r.accepted ? 'accepted' : r.reason;
    };
    // w1 still acking partition 1 at its old epoch: refused (it is not the owner any more)
    expect(reason(ack(id2, 1, { epoch: 1, snapshotKey: layout.snapshotKey(1, id2, 'full') }))).toBe(
      'stale_epoch',
    );
    expect(reason(ack(id2, 0, { epoch: 0, snapshotKey: layout.snapshotKey(0, id2, 'full') }))).toBe(
      'stale_epoch', // below the epoch partition 0 was committed at
    );
    expect(reason(ack(id2, 0, { epoch: 1, snapshotKey: layout.snapshotKey(0, id2, 'full') }))).toBe(
      'accepted',
    );
    expect(
      reason(ack(id2, 1, { epoch: 2, workerId: 'w0', snapshotKey: layout.snapshotKey(1, id2, 'full') })),
    ).toBe('accepted');
    const m2 = commitAll(c, 10_001);
    expect(m2.epoch).toBe(2);
    expect(m2.partitions.map((p) => [p.partition, p.workerId, p.epoch])).toEqual([
      [0, 'w0', 1],
      [1, 'w0', 2],
    ]);
    // static mode (no named owners): the epochs must match
    const s = make();
    s.setTable(staticTable(3, 2));
    const id3 = triggerId(s, 0);
    expect(s.onAck(ack(id3, 0, { epoch: 2 }))).toMatchObject({ accepted: false, reason: 'stale_epoch' });
  });

  it('carries an unchanged partition forward, and extends a chain with an increment', () => {
    const c = make();
    c.setTable(table(1, { 0: 'w0', 1: 'w1' }));
    const id1 = triggerId(c, 0);
    c.onAck(ack(id1, 0));
    c.onAck(ack(id1, 1));
    const m1 = commitAll(c, 1);
    const id2 = triggerId(c, 10_000);
    const p0 = m1.partitions[0]!.chain[0]!;
    // partition 0 unchanged: acks its previous key again
    expect(c.onAck(ack(id2, 0, { snapshotKey: p0.key, bytes: p0.bytes, crc32c: p0.crc32c }))).toMatchObject({
      accepted: true,
    });
    // partition 1 incremental on its previous chain
    const incKey = layout.snapshotKey(1, id2, 'incremental');
    expect(
      c.onAck(ack(id2, 1, { snapshotKey: incKey, bytes: 9, chain: m1.partitions[1]!.chain })),
    ).toMatchObject({ accepted: true });
    const m2 = commitAll(c, 10_001);
    expect(m2.partitions[0]).toMatchObject({ writtenBy: id1, chain: m1.partitions[0]!.chain });
    expect(m2.partitions[1]!.chain.map((o) => o.kind)).toEqual(['full', 'incremental']);
    expect(m2.partitions[1]!.writtenBy).toBe(id2);
    expect(m2.written).toEqual({ full: 0, incremental: 9 });
    // re-acking the previous key with another CRC is not "unchanged"
    const id3 = triggerId(c, 20_000);
    expect(c.onAck(ack(id3, 0, { snapshotKey: p0.key, bytes: p0.bytes, crc32c: 8 }))).toMatchObject({
      reason: 'bad_chain',
    });
  });

  it('re-acking an object of an aborted checkpoint (state unchanged since) is accepted and counted as new', () => {
    const c = make();
    c.setTable(table(1, { 0: 'w0', 1: 'w1' }));
    const id1 = triggerId(c, 0);
    c.onAck(ack(id1, 0));
    c.onAck(ack(id1, 1));
    const m1 = commitAll(c, 1);
    // checkpoint 2: partition 1 writes an increment, partition 0 never acks: aborted
    const id2 = triggerId(c, 10_000);
    const inc2 = layout.snapshotKey(1, id2, 'incremental');
    c.onAck(ack(id2, 1, { snapshotKey: inc2, bytes: 9, chain: m1.partitions[1]!.chain }));
    expect(c.tick(13_000).kind).toBe('timeout');
    // checkpoint 3: partition 1 did not change since its (uncommitted) increment and acks it again
    const id3 = triggerId(c, 20_000);
    c.onAck(ack(id3, 0, { snapshotKey: m1.partitions[0]!.chain[0]!.key }));
    expect(
      c.onAck(ack(id3, 1, { snapshotKey: inc2, bytes: 9, chain: m1.partitions[1]!.chain })),
    ).toMatchObject({ accepted: true });
    const m3 = commitAll(c, 20_001);
    expect(m3.partitions[1]).toMatchObject({
      writtenBy: id2,
      chain: [m1.partitions[1]!.chain[0], { key: inc2, kind: 'incremental' }],
    });
    expect(m3.partitions[0]!.writtenBy).toBe(id1);
    expect(m3.written).toEqual({ full: 0, incremental: 9 });
    // another attempt of the same sequence number is not this checkpoint's
    const id4 = triggerId(c, 30_000);
    const other = id4.replace(/-[0-9a-z]+$/, '-zzz');
    expect(c.onAck(ack(id4, 0, { snapshotKey: layout.snapshotKey(0, other, 'full') }))).toMatchObject({
      reason: 'bad_key',
    });
  });

  it('an epoch change aborts a checkpoint collecting acks; a stale assignment is ignored', () => {
    const c = make();
    c.setTable(table(1, { 0: 'w0', 1: 'w1' }));
    const id = triggerId(c, 0);
    c.onAck(ack(id, 0));
    const r = c.setTable(table(2, { 0: 'w1', 1: 'w1' }));
    expect(r.aborted?.checkpointId).toBe(id);
    expect(c.inFlight).toBeNull();
    expect(c.setTable(table(1, { 0: 'w0' }))).toEqual({ aborted: null, stale: true });
    expect(c.epoch).toBe(2);
  });

  it('an epoch change while committing is caught by mayWrite; unowned partitions carry their reference', () => {
    const c = make();
    c.setTable(table(1, { 0: 'w0', 1: 'w1' }));
    const id1 = triggerId(c, 0);
    c.onAck(ack(id1, 0));
    c.onAck(ack(id1, 1));
    commitAll(c, 1);
    // partition 1 loses its owner: only partition 0 is waited for, 1 is carried forward
    c.setTable(table(2, { 0: 'w0' }));
    const id2 = triggerId(c, 10_000);
    c.onAck(ack(id2, 0, { epoch: 2 }));
    const r = c.tick(10_001);
    if (r.kind !== 'commit') throw new Error(r.kind);
    expect(r.manifest.partitions.map((p) => [p.partition, p.writtenBy])).toEqual([
      [0, id2],
      [1, id1],
    ]);
    expect(c.mayWrite(r.inFlight)).toBe(true);
    expect(c.setTable(table(3, { 0: 'w0' })).aborted).toBeNull();
    expect(c.mayWrite(r.inFlight)).toBe(false);
  });

  it('static mode accepts any worker; restore() continues the sequence after the store', () => {
    const c = make();
    c.restore(null, 41);
    c.setTable(staticTable(0, 2));
    const id = triggerId(c, 0);
    expect(id).toMatch(/^ck-000000000042-/);
    expect(c.onAck(ack(id, 0, { epoch: 0, workerId: 'anyone' }))).toMatchObject({ accepted: true });
  });
});
