import type { Assign, Heartbeat, Revoke } from '@ripple/protocol';
import { describe, expect, test } from 'vitest';
import { type CoordinatorEffect, CoordinatorMachine, HashRing, WorkerAgentMachine } from '../src/index.ts';

const P = 64;
const hb = (workerId: string, at: number, partitions: [number, number][] = [], epoch = 0): Heartbeat => ({
  type: 'heartbeat',
  v: 1,
  workerId,
  incarnation: `${workerId}-i`,
  epoch,
  state: 'active',
  partitions: partitions.map(([partition, e]) => ({ partition, epoch: e, offset: 0n, lag: 0 })),
  load: { cpu: 0, eventsPerSec: 0, keys: 0, heapBytes: 0 },
  sentAtMs: at,
});
const sends = (effects: CoordinatorEffect[]) =>
  effects
    .filter((e): e is Extract<CoordinatorEffect, { kind: 'send' }> => e.kind === 'send')
    .map((e) => e.message);

/** A leader with workers w0..w(n-1) owning the ring's table at epoch 1. */
function cluster(n: number) {
  const m = new CoordinatorMachine({ numPartitions: P, heartbeatIntervalMs: 100, failureTimeoutMs: 500 });
  let t = 0;
  const ids = Array.from({ length: n }, (_, i) => `w${i}`);
  for (const w of ids) m.onHeartbeat(t, hb(w, t));
  m.lead(t, null);
  t = 200;
  for (const w of ids) m.onHeartbeat(t, hb(w, t));
  m.tick(t);
  const first = m.drain();
  const persist = first.find((e) => e.kind === 'persist');
  expect(persist).toMatchObject({ kind: 'persist', epoch: 1, expectedRevision: 0 });
  expect(sends(first)).toEqual([]); // nothing carries epoch 1 before it is durable
  m.onPersisted(t, { ok: true, revision: 1 });
  const assigns = sends(m.drain()) as Assign[];
  expect(assigns.every((a) => a.type === 'assign' && a.epoch === 1)).toBe(true);
  expect(assigns.flatMap((a) => a.partitions.map((p) => p.partition)).sort((a, b) => a - b)).toEqual(
    Array.from({ length: P }, (_, i) => i),
  );
  for (const a of assigns) {
    m.onAssignAck(t, {
      type: 'assign_ack',
      v: 1,
      epoch: 1,
      rebalanceId: a.rebalanceId,
      workerId: a.workerId,
      partitions: a.partitions.map((p) => p.partition),
    });
  }
  const finished = m.drain().filter((e) => e.kind === 'rebalance_finished');
  expect(finished).toHaveLength(1);
  const held = (w: string) =>
    Array.from({ length: P }, (_, p) => p)
      .filter((p) => m.ownerOf(p).workerId === w)
      .map((p): [number, number] => [p, m.ownerOf(p).epoch]);
  return { m, ids, held, at: () => t, advance: (ms: number) => (t += ms) };
}

