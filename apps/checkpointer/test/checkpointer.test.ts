// The checkpointer service on the in-memory bus and store, with simulated
// workers, on a virtual clock (tick() driven by the test; backoff sleeps
// advance the clock).
import { MemoryBus } from '@ripple/cluster';
import { ConfigError } from '@ripple/config';
import { MemoryObjectStore } from '@ripple/object-store';
import {
  type Assignment,
  checkpointLayout,
  clusterSubjects,
  decodeManifest,
  decodeRestoreReply,
  encodeControlMessage,
  encodeRestoreRequest,
} from '@ripple/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckpointEvent, Checkpointer } from '../src/checkpointer.ts';
import { loadConfig } from '../src/config.ts';
import { CheckpointerMetrics } from '../src/metrics.ts';
import { silentLogger } from '../src/ports.ts';
import { FaultyStore } from './faulty-store.ts';
import { restoreState, SimWorker } from './sim-worker.ts';

const cluster = 'unit';
const layout = checkpointLayout('ck/unit');
const subjects = clusterSubjects(cluster);

interface Rig {
  bus: MemoryBus;
  mem: MemoryObjectStore;
  store: FaultyStore;
  clock: { t: number };
  cp: Checkpointer;
  metrics: CheckpointerMetrics;
  events: CheckpointEvent[];
  workers: SimWorker[];
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.cp.stop();
    for (const w of r.workers) w.stop();
    r.bus.connected = false;
  }
});

const tick = () => new Promise((r) => setTimeout(r, 2));
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function newCheckpointer(bus: MemoryBus, store: FaultyStore, clock: { t: number }, keep = 3) {
  const metrics = new CheckpointerMetrics(cluster);
  const cp = new Checkpointer({
    cluster,
    layout,
    intervalMs: 1000,
    ackTimeoutMs: 500,
    commitTimeoutMs: 2000,
    keep,
    staticTable: null,
    store,
    bus,
    metrics,
    logger: silentLogger,
    tickMs: 0,
    backoff: { initialMs: 50, maxMs: 400 },
    now: () => clock.t,
    sleep: async (ms) => {
      clock.t += ms;
      await new Promise((r) => setTimeout(r, 1));
    },
    nonce: () => 'n',
  });
  return { cp, metrics };
}

async function rig(keep = 3): Promise<Rig> {
  const bus = new MemoryBus();
  const mem = new MemoryObjectStore();
  const store = new FaultyStore(mem);
  const clock = { t: 1_000_000 };
  const { cp, metrics } = newCheckpointer(bus, store, clock, keep);
  const events: CheckpointEvent[] = [];
  cp.on((e) => events.push(e));
  await cp.start();
  const workers = [
    new SimWorker(bus, store, layout, cluster, 'w0', 1, [0, 1]),
    new SimWorker(bus, store, layout, cluster, 'w1', 1, [2, 3]),
  ];
  bus.publish(
    subjects.assignment,
    encodeControlMessage(assignment(1, { 0: 'w0', 1: 'w0', 2: 'w1', 3: 'w1' })),
  );
  await settle();
  const r = { bus, mem, store, clock, cp, metrics, events, workers };
  rigs.push(r);
  return r;
}

function assignment(epoch: number, owners: Record<number, string>): Assignment {
  return {
    type: 'assignment',
    v: 1,
    epoch,
    numPartitions: 4,
    owners: Object.entries(owners).map(([p, w]) => ({ partition: Number(p), workerId: w })),
  };
}

/** Advance the clock by `ms`, tick, and let the bus, workers and store run. */
async function step(r: Rig, ms: number): Promise<void> {
  r.clock.t += ms;
  r.cp.tick();
  await settle();
  for (const w of r.workers) await w.settle();
  await settle();
  r.cp.tick();
  await settle();
}

const last = <T extends CheckpointEvent['type']>(r: Rig, type: T) =>
  r.events.filter((e): e is Extract<CheckpointEvent, { type: T }> => e.type === type).at(-1);

