import { afterEach, describe, expect, test, vi } from 'vitest';
import { KvConflictError, LeaseKeeper, LeaseMachine, type LeaseOpResult, MemoryKv } from '../src/index.ts';

/** Runs one machine's pending op synchronously against a MemoryKv. */
function step(m: LeaseMachine, kv: MemoryKv, now: number): void {
  const op = m.poll(now);
  if (op === null) return;
  let r: LeaseOpResult;
  try {
    r =
      op.kind === 'get'
        ? { kind: 'entry', entry: kv.getSync(op.key) }
        : { kind: 'written', revision: kv.updateSync(op.key, op.value, op.expectedRevision) };
  } catch (e) {
    r = e instanceof KvConflictError ? { kind: 'conflict' } : { kind: 'error', error: e };
  }
  m.onResult(now, r);
}

const opts = (holderId: string) => ({ holderId, key: 'lease', ttlMs: 1000 });

describe('LeaseMachine', () => {
  test('exactly one of two contenders leads; the other takes over within ttl + 2 checks of its death', () => {
    const kv = new MemoryKv();
    const a = new LeaseMachine(opts('a'));
    const b = new LeaseMachine(opts('b'));
    let aAlive = true;
    let diedAt = -1;
    let takeover = -1;
    for (let t = 0; t <= 10_000; t += 10) {
      if (aAlive) step(a, kv, t);
      step(b, kv, t);
      const leaders = (aAlive && a.isLeader(t) ? 1 : 0) + (b.isLeader(t) ? 1 : 0);
      expect(leaders).toBeLessThanOrEqual(1);
      if (t === 3000) {
        expect(a.isLeader(t)).toBe(true);
        expect(b.view(t)).toMatchObject({ leader: false, holderId: 'a', term: 1 });
        aAlive = false;
        diedAt = t;
      }
      if (takeover < 0 && b.isLeader(t)) takeover = t;
    }
    expect(takeover - diedAt).toBeGreaterThan(0);
    expect(takeover - diedAt).toBeLessThanOrEqual(1000 + 2 * 100 + 20);
    expect(b.view(10_000)).toMatchObject({ leader: true, term: 2, holderId: 'b' });
  });

  test('a paused holder stops calling itself leader before its lease can be taken, and a CAS after resuming fails', () => {
    const kv = new MemoryKv();
    const a = new LeaseMachine(opts('a'));
    const b = new LeaseMachine(opts('b'));
    for (let t = 0; t <= 1000; t += 10) {
      step(a, kv, t);
      step(b, kv, t);
    }
    expect(a.isLeader(1000)).toBe(true);
    // a is paused from 1000 to 4000: b takes over meanwhile
    let bFrom = -1;
    for (let t = 1010; t <= 4000; t += 10) {
      step(b, kv, t);
      if (bFrom < 0 && b.isLeader(t)) bFrom = t;
    }
    expect(bFrom).toBeGreaterThan(0);
    // a's own clock tells it that its lease ran out before b took it
    expect(a.isLeader(bFrom)).toBe(false);
    step(a, kv, 4000); // a tries to act: a read (no longer leader), then a stale CAS would fail
    expect(a.isLeader(4000)).toBe(false);
    expect(b.isLeader(4000)).toBe(true);
  });

  test('store unavailable: the holder loses leadership when its validity runs out, and recovers after', () => {
    const kv = new MemoryKv();
    const a = new LeaseMachine(opts('a'));
    for (let t = 0; t <= 500; t += 10) step(a, kv, t);
    expect(a.isLeader(500)).toBe(true);
    kv.available = false;
    let lostAt = -1;
    for (let t = 510; t <= 2000; t += 10) {
      step(a, kv, t);
      if (lostAt < 0 && !a.isLeader(t)) lostAt = t;
    }
    expect(lostAt).toBeGreaterThan(500);
    expect(lostAt).toBeLessThanOrEqual(500 + 800);
    kv.available = true;
    for (let t = 2010; t <= 5000; t += 10) step(a, kv, t);
    expect(a.isLeader(5000)).toBe(true);
  });

  test('rejects a ttl it cannot renew inside', () => {
    expect(() => new LeaseMachine({ holderId: 'a', key: 'k', ttlMs: 100, renewEveryMs: 90 })).toThrow(
      /renewEveryMs/,
    );
  });
});

describe('LeaseKeeper', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('runs over a KvStore with timers and reports acquire/lose', async () => {
    vi.useFakeTimers();
    let now = 0;
    const kv = new MemoryKv();
    const events: string[] = [];
    const mk = (id: string) =>
      new LeaseKeeper({
        ...opts(id),
        kv,
        now: () => now,
        onChange: (leader, term) => events.push(`${id}:${leader}:${term}`),
      });
    const a = mk('a');
    const b = mk('b');
    a.start();
    const advance = async (ms: number) => {
      for (let i = 0; i < ms / 10; i++) {
        now += 10;
        await vi.advanceTimersByTimeAsync(10);
      }
    };
    await advance(200);
    b.start();
    await advance(1000);
    expect(a.leader).toBe(true);
    expect(b.leader).toBe(false);
    await a.stop();
    await advance(1500);
    expect(b.leader).toBe(true);
    await b.stop();
    expect(events).toEqual(['a:true:1', 'a:false:1', 'b:true:2', 'b:false:2']);
  });
});