describe('CoordinatorMachine', () => {
  test('a 4th worker: revoke first, then assign with exactly the handed-off snapshot; about 1/4 moves', () => {
    const c = cluster(3);
    const t = c.advance(100);
    for (const w of c.ids) c.m.onHeartbeat(t, hb(w, t, c.held(w), 1));
    c.m.onHeartbeat(t, hb('w3', t));
    c.m.tick(t);
    expect(sends(c.m.drain())).toEqual([]);
    c.m.onPersisted(t, { ok: true, revision: 2 });
    const revokes = sends(c.m.drain()) as Revoke[];
    expect(revokes.every((r) => r.type === 'revoke' && r.epoch === 2 && r.workerId !== 'w3')).toBe(true);
    const moved = revokes.flatMap((r) => r.partitions);
    const target = new HashRing(['w0', 'w1', 'w2', 'w3']).assign(P);
    expect(moved.sort((a, b) => a - b)).toEqual(
      target.flatMap((w, p) => (w === 'w3' ? [p] : [])).sort((a, b) => a - b),
    );
    expect(moved.length / P).toBeGreaterThan(0.1);
    expect(moved.length / P).toBeLessThan(0.4);
    for (const r of revokes) {
      c.m.onRevokeAck(t, {
        type: 'revoke_ack',
        v: 1,
        epoch: 2,
        rebalanceId: r.rebalanceId,
        workerId: r.workerId,
        partitions: r.partitions.map((p) => ({
          partition: p,
          snapshotKey: `snap-${p}`,
          offsets: [{ topic: 'trades', partition: p, offset: BigInt(p * 10) }],
        })),
      });
    }
    const assigns = sends(c.m.drain()) as Assign[];
    expect(assigns.every((a) => a.workerId === 'w3' && a.epoch === 2)).toBe(true);
    const refs = assigns.flatMap((a) => a.partitions);
    expect(refs.map((r) => r.partition).sort((a, b) => a - b)).toEqual(moved);
    for (const r of refs) {
      expect(r.snapshotKey).toBe(`snap-${r.partition}`);
      expect(r.offsets).toEqual([
        { topic: 'trades', partition: r.partition, offset: BigInt(r.partition * 10) },
      ]);
    }
  });

  test('a silent worker is declared dead after the failure timeout; its partitions go straight to assign', () => {
    const c = cluster(3);
    const lost = c.held('w2').map(([p]) => p);
    for (let i = 0; i < 7; i++) {
      const t = c.advance(100);
      for (const w of ['w0', 'w1']) c.m.onHeartbeat(t, hb(w, t, c.held(w), 1));
      c.m.tick(t);
      let effects = c.m.drain();
      let rev = 2;
      while (effects.some((e) => e.kind === 'persist' && e.epoch === 1)) {
        c.m.onPersisted(t, { ok: true, revision: rev++ }); // periodic table writes
        effects = c.m.drain();
      }
      if (i < 4) expect(effects.filter((e) => e.kind === 'member')).toEqual([]);
      const dead = effects.find((e) => e.kind === 'member' && e.change === 'dead');
      if (dead !== undefined) {
        expect(dead).toMatchObject({ workerId: 'w2' });
        expect(effects).toContainEqual(expect.objectContaining({ kind: 'persist', epoch: 2 }));
        c.m.onPersisted(t, { ok: true, revision: rev });
        const msgs = sends(c.m.drain());
        expect(msgs.every((m) => m.type === 'assign' && m.epoch === 2)).toBe(true);
        const moved = (msgs as Assign[]).flatMap((a) => a.partitions);
        expect(moved.map((x) => x.partition).sort((a, b) => a - b)).toEqual(lost);
        expect(moved.every((x) => x.snapshotKey === null)).toBe(true); // newest valid snapshot
        return;
      }
    }
    throw new Error('w2 was never declared dead');
  });

  test('a worker holding a partition under an older epoch than its owner is sent a fencing revoke', () => {
    const c = cluster(2);
    const [p] = c.held('w0')[0]!;
    const t = c.advance(100);
    c.m.onHeartbeat(t, hb('w1', t, [...c.held('w1'), [p, 0]], 1));
    const fence = sends(c.m.drain());
    expect(fence).toEqual([
      expect.objectContaining({ type: 'revoke', workerId: 'w1', partitions: [p], epoch: 1, fence: true }),
    ]);
  });

  test('a lost compare-and-set on the state document means another leader: stop acting', () => {
    const c = cluster(2);
    const t = c.advance(100);
    c.m.onHeartbeat(t, hb('w9', t));
    c.m.tick(t);
    c.m.drain();
    c.m.onPersisted(t, { ok: false, conflict: true });
    expect(c.m.drain()).toEqual([expect.objectContaining({ kind: 'fenced' })]);
    expect(c.m.isLeader).toBe(false);
  });
});