describe('Checkpointer service', () => {
  it('commits a manifest once every partition acked and every object exists; unchanged partitions carry forward', async () => {
    const r = await rig();
    for (const w of r.workers) for (const p of w.partitions.keys()) w.churn(p, 50, p);
    await step(r, 1000);
    const c1 = last(r, 'committed')!;
    expect(c1.manifest.partitions.map((p) => p.chain.map((o) => o.kind))).toEqual([
      ['full'],
      ['full'],
      ['full'],
      ['full'],
    ]);
    const stored = decodeManifest((await r.mem.get(layout.manifestKey(c1.manifest.checkpointId)))!);
    expect(stored).toEqual(c1.manifest);
    expect(c1.manifest.written.full).toBeGreaterThan(0);

    // 1 partition of 4 changes a few keys: an increment for it, the rest carried forward
    r.workers[0]!.churn(0, 3, 9);
    await step(r, 1000);
    const c2 = last(r, 'committed')!;
    expect(c2.manifest.checkpointId).not.toBe(c1.manifest.checkpointId);
    expect(c2.manifest.partitions[0]!.chain.map((o) => o.kind)).toEqual(['full', 'incremental']);
    for (const p of [1, 2, 3]) expect(c2.manifest.partitions[p]!.writtenBy).toBe(c1.manifest.checkpointId);
    expect(c2.manifest.written.full).toBe(0);
    expect(c2.manifest.written.incremental).toBeGreaterThan(0);
    expect(c2.manifest.written.incremental).toBeLessThan(c1.manifest.written.full / 4);
    // the chain restores to the worker's current state
    expect(await restoreState(r.mem, c2.manifest.partitions[0]!.chain)).toEqual(
      r.workers[0]!.partitions.get(0)!.state,
    );

    const text = await r.metrics.registry.metrics();
    expect(text).toMatch(/ripple_checkpoint_committed_total\{cluster="unit"\} 2/);
    expect(text).toMatch(/ripple_checkpoint_trigger_to_commit_seconds_count\{cluster="unit"\} 2/);
    expect(text).toMatch(/ripple_checkpoint_last_bytes\{kind="full",cluster="unit"\} 0/);
    expect(text).toMatch(
      /ripple_checkpoint_latest_committed_timestamp_seconds\{cluster="unit"\} 1\d{3}(\.\d+)?\n/,
    );
    expect(text).toMatch(/ripple_checkpoint_retained_objects\{cluster="unit"\} 5/);
  });

  it('a worker dying mid-checkpoint aborts it: never committed, previous stays latest, its orphans are cleaned later', async () => {
    const r = await rig();
    await step(r, 1000);
    const c1 = last(r, 'committed')!.manifest;
    for (const p of [2, 3]) r.workers[1]!.churn(p, 10, p);
    r.workers[1]!.withhold.add(3); // uploads partition 3 but dies before acking it
    await step(r, 1000);
    const id = last(r, 'triggered')!.checkpointId;
    await step(r, 500);
    expect(last(r, 'aborted')).toMatchObject({ checkpointId: id, reason: 'ack_timeout' });
    expect(r.cp.latestCommitted?.checkpointId).toBe(c1.checkpointId);
    expect(await r.mem.head(layout.manifestKey(id))).toBeNull();
    const orphan = layout.snapshotKey(3, id, 'incremental');
    expect(await r.mem.head(orphan)).not.toBeNull();
    // the partition moves to a new owner, which restores the committed chain; the next commits clean the orphan
    r.workers[1]!.stop();
    const w2 = new SimWorker(r.bus, r.store, layout, cluster, 'w2', 2, []);
    r.workers.push(w2);
    for (const p of [2, 3]) {
      const ref = c1.partitions[p]!;
      w2.own(p, { chain: [...ref.chain], state: await restoreState(r.mem, ref.chain) });
    }
    r.bus.publish(
      subjects.assignment,
      encodeControlMessage(assignment(2, { 0: 'w0', 1: 'w0', 2: 'w2', 3: 'w2' })),
    );
    await settle();
    r.workers[0]!.epoch = 2;
    await step(r, 1000);
    expect(last(r, 'committed')!.manifest.epoch).toBe(2);
    await step(r, 1000);
    expect(await r.mem.head(orphan)).toBeNull();
    expect(await r.metrics.registry.metrics()).toMatch(
      /ripple_checkpoint_aborted_total\{reason="ack_timeout",cluster="unit"\} 1/,
    );
  });

  it('a partition whose ack was lost re-acks its uncommitted object once unchanged, and commits resume', async () => {
    const r = await rig();
    await step(r, 1000);
    const c1 = last(r, 'committed')!.manifest;
    r.workers[1]!.churn(3, 5, 7);
    r.workers[1]!.withhold.add(3);
    await step(r, 1000);
    await step(r, 500);
    expect(last(r, 'aborted')!.reason).toBe('ack_timeout');
    r.workers[1]!.withhold.clear();
    await step(r, 1000);
    const c2 = last(r, 'committed')!.manifest;
    expect(c2.seq).toBeGreaterThan(c1.seq);
    expect(c2.partitions[3]!.writtenBy).not.toBe(c1.checkpointId);
    expect(c2.written.incremental).toBeGreaterThan(0);
  });

  it('acks from a stale epoch or a zombie owner are refused and counted; an epoch change aborts', async () => {
    const r = await rig();
    await step(r, 1000);
    r.workers[1]!.epoch = 0;
    await step(r, 1000);
    await step(r, 500);
    expect(last(r, 'aborted')!.reason).toBe('ack_timeout');
    const text = await r.metrics.registry.metrics();
    expect(text).toMatch(/ripple_checkpoint_acks_refused_total\{reason="stale_epoch",cluster="unit"\} 2/);
    r.workers[1]!.epoch = 1;
    // w1 keeps acking for partition 2 after it moved to w0 in epoch 2: a zombie
    const before = r.events.length;
    r.clock.t += 1000;
    r.cp.tick();
    r.bus.publish(
      subjects.assignment,
      encodeControlMessage(assignment(2, { 0: 'w0', 1: 'w0', 2: 'w0', 3: 'w1' })),
    );
    await settle();
    expect(r.events.slice(before).map((e) => e.type)).toEqual(['triggered', 'aborted']);
    expect(last(r, 'aborted')!.reason).toBe('epoch_changed');
  });

  it('the store refusing writes for a while: retried with backoff, committed once durable, not ready meanwhile', async () => {
    const r = await rig();
    r.store.failing.add('put');
    r.clock.t += 1000;
    r.cp.tick();
    await settle();
    for (const w of r.workers) await w.settle(); // the workers' uploads fail too (same store): no acks
    await step(r, 500);
    expect(last(r, 'aborted')!.reason).toBe('ack_timeout');
    // workers upload fine, but the manifest write fails for ~1 s, within the 2 s commit deadline
    r.store.failing.clear();
    r.store.failIf = (op, key) => op === 'put' && key.startsWith(layout.manifestsPrefix);
    const failingSince = r.clock.t + 1000;
    await step(r, 1000);
    for (let i = 0; i < 500 && r.clock.t < failingSince + 1000; i++) await tick();
    expect(r.clock.t).toBeGreaterThanOrEqual(failingSince + 1000);
    expect(r.cp.ready).toBe(false);
    expect(r.events.filter((e) => e.type === 'committed')).toHaveLength(0);
    r.store.failIf = null;
    for (let i = 0; i < 500 && last(r, 'committed') === undefined; i++) await tick();
    expect(last(r, 'committed')).toBeDefined();
    expect(r.cp.ready).toBe(true);
    expect(await r.metrics.registry.metrics()).toMatch(
      /ripple_checkpoint_store_errors_total\{op="put",cluster="unit"\} [1-9]/,
    );
  });

  it('the store down past the commit deadline: aborted, no manifest written', async () => {
    const r = await rig();
    r.store.failing.add('head');
    r.store.failIf = (op, key) => op === 'put' && key.startsWith(layout.manifestsPrefix);
    await step(r, 1000);
    for (let i = 0; i < 500 && last(r, 'aborted') === undefined; i++) await tick();
    expect(last(r, 'aborted')!.reason).toBe('store_unavailable');
    expect(await r.mem.list(layout.manifestsPrefix)).toEqual([]);
    expect(r.events.filter((e) => e.type === 'committed')).toEqual([]);
  });

  it('keeps the newest N checkpoints and rebuilds its state from the store after a restart', async () => {
    const r = await rig(2);
    for (let i = 0; i < 5; i++) {
      for (const w of r.workers) for (const p of w.partitions.keys()) w.churn(p, 5, i * 10 + p);
      await step(r, 1000);
    }
    const manifests = await r.mem.list(layout.manifestsPrefix);
    expect(manifests).toHaveLength(2);
    const latest = r.cp.latestCommitted!;
    expect(manifests[1]!.key).toBe(layout.manifestKey(latest.checkpointId));

    // restart: a new process over the same store
    await r.cp.stop();
    const { cp } = newCheckpointer(r.bus, r.store, r.clock, 2);
    r.cp = cp;
    const events: CheckpointEvent[] = [];
    r.events = events;
    cp.on((e) => events.push(e));
    await cp.start();
    expect(cp.latestCommitted).toEqual(latest);
    r.bus.publish(
      subjects.assignment,
      encodeControlMessage(assignment(1, { 0: 'w0', 1: 'w0', 2: 'w1', 3: 'w1' })),
    );
    await settle();
    r.workers[0]!.churn(0, 2, 99);
    await step(r, 1000);
    const next = last(r, 'committed')!.manifest;
    expect(next.seq).toBe(latest.seq + 1);
    // partition 0 is new; the others are carried forward from the manifest committed before the restart
    expect(next.partitions[0]!.writtenBy).toBe(next.checkpointId);
    for (const p of [1, 2, 3]) expect(next.partitions[p]).toEqual({ ...latest.partitions[p]!, epoch: 1 });
    expect(await restoreState(r.mem, next.partitions[0]!.chain)).toEqual(
      r.workers[0]!.partitions.get(0)!.state,
    );
  });

  it('answers restore lookups over the bus, skipping a corrupt object for the previous checkpoint', async () => {
    const r = await rig();
    r.workers[0]!.churn(0, 20, 1);
    await step(r, 1000);
    const c1 = last(r, 'committed')!.manifest;
    r.workers[0]!.churn(0, 2, 2);
    await step(r, 1000);
    const c2 = last(r, 'committed')!.manifest;
    const ask = async (partition: number) =>
      decodeRestoreReply(
        (
          await r.bus.request(
            subjects.checkpointLookup,
            encodeRestoreRequest({ type: 'restore_request', v: 1, requestId: `q${partition}`, partition }),
            {
              timeoutMs: 1000,
              headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
            },
          )
        ).data,
      );
    expect(await ask(0)).toMatchObject({ status: 'ok', checkpointId: c2.checkpointId, skipped: [] });
    const inc = c2.partitions[0]!.chain[1]!;
    const bytes = (await r.mem.get(inc.key))!;
    bytes[0] = bytes[0]! ^ 0xff;
    await r.mem.put(inc.key, bytes);
    const reply = await ask(0);
    expect(reply).toMatchObject({ status: 'ok', checkpointId: c1.checkpointId });
    expect(reply.skipped).toEqual([
      { checkpointId: c2.checkpointId, key: inc.key, reason: expect.stringMatching(/^crc32c/) },
    ]);
    expect(await r.metrics.registry.metrics()).toMatch(
      /ripple_checkpoint_corrupt_objects_total\{cluster="unit"\} 1/,
    );
    r.store.failing.add('list');
    expect((await ask(1)).status).toBe('unavailable');
  });
});

describe('Checkpointer with a lease (HA)', () => {
  it('a standby neither triggers nor deletes; on taking over it re-reads the store and continues after the last commit', async () => {
    const bus = new MemoryBus();
    const mem = new MemoryObjectStore();
    const store = new FaultyStore(mem);
    const clock = { t: 5_000_000 };
    const lead = { a: true, b: false };
    const mk = (who: 'a' | 'b') => {
      const metrics = new CheckpointerMetrics(cluster);
      const cp = new Checkpointer({
        cluster,
        layout,
        intervalMs: 1000,
        ackTimeoutMs: 500,
        commitTimeoutMs: 2000,
        keep: 3,
        staticTable: null,
        store,
        bus,
        metrics,
        logger: silentLogger,
        tickMs: 0,
        now: () => clock.t,
        nonce: () => who,
        leader: { isLeader: () => lead[who] },
      });
      return { cp, metrics, events: [] as CheckpointEvent[] };
    };
    const a = mk('a');
    const b = mk('b');
    for (const x of [a, b]) {
      x.cp.on((e) => x.events.push(e));
      await x.cp.start();
    }
    const w = new SimWorker(bus, store, layout, cluster, 'w0', 1, [0, 1, 2, 3]);
    bus.publish(
      subjects.assignment,
      encodeControlMessage(assignment(1, { 0: 'w0', 1: 'w0', 2: 'w0', 3: 'w0' })),
    );
    await settle();
    const round = async () => {
      clock.t += 1000;
      a.cp.tick();
      b.cp.tick();
      await settle();
      await w.settle();
      await settle();
      a.cp.tick();
      b.cp.tick();
      await settle();
    };
    w.churn(0, 5, 1);
    await round();
    await round();
    expect(a.events.filter((e) => e.type === 'committed')).toHaveLength(2);
    expect(b.events).toEqual([]);
    expect(b.cp.details().role).toBe('standby');
    // failover: a loses the lease, b takes it
    lead.a = false;
    lead.b = true;
    await round(); // b re-reads the store
    await round();
    const committed = b.events.filter(
      (e): e is Extract<CheckpointEvent, { type: 'committed' }> => e.type === 'committed',
    );
    expect(committed.length).toBeGreaterThan(0);
    expect(committed[0]!.manifest.seq).toBe(3);
    expect(committed[0]!.manifest.checkpointId).toMatch(/-b$/);
    expect(a.events.filter((e) => e.type === 'committed')).toHaveLength(2);
    expect(await b.metrics.registry.metrics()).toMatch(/ripple_checkpoint_leader\{cluster="unit"\} 1/);
    expect(await a.metrics.registry.metrics()).toMatch(/ripple_checkpoint_leader\{cluster="unit"\} 0/);
    await a.cp.stop();
    await b.cp.stop();
    w.stop();
    bus.connected = false;
  });
});