describe('WorkerAgentMachine', () => {
  const agent = (o: { shutdownGraceMs?: number; drainIdleMs?: number } = {}) => {
    const a = new WorkerAgentMachine({ workerId: 'w0', incarnation: 'i1', heartbeatIntervalMs: 100, ...o });
    a.start(0);
    a.drain();
    return a;
  };
  const assign = (epoch: number, partition: number): Assign => ({
    type: 'assign',
    v: 1,
    epoch,
    rebalanceId: `e${epoch}`,
    workerId: 'w0',
    partitions: [{ partition, snapshotKey: null, offsets: [] }],
  });
  const revoke = (epoch: number, partition: number): Revoke => ({
    type: 'revoke',
    v: 1,
    epoch,
    rebalanceId: `e${epoch}`,
    workerId: 'w0',
    partitions: [partition],
    deadlineMs: 1000,
  });

  test('refuses a command whose epoch is below one seen for the partition; re-acks duplicates', () => {
    const a = agent();
    a.onAssign(1, assign(5, 3));
    const [op] = a.drain();
    expect(op).toMatchObject({ kind: 'host_assign', epoch: 5 });
    a.onHostAssigned(2, (op as { opId: number }).opId, true);
    expect(a.drain()[0]).toMatchObject({
      kind: 'publish_ack',
      message: { type: 'assign_ack', epoch: 5, partitions: [3] },
    });
    a.onAssign(3, assign(4, 3));
    expect(a.drain()).toEqual([expect.objectContaining({ kind: 'refused', reason: 'stale_epoch' })]);
    a.onRevoke(4, revoke(6, 3));
    const [rv] = a.drain();
    expect(rv).toMatchObject({ kind: 'host_revoke', partitions: [3], discard: false });
    const ref = { partition: 3, snapshotKey: 's3', offsets: [{ topic: 't', partition: 3, offset: 7n }] };
    a.onHostRevoked(5, (rv as { opId: number }).opId, [ref]);
    expect(a.drain()[0]).toMatchObject({
      kind: 'publish_ack',
      message: { type: 'revoke_ack', partitions: [ref] },
    });
    a.onRevoke(6, revoke(6, 3)); // duplicate: same reference again, no second drain
    expect(a.drain()).toEqual([
      expect.objectContaining({
        kind: 'publish_ack',
        message: expect.objectContaining({ partitions: [ref] }),
      }),
    ]);
    a.onAssign(7, assign(5, 3));
    expect(a.drain()).toEqual([expect.objectContaining({ kind: 'refused', reason: 'stale_epoch' })]);
  });

  test('a fencing revoke drops the stale copy without output or snapshot and acks nothing', () => {
    const a = agent();
    a.onAssign(1, assign(2, 4));
    const [op] = a.drain();
    a.onHostAssigned(2, (op as { opId: number }).opId, true);
    a.drain();
    // cut off meanwhile: the coordinator gave partition 4 to another worker at epoch 3
    a.onRevoke(3, { ...revoke(3, 4), fence: true });
    const [rv, ...rest] = a.drain();
    expect(rest).toEqual([]);
    expect(rv).toMatchObject({ kind: 'host_revoke', partitions: [4], discard: true });
    a.onHostRevoked(4, (rv as { opId: number }).opId, []);
    expect(a.drain()).toEqual([expect.objectContaining({ kind: 'publish_heartbeat', partitions: [] })]);
    expect(a.live().size).toBe(0);
    a.onRevoke(5, { ...revoke(3, 4), fence: true }); // again: nothing held, nothing to do
    expect(a.drain()).toEqual([]);
    // a planned revoke of it now: nothing of ours to restore from (the newest valid snapshot)
    a.onRevoke(6, revoke(3, 4));
    expect(a.drain()).toEqual([
      expect.objectContaining({
        kind: 'publish_ack',
        message: expect.objectContaining({ partitions: [{ partition: 4, snapshotKey: null, offsets: [] }] }),
      }),
    ]);
  });

  test('shutdown drains: heartbeats say draining, stopped once nothing is held', () => {
    const a = agent();
    a.onAssign(1, assign(1, 0));
    const [op] = a.drain();
    a.onHostAssigned(2, (op as { opId: number }).opId, true);
    a.drain();
    a.shutdown(10);
    expect(a.drain()).toEqual([expect.objectContaining({ kind: 'publish_heartbeat', state: 'draining' })]);
    a.tick(200);
    expect(a.drain().some((e) => e.kind === 'stopped')).toBe(false);
    a.onRevoke(210, revoke(2, 0));
    const [rv] = a.drain();
    a.onHostRevoked(220, (rv as { opId: number }).opId, []);
    a.drain();
    a.tick(300);
    expect(a.drain()).toContainEqual({ kind: 'stopped', graceful: true, reason: 'handed_over' });
  });

  test('a drain no coordinator answers stops after drainIdleMs, not after the whole grace', () => {
    const a = agent({ shutdownGraceMs: 25_000, drainIdleMs: 5_000 });
    a.onAssign(1, assign(1, 0));
    const [op] = a.drain();
    a.onHostAssigned(2, (op as { opId: number }).opId, true);
    a.drain();
    a.shutdown(1_000);
    a.tick(5_999); // 4,999 ms of silence: still waiting
    expect(a.drain().some((e) => e.kind === 'stopped')).toBe(false);
    a.tick(6_000);
    const effects = a.drain();
    expect(effects).toContainEqual({ kind: 'stopped', graceful: false, reason: 'no_coordinator' });
    expect(effects).toContainEqual(expect.objectContaining({ kind: 'publish_heartbeat', state: 'stopped' }));
  });

  test('a coordinator that answers keeps the drain waiting; an operation in flight is never cut short', () => {
    const a = agent({ shutdownGraceMs: 25_000, drainIdleMs: 5_000 });
    for (const p of [0, 1]) {
      a.onAssign(1, assign(1, p));
      const [op] = a.drain();
      a.onHostAssigned(2, (op as { opId: number }).opId, true);
      a.drain();
    }
    expect([...a.live().keys()]).toEqual([0, 1]);
    a.shutdown(1_000);
    a.drain();
    a.onRevoke(4_000, revoke(2, 0)); // heard at 4 s: the silence restarts
    const [rv] = a.drain();
    expect(rv).toMatchObject({ kind: 'host_revoke', partitions: [0] });
    a.tick(8_000); // the revoke's drain is still running: no silence rule while it runs
    expect(a.drain().some((e) => e.kind === 'stopped')).toBe(false);
    a.onHostRevoked(12_000, (rv as { opId: number }).opId, []);
    a.drain();
    a.tick(16_999); // partition 1 still held, 4,999 ms after the last sign
    expect(a.drain().some((e) => e.kind === 'stopped')).toBe(false);
    a.tick(17_000);
    expect(a.drain()).toContainEqual({ kind: 'stopped', graceful: false, reason: 'no_coordinator' });
  });

  test('the grace is the upper bound even while a coordinator keeps talking', () => {
    const a = agent({ shutdownGraceMs: 3_000, drainIdleMs: 5_000 });
    a.onAssign(1, assign(1, 0));
    const [op] = a.drain();
    a.onHostAssigned(2, (op as { opId: number }).opId, true);
    a.drain();
    a.shutdown(1_000);
    a.onRevoke(3_500, revoke(2, 0));
    a.drain();
    a.tick(4_000);
    expect(a.drain()).toContainEqual({ kind: 'stopped', graceful: false, reason: 'deadline' });
  });
});