describe('config', () => {
  it('defaults follow the reference; invalid values name the key and the variable', () => {
    const c = loadConfig({ S3_BUCKET: 'bkt' });
    expect(c).toMatchObject({
      checkpointIntervalSec: 10,
      checkpointsRetained: 5,
      cluster: 'ripple',
      prefix: 'checkpoints/ripple',
    });
    const err = (env: Record<string, string>) => {
      try {
        loadConfig({ S3_BUCKET: 'bkt', ...env });
        return 'ok';
      } catch (e) {
        return e instanceof ConfigError ? `${e.key} ${e.variable}` : String(e);
      }
    };
    expect(err({ RIPPLE_CHECKPOINT_INTERVAL_SEC: 'ten' })).toBe(
      'checkpoint_interval_sec RIPPLE_CHECKPOINT_INTERVAL_SEC',
    );
    expect(err({ RIPPLE_CHECKPOINT_INTERVAL_SEC: '0' })).toBe(
      'checkpoint_interval_sec RIPPLE_CHECKPOINT_INTERVAL_SEC',
    );
    expect(err({ RIPPLE_CHECKPOINTS_RETAINED: '0' })).toBe(
      'checkpoints_retained RIPPLE_CHECKPOINTS_RETAINED',
    );
    expect(err({ RIPPLE_CLUSTER: 'a.b' })).toBe('cluster RIPPLE_CLUSTER');
    expect(err({ RIPPLE_STORE: 'ftp' })).toBe('store RIPPLE_STORE');
    expect(err({ RIPPLE_STORE: 'dir' })).toBe('store_dir RIPPLE_STORE_DIR');
    expect(err({ S3_BUCKET: '' })).toBe('s3_bucket S3_BUCKET');
    expect(err({ S3_BUCKET: 'Bad_Bucket' })).toBe('s3_bucket S3_BUCKET');
    expect(err({ RIPPLE_CHECKPOINT_INTERVAL: '5' })).toBe(
      'checkpoint_interval_sec RIPPLE_CHECKPOINT_INTERVAL_SEC',
    );
    expect(err({ S3_ENDPOINT: 'localhost:7480' })).toBe('s3_endpoint S3_ENDPOINT');
    expect(err({ NATS_URL: 'http://x' })).toBe('nats_url NATS_URL');
    // the embedded cluster's hub (`pnpm start`) stands in for NATS; not for the JetStream lease
    expect(err({ NATS_URL: 'ripple-hub:/tmp/x/hub.sock' })).toBe('ok');
    expect(err({ NATS_URL: 'ripple-hub:/tmp/x/hub.sock', RIPPLE_HA: 'lease' })).toBe('ha RIPPLE_HA');
    expect(err({ RIPPLE_S3_PREFIX: 'a/../b' })).toBe('s3_prefix RIPPLE_S3_PREFIX');
    expect(err({ RIPPLE_HEALTH_PORT: '70000' })).toBe('health_port RIPPLE_HEALTH_PORT');
  });
});