describe('assignment broadcast', () => {
  test('on every change and again every heartbeat interval', () => {
    const c = cluster(2);
    const count = () => c.m.drain().filter((e) => e.kind === 'broadcast').length;
    let t = c.advance(100);
    for (const w of c.ids) c.m.onHeartbeat(t, hb(w, t, c.held(w), 1));
    c.m.tick(t);
    count();
    t = c.advance(10);
    c.m.tick(t);
    expect(count()).toBe(0); // nothing changed and the interval (100 ms) is not over
    t = c.advance(150);
    for (const w of c.ids) c.m.onHeartbeat(t, hb(w, t, c.held(w), 1));
    c.m.tick(t);
    expect(count()).toBe(1); // the same table again, for late subscribers
    t = c.advance(10);
    c.m.onHeartbeat(t, hb('w9', t));
    c.m.tick(t);
    c.m.onPersisted(t, { ok: true, revision: 9 });
    c.m.drain();
    t = c.advance(10);
    // a move completes: the table changed, broadcast at once
    const target = new HashRing(['w0', 'w1', 'w9']).assign(P);
    const p = target.indexOf('w9');
    const from = c.m.ownerOf(p).workerId!;
    c.m.onRevokeAck(t, {
      type: 'revoke_ack',
      v: 1,
      epoch: 2,
      rebalanceId: 'e2',
      workerId: from,
      partitions: [{ partition: p, snapshotKey: null, offsets: [] }],
    });
    c.m.drain();
    c.m.onAssignAck(t, {
      type: 'assign_ack',
      v: 1,
      epoch: 2,
      rebalanceId: 'e2',
      workerId: 'w9',
      partitions: [p],
    });
    c.m.tick(t);
    expect(count()).toBe(1);
  });
});
